import * as z from 'zod';
import { validateConfigShape } from './shape.js';
import type { MonitoringConfig } from './schema.js';

/** The Lambda environment, validated once per cold start. */
export const lambdaEnvSchema = z.object({
  TABLE_NAME: z.string().min(1),
  /** The monitoring config, inlined into the bundle at synth time (esbuild define). */
  DIALTONE_CONFIG_JSON: z.string().min(2),
  SMS_ORIGINATION_NUMBER: z.string().regex(/^\+[1-9]\d{6,14}$/).optional(),
});
export type LambdaEnv = z.infer<typeof lambdaEnvSchema>;

export function readLambdaEnv(env: NodeJS.ProcessEnv): { env: LambdaEnv; config: MonitoringConfig } {
  const parsed = lambdaEnvSchema.safeParse(env);
  if (!parsed.success) throw new Error(`environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  let raw: unknown;
  try {
    raw = JSON.parse(parsed.data.DIALTONE_CONFIG_JSON);
  } catch (err) {
    throw new Error(`environment: DIALTONE_CONFIG_JSON is not JSON: ${(err as Error).message}`, { cause: err });
  }
  // Validated in full (county table included) at synth, which also filled in the county names.
  const config = validateConfigShape(raw);
  if (!config.ok) throw new Error(`monitoring config: ${config.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  return { env: parsed.data, config: config.config };
}
