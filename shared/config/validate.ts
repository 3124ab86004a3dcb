import { monitoringConfigSchema, type MonitoringConfig } from './schema.js';

/**
 * Config validation without the YAML parser or the JSON Schema writer: the Lambda handlers
 * import only this (through env.ts), so their bundles carry neither (npm run bench, part 4).
 * load.ts re-exports it for everything else.
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

/** Validates an already-parsed config object and lists every problem (not just the first). */
export function validateConfig(value: unknown): ConfigResult {
  const parsed = monitoringConfigSchema.safeParse(value);
  if (parsed.success) return { ok: true, config: parsed.data };
  return { ok: false, problems: parsed.error.issues.map((i) => ({ path: formatPath(i.path) || '(root)', message: i.message })) };
}
