import type { SourceOf } from '../config/schema.js';
import type { Observation } from '../domain/observation.js';
import { worstStatus, type Status } from '../domain/status.js';
import { mentionsAny, newestFirst, readFeed, type FeedItem } from './feed-xml.js';
import type { UpstreamItem } from './parsers.js';

/**
 * Statuspage `/history.atom` (kind `statuspage-history`). Each entry is one incident or
 * maintenance; its state lives only in the HTML content, as one `<strong>Marker</strong> - text`
 * block per update, newest first. The newest marker is the entry's state:
 *
 *   Investigating / Identified / Update / Monitoring → open incident   → degraded
 *   In progress / Verifying                          → maintenance now → maintenance
 *   Scheduled                                        → not started     → operational
 *   Resolved / Completed / Postmortem                → closed          → operational
 *   anything else, or no marker                      → unknown
 *
 * Why a kind of its own rather than the generic `atom` kind: the generic kind reads items with the
 * 911 text classifier, which needs a 911 subject — a vendor's "Delays starting Actions runs" has
 * none, so every vendor incident would read as "nothing" (operational) and a real outage would be
 * missed. The markers are Statuspage's own lifecycle states, so reading them is exact. And each
 * entry has its own lifecycle: a component is in trouble while *any* matching entry is open (the
 * worst one decides), not when the newest post says so.
 *
 * The feed carries no impact (minor/major/critical), so an open incident is `degraded`, the
 * conservative tier (alert, but lower): use the page's summary.json (kind `statuspage`) when the
 * grade matters. A maintenance entry still open with an incident marker ("Update") reads as
 * maintenance. `match.keywords` picks entries by title ("Actions", "Codespaces"); without a match
 * every entry counts (the page as a whole).
 */

type HistorySource = SourceOf<'statuspage-history'>;

const MARKERS = new Map<string, Status>([
  ['investigating', 'degraded'],
  ['identified', 'degraded'],
  ['update', 'degraded'],
  ['monitoring', 'degraded'],
  ['in progress', 'maintenance'],
  ['verifying', 'maintenance'],
  ['scheduled', 'operational'],
  ['resolved', 'operational'],
  ['completed', 'operational'],
  ['postmortem', 'operational'],
]);

interface EntryState {
  entry: FeedItem;
  status: Status;
  /** The newest marker as written, e.g. "Update". */
  marker?: string;
  error?: string;
}

const MARKER = /<strong>\s*([^<]{1,40}?)\s*<\/strong>/i;
const SCHEDULED_BANNER = /THIS IS A SCHEDULED EVENT/i;

function stateOf(entry: FeedItem): EntryState {
  const marker = MARKER.exec(entry.html)?.[1];
  if (marker === undefined) return { entry, status: 'unknown', error: `entry "${entry.title}" (${entry.id}) has no <strong>status</strong> marker in its content` };
  const mapped = MARKERS.get(marker.toLowerCase());
  if (mapped === undefined) return { entry, status: 'unknown', marker, error: `entry "${entry.title}" (${entry.id}): unrecognised status marker "${marker}"` };
  const maintenance = SCHEDULED_BANNER.test(entry.html) && mapped === 'degraded';
  return { entry, status: maintenance ? 'maintenance' : mapped, marker };
}

function readEntries(body: Buffer | string, sourceId: string): EntryState[] {
  return readFeed(body, sourceId).items.map(stateOf);
}

export function parseStatuspageHistory(body: Buffer | string, source: HistorySource, observedAt: string): Observation[] {
  const entries = readEntries(body, source.id);
  return source.components.map((component) => {
    const keywords = component.match?.keywords;
    const mine = entries.filter((e) => !keywords || mentionsAny(e.entry.title, keywords));
    const status = worstStatus(mine.map((e) => e.status));
    const observation: Observation = { sourceId: source.id, componentId: component.id, status, observedAt };
    if (status === 'operational') return observation;
    const deciding = mine.filter((e) => e.status === status).sort((a, b) => newestFirst(a.entry, b.entry))[0];
    if (!deciding) return observation;
    if (deciding.error) observation.error = `source "${source.id}": ${deciding.error}`;
    observation.title = deciding.entry.title;
    observation.upstreamId = deciding.entry.id;
    if (deciding.entry.link) observation.url = deciding.entry.link;
    if (deciding.entry.published) observation.startedAt = deciding.entry.published;
    if (deciding.entry.date) observation.updatedAt = deciding.entry.date;
    return observation;
  });
}

/** Config-free: every entry with its state (the newest marker in the name). */
export function decodeStatuspageHistory(body: Buffer | string): UpstreamItem[] {
  return readEntries(body, '(parse)').map(({ entry, status, marker, error }) => {
    const item: UpstreamItem = { key: entry.id, name: `${entry.title}${marker ? ` [${marker}]` : ''}`, status, title: entry.title, upstreamId: entry.id };
    if (entry.link) item.url = entry.link;
    if (entry.published) item.startedAt = entry.published;
    if (entry.date) item.updatedAt = entry.date;
    if (error) item.error = error;
    return item;
  });
}
