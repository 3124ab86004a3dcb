import * as z from 'zod';
import type { SourceOf } from '../config/schema.js';
import type { Observation } from '../domain/observation.js';
import type { Status } from '../domain/status.js';
import { describeAwsMatch, matchesAwsKey } from './aws-rss.js';
import type { UpstreamItem } from './parsers.js';
import { fromEpochSeconds, item, lookup, NO_SOURCE, observation, parseJsonBody, worstVerdict, type Evidence, type Verdict } from './vendor-util.js';

/**
 * AWS Health Dashboard public JSON, `health.aws.amazon.com/public/currentevents`
 * (undocumented; UTF-16 with a BOM on the wire, decoded by BOM) → one Observation per
 * configured component.
 *
 * - The body is the array of *open* public events; `[]` when all is clear, so a service no
 *   event mentions is operational, and a service whose event ends resolves by disappearance.
 * - Codes (strings or numbers): "0" → operational, "1" (informational) → degraded,
 *   "2" → partial_outage, "3" → major_outage, anything else → unknown.
 * - A component counts an event whose `service` key matches (`ec2-us-east-1`, `route53`) with
 *   the event's `status`, and every `impacted_services` key that matches with that service's
 *   own `current` code (a multi-service event lists services that have already recovered as "0").
 * - `match: { service, region? }` as for aws-rss; no match = every event.
 * - Times: `date` and `event_log[].timestamp` are epoch seconds (strings or numbers) → UTC.
 */

type Source = SourceOf<'aws-currentevents'>;

const DASHBOARD = 'https://health.aws.amazon.com/health/status';

const code = z.union([z.string(), z.number()]).transform(String);
const epoch = z.union([z.string(), z.number()]).nullish();

const eventSchema = z.object({
  arn: z.string().min(1),
  date: epoch,
  status: code,
  service: z.string().min(1),
  service_name: z.string().nullish(),
  summary: z.string().nullish(),
  region_name: z.string().nullish(),
  event_log: z.array(z.object({ summary: z.string().nullish(), status: code.nullish(), timestamp: epoch })).nullish(),
  impacted_services: z.record(z.string(), z.object({ service_name: z.string().nullish(), current: code.nullish() })).nullish(),
});

type Event = z.infer<typeof eventSchema>;

const CODES = new Map<string, Status>([
  ['0', 'operational'],
  ['1', 'degraded'],
  ['2', 'partial_outage'],
  ['3', 'major_outage'],
]);

function read(body: Buffer | string, sourceId: string): Event[] {
  return parseJsonBody(body, sourceId, 'currentevents', 'AWS currentevents', z.array(eventSchema));
}

function evidenceOf(event: Event): Evidence {
  const updates = (event.event_log ?? []).map((u) => fromEpochSeconds(u.timestamp)).filter((t): t is string => t !== undefined).sort();
  const title = [event.service_name, event.summary].filter(Boolean).join(': ');
  return { title: title || undefined, url: DASHBOARD, upstreamId: event.arn, startedAt: fromEpochSeconds(event.date), updatedAt: updates.at(-1) };
}

function verdictOf(value: string, where: string, evidence: Evidence): Verdict {
  const status = lookup(CODES, value);
  return status ? { status, evidence } : { status: 'unknown', evidence, error: `unrecognised status "${value}" at ${where}` };
}

/** Every (key, verdict) an event states: its own service key, then each impacted service. */
function statements(event: Event, index: number): Array<{ key: string; name: string; verdict: Verdict }> {
  const evidence = evidenceOf(event);
  const own = { key: event.service, name: event.service_name ?? event.service, verdict: verdictOf(event.status, `[${index}].status`, evidence) };
  const impacted = Object.entries(event.impacted_services ?? {}).map(([key, s]) => ({
    key,
    name: s.service_name ?? key,
    verdict: verdictOf(s.current ?? event.status, s.current == null ? `[${index}].status` : `[${index}].impacted_services.${key}.current`, evidence),
  }));
  return [own, ...impacted];
}

export function parseAwsCurrentEvents(body: Buffer | string, source: Source, observedAt: string): Observation[] {
  const all = read(body, source.id).flatMap(statements);
  return source.components.map((component) => {
    const worst = worstVerdict(all.filter((s) => matchesAwsKey(s.key, component.match)).map((s) => s.verdict));
    if (!worst) return observation(source.id, component.id, 'operational', observedAt);
    const error = worst.error ? `component "${component.id}" (${describeAwsMatch(component.match)}): ${worst.error} in currentevents of source "${source.id}"` : undefined;
    return observation(source.id, component.id, worst.status, observedAt, worst.evidence, error);
  });
}

/** Every event (key: its service, e.g. `multipleservices-me-central-1`) and every impacted service (key: `ec2-me-central-1`). */
export function decodeAwsCurrentEvents(body: Buffer | string): UpstreamItem[] {
  return read(body, NO_SOURCE)
    .flatMap(statements)
    .map((s) => item(s.key, s.name, s.verdict.status, s.verdict.evidence, s.verdict.error));
}
