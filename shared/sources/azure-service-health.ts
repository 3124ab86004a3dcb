import * as z from 'zod';
import type { SourceOf } from '../config/schema.js';
import type { Observation } from '../domain/observation.js';
import type { Status } from '../domain/status.js';
import type { UpstreamItem } from './parsers.js';
import { badPayload, compact, describeIssue, item, NO_SOURCE, observation, parseJsonBody, sameName, utc, worstVerdict, type Evidence, type Verdict } from './vendor-util.js';

/**
 * Azure Service Health events → one Observation per configured component. Reads the ARM list
 * `GET …/providers/Microsoft.ResourceHealth/events` (`{ value: [{ id, name, properties }] }`),
 * a bare array of events, or one event, in REST shape (`properties`) or SDK shape (flattened).
 * Every enum is compared case-insensitively.
 *
 * Per event × impacted service × impacted region:
 * - `status: Resolved` → operational (PIRs arrive as resolved events);
 * - `status: Active`: `PlannedMaintenance` → maintenance; `HealthAdvisory`/`SecurityAdvisory`
 *   → degraded; `ServiceIssue` by `level`: Informational → degraded, Warning → partial_outage,
 *   Error/Critical → major_outage; any other eventType or level → unknown.
 * - A region's own `status` may disagree with the event's. Active event + Resolved region →
 *   operational for that region (mitigated there first). Resolved event + Active region → unknown
 *   with an error (contradictory; we do not guess which is stale).
 * - `impactMitigationTime: 0001-01-01T00:00:00` means "not mitigated" (never a date); no time
 *   decides the status, only `status` does. Year-1 times are dropped from evidence.
 * - `match: { service?, region? }`: service = `impactedService` (case/spacing ignored) or
 *   `impactedServiceGuid`; region = `impactedRegion` ("Southeast Asia" = "southeastasia"); a
 *   `Global` impact (or one with no regions) matches every region. No match = every event.
 * - A component no event mentions is `unknown` with an error by default (the list is not
 *   documented as "nothing posted"); `unlisted: operational` on the source opts in to reading the
 *   subscription's full events list as complete.
 */

type Source = SourceOf<'azure-service-health'>;
type AzureMatch = Source['components'][number]['match'];

const time = z.string().nullish();

const regionSchema = z.object({ impactedRegion: z.string().nullish(), status: z.string().nullish(), lastUpdateTime: time });
const impactSchema = z.object({
  impactedService: z.string().nullish(),
  impactedServiceGuid: z.string().nullish(),
  impactedRegions: z.array(regionSchema).nullish(),
});
const propertiesShape = {
  eventType: z.string().nullish(),
  status: z.string().nullish(),
  level: z.string().nullish(),
  eventLevel: z.string().nullish(),
  title: z.string().nullish(),
  trackingId: z.string().nullish(),
  impactStartTime: time,
  impactMitigationTime: time,
  lastUpdateTime: time,
  impact: z.array(impactSchema).nullish(),
};
const flatSchema = z.object({ id: z.string().nullish(), name: z.string().nullish(), ...propertiesShape });
const restSchema = z.object({ id: z.string().nullish(), name: z.string().nullish(), properties: z.object(propertiesShape) });

type Event = z.infer<typeof flatSchema>;
type Impact = z.infer<typeof impactSchema>;
type Region = z.infer<typeof regionSchema>;

const bodySchema = z.union([z.object({ value: z.array(z.unknown()) }), z.array(z.unknown()), z.record(z.string(), z.unknown())]);

function read(body: Buffer | string, sourceId: string): Event[] {
  const json = parseJsonBody(body, sourceId, 'the events body', 'Azure Service Health events', bodySchema);
  let elements: unknown[];
  let at: (i: number) => string;
  if (Array.isArray(json)) [elements, at] = [json, (i) => `${i}`];
  else if (Array.isArray(json.value)) [elements, at] = [json.value, (i) => `value.${i}`];
  else {
    const error = (json as Record<string, unknown>).error;
    if (error !== null && typeof error === 'object') {
      const e = error as { code?: unknown; message?: unknown };
      throw badPayload(sourceId, `the events body is an ARM error: ${String(e.code ?? '?')}: ${String(e.message ?? '').slice(0, 200)}`);
    }
    [elements, at] = [[json], () => '(root)'];
  }
  return elements.map((element, i) => {
    const where = at(i);
    if (element !== null && typeof element === 'object' && 'properties' in element) {
      const parsed = restSchema.safeParse(element);
      if (!parsed.success) throw badPayload(sourceId, `event ${where} does not match the Azure Service Health event schema ${describeIssue(parsed.error)}`);
      return { id: parsed.data.id, name: parsed.data.name, ...parsed.data.properties };
    }
    const parsed = flatSchema.safeParse(element);
    if (!parsed.success) throw badPayload(sourceId, `event ${where} does not match the Azure Service Health event schema ${describeIssue(parsed.error)}`);
    if (!parsed.data.eventType && !parsed.data.status && !parsed.data.impact)
      throw badPayload(sourceId, `event ${where} is not an Azure Service Health event (no eventType, status or impact)`);
    return parsed.data;
  });
}

