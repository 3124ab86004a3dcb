import type { z } from 'zod';
import { DialtoneError } from '../domain/errors.js';
import type { Observation } from '../domain/observation.js';
import type { Status } from '../domain/status.js';
import type { UpstreamItem } from './parsers.js';
import { decodeText } from './text.js';

/**
 * Helpers shared by the vendor-status parsers (AWS, Azure, Google Cloud, Statuspage extras,
 * Status.io, Slack, FireHydrant): JSON + zod at the boundary with errors naming the source and
 * the field path, time normalisation, name matching, and Observation assembly.
 */

/** Source id used in messages by the config-free decoders (`dialtone parse`). */
export const NO_SOURCE = '(parse)';

export function badPayload(sourceId: string, what: string): DialtoneError {
  return new DialtoneError('SOURCE.BAD_PAYLOAD', `source "${sourceId}": ${what}`, { sourceId });
}

/** Re-throws a helper's DialtoneError (text.ts has no source id) with `source "<id>": ` in front. */
export function inSource<T>(sourceId: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof DialtoneError && !err.message.startsWith('source "')) throw badPayload(sourceId, err.message);
    throw err;
  }
}

/** zod issue → "at a.b.0.c: message" (the field path of the first problem). */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  const path = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
  return `at ${path}: ${issue?.message ?? 'invalid'}`;
}

/** Bytes → text (by BOM, else UTF-8) → JSON. `what` names the document ("currentevents", "incidents.json") in errors. */
export function readJsonBody(body: Buffer | string, sourceId: string, what: string): unknown {
  const text = inSource(sourceId, () => decodeText(body, { xmlDeclaration: false, what }));
  try {
    return JSON.parse(text);
  } catch (err) {
    const start = text.slice(0, 40).replace(/\s+/g, ' ').trim();
    throw badPayload(sourceId, `${what} is not JSON (${(err as Error).message}; starts with "${start}")`);
  }
}

/** zod at the boundary: the parsed value, or SOURCE.BAD_PAYLOAD naming the source, the format (`schemaName`) and the field path. */
export function validateJson<S extends z.ZodType>(json: unknown, sourceId: string, what: string, schemaName: string, schema: S): z.output<S> {
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw badPayload(sourceId, `${what} does not match the ${schemaName} schema ${describeIssue(parsed.error)}`);
  return parsed.data;
}

/** readJsonBody then validateJson. */
export function parseJsonBody<S extends z.ZodType>(body: Buffer | string, sourceId: string, what: string, schemaName: string, schema: S): z.output<S> {
  return validateJson(readJsonBody(body, sourceId, what), sourceId, what, schemaName, schema);
}

/** ISO-8601 (any offset) → UTC ISO, undefined when absent or unreadable. */
export function utc(t: string | null | undefined): string | undefined {
  const ms = t ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** Epoch seconds (number or numeric string) → UTC ISO. */
export function fromEpochSeconds(t: string | number | null | undefined): string | undefined {
  if (t === null || t === undefined || t === '') return undefined;
  const n = Number(t);
  return Number.isFinite(n) && n > 0 ? new Date(n * 1000).toISOString() : undefined;
}

/** Epoch milliseconds → UTC ISO. */
export function fromEpochMillis(t: string | number | null | undefined): string | undefined {
  if (t === null || t === undefined || t === '') return undefined;
  const n = Number(t);
  return Number.isFinite(n) && n > 0 ? new Date(n).toISOString() : undefined;
}

/** Names compared the way people type them: case, surrounding and repeated whitespace ignored. */
export function sameName(a: string, b: string): boolean {
  return a.replace(/\s+/g, ' ').trim().toLowerCase() === b.replace(/\s+/g, ' ').trim().toLowerCase();
}

/** "West US 2" ≈ "westus2" ≈ "west-us-2": lower-case letters and digits only. */
export function compact(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Looks a value up in a map of known upstream values without being fooled by Object.prototype keys. */
export function lookup(map: ReadonlyMap<string, Status>, value: string | null | undefined): Status | undefined {
  return value === null || value === undefined ? undefined : map.get(value);
}

/** Evidence attached to an observation or an item. */
export interface Evidence {
  title?: string | undefined;
  url?: string | undefined;
  upstreamId?: string | undefined;
  startedAt?: string | undefined;
  updatedAt?: string | undefined;
}

function withEvidence<T extends object>(target: T, e: Evidence | undefined): T {
  if (!e) return target;
  const t = target as T & Evidence;
  if (e.title) t.title = e.title;
  if (e.url) t.url = e.url;
  if (e.upstreamId) t.upstreamId = e.upstreamId;
  if (e.startedAt) t.startedAt = e.startedAt;
  if (e.updatedAt) t.updatedAt = e.updatedAt;
  return target;
}

/** An observation with only the fields that have a value (no `undefined` keys). */
export function observation(sourceId: string, componentId: string, status: Status, observedAt: string, evidence?: Evidence, error?: string): Observation {
  const o: Observation = withEvidence({ sourceId, componentId, status, observedAt }, evidence);
  if (error !== undefined) o.error = error;
  return o;
}

/** An upstream item with only the fields that have a value. */
export function item(key: string, name: string, status: Status, evidence?: Evidence, error?: string): UpstreamItem {
  const i: UpstreamItem = withEvidence({ key, name, status }, evidence);
  if (error !== undefined) i.error = error;
  return i;
}

/** A found thing's status with its evidence, or why it is unknown. */
export interface Verdict {
  status: Status;
  evidence?: Evidence;
  error?: string;
}

/** Picks the worst verdict (unknown loses to anything known worse than maintenance, as in worstStatus); ties keep the newest evidence. */
export function worstVerdict(verdicts: readonly Verdict[]): Verdict | undefined {
  const rank = (s: Status) => (s === 'unknown' ? 1.5 : ({ operational: 0, maintenance: 1, degraded: 2, partial_outage: 3, major_outage: 4 } as const)[s]);
  let best: Verdict | undefined;
  for (const v of verdicts) {
    if (!best) best = v;
    else if (rank(v.status) > rank(best.status)) best = v;
    else if (rank(v.status) === rank(best.status) && (v.evidence?.updatedAt ?? '') > (best.evidence?.updatedAt ?? '')) best = v;
  }
  return best;
}
