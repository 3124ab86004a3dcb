import * as z from 'zod';
import type { DeliveryLogLine } from '../adapters/local-sender.js';
import type { MonitoringConfig } from '../config/schema.js';
import { county } from '../domain/counties.js';
import { NOTICE_FIELDS } from '../domain/render.js';

/**
 * `expect:` in a scenario: what the replay must show, in the words a county would use ("Ramsey's
 * floor hears an SMS within 5 minutes of the vendor going down", "ops is the only one told the
 * monitor is blind"). Checked after the run against what it recorded: the delivery log and the
 * incidents. Pure: the schema, the resolution of names against the config, the verdicts.
 */

const OFFSET = /^\d+(\.\d+)?(s|m|h)$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000 } as const;
export const offsetMs = (v: string) => Number.parseFloat(v) * UNIT_MS[v.slice(-1) as keyof typeof UNIT_MS];

const duration = z.string().regex(OFFSET, 'a duration is a number with s, m or h, e.g. 90s, 5m, 1.5h');
/** A time in the run: an offset from the scenario's start, or the note of an upstream step (when it is served). */
const moment = z.string().min(1, 'an offset (e.g. 20m) or the note of an upstream step');
const phrases = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).transform((v) => (typeof v === 'string' ? [v] : v));

const ROLES = ['psap', 'county-manager', 'fcc-liaison', 'ops'] as const;
const PHASES = ['initial', 'update', 'final', 'all-clear'] as const;
export const REASONS = [
  'opened',
  'confirmed',
  'changed',
  'escalated',
  'reminder',
  'resolved',
  'monitor-blind',
  'monitor-restored',
  'egress-suspected',
  'egress-restored',
  'opted-out',
  'dead-letter',
] as const;

const who = {
  recipient: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional().describe('a recipient id, or a list: each of them'),
  role: z.enum(ROLES).optional(),
  jurisdiction: z.string().min(1).optional().describe('a county FIPS ("27053"), a county as the config names it ("Hennepin County"), or a state ("MN")'),
  channel: z.enum(['sms', 'email']).optional(),
  phase: z.enum(PHASES).optional().describe('all-clear is the final phase'),
  reason: z.enum(REASONS).optional(),
};

const whoObject = z.object(who);
type WhoRaw = z.output<typeof whoObject>;

const needsWho = (w: { recipient?: unknown; role?: unknown; jurisdiction?: unknown }) => w.recipient !== undefined || w.role !== undefined || w.jurisdiction !== undefined;
const WHO_MESSAGE = 'say who: a recipient, a role or a jurisdiction';

const hearsSchema = whoObject
  .extend({
    after: moment.optional().describe('from this time on (default: the start)'),
    within: duration.optional().describe('and no later than this long after it'),
    contains: phrases.optional(),
    notContains: phrases.optional(),
  })
  .strict()
  .refine(needsWho, WHO_MESSAGE);

const between = z.tuple([moment, moment], { error: 'between is [from, to], e.g. [0m, 20m]' });

const silentSchema = whoObject
  .extend({ between: between.optional() })
  .strict()
  .refine(needsWho, WHO_MESSAGE);

const atMostSchema = whoObject
  .extend({
    count: z.number().int().nonnegative(),
    between: between.optional(),
    total: z.boolean().default(false).describe('count across everyone selected, not per recipient'),
  })
  .strict();

const neverSchema = z.object({ contains: phrases }).strict();

const incidentSchema = z
  .object({
    services: z.array(z.string().min(1)).min(1).optional().describe('service ids; the incident lists at least these'),
    cause: z.string().min(1).optional().describe('the component id it is attributed to'),
    concurrent: z.array(z.string().min(1)).min(1).optional().describe('component ids shown as concurrent, not the cause'),
    state: z.enum(['open', 'resolved']).optional().describe('at the end of the run'),
    kind: z.enum(['outage', 'maintenance']).optional(),
    certainty: z.enum(['suspected', 'confirmed']).optional(),
    escalated: z.boolean().optional(),
    fields: z
      .partialRecord(z.enum(NOTICE_FIELDS), z.string().min(1), {
        // zod reports a key outside the enum as unrecognized_keys, which the issue type does not list here
        error: (iss) => {
          const keys = (iss as { code: string; keys?: string[] }).code === 'unrecognized_keys' ? ((iss as { keys?: string[] }).keys ?? []) : undefined;
          return keys ? `not a notice field: ${keys.map((k) => `"${k}"`).join(', ')} (the fields are: ${NOTICE_FIELDS.join(', ')})` : undefined;
        },
      })
      .optional().describe("4.9(h) fields of the incident's last notice: each contains the phrase"),
    count: z.number().int().nonnegative().optional().describe('exactly this many incidents match (default: at least one)'),
  })
  .strict();

