import * as z from 'zod';
import type { SourceOf } from '../config/schema.js';

type StatuspageSource = SourceOf<'statuspage'>;
type ComponentConfig = StatuspageSource['components'][number];
import { DialtoneError } from '../domain/errors.js';
import type { Observation } from '../domain/observation.js';
import { worstStatus, type Status } from '../domain/status.js';
import type { UpstreamItem } from './parsers.js';

/**
 * Atlassian Statuspage v2 `summary.json` (also `components.json`: page + components, no
 * status) → one Observation per configured component.
 * Every enum is read as a plain string and mapped here, so an unrecognised value becomes
 * `unknown` (blind), never `operational`.
 */

const time = z.string().nullish();

const componentRow = z.object({
  id: z.string().min(1),
  name: z.string(),
  status: z.string(),
  group: z.boolean().nullish(),
  group_id: z.string().nullish(),
  /** Child ids, on group rows. */
  components: z.array(z.string()).nullish(),
});

const incidentSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  status: z.string(),
  shortlink: z.string().nullish(),
  created_at: time,
  started_at: time,
  updated_at: time,
  // Shapes scraped from history pages carry `code` (sometimes not the id) instead of `id`.
  components: z.array(z.object({ id: z.string().nullish(), code: z.string().nullish(), name: z.string().nullish() })).nullish(),
});

const maintenanceSchema = incidentSchema.extend({ scheduled_for: time });

const summarySchema = z.object({
  page: z.object({ id: z.string(), url: z.string().nullish() }),
  status: z.object({ indicator: z.string(), description: z.string().nullish() }).nullish(),
  components: z.array(componentRow),
  incidents: z.array(incidentSchema).nullish(),
  /** Upcoming and in-progress maintenances (summary.json). */
  scheduled_maintenances: z.array(maintenanceSchema).nullish(),
});

type Row = z.infer<typeof componentRow>;
type Incident = z.infer<typeof incidentSchema>;
type Maintenance = z.infer<typeof maintenanceSchema>;
type Summary = z.infer<typeof summarySchema>;

/** Statuspage's component statuses and page indicators on our scale (also used by its webhook). */
export const COMPONENT_STATUS: ReadonlyMap<string, Status> = new Map<string, Status>([
  ['operational', 'operational'],
  ['under_maintenance', 'maintenance'],
  ['degraded_performance', 'degraded'],
  ['partial_outage', 'partial_outage'],
  ['major_outage', 'major_outage'],
]);

/** The page indicator; an incident's `impact` uses the same words (statuspage-incidents.ts). */
export const PAGE_INDICATOR: ReadonlyMap<string, Status> = new Map<string, Status>([
  ['none', 'operational'],
  ['maintenance', 'maintenance'],
  ['minor', 'degraded'],
  ['major', 'partial_outage'],
  ['critical', 'major_outage'],
]);

/** Incidents in these states are over; summary.json should not list them, but a captured payload may. */
export const CLOSED_INCIDENT: ReadonlySet<string> = new Set(['resolved', 'postmortem', 'completed']);
/** A scheduled maintenance in these states is under way (`scheduled` has not started, `completed` is over). */
export const MAINTENANCE_IN_PROGRESS: ReadonlySet<string> = new Set(['in_progress', 'verifying']);

export function parseStatuspageSummary(body: Buffer | string, source: StatuspageSource, observedAt: string): Observation[] {
  const summary = validate(decode(body, source.id), source.id);
  return source.components.map((component) => observe(summary, component, source.id, observedAt));
}

function badPayload(sourceId: string, what: string): DialtoneError {
  return new DialtoneError('SOURCE.BAD_PAYLOAD', `source "${sourceId}": ${what}`, { sourceId });
}

/** Bytes → text by BOM (UTF-8 when there is none); invalid bytes are an error, not replacement characters. */
function decode(body: Buffer | string, sourceId: string): string {
  if (typeof body === 'string') return body.replace(/^\uFEFF/, '');
  const encoding =
    body[0] === 0xff && body[1] === 0xfe ? 'utf-16le' : body[0] === 0xfe && body[1] === 0xff ? 'utf-16be' : 'utf-8';
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(body); // drops the matching BOM itself
  } catch {
    throw badPayload(sourceId, `summary.json is not valid ${encoding} text`);
  }
}

