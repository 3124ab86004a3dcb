import type { BodyParsers, CustomReaders } from './parsers.js';

/** Body parsers of the feeds family (see shared/config/sources-feeds.ts). */
export const feedParsers = {} satisfies BodyParsers;
/** Kinds that need more than one GET (e.g. Microsoft Graph: token, paging). */
export const feedReaders = {} satisfies CustomReaders;
