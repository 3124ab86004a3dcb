import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import * as z from 'zod';
import { formatPath, validateConfig } from '../config/load.js';
import type { MonitoringConfig } from '../config/schema.js';
import { tokenUrlOf } from '../sources/m365.js';
import { compileExpectations, expectListSchema, type Expectation, type Problem } from './scenario-expect.js';

/**
 * A demo scenario: a monitoring config plus a timeline of upstream payloads at time offsets.
 * The format is documented in the README ("Write your own scenario").
 */
/** Offsets in scenarios and in payload time templates: a number with s, m or h. */
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000 } as const;
const offset = z
  .string()
  .regex(/^\d+(\.\d+)?(s|m|h)$/, 'an offset is a number with s, m or h, e.g. 90s, 12m, 1.5h')
  .transform((v) => Number.parseFloat(v) * UNIT_MS[v.slice(-1) as keyof typeof UNIT_MS]);

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
    pushes: z
      .array(
        z
          .object({
            at: offset,
            source: z.string().min(1).describe('a push source of the config (heartbeat, webhook, agency report, aws-health)'),
            token: z.string().min(1).describe("the sender's bearer token (the config keeps only its sha256)"),
            hmacSecret: z.string().min(1).optional().describe('signs the push as auth.hmac expects (X-Dialtone-Timestamp, X-Dialtone-Signature)'),
            body: z.unknown().optional().describe('the push body (JSON value; a heartbeat needs none)'),
            everySeconds: z.number().int().min(5).max(3600).optional().describe('sent again this often (a heartbeat) until `until`'),
            until: offset.optional(),
            note: z.string().optional(),
          })
          .strict(),
      )
      .default([])
      .describe('pushes the replay sends to the ingest path, authenticated as configured'),
    acks: z
      .array(z.object({ at: offset, recipient: z.string().min(1) }).strict())
      .default([])
      .describe('a recipient replies "ACK <code>" to the last SMS it got, at this offset'),
    expect: expectListSchema.default([]).describe('what the replay must show; checked after it, a failed one fails the run'),
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
  /** Pushes to the ingest path, expanded (a repeating heartbeat is one entry per send), in time order. */
  pushes: ScenarioPush[];
  /** What the replay must show (checked by scenario-expect.ts). */
  expectations: Expectation[];
}

/** A scenario that cannot run: every problem found, each with its path (like a bad config). */
export interface ScenarioPush {
  at: number;
  source: string;
  token: string;
  hmacSecret?: string;
  body: string;
  note?: string;
}

export class ScenarioError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly Problem[],
  ) {
    super(`${file}: ${problems.length} problem(s)\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`);
  }
}

export function loadScenario(file: string): Scenario {
  const dir = dirname(resolve(file));
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ScenarioError(file, [{ path: file, message: `cannot read scenario: ${(err as Error).message}` }]);
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ScenarioError(
      file,
      doc.errors.map((e) => ({ path: e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '(yaml)', message: e.message.split('\n')[0]! })),
    );
  }
  const parsed = scenarioSchema.safeParse(doc.toJS());
  if (!parsed.success) throw new ScenarioError(file, parsed.error.issues.map((i) => ({ path: formatPath(i.path) || '(root)', message: i.message })));
  const s = parsed.data;
  const problems: Problem[] = [];
  const read = (p: string, path: string) => {
    try {
      return readFileSync(resolve(dir, p));
    } catch (err) {
      problems.push({ path, message: `cannot read ${p}: ${(err as Error).message}` });
      return undefined;
    }
  };
  let config: unknown = s.config;
  if (typeof s.config === 'string') {
    const configText = read(s.config, 'config')?.toString('utf8');
    const configDoc = configText !== undefined ? parseDocument(configText, { prettyErrors: true, uniqueKeys: true }) : undefined;
    for (const e of configDoc?.errors ?? []) problems.push({ path: `config (${s.config}) ${e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : ''}`.trim(), message: e.message.split('\n')[0]! });
    config = configDoc && configDoc.errors.length === 0 ? configDoc.toJS() : undefined;
  }
  // The config as written is checked here, so a bad one is reported with the scenario's other problems.
  const checked = config !== undefined ? validateConfig(config) : undefined;
  if (checked && !checked.ok) {
    const where = typeof s.config === 'string' ? `config (${s.config}) ` : 'config.';
    for (const p of checked.problems) problems.push({ path: `${where}${p.path}`, message: p.message });
  }

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
          body: withTimes(
            (st.file !== undefined ? read(st.file, `upstreams["${url}"][${i}].file`) : Buffer.from(JSON.stringify(st.body))) ?? Buffer.alloc(0),
            Date.parse(s.start),
            st.at,
            `upstreams["${url}"][${i}]`,
            file,
          ),
          label: st.file ?? 'inline body',
          ...(st.note !== undefined ? { note: st.note } : {}),
        }))
        .sort((a, b) => a.at - b.at),
    );
  }
  const notes = [...upstreams.values()].flatMap((steps) => steps.flatMap((st) => (st.note !== undefined ? [{ at: st.at, note: st.note }] : [])));
  let expectations: Expectation[] = [];
  if (checked?.ok) {
    const compiled = compileExpectations(s.expect, checked.config, { notes });
    problems.push(...compiled.problems);
    expectations = compiled.expectations;
    const recipients = new Set(checked.config.recipients.map((r) => r.id));
    s.acks.forEach((a, i) => {
      if (!recipients.has(a.recipient)) problems.push({ path: `acks[${i}].recipient`, message: `no recipient "${a.recipient}" in the config` });
    });
  }
  if (problems.length > 0) throw new ScenarioError(file, problems);
  return {
    name: s.name,
    description: s.description,
    start: new Date(s.start),
    tickMs: s.tickSeconds * 1000,
    durationMs: s.durationMinutes * 60_000,
    config,
    upstreams,
    acks: s.acks,
    pushes: expandPushes(s.pushes, Date.parse(s.start), s.durationMinutes * 60_000, file),
    expectations,
  };
}