const KINDS = ['hears', 'silent', 'atMost', 'never', 'incident'] as const;

export const expectationSchema = z
  .object({
    hears: hearsSchema.optional(),
    silent: silentSchema.optional(),
    atMost: atMostSchema.optional(),
    never: neverSchema.optional(),
    incident: incidentSchema.optional(),
  })
  .strict()
  .refine((e) => KINDS.filter((k) => e[k] !== undefined).length === 1, `each expectation is exactly one of ${KINDS.join(', ')}`);

export const expectListSchema = z.array(expectationSchema);
export type RawExpectation = z.output<typeof expectationSchema>;

// ── resolved against the scenario and its config ───────────────────────────────────────────────

export interface Jurisdiction {
  label: string;
  /** A county: its FIPS. A state: every recipient there. */
  fips?: string;
  state?: string;
}

export interface Who {
  recipients?: string[];
  role?: (typeof ROLES)[number];
  jurisdiction?: Jurisdiction;
  channel?: 'sms' | 'email';
  phase?: 'initial' | 'update' | 'final';
  reason?: (typeof REASONS)[number];
}

/** A time window in ms from the start; `to` absent: until the end. */
interface Window {
  from: number;
  to?: number;
}

export type Expectation = { index: number; words: string } & (
  | { kind: 'hears'; who: Who; window: Window; contains: string[]; notContains: string[] }
  | { kind: 'silent'; who: Who; window: Window }
  | { kind: 'atMost'; who: Who; window: Window; count: number; total: boolean }
  | { kind: 'never'; contains: string[] }
  | { kind: 'incident'; match: z.output<typeof incidentSchema> }
);

export interface Problem {
  path: string;
  message: string;
}

export interface ScenarioTimes {
  /** The notes of upstream steps and when each is served (ms from the start). */
  notes: ReadonlyArray<{ at: number; note: string }>;
}

/**
 * Resolves what the expectations name (recipients, jurisdictions, services, components, step
 * notes) against the scenario and its config; every name that does not resolve is a problem
 * with its path.
 */
