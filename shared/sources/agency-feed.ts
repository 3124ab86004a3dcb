import type { SourceOf } from '../config/schema.js';
import type { Observation } from '../domain/observation.js';
import type { Status } from '../domain/status.js';
import { classifyText, type Classification, type TextLabel } from './classifier.js';
import { mentionsAny, newestFirst, readFeed, type FeedItem } from './feed-xml.js';
import type { UpstreamItem } from './parsers.js';

/**
 * Generic agency news feeds (kinds `rss` and `atom`; either reads RSS 2.0, RSS 1.0 or Atom):
 * every item's title and text go through the 911 classifier (classifier.ts). For each component
 * the newest *decisive* item (down / degraded / restored) inside `maxAgeHours` decides:
 *   down → major_outage, degraded → partial_outage, restored → operational.
 * An outage verdict holds until a newer post supersedes it or for `holdHours` after it was
 * posted, whichever comes first: one post nobody closed does not keep a PSAP dark for days.
 * No decisive item (including an empty channel: "nothing posted") → operational. The
 * component's title, url and id come from the deciding item. `match.keywords` keeps only items
 * naming one of the words (a state 911 board's feed covering several PSAPs).
 * Items without any date count as recent and are ordered by their place in the feed.
 */

type FeedSource = SourceOf<'rss'> | SourceOf<'atom'>;

export const LABEL_STATUS: Record<Exclude<TextLabel, 'none'>, Status> = {
  down: 'major_outage',
  degraded: 'partial_outage',
  restored: 'operational',
};

interface Classified {
  item: FeedItem;
  result: Classification;
}

function classify(item: FeedItem): Classification {
  return classifyText(`${item.title}.\n${item.text}`);
}

function recent(item: FeedItem, observedAt: string, maxAgeHours: number): boolean {
  if (!item.date) return true;
  return Date.parse(observedAt) - Date.parse(item.date) <= maxAgeHours * 3_600_000;
}

function describe(c: Classified): string {
  return c.item.title || c.result.phrases[0] || c.item.text.slice(0, 120);
}

export function parseAgencyFeed(body: Buffer | string, source: FeedSource, observedAt: string): Observation[] {
  const feed = readFeed(body, source.id);
  const classified = feed.items.map((item) => ({ item, result: classify(item) }));
  return source.components.map((component) => {
    const keywords = component.match?.keywords;
    const deciding = classified
      .filter((c) => recent(c.item, observedAt, source.maxAgeHours))
      .filter((c) => !keywords || mentionsAny(`${c.item.title} ${c.item.text}`, keywords))
      .filter((c) => c.result.label !== 'none')
      .sort((a, b) => newestFirst(a.item, b.item))[0];
    const observation: Observation = { sourceId: source.id, componentId: component.id, status: 'operational', observedAt };
    if (!deciding) return observation;
    if (deciding.result.label !== 'restored' && !recent(deciding.item, observedAt, source.holdHours)) {
      observation.title = `outage post of ${deciding.item.date} no longer holds (${source.holdHours} h): ${describe(deciding)}`;
      return observation;
    }
    observation.status = LABEL_STATUS[deciding.result.label as Exclude<TextLabel, 'none'>];
    observation.title = describe(deciding);
    observation.upstreamId = deciding.item.id;
    if (deciding.item.link) observation.url = deciding.item.link;
    if (deciding.item.published) observation.startedAt = deciding.item.published;
    if (deciding.item.date) observation.updatedAt = deciding.item.date;
    return observation;
  });
}

/**
 * Config-free: every item with what the classifier made of it. Items that say nothing about
 * 911 are `operational` with the classifier's verdict in the name ("(none)").
 */
export function decodeAgencyFeed(body: Buffer | string): UpstreamItem[] {
  return readFeed(body, '(parse)').items.map((item) => {
    const result = classify(item);
    const status = result.label === 'none' ? 'operational' : LABEL_STATUS[result.label];
    const out: UpstreamItem = {
      key: item.id,
      name: `${item.title || '(untitled)'} [${result.label}${result.phrases.length > 0 ? `: ${result.phrases.join('; ')}` : ''}; confidence ${result.confidence}]`,
      status,
      upstreamId: item.id,
    };
    if (item.title) out.title = item.title;
    if (item.link) out.url = item.link;
    if (item.published) out.startedAt = item.published;
    if (item.date) out.updatedAt = item.date;
    return out;
  });
}
