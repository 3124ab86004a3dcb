import * as z from 'zod';
import type { SourceOf } from '../config/schema.js';
import type { Observation } from '../domain/observation.js';
import type { Status } from '../domain/status.js';
import type { UpstreamItem } from './parsers.js';
import { item, lookup, NO_SOURCE, observation, readJsonBody, sameName, utc, validateJson, worstVerdict, type Verdict } from './vendor-util.js';

/**
 * Slack status API v2 → one Observation per configured component. Reads `…/api/v2.0.0/current`
 * (`{ status, date_created, date_updated, active_incidents[] }`) or `…/history` (a bare array
 * of incidents).
 *
 * - An incident counts while its `status` is `active`; `resolved`/`completed` are over and
 *   `scheduled` has not started; any other status → unknown.
 * - An active incident's `type`: `outage` → major_outage, `incident` → partial_outage,
 *   `notice` → degraded (an advisory: alert, at a lower tier); any other type → unknown.
 * - `match: { service }`: active incidents whose `services[]` name it (case ignored);
 *   `{ page: true }` (or no match): the page — `current.status` "ok" with nothing active →
 *   operational, otherwise the worst active incident (an unrecognised page status with nothing
 *   active → unknown).
 * - These endpoints list what is active (`ok` / `[]` when clear), so a service no active
 *   incident names is operational and an incident that ends resolves by disappearance.
 */

type Source = SourceOf<'slack-status'>;

const incidentSchema = z.object({
  id: z.union([z.string(), z.number()]).transform(String),
  title: z.string().nullish(),
  type: z.string().nullish(),
  status: z.string().nullish(),
  url: z.string().nullish(),
  date_created: z.string().nullish(),
  date_updated: z.string().nullish(),
  services: z.array(z.string()).nullish(),
});

const currentSchema = z.object({
  status: z.string(),
  date_updated: z.string().nullish(),
  active_incidents: z.array(incidentSchema),
});


type Incident = z.infer<typeof incidentSchema>;

interface Body {
  /** `current.status`, absent for history. */
  pageStatus?: string;
  incidents: Incident[];
}

const TYPE = new Map<string, Status>([
  ['outage', 'major_outage'],
  ['incident', 'partial_outage'],
  ['notice', 'degraded'],
]);
const OVER = new Set(['resolved', 'completed', 'scheduled']);

function read(body: Buffer | string, sourceId: string): Body {
  const what = 'the Slack status body';
  const raw = readJsonBody(body, sourceId, what);
  if (Array.isArray(raw)) return { incidents: validateJson(raw, sourceId, what, 'Slack status API v2 history', z.array(incidentSchema)) };
  const current = validateJson(raw, sourceId, what, 'Slack status API v2 current', currentSchema);
  return { pageStatus: current.status, incidents: current.active_incidents };
}

/** What an incident says while it counts; undefined when it is over or not started. */
function verdictOf(i: Incident): Verdict | undefined {
  const evidence = { title: i.title?.trim() || undefined, url: i.url ?? undefined, upstreamId: i.id, startedAt: utc(i.date_created), updatedAt: utc(i.date_updated) };
  const status = (i.status ?? '').toLowerCase();
  if (OVER.has(status)) return undefined;
  if (status !== 'active') return { status: 'unknown', evidence, error: `incident ${i.id}: unrecognised status "${i.status ?? '(none)'}"` };
  const byType = lookup(TYPE, i.type?.toLowerCase());
  return byType ? { status: byType, evidence } : { status: 'unknown', evidence, error: `incident ${i.id}: unrecognised type "${i.type ?? '(none)'}"` };
}

function pageVerdict(b: Body): Verdict {
  const worst = worstVerdict(b.incidents.map(verdictOf).filter((v): v is Verdict => v !== undefined));
  if (worst) return worst;
  if (b.pageStatus === undefined || b.pageStatus.toLowerCase() === 'ok') return { status: 'operational' };
  return { status: 'unknown', error: `unrecognised page status "${b.pageStatus}" with no active incident` };
}

export function parseSlackStatus(body: Buffer | string, source: Source, observedAt: string): Observation[] {
  const b = read(body, source.id);
  return source.components.map((c) => {
    const match = c.match ?? { page: true as const };
    const label = 'service' in match ? `service "${match.service}"` : 'page';
    const v =
      'service' in match
        ? (worstVerdict(b.incidents.filter((i) => (i.services ?? []).some((s) => sameName(s, match.service))).map(verdictOf).filter((x): x is Verdict => x !== undefined)) ?? { status: 'operational' as const })
        : pageVerdict(b);
    const error = v.error ? `component "${c.id}" (${label}): ${v.error} in the Slack status of source "${source.id}"` : undefined;
    return observation(source.id, c.id, v.status, observedAt, v.evidence, error);
  });
}

/** The page (key "page", current only) and every incident × service (key: the service, or "page" when it names none). */
export function decodeSlackStatus(body: Buffer | string): UpstreamItem[] {
  const b = read(body, NO_SOURCE);
  const page = b.pageStatus === undefined ? [] : [(({ status, evidence, error }: Verdict) => item('page', 'Slack', status, evidence, error))(pageVerdict(b))];
  return [
    ...page,
    ...b.incidents.flatMap((i) => {
      const v = verdictOf(i) ?? { status: 'operational' as const, evidence: { title: i.title?.trim() || undefined, url: i.url ?? undefined, upstreamId: i.id } };
      const services = i.services ?? [];
      return (services.length > 0 ? services : ['page']).map((s) => item(s, s === 'page' ? (i.title ?? i.id) : s, v.status, v.evidence, v.error));
    }),
  ];
}