export function compileExpectations(raw: readonly RawExpectation[], config: MonitoringConfig, times: ScenarioTimes): { expectations: Expectation[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const expectations: Expectation[] = [];
  const recipientIds = new Set(config.recipients.map((r) => r.id));
  const serviceIds = new Set(config.services.map((s) => s.id));
  const componentIds = new Set(config.sources.flatMap((s) => s.components.map((c) => c.id)));

  raw.forEach((item, index) => {
    const kind = KINDS.find((k) => item[k] !== undefined)!;
    const at = (...rest: Array<string | number>) => ['expect', index, kind, ...rest].map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
    const problem = (path: string, message: string) => problems.push({ path, message });

    const time = (value: string, path: string): number => {
      if (OFFSET.test(value)) return offsetMs(value);
      const exact = times.notes.filter((n) => n.note === value);
      const partial = exact.length ? exact : times.notes.filter((n) => n.note.toLowerCase().includes(value.toLowerCase()));
      const ats = [...new Set(partial.map((n) => n.at))];
      if (ats.length === 1) return ats[0]!;
      problem(
        path,
        ats.length === 0
          ? `"${value}" is neither an offset (e.g. 20m) nor the note of an upstream step`
          : `"${value}" matches the notes of ${partial.length} steps at different times; quote more of one: ${partial.map((n) => `"${n.note}"`).join(', ')}`,
      );
      return 0;
    };

    const whoOf = (w: WhoRaw): Who => {
      const out: Who = {};
      if (w.recipient !== undefined) {
        const list = typeof w.recipient === 'string' ? [w.recipient] : w.recipient;
        list.forEach((id, i) => {
          if (!recipientIds.has(id)) problem(typeof w.recipient === 'string' ? at('recipient') : at('recipient', i), `no recipient "${id}" in the config (there are: ${[...recipientIds].join(', ')})`);
        });
        out.recipients = list;
      }
      if (w.role !== undefined) out.role = w.role;
      if (w.jurisdiction !== undefined) {
        const j = resolveJurisdiction(w.jurisdiction, config);
        if (typeof j === 'string') problem(at('jurisdiction'), j);
        else out.jurisdiction = j;
      }
      if (w.channel !== undefined) out.channel = w.channel;
      if (w.phase !== undefined) out.phase = w.phase === 'all-clear' ? 'final' : w.phase;
      if (w.reason !== undefined) out.reason = w.reason;
      return out;
    };
    const windowOf = (b: readonly [string, string] | undefined): Window => {
      if (!b) return { from: 0 };
      const w = { from: time(b[0], at('between', 0)), to: time(b[1], at('between', 1)) };
      if (w.to < w.from) problem(at('between'), 'between ends before it starts');
      return w;
    };
    const words = describeRaw(item);

    if (item.hears) {
      const h = item.hears;
      const from = h.after !== undefined ? time(h.after, at('after')) : 0;
      expectations.push({
        index,
        words,
        kind: 'hears',
        who: whoOf(h),
        window: { from, ...(h.within !== undefined ? { to: from + offsetMs(h.within) } : {}) },
        contains: h.contains ?? [],
        notContains: h.notContains ?? [],
      });
    } else if (item.silent) {
      expectations.push({ index, words, kind: 'silent', who: whoOf(item.silent), window: windowOf(item.silent.between) });
    } else if (item.atMost) {
      const a = item.atMost;
      expectations.push({ index, words, kind: 'atMost', who: whoOf(a), window: windowOf(a.between), count: a.count, total: a.total });
    } else if (item.never) {
      expectations.push({ index, words, kind: 'never', contains: item.never.contains });
    } else if (item.incident) {
      const m = item.incident;
      m.services?.forEach((id, i) => {
        if (!serviceIds.has(id)) problem(at('services', i), `no service "${id}" in the config`);
      });
      if (m.cause !== undefined && !componentIds.has(m.cause)) problem(at('cause'), `no component "${m.cause}" in the config`);
      m.concurrent?.forEach((id, i) => {
        if (!componentIds.has(id)) problem(at('concurrent', i), `no component "${id}" in the config`);
      });
      expectations.push({ index, words, kind: 'incident', match: m });
    }
  });
  return { expectations, problems };
}

/** "27053", "Hennepin County", "Hennepin County, MN", "Hennepin County MN", or "MN". */
export function resolveJurisdiction(value: string, config: MonitoringConfig): Jurisdiction | string {
  const counties = new Map<string, { fips: string; name: string; state: string }>();
  const add = (fips: string, name: string | undefined, state: string | undefined) => {
    const c = county(fips);
    const n = name ?? c?.fullName;
    const s = state ?? c?.state;
    if (n && s && !counties.has(fips)) counties.set(fips, { fips, name: n, state: s });
  };
  for (const s of config.services) add(s.fips, s.county, s.state);
  for (const r of config.recipients) for (const f of r.jurisdictions.fips) add(f, undefined, undefined);
  const states = new Set([...config.services.map((s) => s.state), ...config.recipients.flatMap((r) => r.jurisdictions.states), ...[...counties.values()].map((c) => c.state)]);

  if (/^\d{5}$/.test(value)) {
    const c = counties.get(value);
    return c ? { label: `${c.name} ${c.state}`, fips: value } : `no service or recipient in the config is in county FIPS ${value}`;
  }
  if (/^[A-Z]{2}$/.test(value)) return states.has(value) ? { label: value, state: value } : `no service or recipient in the config is in the state ${value}`;
  const m = /^(.*?)(?:,\s*|\s+)([A-Z]{2})$/.exec(value.trim());
  const norm = (s: string) => s.trim().toLowerCase().replace(/\s+/g, ' ');
  const byName = (name: string, state?: string) => [...counties.values()].filter((c) => norm(c.name) === norm(name) && (state === undefined || c.state === state));
  const found = m && byName(m[1]!, m[2]).length > 0 ? byName(m[1]!, m[2]) : byName(value);
  if (found.length === 1) return { label: `${found[0]!.name} ${found[0]!.state}`, fips: found[0]!.fips };
  if (found.length > 1) return `"${value}" is a county in ${found.map((c) => c.state).join(' and ')}: name the state too, e.g. "${found[0]!.name}, ${found[0]!.state}"`;
  return `"${value}" is not a county the config names (${[...counties.values()].map((c) => `${c.name} ${c.state}`).join(', ') || 'none'}); give its FIPS, its name as the config has it, or a state code`;
}

// ── what the run recorded ──────────────────────────────────────────────────────────────────────

export interface RunRecipient {
  id: string;
  role: string;
  /** The counties it covers: its PSAP's and its jurisdictions'. */
  fips: string[];
  /** The states it covers: its PSAP's, its jurisdictions', its counties'. */
  states: string[];
}

export interface RunIncident {
  id: string;
  kind: 'outage' | 'maintenance';
  cause: string;
  status: 'open' | 'resolved';
  certainty: 'suspected' | 'confirmed';
  services: string[];
  concurrent: string[];
  openedAt: string;
  resolvedAt?: string;
  escalatedAt?: string;
  /** The 4.9(h) fields of its last notice. */
  fields?: Record<string, string>;
}

export interface ExpectRun {
  /** The scenario's start (ISO): offsets count from it. */
  start: string;
  deliveries: readonly DeliveryLogLine[];
  incidents: readonly RunIncident[];
  recipients: readonly RunRecipient[];
}

/** Who a config recipient covers, for jurisdiction expectations. */
export function runRecipients(config: MonitoringConfig): RunRecipient[] {
  const services = new Map(config.services.map((s) => [s.id, s]));
  return config.recipients.map((r) => {
    const psap = r.psap !== undefined ? services.get(r.psap) : undefined;
    const fips = [...new Set([...(psap ? [psap.fips] : []), ...r.jurisdictions.fips])];
    const states = [...new Set([...(psap ? [psap.state] : []), ...r.jurisdictions.states, ...fips.map((f) => county(f)?.state).filter((s) => s !== undefined)])];
    return { id: r.id, role: r.role, fips, states };
  });
}

// ── verdicts ───────────────────────────────────────────────────────────────────────────────────

export interface ExpectResult {
  index: number;
  words: string;
  ok: boolean;
  /** What it looked at, capped (failed ones only). */
  evidence: string[];
}

export const EVIDENCE_CAP = 8;

const norm = (s: string) => s.toLowerCase().replace(/\s+/g, ' ');
const wordsOf = (d: DeliveryLogLine) => norm(`${d.subject ?? ''}\n${d.text}`);
const has = (d: DeliveryLogLine, phrase: string) => wordsOf(d).includes(norm(phrase));
const reasonsOf = (d: DeliveryLogLine) => [...(d.reason !== undefined ? [d.reason] : []), ...(d.members ?? []).flatMap((m) => (m.reason !== undefined ? [m.reason] : []))];

const clock = (ms: number) => {
  const sign = ms < 0 ? '-' : '+';
  const s = Math.round(Math.abs(ms) / 1000);
  return `${sign}${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}${s % 60 ? `:${String(s % 60).padStart(2, '0')}` : ''}`;
};

/** Evaluates every expectation against what the run recorded. */
export function evaluateExpectations(expectations: readonly Expectation[], run: ExpectRun): ExpectResult[] {
  const start = Date.parse(run.start);
  const offsetOf = (d: DeliveryLogLine) => Date.parse(d.time) - start;
  const line = (d: DeliveryLogLine, note = '') => {
    const shown = d.channel === 'email' ? (d.subject ?? d.text) : d.text;
    const reasons = reasonsOf(d);
    return `${clock(offsetOf(d))} ${d.recipientId} ${d.channel} ${d.phase}${reasons.length ? ` (${reasons.join(', ')})` : ''}: ${JSON.stringify(shown.length > 140 ? `${shown.slice(0, 139)}…` : shown)}${note}`;
  };
  const capped = (lines: string[], none: string) =>
    lines.length === 0 ? [none] : lines.length > EVIDENCE_CAP ? [...lines.slice(0, EVIDENCE_CAP), `… and ${lines.length - EVIDENCE_CAP} more`] : lines;
  const recipients = new Map(run.recipients.map((r) => [r.id, r]));

  const isWho = (w: Who, d: DeliveryLogLine) => {
    if (w.recipients && !w.recipients.includes(d.recipientId)) return false;
    if (w.role && d.role !== w.role) return false;
    if (w.jurisdiction) {
      const r = recipients.get(d.recipientId);
      if (!r) return false;
      if (w.jurisdiction.fips !== undefined && !r.fips.includes(w.jurisdiction.fips)) return false;
      if (w.jurisdiction.state !== undefined && !r.states.includes(w.jurisdiction.state)) return false;
    }
    return true;
  };
  /** Why a delivery to the right people does not count, or undefined if it does. */
  const miss = (w: Who, win: Window, d: DeliveryLogLine): string | undefined => {
    if (w.channel && d.channel !== w.channel) return `not ${w.channel}`;
    if (w.phase && d.phase !== w.phase) return `not ${w.phase}`;
    if (w.reason && !reasonsOf(d).includes(w.reason)) return `not ${w.reason}`;
    const t = offsetOf(d);
    if (t < win.from) return `before ${clock(win.from)}`;
    if (win.to !== undefined && t > win.to) return `after ${clock(win.to)}`;
    return undefined;
  };
  const matching = (w: Who, win: Window) => run.deliveries.filter((d) => isWho(w, d) && miss(w, win, d) === undefined);

  return expectations.map((e): ExpectResult => {
    const verdict = (ok: boolean, evidence: string[]) => ({ index: e.index, words: e.words, ok, evidence: ok ? [] : evidence });
    switch (e.kind) {
      case 'hears': {
        const why = (d: DeliveryLogLine) => {
          const m = miss(e.who, e.window, d);
          if (m) return m;
          const missing = e.contains.filter((p) => !has(d, p));
          if (missing.length) return `lacks ${missing.map((p) => JSON.stringify(p)).join(', ')}`;
          const found = e.notContains.filter((p) => has(d, p));
          if (found.length) return `says ${found.map((p) => JSON.stringify(p)).join(', ')}`;
          return undefined;
        };
        const everyone = [e.who.role, e.who.jurisdiction && `in ${e.who.jurisdiction.label}`].filter(Boolean).join(' ');
        const groups = e.who.recipients?.map((id) => ({ label: id, who: { ...e.who, recipients: [id] } })) ?? [{ label: everyone, who: e.who }];
        const evidence: string[] = [];
        let ok = true;
        for (const g of groups) {
          const seen = run.deliveries.filter((d) => isWho(g.who, d));
          if (seen.some((d) => why(d) === undefined)) continue;
          ok = false;
          evidence.push(...capped(seen.map((d) => line(d, `  [${why(d)}]`)), `${g.label}: nothing delivered at all`));
        }
        return verdict(ok, evidence);
      }
      case 'silent': {
        const heard = matching(e.who, e.window);
        return verdict(heard.length === 0, capped(heard.map((d) => line(d)), ''));
      }
      case 'atMost': {
        const heard = matching(e.who, e.window);
        const byRecipient = new Map<string, DeliveryLogLine[]>();
        for (const d of heard) byRecipient.set(d.recipientId, [...(byRecipient.get(d.recipientId) ?? []), d]);
        const groups = e.total ? [heard] : [...byRecipient.values()];
        const over = groups.filter((g) => g.length > e.count);
        return verdict(
          over.length === 0,
          over.flatMap((g) => [`${e.total ? 'in total' : g[0]!.recipientId}: ${g.length} messages`, ...capped(g.map((d) => `  ${line(d)}`), '')]),
        );
      }
      case 'never': {
        const said = run.deliveries.filter((d) => e.contains.some((p) => has(d, p)));
        return verdict(said.length === 0, capped(said.map((d) => line(d, `  [says ${e.contains.filter((p) => has(d, p)).map((p) => JSON.stringify(p)).join(', ')}]`)), ''));
      }
      case 'incident': {
        const m = e.match;
        const why = (i: RunIncident): string | undefined => {
          const lacks = (m.services ?? []).filter((s) => !i.services.includes(s));
          if (lacks.length) return `does not list ${lacks.join(', ')}`;
          if (m.cause !== undefined && i.cause !== m.cause) return `cause ${i.cause}`;
          const notConcurrent = (m.concurrent ?? []).filter((c) => !i.concurrent.includes(c));
          if (notConcurrent.length) return `${notConcurrent.join(', ')} not concurrent`;
          if (m.state !== undefined && i.status !== m.state) return i.status;
          if (m.kind !== undefined && i.kind !== m.kind) return i.kind;
          if (m.certainty !== undefined && i.certainty !== m.certainty) return i.certainty;
          if (m.escalated !== undefined && (i.escalatedAt !== undefined) !== m.escalated) return i.escalatedAt ? 'escalated' : 'not escalated';
          for (const [field, phrase] of Object.entries(m.fields ?? {})) {
            const value = i.fields?.[field];
            if (value === undefined || !norm(value).includes(norm(phrase!))) return `${field}: ${JSON.stringify(value ?? '(no notice)')}`;
          }
          return undefined;
        };
        const found = run.incidents.filter((i) => why(i) === undefined);
        const ok = m.count !== undefined ? found.length === m.count : found.length > 0;
        const describe = (i: RunIncident) =>
          `${i.id} (${i.kind}, ${i.status}, cause ${i.cause}): ${i.services.join(', ') || 'no services'}${why(i) ? `  [${why(i)}]` : '  [matches]'}`;
        return verdict(ok, [...(m.count !== undefined ? [`${found.length} match, expected ${m.count}`] : []), ...capped(run.incidents.map(describe), 'no incidents at all')]);
      }
    }
  });
}

// ── words ──────────────────────────────────────────────────────────────────────────────────────

const q = (s: string) => JSON.stringify(s);
const list = (xs: readonly string[]) => xs.map(q).join(', ');

const ROLE_WORDS: Record<(typeof ROLES)[number], string> = { psap: 'a PSAP', 'county-manager': 'a county manager', 'fcc-liaison': 'the FCC liaison', ops: 'ops' };

function whoWords(w: WhoRaw): { subject: string; how: string } {
  const parts: string[] = [];
  if (w.recipient !== undefined) parts.push(typeof w.recipient === 'string' || w.recipient.length === 1 ? [w.recipient].flat().join('') : `each of ${w.recipient.join(', ')}`);
  if (w.role !== undefined) parts.push(w.recipient !== undefined ? w.role : ROLE_WORDS[w.role]);
  if (w.jurisdiction !== undefined) parts.push(`${parts.length ? '' : 'anyone '}in ${w.jurisdiction}`);
  const how = [
    w.channel !== undefined ? `by ${w.channel === 'sms' ? 'SMS' : 'email'}` : '',
    w.phase !== undefined ? `(${w.phase})` : '',
    w.reason !== undefined ? `[${w.reason}]` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return { subject: parts.join(' ') || 'anyone', how };
}

/** The expectation in a sentence, from what the scenario wrote. */
export function describeRaw(item: RawExpectation): string {
  const j = (...xs: string[]) => xs.filter(Boolean).join(' ');
  if (item.hears) {
    const h = item.hears;
    const w = whoWords(h);
    const when = h.within !== undefined ? `within ${h.within} after ${h.after !== undefined ? (OFFSET.test(h.after) ? h.after : q(h.after)) : 'the start'}` : h.after !== undefined ? `after ${OFFSET.test(h.after) ? h.after : q(h.after)}` : '';
    return j(w.subject, 'hears', w.how, when, h.contains ? `containing ${list(h.contains)}` : '', h.notContains ? `not containing ${list(h.notContains)}` : '');
  }
  const span = (b?: readonly [string, string]) => (b ? `between ${b.map((x) => (OFFSET.test(x) ? x : q(x))).join(' and ')}` : '');
  if (item.silent) {
    const w = whoWords(item.silent);
    return j(w.subject, 'hears nothing', w.how, span(item.silent.between));
  }
  if (item.atMost) {
    const a = item.atMost;
    const w = whoWords(a);
    const subject = w.subject === 'anyone' ? (a.total ? 'everyone' : 'each recipient') : w.subject;
    return j(subject, a.total ? 'hear at most' : 'hears at most', `${a.count} message(s)`, w.how, span(a.between), a.total ? 'in total' : '');
  }
  if (item.never) return `no message says ${list(item.never.contains)}`;
  const m = item.incident!;
  return j(
    m.count !== undefined ? `exactly ${m.count}` : m.state === 'resolved' ? 'a' : 'an',
    m.state ?? '',
    m.kind ?? '',
    m.certainty ?? '',
    m.count !== undefined && m.count !== 1 ? 'incidents' : 'incident',
    m.services ? `affecting ${m.services.join(', ')}` : '',
    m.cause !== undefined ? `caused by ${m.cause}` : '',
    m.concurrent ? `with ${m.concurrent.join(', ')} concurrent` : '',
    m.escalated !== undefined ? (m.escalated ? 'escalated' : 'not escalated') : '',
    m.fields ? `whose notice says ${Object.entries(m.fields).map(([k, v]) => `${k}: ${q(v!)}`).join('; ')}` : '',
  );
}
