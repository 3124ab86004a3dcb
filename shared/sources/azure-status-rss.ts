import type { SourceOf } from '../config/schema.js';
import type { Observation } from '../domain/observation.js';
import type { Status } from '../domain/status.js';
import type { UpstreamItem } from './parsers.js';
import { asArray, decodeText, htmlToText, parseRfc822Date, parseXml, xmlChild, xmlText, type XmlNode } from './text.js';
import { badPayload, compact, inSource, item, NO_SOURCE, observation, worstVerdict, type Verdict } from './vendor-util.js';

/**
 * Azure status public RSS (`rssfeed.azure.status.microsoft/en-us/status/feed/`) → one
 * Observation per configured component.
 *
 * - The feed is normally empty: an item is posted only for broad-impact issues and removed when
 *   resolved. Empty channel → operational; an item gone → resolved by disappearance.
 * - Items carry no severity: an item present → partial_outage, major_outage when its title or
 *   description says so (outage, unavailable/unavailability, service disruption, inaccessible,
 *   unable to access/connect/reach/sign in); links are ignored for this.
 * - `match: { service?, region? }` keywords, case-insensitive, matched against the item's
 *   `<category>`s (services and regions mixed; spacing ignored, so "westus2" = "West US 2") and
 *   its title (whole words; "West US" does not match "West US 2"). Both given = both must
 *   match. A "Public Non-Regional"/"Global" category matches every region. No match (or `{}`) =
 *   every item.
 * - Key: guid + pubDate (guids are title slugs reused across incidents). pubDate ends in `Z`.
 * - A body that is not an RSS channel (HTML, empty, not XML) is an error, never "empty".
 */

type Source = SourceOf<'azure-status-rss'>;
type AzureMatch = Source['components'][number]['match'];

interface Item {
  guid: string;
  title: string;
  link?: string;
  categories: string[];
  text: string;
  pubDate?: string;
  key: string;
}

const MAJOR = /\b(outages?|unavailable|unavailability|service disruption|inaccessible|unable to (?:access|connect|reach|sign in|log in))\b/i;
const NON_REGIONAL = /^(public )?non-regional$|^global$/i;

function readItems(body: Buffer | string, sourceId: string): Item[] {
  const doc = inSource(sourceId, () => parseXml(decodeText(body, { what: 'the RSS feed' }), 'the RSS feed'));
  const channel = xmlChild(doc.rss, 'channel'); // '' for an empty <channel/>
  if (channel === undefined) throw badPayload(sourceId, `the RSS feed has no <rss><channel> (root element: <${Object.keys(doc)[0] ?? 'none'}>)`);
  return asArray(xmlChild(channel, 'item')).map((node: XmlNode) => {
    const guid = xmlText(xmlChild(node, 'guid')).trim();
    const title = xmlText(xmlChild(node, 'title')).trim();
    const pubDate = parseRfc822Date(xmlText(xmlChild(node, 'pubDate')));
    const it: Item = {
      guid,
      title,
      categories: asArray(xmlChild(node, 'category')).map((c) => xmlText(c).trim()).filter(Boolean),
      // The description is entity-escaped HTML (already unescaped once by the XML parser).
      text: htmlToText(xmlText(xmlChild(node, 'description'))).replace(/https?:\/\/\S+/g, ' '),
      key: `${guid || title}@${pubDate ?? xmlText(xmlChild(node, 'pubDate')).trim()}`,
    };
    const link = xmlText(xmlChild(node, 'link')).trim();
    if (link) it.link = link;
    if (pubDate) it.pubDate = pubDate;
    return it;
  });
}

function statusOf(it: Item): Status {
  return MAJOR.test(it.title) || MAJOR.test(it.text) ? 'major_outage' : 'partial_outage';
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A keyword as a whole phrase in the title, not followed by a number ("West US" ≠ "West US 2"). */
function inTitle(title: string, term: string): boolean {
  const words = term.trim().split(/\s+/).map(escape).join('\\s+');
  return new RegExp(`(^|[^\\p{L}\\p{N}])${words}(?![\\p{L}\\p{N}]|\\s+\\d)`, 'iu').test(title);
}

function mentions(it: Item, term: string): boolean {
  return it.categories.some((c) => compact(c) === compact(term)) || inTitle(it.title, term);
}

function matches(it: Item, match: AzureMatch): boolean {
  if (match?.service && !mentions(it, match.service)) return false;
  if (match?.region && !mentions(it, match.region) && !it.categories.some((c) => NON_REGIONAL.test(c))) return false;
  return true;
}

function verdictOf(it: Item): Verdict {
  return { status: statusOf(it), evidence: { title: it.title || it.guid, url: it.link, upstreamId: it.key, startedAt: it.pubDate, updatedAt: it.pubDate } };
}

export function parseAzureStatusRss(body: Buffer | string, source: Source, observedAt: string): Observation[] {
  const items = readItems(body, source.id);
  return source.components.map((component) => {
    const worst = worstVerdict(items.filter((it) => matches(it, component.match)).map(verdictOf));
    if (!worst) return observation(source.id, component.id, 'operational', observedAt);
    return observation(source.id, component.id, worst.status, observedAt, worst.evidence);
  });
}

/** Every item (key: guid@pubDate; name: its categories, which is what `match` keywords meet). */
export function decodeAzureStatusRss(body: Buffer | string): UpstreamItem[] {
  return readItems(body, NO_SOURCE).map((it) => {
    const v = verdictOf(it);
    return item(it.key, it.categories.join(', ') || '(no category)', v.status, v.evidence);
  });
}
