import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import * as z from 'zod';
import { monitoringConfigSchema } from './schema.js';
import { validateConfig, type ConfigResult } from './validate.js';

// Validation lives in validate.ts (no YAML, no JSON Schema writer) and shape.ts (not even the county
// table: the Lambda side), so Lambda bundles stay small.
export { formatPath, validateConfig, validateConfigShape, type ConfigProblem, type ConfigResult } from './validate.js';

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
