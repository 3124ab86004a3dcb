import * as z from 'zod';
import type { SourceOf } from '../config/schema.js';
import type { Observation } from '../domain/observation.js';
import type { UpstreamItem } from './parsers.js';
import { CLOSED_INCIDENT, MAINTENANCE_IN_PROGRESS, PAGE_INDICATOR } from './statuspage.js';
import { badPayload, item, lookup, NO_SOURCE, observation, readJsonBody, sameName, utc, validateJson, worstVerdict, type Evidence, type Verdict } from './vendor-util.js';

/**
 * Atlassian Statuspage v2 open incidents and maintenances → one Observation per configured
 * component. Reads `incidents/unresolved.json`, `scheduled-maintenances/active.json` (or
 * `upcoming.json`, `incidents.json`, `summary.json`: any body with `incidents[]` and/or
 * `scheduled_maintenances[]`, or a bare array of incidents).
 *
 * - An open incident (status not resolved/postmortem/completed) counts with its `impact`:
 *   none → operational (informational), maintenance → maintenance, minor → degraded,
 *   major → partial_outage, critical → major_outage, anything else → unknown.
 * - A maintenance in progress (`in_progress`/`verifying`) → maintenance; `scheduled` has not
 *   started and `completed` is over, so neither counts.
 * - A component counts an item that lists it by id (or the `code` of scraped shapes), by its
 *   group's id (`group_id`), or by name; `{ page: true }` counts every open item.
 * - A component no open item lists is operational: these endpoints list only what is open
 *   ("nothing posted" is their empty state), so an incident that ends drops out and the
 *   component resolves by disappearance.
 */

type Source = SourceOf<'statuspage-incidents'>;
type Component = Source['components'][number];

const time = z.string().nullish();

const listedComponent = z.object({
  id: z.string().nullish(),
  /** affected_components / scraped shapes carry the component id as `code`. */
  code: z.string().nullish(),
  name: z.string().nullish(),
  group_id: z.string().nullish(),
});

const itemSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  status: z.string(),
  impact: z.string().nullish(),
  shortlink: z.string().nullish(),
  created_at: time,
  started_at: time,
  updated_at: time,
  scheduled_for: time,
  components: z.array(listedComponent).nullish(),
});

const listsSchema = z.object({
  page: z.object({ url: z.string().nullish() }).nullish(),
  incidents: z.array(itemSchema).nullish(),
  scheduled_maintenances: z.array(itemSchema).nullish(),
});


type Item = z.infer<typeof itemSchema>;
type Listed = z.infer<typeof listedComponent>;

const MAINTENANCE_NOT_IN_EFFECT = new Set(['scheduled', 'completed']);

interface Entry {
  kind: 'incident' | 'maintenance';
  item: Item;
}

interface Lists {
  entries: Entry[];
  pageUrl?: string;
}

function read(body: Buffer | string, sourceId: string): Lists {
  const raw = readJsonBody(body, sourceId, 'the incidents body');
  if (Array.isArray(raw)) return { entries: validateJson(raw, sourceId, 'the incidents body', 'Statuspage incidents', z.array(itemSchema)).map((item) => ({ kind: 'incident', item })) };
  const json = validateJson(raw, sourceId, 'the incidents body', 'Statuspage incidents', listsSchema);
  if (!json.incidents && !json.scheduled_maintenances)
    throw badPayload(sourceId, 'the incidents body has neither incidents[] nor scheduled_maintenances[] (is the URL incidents/unresolved.json?)');
  const entries: Entry[] = [
    ...(json.incidents ?? []).map((item) => ({ kind: 'incident' as const, item })),
    ...(json.scheduled_maintenances ?? []).map((item) => ({ kind: 'maintenance' as const, item })),
  ];
  const lists: Lists = { entries };
  if (json.page?.url) lists.pageUrl = json.page.url;
  return lists;
}

/** What one entry says while it is open; undefined when it is not in effect (closed, not started). */
function verdictOf(entry: Entry): Verdict | undefined {
  const { item } = entry;
  const evidence: Evidence = {
    title: item.name,
    url: item.shortlink ?? undefined,
    upstreamId: item.id,
    // Scraped shapes leave started_at null; a maintenance starts when scheduled.
    startedAt: utc(item.started_at ?? (entry.kind === 'maintenance' ? item.scheduled_for : undefined) ?? item.created_at),
    updatedAt: utc(item.updated_at),
  };
  if (entry.kind === 'maintenance') {
    if (MAINTENANCE_NOT_IN_EFFECT.has(item.status)) return undefined;
    if (MAINTENANCE_IN_PROGRESS.has(item.status)) return { status: 'maintenance', evidence };
    return { status: 'unknown', evidence, error: `unrecognised scheduled maintenance status "${item.status}" on "${item.name}" (${item.id})` };
  }
  if (CLOSED_INCIDENT.has(item.status)) return undefined;
  const status = lookup(PAGE_INDICATOR, item.impact);
  if (status) return { status, evidence };
  return { status: 'unknown', evidence, error: `unrecognised impact "${item.impact ?? '(none)'}" on open incident "${item.name}" (${item.id})` };
}

function lists(c: Listed, match: NonNullable<Component['match']> | { name: string }): boolean {
  if ('page' in match) return true;
  if ('id' in match) return (c.id ?? c.code) === match.id || c.code === match.id || c.group_id === match.id;
  return c.name !== null && c.name !== undefined && sameName(c.name, match.name);
}

function describeMatch(match: NonNullable<Component['match']> | { name: string }): string {
  if ('id' in match) return `match id "${match.id}"`;
  if ('name' in match) return `match name "${match.name}"`;
  return 'match page';
}

export function parseStatuspageIncidents(body: Buffer | string, source: Source, observedAt: string): Observation[] {
  const { entries, pageUrl } = read(body, source.id);
  return source.components.map((component) => {
    const match = component.match ?? { name: component.name };
    const verdicts = entries
      .filter((e) => 'page' in match || (e.item.components ?? []).some((c) => lists(c, match)))
      .map(verdictOf)
      .filter((v): v is Verdict => v !== undefined);
    const worst = worstVerdict(verdicts);
    if (!worst) return observation(source.id, component.id, 'operational', observedAt, pageUrl ? { url: pageUrl } : undefined);
    const error = worst.error ? `component "${component.id}" (${describeMatch(match)}): ${worst.error} in the incidents of source "${source.id}"` : undefined;
    return observation(source.id, component.id, worst.status, observedAt, worst.evidence, error);
  });
}

/** Every incident/maintenance × listed component (key: the component id, or "page" when it lists none); closed ones read operational. */
export function decodeStatuspageIncidents(body: Buffer | string): UpstreamItem[] {
  const { entries } = read(body, NO_SOURCE);
  return entries.flatMap((entry) => {
    const v = verdictOf(entry) ?? { status: 'operational' as const, evidence: { title: entry.item.name, upstreamId: entry.item.id, url: entry.item.shortlink ?? undefined } };
    const listed = entry.item.components ?? [];
    if (listed.length === 0) return [item('page', entry.item.name, v.status, v.evidence, v.error)];
    return listed.map((c) => item(c.id ?? c.code ?? c.name ?? '?', c.name ?? c.id ?? c.code ?? '?', v.status, v.evidence, v.error));
  });
}
