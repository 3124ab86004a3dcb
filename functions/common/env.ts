import type { Logger } from '@aws-lambda-powertools/logger';
import * as z from 'zod';
import type { Log } from '../../shared/app/log.js';
import { redact } from '../../shared/domain/mask.js';

/**
 * The environment the stack gives the functions beyond shared/config/env.ts and delivery-env.ts,
 * and the Log port on Powertools Logger. Kept apart from aws-deps.ts so the read API's bundle
 * does not carry the delivery clients.
 */
export const awsEnvSchema = z.object({
  /** `on` in a multi-region deployment: one region leads (shared/app/region-lease.ts). */
  REGION_LEASE: z.enum(['on', 'off']).default('off'),
  AWS_REGION: z.string().min(1).default('local'),
  /** CAP sender domain for GET /incidents/{id}/cap. */
  CAP_DOMAIN: z.string().min(1).optional(),
});
export type AwsEnv = z.infer<typeof awsEnvSchema>;

export function readAwsEnv(env: NodeJS.ProcessEnv): AwsEnv {
  const parsed = awsEnvSchema.safeParse(env);
  if (!parsed.success) throw new Error(`environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** Powertools Logger behind the Log port, with numbers and addresses redacted from messages. */
export function loggerLog(logger: Logger): Log {
  return {
    debug: (m, e) => logger.debug(redact(m), e ?? {}),
    info: (m, e) => logger.info(redact(m), e ?? {}),
    warn: (m, e) => logger.warn(redact(m), e ?? {}),
    error: (m, e) => logger.error(redact(m), e ?? {}),
  };
}
