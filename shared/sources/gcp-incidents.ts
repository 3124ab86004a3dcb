import * as z from 'zod';
import type { SourceOf } from '../config/schema.js';
import type { Observation } from '../domain/observation.js';
import { worstStatus, type Status } from '../domain/status.js';
import type { UpstreamItem } from './parsers.js';
import { item, lookup, NO_SOURCE, observation, parseJsonBody, sameName, utc, worstVerdict, type Verdict } from './vendor-util.js';

/**
 * Google Cloud `status.cloud.google.com/incidents.json` (and Google Workspace's
 * `…/appsstatus/dashboard/incidents.json`, same schema) → one Observation per configured
 * component.
 *
 * - The body is a rolling window of incidents; an incident is open while it has no `end`.
 *   Only open incidents count, so a product no open incident lists is operational ("nothing
 *   posted") and an incident resolves when `end` is set.
 * - An open incident's status is the worst of its `status_impact` and its latest update's
 *   `status` (SERVICE_INFORMATION → degraded, SERVICE_DISRUPTION → partial_outage,
 *   SERVICE_OUTAGE → major_outage; AVAILABLE says nothing while `end` is absent). Only when
 *   neither is a known value does `severity` stand in (low → degraded, medium → partial_outage,
 *   high → major_outage); otherwise unknown.
 * - `match: { product, location? }`: product = an `affected_products[]` title, current title or
 *   id (case and spacing ignored). location = a location id or title among the incident's
 *   `currently_affected_locations` (else its latest update's `affected_locations`); "global"
 *   matches every location, and an open incident that names no location matches every location.
 * - The same id can appear more than once (edited reports): each copy is read on its own.
 */

type Source = SourceOf<'gcp-incidents'>;
type GcpMatch = Source['components'][number]['match'];

const location = z.object({ id: z.string().nullish(), title: z.string().nullish() });

const incidentSchema = z.object({
  id: z.string().min(1),
  begin: z.string().nullish(),
  end: z.string().nullish(),
  modified: z.string().nullish(),
  external_desc: z.string().nullish(),
  status_impact: z.string().nullish(),
  severity: z.string().nullish(),
  uri: z.string().nullish(),
  affected_products: z.array(z.object({ id: z.string().nullish(), title: z.string().nullish(), current_title: z.string().nullish() })).nullish(),
  currently_affected_locations: z.array(location).nullish(),
  most_recent_update: z.object({ status: z.string().nullish(), when: z.string().nullish(), affected_locations: z.array(location).nullish() }).nullish(),
});

type Incident = z.infer<typeof incidentSchema>;

const IMPACT = new Map<string, Status>([
  ['SERVICE_INFORMATION', 'degraded'],
  ['SERVICE_DISRUPTION', 'partial_outage'],
  ['SERVICE_OUTAGE', 'major_outage'],
]);

const SEVERITY = new Map<string, Status>([
  ['low', 'degraded'],
  ['medium', 'partial_outage'],
  ['high', 'major_outage'],
]);

const GCP_BASE = 'https://status.cloud.google.com/';

function read(body: Buffer | string, sourceId: string): Incident[] {
  return parseJsonBody(body, sourceId, 'incidents.json', 'Google Cloud incidents', z.array(incidentSchema));
}

const isOpen = (i: Incident) => !i.end;

function openStatus(i: Incident): { status: Status; error?: string } {
  const known = [lookup(IMPACT, i.status_impact), lookup(IMPACT, i.most_recent_update?.status)].filter((s): s is Status => s !== undefined);
  if (known.length > 0) return { status: worstStatus(known) };
  const bySeverity = lookup(SEVERITY, i.severity?.toLowerCase());
  if (bySeverity) return { status: bySeverity };
  return { status: 'unknown', error: `incident ${i.id}: unrecognised status_impact "${i.status_impact ?? '(none)'}" and severity "${i.severity ?? '(none)'}"` };
}

function verdictOf(i: Incident, base: string): Verdict {
  const evidence = {
    title: i.external_desc?.replace(/\s+/g, ' ').trim() || undefined,
    url: i.uri ? safeUrl(i.uri, base) : undefined,
    upstreamId: i.id,
    startedAt: utc(i.begin),
    updatedAt: utc(i.modified),
  };
  if (!isOpen(i)) return { status: 'operational', evidence };
  const { status, error } = openStatus(i);
  return error ? { status, evidence, error } : { status, evidence };
}

function safeUrl(uri: string, base: string): string | undefined {
  try {
    return new URL(uri, base).toString();
  } catch {
    return undefined;
  }
}

function listsProduct(i: Incident, product: string): boolean {
  return (i.affected_products ?? []).some((p) => p.id === product || [p.title, p.current_title].some((t) => t && sameName(t, product)));
}

function inLocation(i: Incident, wanted: string): boolean {
  const current = i.currently_affected_locations ?? [];
  const locations = current.length > 0 ? current : (i.most_recent_update?.affected_locations ?? []);
  if (locations.length === 0) return true;
  return locations.some((l) => l.id?.toLowerCase() === 'global' || l.id?.toLowerCase() === wanted.toLowerCase() || (l.title && sameName(l.title, wanted)));
}

function matches(i: Incident, match: GcpMatch): boolean {
  if (!match) return true;
  return listsProduct(i, match.product) && (!match.location || inLocation(i, match.location));
}

function describeMatch(match: GcpMatch): string {
  if (!match) return 'every product';
  return match.location ? `product "${match.product}" in ${match.location}` : `product "${match.product}"`;
}

export function parseGcpIncidents(body: Buffer | string, source: Source, observedAt: string): Observation[] {
  const open = read(body, source.id).filter(isOpen);
  return source.components.map((component) => {
    const worst = worstVerdict(open.filter((i) => matches(i, component.match)).map((i) => verdictOf(i, source.url)));
    if (!worst) return observation(source.id, component.id, 'operational', observedAt);
    const error = worst.error ? `component "${component.id}" (${describeMatch(component.match)}): ${worst.error} in incidents.json of source "${source.id}"` : undefined;
    return observation(source.id, component.id, worst.status, observedAt, worst.evidence, error);
  });
}

/** Every incident × affected product (key: product id); resolved incidents read operational. */
export function decodeGcpIncidents(body: Buffer | string): UpstreamItem[] {
  return read(body, NO_SOURCE).flatMap((i) => {
    const v = verdictOf(i, GCP_BASE);
    const products = i.affected_products ?? [];
    if (products.length === 0) return [item(i.id, i.external_desc ?? i.id, v.status, v.evidence, v.error)];
    return products.map((p) => item(p.id ?? p.title ?? i.id, p.title ?? p.current_title ?? p.id ?? i.id, v.status, v.evidence, v.error));
  });
}
