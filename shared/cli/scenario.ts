import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import * as z from 'zod';
import { formatPath, validateConfig } from '../config/load.js';
import type { MonitoringConfig } from '../config/schema.js';

/**
 * A demo scenario: a monitoring config plus a timeline of upstream payloads at time offsets.
 * The format is documented in the README ("Write your own scenario").
 */
const offset = z
  .string()
  .regex(/^\d+(\.\d+)?(s|m|h)$/, 'an offset is a number with s, m or h, e.g. 90s, 12m, 1.5h')
  .transform((v) => Number.parseFloat(v) * { s: 1_000, m: 60_000, h: 3_600_000 }[v.slice(-1) as 's' | 'm' | 'h']);

const step = z
  .object({
    at: offset,
    file: z.string().optional().describe('payload file, relative to the scenario'),
    body: z.unknown().optional().describe('inline payload (JSON/YAML value, served as JSON)'),
    status: z.number().int().min(100).max(599).default(200),
    contentType: z.string().default('application/json'),
    note: z.string().optional().describe('what this step means, printed when it happens'),
  })
  .strict()
  .refine((s) => (s.file === undefined) !== (s.body === undefined), 'give exactly one of file or body');

export const scenarioSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().default(''),
    start: z.iso.datetime({ offset: true }),
    tickSeconds: z.number().int().min(1).max(3600).default(60),
    durationMinutes: z.number().positive().max(7 * 24 * 60),
    config: z.union([z.string(), z.record(z.string(), z.unknown())]).describe('path to the monitoring config, or the config inline'),
    upstreams: z
      .record(z.url({ protocol: /^https?$/ }), z.array(step).min(1))
      .describe("keyed by a source's URL as written in the config; the demo serves it from loopback"),
    acks: z
      .array(z.object({ at: offset, recipient: z.string().min(1) }).strict())
      .default([])
      .describe('a recipient replies "ACK <code>" to the last SMS it got, at this offset'),
  })
  .strict();

export interface UpstreamStep {
  at: number;
  status: number;
  contentType: string;
  body: Buffer;
  label: string;
  note?: string;
}

export interface Scenario {
  name: string;
  description: string;
  start: Date;
  tickMs: number;
  durationMs: number;
  /** The config as written, with the sources' real URLs. */
  config: unknown;
  /** Timelines keyed by loopback path (see loopbackPath). */
  upstreams: Map<string, UpstreamStep[]>;
  acks: Array<{ at: number; recipient: string }>;
}

export class ScenarioError extends Error {}

export function loadScenario(file: string): Scenario {
  const dir = dirname(resolve(file));
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ScenarioError(`scenario ${file}: ${(err as Error).message}`);
  }
  const parsed = scenarioSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ScenarioError(`scenario ${file}:\n${parsed.error.issues.map((i) => `  ${formatPath(i.path)}: ${i.message}`).join('\n')}`);
  }
  const s = parsed.data;
  const read = (p: string, what: string) => {
    try {
      return readFileSync(resolve(dir, p));
    } catch (err) {
      throw new ScenarioError(`scenario ${file}: ${what}: ${(err as Error).message}`);
    }
  };
  const config = typeof s.config === 'string' ? parse(read(s.config, 'config').toString('utf8')) : s.config;
  const upstreams = new Map<string, UpstreamStep[]>();
  for (const [url, steps] of Object.entries(s.upstreams)) {
    const path = loopbackPath(url);
    upstreams.set(
      path,
      steps
        .map((st, i) => ({
          at: st.at,
          status: st.status,
          contentType: st.contentType,
          body: st.file !== undefined ? read(st.file, `upstreams["${url}"][${i}].file`) : Buffer.from(JSON.stringify(st.body)),
          label: st.file ?? 'inline body',
          ...(st.note !== undefined ? { note: st.note } : {}),
        }))
        .sort((a, b) => a.at - b.at),
    );
  }
  return { name: s.name, description: s.description, start: new Date(s.start), tickMs: s.tickSeconds * 1000, durationMs: s.durationMinutes * 60_000, config, upstreams, acks: s.acks };
}

/** Where the loopback upstream serves a real URL: https://status.x.example/api → /status.x.example/api */
export function loopbackPath(url: string): string {
  const u = new URL(url);
  return `/${u.host}${u.pathname}${u.search}`;
}

/** Points every source at the loopback upstream and allows its address through the SSRF guard. */
export function bindConfig(scenario: Scenario, upstreamBase: string): MonitoringConfig {
  const value = structuredClone(scenario.config) as { sources?: Array<{ url?: unknown }>; network?: { allow?: string[] } };
  for (const source of value.sources ?? []) {
    if (typeof source.url === 'string' && URL.canParse(source.url)) source.url = `${upstreamBase}${loopbackPath(source.url)}`;
  }
  value.network = { ...value.network, allow: [...(value.network?.allow ?? []), new URL(upstreamBase).hostname] };
  const result = validateConfig(value);
  if (!result.ok) throw new ScenarioError(`scenario config:\n${result.problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`);
  return result.config;
}
