import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { monitoringConfigSchema, type MonitoringConfig } from './schema.js';

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

/** Parses YAML text (JSON is YAML too); syntax errors are problems with their line and column. */
export function parseConfigText(text: string): ConfigResult {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => ({ path: e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '(yaml)', message: e.message.split('\n')[0]! })),
    };
  }
  return validateConfig(doc.toJS());
}

export function loadConfigFile(file: string): ConfigResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, problems: [{ path: file, message: `cannot read config: ${(err as Error).message}` }] };
  }
  return parseConfigText(text);
}

/** The JSON Schema editors use to check dialtone.yaml as you type. */
export function configJsonSchema(): unknown {
  return z.toJSONSchema(monitoringConfigSchema, { io: 'input', unrepresentable: 'any' });
}
