import type { SourceOf } from '../config/schema.js';
import type { Observation } from '../domain/observation.js';
import type { Status } from '../domain/status.js';
import type { UpstreamItem } from './parsers.js';
import { asArray, decodeText, parseRfc822Date, parseXml, xmlChild, xmlText, type XmlNode } from './text.js';
import { badPayload, fromEpochSeconds, inSource, item, NO_SOURCE, observation, worstVerdict, type Evidence, type Verdict } from './vendor-util.js';

/**
 * AWS Health Dashboard public RSS (`status.aws.amazon.com/rss/all.rss` or
 * `…/rss/<service>-<region>.rss`) → one Observation per configured component.
 *
 * - Each item is one *update*; its guid is `…#<service>-<region>_<epoch>` (global services have
 *   no region). The newest item per service-region key decides that key's status.
 * - Status is only in the title: `[RESOLVED]` anywhere, `Resolved:` or `Service is operating
 *   normally:` → operational; `Informational message:` / `Performance issue:` → degraded;
 *   `Service disruption:` / `Service impact:` → partial_outage, major_outage when the text says
 *   the disruption spans multiple services, availability zones or the whole region; any other
 *   title → unknown.
 * - `match: { service, region? }`: with a region, exactly that key; without, the global key
 *   and every region of that service. No match = every key in the feed.
 * - A key the feed does not list is operational: the feed's empty state is "nothing posted".
 *   An XML body without an RSS channel (an HTML page, an empty body) is an error, not "empty".
 * - pubDate uses zone names (PST/PDT); it is normalised to UTC, falling back to the guid epoch.
 */

type Source = SourceOf<'aws-rss'>;
type AwsMatch = NonNullable<Source['components'][number]['match']>;

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** Does an AWS Health key (`ec2-us-east-1`, `route53`, `multipleservices-me-central-1`) belong to the match? */
export function matchesAwsKey(key: string, match: AwsMatch | undefined): boolean {
  if (!match) return true;
  const k = key.toLowerCase();
  if (match.region) return k === `${match.service}-${match.region}`;
  return k === match.service || (k.startsWith(`${match.service}-`) && REGION.test(k.slice(match.service.length + 1)));
}

export function describeAwsMatch(match: AwsMatch | undefined): string {
  if (!match) return 'every service';
  return match.region ? `service "${match.service}" in ${match.region}` : `service "${match.service}"`;
}

interface RssItem {
  key?: string;
  guid: string;
  title: string;
  link?: string;
  description: string;
  /** UTC ISO: pubDate, else the guid's epoch. */
  at?: string;
}

const PREFIXES: ReadonlyArray<[RegExp, Status]> = [
  [/^\s*service is operating normally\s*:/i, 'operational'],
  [/^\s*informational message\s*:/i, 'degraded'],
  [/^\s*performance issue\s*:/i, 'degraded'],
  [/^\s*service disruption\s*:/i, 'partial_outage'],
  [/^\s*service impact\s*:/i, 'partial_outage'],
];

const WIDESPREAD = /\b(multiple (?:aws )?services|multiple availability zones|all availability zones|region-?wide|entire region)\b/i;

/** The status an item's title states (see the module comment); unknown with the reason for any other title. */
export function awsTitleStatus(title: string, description = ''): { status: Status; error?: string } {
  if (/\[resolved\]/i.test(title) || /^\s*resolved\s*:/i.test(title)) return { status: 'operational' };
  const known = PREFIXES.find(([re]) => re.test(title));
  if (!known) return { status: 'unknown', error: `unrecognised title prefix in "${title.slice(0, 80)}"` };
  if (known[1] === 'partial_outage' && WIDESPREAD.test(`${title} ${description}`)) return { status: 'major_outage' };
  return { status: known[1] };
}

function readItems(body: Buffer | string, sourceId: string): RssItem[] {
  const doc = inSource(sourceId, () => parseXml(decodeText(body, { what: 'the RSS feed' }), 'the RSS feed'));
  const rss = doc.rss;
  const channel = xmlChild(rss, 'channel'); // '' for an empty <channel/>
  if (channel === undefined)
    throw badPayload(sourceId, `the RSS feed has no <rss><channel> (root element: <${Object.keys(doc)[0] ?? 'none'}>)`);
  return asArray(xmlChild(channel, 'item')).map((node: XmlNode) => {
    const guid = xmlText(xmlChild(node, 'guid')).trim();
    const m = /#([^#\s]+?)_(\d+)$/.exec(guid);
    const at = parseRfc822Date(xmlText(xmlChild(node, 'pubDate'))) ?? fromEpochSeconds(m?.[2]);
    const it: RssItem = { guid, title: xmlText(xmlChild(node, 'title')).trim(), description: xmlText(xmlChild(node, 'description')) };
    if (m?.[1]) it.key = m[1].toLowerCase();
    const link = xmlText(xmlChild(node, 'link')).trim();
    if (link) it.link = link;
    if (at) it.at = at;
    return it;
  });
}

/** Items of one key, newest first (by time; document order breaks ties, and the feed is newest first). */
function newestFirst(items: RssItem[]): RssItem[] {
  return items.map((it, i) => ({ it, i })).sort((a, b) => (b.it.at ?? '').localeCompare(a.it.at ?? '') || a.i - b.i).map((x) => x.it);
}

/** The newest item's verdict, with the episode (the run of not-operational updates) as evidence. */
function verdictOfKey(items: RssItem[]): Verdict {
  const [latest, ...older] = newestFirst(items);
  const { status, error } = awsTitleStatus(latest!.title, latest!.description);
  let first = latest!;
  if (status !== 'operational') for (const it of older) {
    if (awsTitleStatus(it.title, it.description).status === 'operational') break;
    first = it;
  }
  const evidence: Evidence = { title: latest!.title, url: latest!.link, upstreamId: first.guid || undefined, startedAt: first.at, updatedAt: latest!.at };
  return error ? { status, evidence, error } : { status, evidence };
}

function byKey(items: RssItem[]): Map<string, RssItem[]> {
  const keys = new Map<string, RssItem[]>();
  for (const it of items) {
    if (!it.key) continue;
    keys.set(it.key, [...(keys.get(it.key) ?? []), it]);
  }
  return keys;
}

export function parseAwsRss(body: Buffer | string, source: Source, observedAt: string): Observation[] {
  const keys = byKey(readItems(body, source.id));
  return source.components.map((component) => {
    const verdicts = [...keys].filter(([key]) => matchesAwsKey(key, component.match)).map(([, items]) => verdictOfKey(items));
    const worst = worstVerdict(verdicts);
    if (!worst) return observation(source.id, component.id, 'operational', observedAt);
    const error = worst.error ? `component "${component.id}" (${describeAwsMatch(component.match)}): ${worst.error} in the RSS feed of source "${source.id}"` : undefined;
    return observation(source.id, component.id, worst.status, observedAt, worst.evidence, error);
  });
}

/** The newest item per service-region key (items whose guid has no key are listed under their guid). */
export function decodeAwsRss(body: Buffer | string): UpstreamItem[] {
  const items = readItems(body, NO_SOURCE);
  const keyed = [...byKey(items)].map(([key, its]) => {
    const v = verdictOfKey(its);
    return item(key, key, v.status, v.evidence, v.error);
  });
  const unkeyed = items.filter((it) => !it.key).map((it) => {
    const { status, error } = awsTitleStatus(it.title, it.description);
    return item(it.guid || it.title, it.title, status, { title: it.title, url: it.link, updatedAt: it.at }, error);
  });
  return [...keyed, ...unkeyed];
}
