import * as z from 'zod';
import type { SourceOf } from '../config/schema.js';
import type { Observation } from '../domain/observation.js';
import type { Status } from '../domain/status.js';
import type { UpstreamItem } from './parsers.js';
import { item, lookup, NO_SOURCE, observation, parseJsonBody, sameName, utc, worstVerdict, type Evidence, type Verdict } from './vendor-util.js';

/**
 * FireHydrant-hosted status page (`https://<page>/data/payload.json`) → one Observation per
 * configured component.
 *
 * - An incident is open while `timestamps.resolved` is empty; resolved ones do not count.
 * - An open incident's components carry a condition *label* (e.g. "Degraded"), which the page's
 *   `conditions` map to OPERATIONAL → operational, DEGRADED → degraded, OFFLINE → major_outage
 *   (a label that already is one of these counts as itself); other values → unknown. An open
 *   incident with `severitySlug: MAINTENANCE` reads maintenance for its components instead.
 * - The page (`{ page: true }`) is the worst open incident: its components' conditions, or for an
 *   incident that lists none its severity (SEV1 → major_outage, SEV2 → partial_outage,
 *   SEV3–SEV5 and UNSET → degraded, MAINTENANCE → maintenance, other → unknown).
 * - `match`: `{ id }` or `{ name }` of `components[]` (no match = the configured name). The
 *   payload lists every component, so one it does not list is unknown with an error; a listed
 *   component no open incident names is operational.
 */

type Source = SourceOf<'firehydrant'>;
type Match = NonNullable<Source['components'][number]['match']> | { name: string };

const affected = z.object({ id: z.string().nullish(), name: z.string().nullish(), condition: z.string().nullish() });

const incidentSchema = z.object({
  id: z.string().min(1),
  title: z.string().nullish(),
  severitySlug: z.string().nullish(),
  timestamps: z.record(z.string(), z.string().nullish()).nullish(),
  components: z.array(affected).nullish(),
  componentConditions: z.record(z.string(), z.string()).nullish(),
});

const bodySchema = z.object({
  conditions: z.record(z.string(), z.string()).nullish(),
  components: z.array(z.object({ id: z.string().nullish(), name: z.string() })),
  incidents: z.array(incidentSchema).nullish(),
});

type Body = z.infer<typeof bodySchema>;
type Incident = z.infer<typeof incidentSchema>;

const CONDITION = new Map<string, Status>([
  ['OPERATIONAL', 'operational'],
  ['DEGRADED', 'degraded'],
  ['OFFLINE', 'major_outage'],
]);

const SEVERITY = new Map<string, Status>([
  ['SEV1', 'major_outage'],
  ['SEV2', 'partial_outage'],
  ['SEV3', 'degraded'],
  ['SEV4', 'degraded'],
  ['SEV5', 'degraded'],
  // An open incident nobody graded yet is still an incident: alert, at the lowest tier.
  ['UNSET', 'degraded'],
  ['MAINTENANCE', 'maintenance'],
]);

function read(body: Buffer | string, sourceId: string): Body {
  return parseJsonBody(body, sourceId, 'payload.json', 'FireHydrant status page', bodySchema);
}

const isOpen = (i: Incident) => !i.timestamps?.resolved;

function evidenceOf(i: Incident): Evidence {
  const times = Object.values(i.timestamps ?? {}).map((t) => utc(t)).filter((t): t is string => t !== undefined).sort();
  return { title: i.title ?? undefined, upstreamId: i.id, startedAt: utc(i.timestamps?.started ?? i.timestamps?.detected), updatedAt: times.at(-1) };
}

/** Each component an incident names, with its condition label (from `components[]`, else `componentConditions`). */
function affectedOf(i: Incident): Array<{ id?: string; name?: string; label?: string }> {
  if (i.components && i.components.length > 0)
    return i.components.map((c) => ({ ...(c.id ? { id: c.id } : {}), ...(c.name ? { name: c.name } : {}), ...(c.condition ? { label: c.condition } : {}) }));
  return Object.entries(i.componentConditions ?? {}).map(([name, label]) => ({ name, label }));
}

function conditionVerdict(b: Body, i: Incident, label: string | undefined): Verdict {
  const evidence = evidenceOf(i);
  if (i.severitySlug?.toUpperCase() === 'MAINTENANCE') return { status: 'maintenance', evidence };
  const internal = label === undefined ? undefined : (b.conditions?.[label] ?? label);
  const status = lookup(CONDITION, internal?.toUpperCase());
  return status ? { status, evidence } : { status: 'unknown', evidence, error: `incident ${i.id}: unrecognised condition "${label ?? '(none)'}"` };
}

function severityVerdict(i: Incident): Verdict {
  const evidence = evidenceOf(i);
  const status = lookup(SEVERITY, i.severitySlug?.toUpperCase());
  return status ? { status, evidence } : { status: 'unknown', evidence, error: `incident ${i.id}: unrecognised severity "${i.severitySlug ?? '(none)'}"` };
}

function pageVerdict(b: Body): Verdict {
  const verdicts = (b.incidents ?? []).filter(isOpen).flatMap((i) => {
    const listed = affectedOf(i);
    return listed.length > 0 ? listed.map((c) => conditionVerdict(b, i, c.label)) : [severityVerdict(i)];
  });
  return worstVerdict(verdicts) ?? { status: 'operational' };
}

/** A listed component: the worst open incident naming it (by id, or by name when the incident gives no id); operational when none does. */
function componentVerdict(b: Body, row: Body['components'][number]): Verdict {
  const names = (a: { id?: string; name?: string }) => (a.id !== undefined && a.id === row.id) || (a.id === undefined && a.name !== undefined && sameName(a.name, row.name));
  const verdicts = (b.incidents ?? []).filter(isOpen).flatMap((i) => affectedOf(i).filter(names).map((a) => conditionVerdict(b, i, a.label)));
  return worstVerdict(verdicts) ?? { status: 'operational' };
}

function describeMatch(match: Match): string {
  return 'id' in match ? `match id "${match.id}"` : 'name' in match ? `match name "${match.name}"` : 'match page';
}

export function parseFirehydrant(body: Buffer | string, source: Source, observedAt: string): Observation[] {
  const b = read(body, source.id);
  const where = `payload.json of source "${source.id}"`;
  return source.components.map((c) => {
    const match: Match = c.match ?? { name: c.name };
    const what = `component "${c.id}" (${describeMatch(match)})`;
    let v: Verdict;
    if ('page' in match) v = pageVerdict(b);
    else {
      const rows = b.components.filter((r) => ('id' in match ? r.id === match.id : sameName(r.name, match.name)));
      if (rows.length !== 1)
        return observation(source.id, c.id, 'unknown', observedAt, undefined, rows.length === 0 ? `${what} not in ${where}` : `${what} matches ${rows.length} components in ${where}: match by id instead`);
      v = componentVerdict(b, rows[0]!);
    }
    return observation(source.id, c.id, v.status, observedAt, v.evidence, v.error ? `${what}: ${v.error} in ${where}` : undefined);
  });
}

/** The page (key "page") and every component (key: its id) as they read now. */
export function decodeFirehydrant(body: Buffer | string): UpstreamItem[] {
  const b = read(body, NO_SOURCE);
  const page = pageVerdict(b);
  return [
    item('page', 'page', page.status, page.evidence, page.error),
    ...b.components.map((row) => {
      const v = componentVerdict(b, row);
      return item(row.id ?? row.name, row.name, v.status, v.evidence, v.error);
    }),
  ];
}
