import type { BodyParsers } from './parsers.js';
import { parseStatuspageSummary } from './statuspage.js';

/** Body parsers of the vendor-status family (see shared/config/sources-vendors.ts). */
export const vendorParsers = {
  statuspage: parseStatuspageSummary,
} satisfies BodyParsers;
