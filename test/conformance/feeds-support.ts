import { sourceSchema, type SourceOf } from '../../shared/config/schema.js';
import { DialtoneError } from '../../shared/domain/errors.js';
import type { Observation } from '../../shared/domain/observation.js';
import { feedParsers } from '../../shared/sources/feeds.js';
import { expectRow as expectVendorRow, type Expected } from './support.js';

export { AT, FIXTURES, fixtureFolder, type Expected } from './support.js';

/**
 * Shared by the agency-feed conformance tests (cap, nws, m365, statuspage-feeds, feeds): the
 * captured payloads live beside the checkout in ../shared/fixtures (CI has it, users do not), so
 * each folder skips with a message without it.
 */


export type FeedKind = keyof typeof feedParsers | 'm365-graph';


const DEFAULTS: Record<FeedKind, Record<string, unknown>> = {
  rss: { url: 'https://agency.example.gov/news.rss' },
  atom: { url: 'https://agency.example.gov/news.atom' },
  'statuspage-history': { url: 'https://www.githubstatus.com/history.atom' },
  cap: { url: 'https://alerts.example.gov/cap.xml' },
  'nws-alerts': { url: 'https://api.weather.gov/alerts/active' },
  'm365-graph': { tenantId: 'contoso.onmicrosoft.com', clientId: 'client', clientSecret: { env: 'M365_SECRET' } },
};

/** A source of `kind` whose components are the table's rows (id = row key), validated by the real config schema. */
export function sourceOf<K extends FeedKind>(kind: K, matches: Record<string, unknown>, extra: Record<string, unknown> = {}): SourceOf<K> {
  return sourceSchema.parse({
    id: 'feed',
    kind,
    ...DEFAULTS[kind],
    components: Object.entries(matches).map(([cid, match]) => ({ id: cid, name: cid, provider: 'Agency', ...(match === undefined ? {} : { match }) })),
    ...extra,
  }) as SourceOf<K>;
}


/** A feed row: as the vendor tables, with the feeds' source id. */
export function expectRow(o: Observation | undefined, expected: Expected): void {
  expectVendorRow(o, expected, 'feed');
}

/** Indexes observations by component id. */
export function byComponent(observations: Observation[]): Record<string, Observation> {
  return Object.fromEntries(observations.map((o) => [o.componentId, o]));
}

/** The SOURCE.BAD_PAYLOAD error `fn` throws (fails the test when it throws none). */
export function badPayload(fn: () => unknown): DialtoneError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DialtoneError);
    expect((err as DialtoneError).code).toBe('SOURCE.BAD_PAYLOAD');
    return err as DialtoneError;
  }
  throw new Error('expected SOURCE.BAD_PAYLOAD');
}

/** An XML entity bomb ("billion laughs"): 10^9 "lol"s if expanded, a few hundred bytes if not. */
export function billionLaughs(root: (payload: string) => string): string {
  const levels = ['<!ENTITY lol0 "lol">'];
  for (let i = 1; i <= 9; i++) levels.push(`<!ENTITY lol${i} "${`&lol${i - 1};`.repeat(10)}">`);
  return `<?xml version="1.0"?>\n<!DOCTYPE lolz [\n ${levels.join('\n ')}\n]>\n${root('&lol9;')}`;
}

/** An external entity (XXE) pointing at a local file. */
export function externalEntity(root: (payload: string) => string): string {
  return `<?xml version="1.0"?>\n<!DOCTYPE x [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>\n${root('&xxe;')}`;
}
