import { z } from 'zod';
import { polledSource } from './source-base.js';

/** Atlassian Statuspage v2 summary.json: match a component by upstream id, exact name, or the page indicator. */
export const statuspageSource = polledSource(
  'statuspage',
  z.union([z.object({ id: z.string().min(1) }).strict(), z.object({ name: z.string().min(1) }).strict(), z.object({ page: z.literal(true) }).strict()]),
);

/** Vendor and cloud status pages (Statuspage, AWS, Azure, Google Cloud, other vendors' APIs). */
export const vendorSourceSchemas = [statuspageSource] as const;
