import { decodeAgencyFeed, parseAgencyFeed } from './agency-feed.js';
import { decodeCap, parseCap } from './cap-alerts.js';
import { decodeM365Graph, readM365Graph } from './m365.js';
import { decodeNwsAlerts, parseNwsAlerts } from './nws.js';
import type { BodyDecoders, BodyParsers, CustomReaders } from './parsers.js';
import { decodeStatuspageHistory, parseStatuspageHistory } from './statuspage-history.js';
import { timeAware } from './time-aware.js';

/**
 * Body parsers of the feeds family (see shared/config/sources-feeds.ts). rss, atom, cap and
 * nws-alerts are *read* through time-aware readers below (their reading changes with the clock:
 * alerts expire, posts age out), which call these same parsers on every poll.
 */
export const feedParsers = {
  rss: parseAgencyFeed,
  atom: parseAgencyFeed,
  'statuspage-history': parseStatuspageHistory,
  cap: parseCap,
  'nws-alerts': parseNwsAlerts,
} satisfies BodyParsers;

/** Kinds that need more than one conditional GET + parse (Microsoft Graph: token, paging; time-aware feeds). */
export const feedReaders = {
  rss: timeAware<'rss'>(parseAgencyFeed),
  atom: timeAware<'atom'>(parseAgencyFeed),
  cap: timeAware<'cap'>(parseCap),
  'nws-alerts': timeAware<'nws-alerts'>(parseNwsAlerts),
  'm365-graph': readM365Graph,
} satisfies CustomReaders;

/** Config-free decoders for `dialtone parse --kind KIND FILE`: every upstream item a payload lists. */
export const feedDecoders = {
  rss: decodeAgencyFeed,
  atom: decodeAgencyFeed,
  'statuspage-history': decodeStatuspageHistory,
  cap: decodeCap,
  'nws-alerts': decodeNwsAlerts,
  'm365-graph': decodeM365Graph,
} satisfies BodyDecoders;
