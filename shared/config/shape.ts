import { monitoringConfigSchema, type MonitoringConfig } from './schema.js';

/**
 * Config validation without the YAML parser, the JSON Schema writer or the county table: the
 * Lambda handlers import only this (through env.ts), so their bundles carry none of them
 * (npm run bench, part 4). The config they read was validated in full at synth (validate.ts:
 * county FIPS checked, county names filled in), so the shape and cross-references are what is
 * left to check at a cold start.
 */

export interface ConfigProblem {
  /** Dotted path into the config, e.g. services[2].dependsOn[0].component */
  path: string;
  message: string;
}

export type ConfigResult = { ok: true; config: MonitoringConfig } | { ok: false; problems: ConfigProblem[] };

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '');
}

/** Validates the shape and cross-references of an already-parsed config; lists every problem. */
export function validateConfigShape(value: unknown): ConfigResult {
  const parsed = monitoringConfigSchema.safeParse(value);
  if (parsed.success) return { ok: true, config: parsed.data };
  return { ok: false, problems: parsed.error.issues.map((i) => ({ path: formatPath(i.path) || '(root)', message: i.message })) };
}
