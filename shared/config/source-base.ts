import * as z from 'zod';

/**
 * Building blocks of a source's config. Every source kind is one zod object made with
 * polledSource() (fetched on a schedule) or pushSource() (it calls us); the kinds are listed in
 * sources-polled.ts and sources-push.ts and joined by `kind` in schema.ts.
 */

export const idSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'ids are lower-case letters, digits, ".", "_" or "-" (max 64)');

/** What every component has, whatever its source: `match` (how to find it upstream) is per kind. */
export function componentOf<M extends z.ZodType>(match: M) {
  return z
    .object({
      id: idSchema,
      name: z.string().min(1),
      provider: z.string().min(1).describe('who operates it: FCC 4.9(h) "service provider experiencing the outage"'),
      match: match.optional(),
    })
    .strict();
}

export const polledFields = {
  url: z.url({ protocol: /^https?$/ }),
  everySeconds: z.number().int().min(5).max(3600).default(60),
  timeoutMs: z.number().int().min(100).max(60_000).default(5_000),
  recheckSeconds: z
    .number()
    .int()
    .min(0)
    .max(300)
    .optional()
    .describe('when a read would change a component, read this source again after this many seconds instead of at the next interval (default thresholds.recheckSeconds; 0 = wait for the interval)'),
  maxBytes: z.number().int().min(1024).max(20 * 1024 * 1024).default(2 * 1024 * 1024),
  group: z
    .enum(['critical', 'standard'])
    .default('standard')
    .describe('poll group in AWS (its own function and schedule): critical = every 15 s, standard = every minute or everySeconds when longer'),
};

/** Who is speaking through a source: two reads by one witness never corroborate each other. */
export const witness = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .optional()
  .describe('who this source speaks for, for corroboration (default: the provider and the host, e.g. "Meridian NG911 Inc. at status.meridian.example"); sources with the same witness never confirm each other');

export function polledSource<K extends string, M extends z.ZodType, X extends z.ZodRawShape = Record<never, never>>(kind: K, match: M, extra?: X) {
  return z
    .object({ id: idSchema, kind: z.literal(kind), ...polledFields, witness, components: z.array(componentOf(match)).min(1), ...(extra ?? ({} as X)) })
    .strict();
}

export function pushSource<K extends string, M extends z.ZodType, X extends z.ZodRawShape = Record<never, never>>(kind: K, match: M, extra?: X) {
  return z.object({ id: idSchema, kind: z.literal(kind), witness, components: z.array(componentOf(match)).min(1), ...(extra ?? ({} as X)) }).strict();
}