function validate(text: string, sourceId: string): Summary {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const start = text.slice(0, 40).replace(/\s+/g, ' ').trim();
    throw badPayload(sourceId, `summary.json is not JSON (${(err as Error).message}; starts with "${start}")`);
  }
  const parsed = summarySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
    throw badPayload(sourceId, `summary.json does not match the Statuspage schema at ${path}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

const sameName = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

function describeMatch(component: ComponentConfig): string {
  const match = component.match ?? { name: component.name };
  if ('id' in match) return `match id "${match.id}"`;
  if ('name' in match) return `match name "${match.name}"`;
  return 'match page';
}

/** What the payload says about one configured component: its status, the rows it covers, and why it is unknown. */
interface Resolved {
  status: Status;
  /** Upstream rows this target stands for (a group and its children), for incident lookup; none for the page. */
  rows: Row[];
  title?: string;
  error?: string;
}

function resolve(summary: Summary, component: ComponentConfig, sourceId: string): Resolved {
  const where = `summary.json of source "${sourceId}"`;
  const match = component.match ?? { name: component.name };

  if ('page' in match) {
    if (!summary.status) return { status: 'unknown', rows: [], error: `component "${component.id}" (match page): no page status in ${where}` };
    const status = PAGE_INDICATOR.get(summary.status.indicator) ?? 'unknown';
    const resolved: Resolved = { status, rows: [] };
    if (summary.status.description) resolved.title = summary.status.description;
    if (status === 'unknown')
      resolved.error = `component "${component.id}" (match page): unrecognised page status.indicator "${summary.status.indicator}" in ${where}`;
    return resolved;
  }

  const candidates = 'id' in match ? summary.components.filter((r) => r.id === match.id) : summary.components.filter((r) => sameName(r.name, match.name));
  const [row, ...others] = candidates;
  if (!row) return { status: 'unknown', rows: [], error: `component "${component.id}" (${describeMatch(component)}) not in ${where}` };
  // Statuspage reuses names across groups (Box has three "Search" rows): refuse to guess.
  if (others.length > 0)
    return {
      status: 'unknown',
      rows: [],
      error: `component "${component.id}" (${describeMatch(component)}) matches ${candidates.length} components in ${where} (ids ${candidates.map((r) => r.id).join(', ')}): match by id instead`,
    };

  const children = row.group ? summary.components.filter((r) => r.group_id === row.id || (row.components ?? []).includes(r.id)) : [];
  const rows = [row, ...children];
  // A group's own status is derived upstream; the worst child is the truth (and the group row is only a fallback when no child is present).
  const leaves = children.length > 0 ? children : [row];
  const status = worstStatus(leaves.map((r) => COMPONENT_STATUS.get(r.status) ?? 'unknown'));
  if (status !== 'unknown') return { status, rows };
  const odd = leaves.find((r) => !COMPONENT_STATUS.has(r.status));
  return {
    status,
    rows,
    error: `component "${component.id}" (${describeMatch(component)}): unrecognised status "${odd?.status ?? ''}" on upstream component "${odd?.name ?? row.name}" in ${where}`,
  };
}

const utc = (t: string | null | undefined): string | undefined => {
  const ms = t ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
};

const lastTouched = (i: Incident) => Date.parse(i.updated_at ?? i.created_at ?? '') || 0;

/** The most recently updated open incident naming one of the rows (any open incident for the page target). */
function openIncident(summary: Summary, rows: Row[], page: boolean): Incident | undefined {
  const lists = (incident: Incident) =>
    // `code` is the id in affected_components; the name is the fallback only when there is no id (scraped shapes).
    (incident.components ?? []).some((c) => rows.some((r) => (c.id ?? c.code) === r.id || (!c.id && c.name != null && sameName(c.name, r.name))));
  return (summary.incidents ?? [])
    .filter((i) => !CLOSED_INCIDENT.has(i.status) && (page || lists(i)))
    .sort((a, b) => lastTouched(b) - lastTouched(a))[0];
}

/** The most recently updated maintenance in progress naming one of the rows (any, for the page target). */
function activeMaintenance(summary: Summary, rows: Row[], page: boolean): Maintenance | undefined {
  const lists = (m: Incident) => (m.components ?? []).some((c) => rows.some((r) => (c.id ?? c.code) === r.id));
  return (summary.scheduled_maintenances ?? [])
    .filter((m) => MAINTENANCE_IN_PROGRESS.has(m.status) && (page || lists(m)))
    .sort((a, b) => lastTouched(b) - lastTouched(a))[0];
}

function observe(summary: Summary, component: ComponentConfig, sourceId: string, observedAt: string): Observation {
  const resolved = resolve(summary, component, sourceId);
  const observation: Observation = { sourceId, componentId: component.id, status: resolved.status, observedAt };
  if (resolved.error) {
    observation.error = resolved.error;
    return observation;
  }
  if (summary.page.url) observation.url = summary.page.url;
  if (resolved.title) observation.title = resolved.title;
  const page = component.match !== undefined && 'page' in component.match;
  // A maintenance under way that the vendor did not also put on the component row still means maintenance.
  const maintenance = activeMaintenance(summary, resolved.rows, page);
  if (maintenance && observation.status === 'operational') observation.status = 'maintenance';
  const incident = openIncident(summary, resolved.rows, page) ?? maintenance;
  if (incident) {
    observation.title = incident.name;
    observation.upstreamId = incident.id;
    if (incident.shortlink) observation.url = incident.shortlink;
    // Scraped shapes leave started_at null; creation is the next best "since".
    // A maintenance starts when it was scheduled for.
    const startedAt = utc(incident.started_at ?? (incident === maintenance ? maintenance.scheduled_for : undefined) ?? incident.created_at);
    const updatedAt = utc(incident.updated_at);
    if (startedAt) observation.startedAt = startedAt;
    if (updatedAt) observation.updatedAt = updatedAt;
  }
  return observation;
}

/** Every row of summary.json / components.json (key: the component id; a group reads as its worst child) and the page (key "page") when it has a status. */
export function decodeStatuspageSummary(body: Buffer | string): UpstreamItem[] {
  const summary = validate(decode(body, '(parse)'), '(parse)');
  const targets: ComponentConfig[] = [
    ...(summary.status ? [{ id: 'page', name: 'page', provider: '-', match: { page: true as const } }] : []),
    ...summary.components.map((r) => ({ id: r.id, name: r.name, provider: '-', match: { id: r.id } })),
  ];
  return targets.map((t) => {
    const { sourceId: _s, componentId, observedAt: _o, ...rest } = observe(summary, t, '(parse)', '');
    return { key: componentId, name: t.name, ...rest };
  });
}
