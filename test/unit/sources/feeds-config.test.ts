import { sourceSchema } from '../../../shared/config/schema.js';
import { feedDecoders, feedParsers, feedReaders } from '../../../shared/sources/feeds.js';
import { assertEveryKindReadable } from '../../../shared/sources/read-source.js';

const component = (match?: unknown) => ({ id: 'c', name: 'C', provider: 'P', ...(match === undefined ? {} : { match }) });
const issues = (input: unknown) => {
  const r = sourceSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('feed kinds in the config', () => {
  test('rss / atom / statuspage-history: keywords match, maxAgeHours default 72', () => {
    const rss = sourceSchema.parse({ id: 'anoka-news', kind: 'rss', url: 'https://anoka.example.gov/rss', components: [component({ keywords: ['Anoka'] })] });
    expect(rss).toMatchObject({ kind: 'rss', maxAgeHours: 72, everySeconds: 60 });
    expect(issues({ id: 'a', kind: 'atom', url: 'https://x.gov/atom', components: [component({ keywords: [] })] })).toEqual([expect.stringContaining('components.0.match.keywords')]);
    expect(sourceSchema.parse({ id: 'gh', kind: 'statuspage-history', url: 'https://www.githubstatus.com/history.atom', components: [component()] }).kind).toBe('statuspage-history');
  });

  test('cap / nws-alerts: fips match, textEvents default LAE and CEM', () => {
    const cap = sourceSchema.parse({ id: 'ipaws', kind: 'cap', url: 'https://alerts.example.gov/cap.xml', components: [component({ fips: ['27053'] })] });
    expect(cap).toMatchObject({ textEvents: ['LAE', 'CEM'] });
    expect(issues({ id: 'n', kind: 'nws-alerts', url: 'https://api.weather.gov/alerts/active', components: [component({ fips: ['2753'] })] })).toEqual([
      expect.stringContaining('county FIPS is a 5-digit string'),
    ]);
    expect(issues({ id: 'n', kind: 'nws-alerts', url: 'https://api.weather.gov/alerts/active', textEvents: ['lae'], components: [component()] })).toEqual([
      expect.stringContaining('textEvents.0: a 3-letter SAME event code'),
    ]);
  });

  test('m365-graph: url defaults to the Graph base, the secret is a reference, never a value', () => {
    const m365 = sourceSchema.parse({
      id: 'm365',
      kind: 'm365-graph',
      tenantId: '8f3b2c1e-0000-4000-8000-1234567890ab',
      clientId: 'app',
      clientSecret: { secretsManager: 'dialtone/m365' },
      components: [component({ service: 'Exchange Online' })],
    });
    expect(m365).toMatchObject({ url: 'https://graph.microsoft.com/v1.0', maxPages: 10, everySeconds: 60 });
    expect('url' in m365).toBe(true); // a polled source
    const bad = issues({ id: 'm', kind: 'm365-graph', tenantId: 'x/../evil', clientId: 'a', clientSecret: 'hunter2', components: [component({ service: 'Teams' })] });
    expect(bad).toEqual(expect.arrayContaining([expect.stringContaining('tenantId'), expect.stringContaining('clientSecret')]));
  });

  test('every feed kind has a reader or parser, and a decoder for `dialtone parse`', () => {
    const kinds = ['rss', 'atom', 'statuspage-history', 'cap', 'nws-alerts', 'm365-graph'];
    expect(() => assertEveryKindReadable(kinds)).not.toThrow();
    for (const k of kinds) expect(k in feedDecoders).toBe(true);
    expect(Object.keys(feedReaders).sort()).toEqual(['atom', 'cap', 'm365-graph', 'nws-alerts', 'rss']);
    expect(Object.keys(feedParsers).sort()).toEqual(['atom', 'cap', 'nws-alerts', 'rss', 'statuspage-history']);
  });
});