/** Azure writes "not set" as 0001-01-01T00:00:00: that is no time at all. */
function azureTime(t: string | null | undefined): string | undefined {
  return t && !/^0001-01-01/.test(t) ? utc(/[zZ]|[+-]\d\d:?\d\d$/.test(t) ? t : `${t}Z`) : undefined;
}

const lc = (s: string | null | undefined) => (s ?? '').trim().toLowerCase();

/** The status of an active event by eventType and level; unknown with the reason otherwise. */
function activeStatus(event: Event): { status: Status; error?: string } {
  const type = lc(event.eventType);
  const level = lc(event.level ?? event.eventLevel);
  if (type === 'plannedmaintenance') return { status: 'maintenance' };
  if (type === 'healthadvisory' || type === 'securityadvisory') return { status: 'degraded' };
  if (type === 'serviceissue') {
    if (level === 'informational') return { status: 'degraded' };
    if (level === 'warning') return { status: 'partial_outage' };
    if (level === 'error' || level === 'critical') return { status: 'major_outage' };
    return { status: 'unknown', error: `unrecognised level "${event.level ?? event.eventLevel ?? '(none)'}"` };
  }
  return { status: 'unknown', error: `unrecognised eventType "${event.eventType ?? '(none)'}"` };
}

function verdictOf(event: Event, region: Region | undefined): Verdict {
  const id = event.name ?? event.trackingId ?? event.id ?? '?';
  const evidence: Evidence = {
    title: event.title ?? undefined,
    upstreamId: id,
    startedAt: azureTime(event.impactStartTime),
    updatedAt: azureTime(region?.lastUpdateTime) ?? azureTime(event.lastUpdateTime),
  };
  const eventStatus = lc(event.status);
  const regionStatus = lc(region?.status);
  const where = region?.impactedRegion ? ` in ${region.impactedRegion}` : '';
  if (eventStatus === 'resolved') {
    if (regionStatus === 'active')
      return { status: 'unknown', evidence, error: `event ${id} is Resolved but its region "${region?.impactedRegion ?? '?'}" is still Active` };
    return { status: 'operational', evidence };
  }
  if (eventStatus === 'active') {
    if (regionStatus === 'resolved') return { status: 'operational', evidence };
    const { status, error } = activeStatus(event);
    return error ? { status, evidence, error: `event ${id}${where}: ${error}` } : { status, evidence };
  }
  return { status: 'unknown', evidence, error: `event ${id}: unrecognised status "${event.status ?? '(none)'}"` };
}

interface Statement {
  impact: Impact;
  region: Region | undefined;
  verdict: Verdict;
}

/** One statement per impacted region (or per impact when it names no region, or per event when it names no impact). */
function statements(event: Event): Statement[] {
  const impacts = event.impact && event.impact.length > 0 ? event.impact : [{}];
  return impacts.flatMap((impact) => {
    const regions: Array<Region | undefined> = impact.impactedRegions && impact.impactedRegions.length > 0 ? impact.impactedRegions : [undefined];
    return regions.map((region) => ({ impact, region, verdict: verdictOf(event, region) }));
  });
}

function matches(s: Statement, match: AzureMatch): boolean {
  if (match?.service) {
    const { impactedService, impactedServiceGuid } = s.impact;
    if (!(impactedService && sameName(impactedService, match.service)) && !(impactedServiceGuid && lc(impactedServiceGuid) === lc(match.service))) return false;
  }
  if (match?.region && s.region?.impactedRegion) {
    const r = compact(s.region.impactedRegion);
    if (r !== compact(match.region) && r !== 'global') return false;
  }
  return true;
}

function describeMatch(match: AzureMatch): string {
  const parts = [match?.service ? `service "${match.service}"` : '', match?.region ? `region "${match.region}"` : ''].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : 'every event';
}

export function parseAzureServiceHealth(body: Buffer | string, source: Source, observedAt: string): Observation[] {
  const all = read(body, source.id).flatMap(statements);
  return source.components.map((component) => {
    const worst = worstVerdict(all.filter((s) => matches(s, component.match)).map((s) => s.verdict));
    const what = `component "${component.id}" (${describeMatch(component.match)})`;
    if (!worst) {
      if (source.unlisted === 'operational') return observation(source.id, component.id, 'operational', observedAt);
      return observation(source.id, component.id, 'unknown', observedAt, undefined, `${what}: no event in the Service Health events of source "${source.id}" mentions it`);
    }
    const error = worst.error ? `${what}: ${worst.error} in the Service Health events of source "${source.id}"` : undefined;
    return observation(source.id, component.id, worst.status, observedAt, worst.evidence, error);
  });
}

/** Every event × impacted service × region (key: "service / region"). */
export function decodeAzureServiceHealth(body: Buffer | string): UpstreamItem[] {
  return read(body, NO_SOURCE)
    .flatMap(statements)
    .map((s) => {
      const key = [s.impact.impactedService ?? s.impact.impactedServiceGuid, s.region?.impactedRegion].filter(Boolean).join(' / ') || '(event)';
      return item(key, key, s.verdict.status, s.verdict.evidence, s.verdict.error);
    });
}
