import * as z from 'zod';
import type { SourceOf } from '../config/schema.js';
import type { Observation } from '../domain/observation.js';
import type { Status } from '../domain/status.js';
import type { UpstreamItem } from './parsers.js';
import { item, lookup, NO_SOURCE, observation, parseJsonBody, sameName, utc, type Evidence } from './vendor-util.js';

/**
 * Status.io public status API (`api.status.io/1.0/status/<page id>`, e.g. status.gitlab.com)
 * → one Observation per configured component.
 *
 * - `status_code`: 100 → operational, 200 (planned maintenance) → maintenance, 300 → degraded,
 *   400 → partial_outage, 500 → major_outage, 600 (security event) → major_outage; anything
 *   else → unknown.
 * - `match`: `{ id }` or `{ name }` (a `result.status[]` component; a name shared by several
 *   components is refused, match by id), optionally with `container` (one of its
 *   `containers[]`, e.g. a cloud location); `{ page: true }` = `status_overall`. No match = by
 *   the component's configured name.
 * - The body lists every component, so a component it does not list is unknown with an error.
 */

type Source = SourceOf<'statusio'>;
type Match = NonNullable<Source['components'][number]['match']> | { name: string };

const code = z.union([z.number(), z.string()]).transform(String);

const container = z.object({ id: z.string().nullish(), name: z.string(), status: z.string().nullish(), status_code: code, updated: z.string().nullish() });
const component = container.extend({ containers: z.array(container).nullish() });

const bodySchema = z.object({
  result: z.object({
    status_overall: z.object({ status: z.string().nullish(), status_code: code, updated: z.string().nullish() }),
    status: z.array(component),
  }),
});

type Result = z.infer<typeof bodySchema>['result'];
type Row = z.infer<typeof component>;

const CODES = new Map<string, Status>([
  ['100', 'operational'],
  ['200', 'maintenance'],
  ['300', 'degraded'],
  ['400', 'partial_outage'],
  ['500', 'major_outage'],
  ['600', 'major_outage'],
]);

function read(body: Buffer | string, sourceId: string): Result {
  return parseJsonBody(body, sourceId, 'the status body', 'Status.io', bodySchema).result;
}

function verdict(value: string, text: string | null | undefined, updated: string | null | undefined, where: string): { status: Status; evidence: Evidence; error?: string } {
  const status = lookup(CODES, value);
  const evidence: Evidence = { title: status && status !== 'operational' ? (text ?? undefined) : undefined, updatedAt: utc(updated) };
  return status ? { status, evidence } : { status: 'unknown', evidence, error: `unrecognised status_code "${value}" at ${where}` };
}

function describeMatch(match: Match): string {
  const base = 'id' in match ? `match id "${match.id}"` : 'name' in match ? `match name "${match.name}"` : 'match page';
  return 'container' in match && match.container ? `${base}, container "${match.container}"` : base;
}

export function parseStatusio(body: Buffer | string, source: Source, observedAt: string): Observation[] {
  const result = read(body, source.id);
  const where = `the Status.io body of source "${source.id}"`;
  return source.components.map((c) => {
    const match: Match = c.match ?? { name: c.name };
    const what = `component "${c.id}" (${describeMatch(match)})`;
    const out = (v: { status: Status; evidence: Evidence; error?: string }) =>
      observation(source.id, c.id, v.status, observedAt, v.evidence, v.error ? `${what}: ${v.error} in ${where}` : undefined);
    if ('page' in match) return out(verdict(result.status_overall.status_code, result.status_overall.status, result.status_overall.updated, 'result.status_overall'));

    const rows = result.status.filter((r) => ('id' in match ? r.id === match.id : sameName(r.name, match.name)));
    if (rows.length === 0) return observation(source.id, c.id, 'unknown', observedAt, undefined, `${what} not in ${where}`);
    if (rows.length > 1)
      return observation(source.id, c.id, 'unknown', observedAt, undefined, `${what} matches ${rows.length} components in ${where} (ids ${rows.map((r) => r.id).join(', ')}): match by id instead`);
    const row: Row = rows[0]!;
    const index = result.status.indexOf(row);
    if ('container' in match && match.container) {
      const name = match.container;
      const ci = (row.containers ?? []).findIndex((k) => sameName(k.name, name) || k.id === name);
      if (ci < 0) return observation(source.id, c.id, 'unknown', observedAt, undefined, `${what}: no container "${name}" under "${row.name}" in ${where}`);
      const k = row.containers![ci]!;
      return out(verdict(k.status_code, k.status, k.updated, `result.status.${index}.containers.${ci}.status_code`));
    }
    return out(verdict(row.status_code, row.status, row.updated, `result.status.${index}.status_code`));
  });
}

/** The page (key "page"), every component (key: its id) and every container (key: "component id/container id"). */
export function decodeStatusio(body: Buffer | string): UpstreamItem[] {
  const result = read(body, NO_SOURCE);
  const one = (key: string, name: string, value: string, text: string | null | undefined, updated: string | null | undefined, where: string) => {
    const v = verdict(value, text, updated, where);
    return item(key, name, v.status, v.evidence, v.error);
  };
  const page = one('page', 'status_overall', result.status_overall.status_code, result.status_overall.status, result.status_overall.updated, 'result.status_overall');
  return [
    page,
    ...result.status.flatMap((r, i) => [
      one(r.id ?? r.name, r.name, r.status_code, r.status, r.updated, `result.status.${i}.status_code`),
      ...(r.containers ?? []).map((k, j) => one(`${r.id ?? r.name}/${k.id ?? k.name}`, `${r.name} / ${k.name}`, k.status_code, k.status, k.updated, `result.status.${i}.containers.${j}.status_code`)),
    ]),
  ];
}