/** A repeating push becomes one send per period; bodies get their time templates filled in. */
function expandPushes(pushes: ReadonlyArray<z.output<typeof scenarioSchema>['pushes'][number]>, startMs: number, durationMs: number, file: string): ScenarioPush[] {
  const out: ScenarioPush[] = [];
  pushes.forEach((p, i) => {
    const last = p.everySeconds ? Math.min(p.until ?? durationMs, durationMs) : p.at;
    for (let at = p.at; at <= last; at += (p.everySeconds ?? 1) * 1000) {
      const raw = p.body === undefined ? '' : typeof p.body === 'string' ? p.body : JSON.stringify(p.body);
      out.push({
        at,
        source: p.source,
        token: p.token,
        ...(p.hmacSecret !== undefined ? { hmacSecret: p.hmacSecret } : {}),
        body: withTimes(Buffer.from(raw), startMs, at, `pushes[${i}]`, file).toString('utf8'),
        ...(p.note !== undefined && at === p.at ? { note: p.note } : {}),
      });
      if (!p.everySeconds) break;
    }
  });
  return out.sort((a, b) => a.at - b.at);
}

const TIME_TOKEN = /\{\{\s*(start|at)\s*(?:([+-])\s*(\d+(?:\.\d+)?)(s|m|h))?\s*(?:\|\s*(iso|rfc822|epoch))?\s*\}\}/g;
/**
 * Payload times written relative to the replay: `{{start}}`, `{{at}}` (when this step is
 * served), `{{at-90s}}`, `{{start+2h}}`, each optionally `| iso` (default), `| rfc822` (an RSS
 * pubDate) or `| epoch` (seconds). The same scenario then works for any `start`.
 */
export function withTimes(body: Buffer, startMs: number, atMs: number, where: string, file: string): Buffer {
  const text = body.toString('utf8');
  if (!text.includes('{{')) return body;
  const out = text.replace(TIME_TOKEN, (_m, base: string, sign?: string, n?: string, unit?: keyof typeof UNIT_MS, format?: string) => {
    const delta = sign && n && unit ? (sign === '-' ? -1 : 1) * Number.parseFloat(n) * UNIT_MS[unit] : 0;
    const t = new Date((base === 'start' ? startMs : startMs + atMs) + delta);
    return format === 'rfc822' ? t.toUTCString().replace('GMT', '+0000') : format === 'epoch' ? String(Math.floor(t.getTime() / 1000)) : t.toISOString();
  });
  // Only what looks like a time template is ours: a payload's own braces are left alone.
  const left = /\{\{\s*(start|at)\b[^}]*\}\}/.exec(out);
  if (left) throw new ScenarioError(file, [{ path: where, message: `${left[0]} is not a time template (use {{start}}, {{at}}, {{at-90s}}, {{start+2h}}, optionally | iso, | rfc822 or | epoch)` }]);
  return Buffer.from(out, 'utf8');
}

/** Where the loopback upstream serves a real URL: https://status.x.example/api → /status.x.example/api */
export function loopbackPath(url: string): string {
  const u = new URL(url);
  return `/${u.host}${u.pathname}${u.search}`;
}

/** Points every source at the loopback upstream and allows its address through the SSRF guard. */
export function bindConfig(scenario: Scenario, upstreamBase: string): MonitoringConfig {
  // Defaults first: a URL the config leaves out (Microsoft Graph's base) must be bound too.
  const first = validateConfig(scenario.config);
  if (!first.ok) throw new ScenarioError('scenario config', first.problems);
  const value = structuredClone(first.config) as unknown as { sources: Array<Record<string, unknown>>; network: { allow: string[]; onlyAllowed: boolean } };
  const host = new URL(upstreamBase).hostname;
  // Every URL a source can make the pipeline fetch (its page, a token endpoint, …) is served by
  // the replay; and the run may reach nothing but the replay, whatever a payload links to.
  for (const source of value.sources) {
    if (source.kind === 'm365-graph' && source.tokenUrl === undefined) source.tokenUrl = tokenUrlOf(source as unknown as Parameters<typeof tokenUrlOf>[0]);
    for (const [key, v] of Object.entries(source)) {
      if (typeof v === 'string' && /^https?:\/\//i.test(v) && URL.canParse(v)) source[key] = `${upstreamBase}${loopbackPath(v)}`;
    }
  }
  value.network = { allow: [...value.network.allow, host], onlyAllowed: true };
  const result = validateConfig(value);
  if (!result.ok) throw new ScenarioError('scenario config', result.problems);
  const leaving = result.config.sources.flatMap((s) =>
    Object.entries(s)
      .filter(([, v]) => typeof v === 'string' && URL.canParse(v) && /^https?:/i.test(v) && new URL(v).hostname !== host)
      .map(([k, v]) => ({ path: `sources.${s.id}.${k}`, message: `${String(v)} would leave the loopback replay` })),
  );
  if (leaving.length > 0) throw new ScenarioError('scenario config', leaving);
  return result.config;
}
