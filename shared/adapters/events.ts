import { PutEventsCommand, type EventBridgeClient, type PutEventsRequestEntry, type PutEventsResponse } from '@aws-sdk/client-eventbridge';
import {
  EVENT_SOURCE,
  eventDetailSchemas,
  type DetailType,
  type DialtoneEvent,
  type IncidentDetail,
  type ServiceStateChangedDetail,
} from '../config/events.js';
import { redact } from '../domain/mask.js';
import { parseServiceState } from '../domain/nena.js';
import type { Incident, Notice, Phase, Transition } from '../domain/records.js';

/**
 * EventBridge events for other systems (deliver): a pure mapping from a notice or a
 * service transition to versioned events (contracts in shared/config/events.ts), and a publisher
 * that puts them on a custom bus in batches, retrying failed entries a bounded number of times.
 */

/** What the mapping needs to know about services and components; the domain Model fits. */
export interface EventDirectory {
  services: ReadonlyMap<string, { name?: string; fips: string; state: string; psap?: string }>;
  components?: ReadonlyMap<string, { name?: string; provider?: string }>;
}

const DETAIL_TYPE_OF_PHASE: Record<Phase, DetailType> = {
  initial: 'IncidentOpened.v1',
  update: 'IncidentUpdated.v1',
  final: 'IncidentResolved.v1',
};

const sortedUnique = (values: Iterable<string>) => [...new Set(values)].sort();

/**
 * The counties (FIPS) and states with a service in the incident, sorted. Every service the
 * incident ever listed counts (a recovered one stays, as Normal), so a consumer that filters on
 * an area gets the all-clear of every incident it got the alert for.
 */
export function incidentArea(incident: Incident, services: EventDirectory['services']): { fips: string[]; states: string[] } {
  const known = Object.keys(incident.services)
    .map((id) => services.get(id))
    .filter((s) => s !== undefined);
  return { fips: sortedUnique(known.map((s) => s.fips)), states: sortedUnique(known.map((s) => s.state)) };
}

function componentRef(componentId: string, dir: EventDirectory) {
  const c = dir.components?.get(componentId);
  return {
    componentId,
    ...(c?.name !== undefined ? { name: c.name } : {}),
    ...(c?.provider !== undefined ? { provider: c.provider } : {}),
  };
}

function incidentDetail(notice: Notice, dir: EventDirectory): IncidentDetail {
  const inc = notice.incident;
  const area = incidentArea(inc, dir.services);
  // A final notice is issued for a resolved incident; never publish a "resolved" without its time.
  const resolvedAt = inc.resolvedAt ?? (notice.phase === 'final' ? notice.createdAt : undefined);
  return {
    incidentId: notice.incidentId,
    seq: notice.seq,
    phase: notice.phase,
    reason: notice.reason,
    status: notice.phase === 'final' ? 'resolved' : inc.status,
    kind: inc.kind ?? 'outage',
    certainty: inc.certainty,
    ...(inc.confirmedAt !== undefined ? { confirmedAt: inc.confirmedAt } : {}),
    ...(inc.plannedEnd !== undefined ? { plannedEnd: inc.plannedEnd } : {}),
    sources: [...inc.sources],
    noticeAt: notice.createdAt,
    openedAt: inc.openedAt,
    ...(inc.escalatedAt !== undefined ? { escalatedAt: inc.escalatedAt } : {}),
    ...(resolvedAt !== undefined ? { resolvedAt } : {}),
    cause: componentRef(inc.causeComponentId, dir),
    concurrent: inc.concurrent.map((c) => ({ ...componentRef(c.componentId, dir), status: c.status, since: c.since })),
    services: Object.entries(inc.services)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([serviceId, s]) => {
        const svc = dir.services.get(serviceId);
        return {
          serviceId,
          ...(svc?.name !== undefined ? { name: svc.name } : {}),
          state: s.state,
          since: s.since,
          worst: s.worst,
          ...(s.darkSince !== undefined ? { darkSince: s.darkSince } : {}),
          ...(svc ? { fips: svc.fips, usState: svc.state } : {}),
        };
      }),
    counties: area.fips,
    states: area.states,
  };
}

function serviceDetail(t: Transition, dir: EventDirectory): ServiceStateChangedDetail | undefined {
  const from = parseServiceState(t.from);
  const to = parseServiceState(t.to);
  if (from === undefined || to === undefined) return undefined;
  const svc = dir.services.get(t.id);
  return {
    serviceId: t.id,
    ...(svc?.name !== undefined ? { name: svc.name } : {}),
    ...(svc ? { psapId: svc.psap ?? t.id } : {}),
    from,
    to,
    at: t.at,
    causes: [...(t.evidence.causes ?? [])],
    ...(svc ? { fips: svc.fips, usState: svc.state } : {}),
  };
}

function isNotice(input: Notice | Transition): input is Notice {
  return 'incidentId' in input && 'seq' in input;
}

/**
 * The events for a notice (one of IncidentOpened/Updated/Resolved by phase) or a transition
 * (ServiceStateChanged for a service; a component transition has no event of its own: it shows
 * up as the incident's cause or a concurrent component). Each detail is checked against its
 * contract here, so a producer bug throws in tests instead of reaching consumers.
 */
export function eventsFor(input: Notice | Transition, dir: EventDirectory): DialtoneEvent[] {
  if (isNotice(input)) {
    const detailType = DETAIL_TYPE_OF_PHASE[input.phase];
    const detail = eventDetailSchemas[detailType].parse(incidentDetail(input, dir));
    return [{ source: EVENT_SOURCE, detailType, time: input.createdAt, detail } as DialtoneEvent];
  }
  if (input.subject !== 'service') return [];
  const raw = serviceDetail(input, dir);
  if (raw === undefined) return [];
  const detail = eventDetailSchemas['ServiceStateChanged.v1'].parse(raw);
  return [{ source: EVENT_SOURCE, detailType: 'ServiceStateChanged.v1', time: input.at, detail }];
}

/** A short key naming the event in reports and logs (its natural dedupe key). */
export function eventKey(event: DialtoneEvent): string {
  return event.detailType === 'ServiceStateChanged.v1'
    ? `${event.detail.serviceId}@${event.detail.at}`
    : `${event.detail.incidentId}#${event.detail.seq}`;
}

// ---------------------------------------------------------------------------------------------
// Publisher

/** PutEvents limits: 10 entries and 256 KiB per request (the entry size formula of the docs). */
export const MAX_ENTRIES_PER_PUT = 10;
export const MAX_PUT_BYTES = 256 * 1024;

/** Entry errors that a retry cannot fix; anything else (InternalFailure, ThrottlingException, …) is retried. */
const PERMANENT_ENTRY_ERRORS = new Set([
  'MalformedDetail',
  'InvalidArgument',
  'NotAuthorizedForSourceException',
  'NotAuthorizedForDetailTypeException',
  'AccessDeniedException',
  'ValidationException',
  'EntryTooLarge',
]);

export type Sleeper = (ms: number) => Promise<void>;

export interface EventPublisherOptions {
  client: EventBridgeClient;
  /** The custom bus (name or ARN). */
  eventBusName: string;
  /** Tries per entry, the first included (default 3). The SDK's own retries run inside each try. */
  maxAttempts?: number;
  /** Wait before retry n: backoffMs × 2^(n-1) (default 200 ms). */
  backoffMs?: number;
  /** Injected so tests never wait on real time. */
  sleep?: Sleeper;
}

export interface EventPublishReport {
  sent: Array<{ detailType: DetailType; key: string; eventId: string }>;
  failed: Array<{ detailType: DetailType; key: string; errorCode: string; errorMessage: string; attempts: number }>;
}

interface Pending {
  event: DialtoneEvent;
  entry: PutEventsRequestEntry;
  size: number;
}

// The one place the publisher waits on real time; tests inject their own sleeper.
const realSleep: Sleeper = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Entry size as EventBridge counts it: 14 bytes for Time, then the UTF-8 bytes of the strings. */
export function entrySize(entry: PutEventsRequestEntry): number {
  const bytes = (s: string | undefined) => (s === undefined ? 0 : Buffer.byteLength(s, 'utf8'));
  return (
    (entry.Time ? 14 : 0) +
    bytes(entry.Source) +
    bytes(entry.DetailType) +
    bytes(entry.Detail) +
    (entry.Resources ?? []).reduce((n, r) => n + bytes(r), 0)
  );
}

function isRetryableError(err: unknown): boolean {
  const e = err as { name?: string; $fault?: string; $retryable?: unknown };
  if (e.$retryable) return true;
  if (e.name !== undefined && /Throttl|TooManyRequests|Timeout|ServiceUnavailable|InternalFailure|InternalException/i.test(e.name)) return true;
  return e.$fault !== 'client';
}

/** Puts events on the custom bus: ≤ 10 entries and ≤ 256 KiB a request; failed entries retried. */
export class EventPublisher {
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  private readonly sleep: Sleeper;

  constructor(private readonly options: EventPublisherOptions) {
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
    this.backoffMs = options.backoffMs ?? 200;
    this.sleep = options.sleep ?? realSleep;
  }

  entry(event: DialtoneEvent): PutEventsRequestEntry {
    return {
      EventBusName: this.options.eventBusName,
      Source: event.source,
      DetailType: event.detailType,
      Detail: JSON.stringify(event.detail),
      Time: new Date(event.time),
    };
  }

  /** Splits events into requests of at most 10 entries and 256 KiB, keeping their order. */
  batches(events: readonly DialtoneEvent[]): { batches: Pending[][]; tooLarge: Pending[] } {
    const batches: Pending[][] = [];
    const tooLarge: Pending[] = [];
    let current: Pending[] = [];
    let bytes = 0;
    for (const event of events) {
      const entry = this.entry(event);
      const p: Pending = { event, entry, size: entrySize(entry) };
      if (p.size > MAX_PUT_BYTES) {
        tooLarge.push(p);
        continue;
      }
      if (current.length === MAX_ENTRIES_PER_PUT || bytes + p.size > MAX_PUT_BYTES) {
        batches.push(current);
        current = [];
        bytes = 0;
      }
      current.push(p);
      bytes += p.size;
    }
    if (current.length) batches.push(current);
    return { batches, tooLarge };
  }

  async publish(events: readonly DialtoneEvent[]): Promise<EventPublishReport> {
    const report: EventPublishReport = { sent: [], failed: [] };
    const { batches, tooLarge } = this.batches(events);
    for (const p of tooLarge)
      report.failed.push({
        detailType: p.event.detailType,
        key: eventKey(p.event),
        errorCode: 'EntryTooLarge',
        errorMessage: `entry is ${p.size} bytes; PutEvents takes at most ${MAX_PUT_BYTES}`,
        attempts: 0,
      });
    for (const batch of batches) await this.putBatch(batch, report);
    return report;
  }

  private async putBatch(batch: Pending[], report: EventPublishReport): Promise<void> {
    let pending = batch;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const last = attempt >= this.maxAttempts;
      const fail = (p: Pending, errorCode: string, errorMessage: string) =>
        report.failed.push({ detailType: p.event.detailType, key: eventKey(p.event), errorCode, errorMessage: redact(errorMessage), attempts: attempt });

      let output: PutEventsResponse;
      try {
        output = await this.options.client.send(new PutEventsCommand({ Entries: pending.map((p) => p.entry) }));
      } catch (err) {
        const name = err instanceof Error ? err.name : 'Error';
        const message = err instanceof Error ? err.message : String(err);
        if (last || !isRetryableError(err)) {
          for (const p of pending) fail(p, name, message);
          return;
        }
        await this.sleep(this.backoffMs * 2 ** (attempt - 1));
        continue;
      }

      const results = output.Entries ?? [];
      const retry: Pending[] = [];
      pending.forEach((p, i) => {
        const r = results[i];
        // FailedEntryCount says how many failed; each result says which (same order as the request).
        if (r?.EventId && !r.ErrorCode) {
          report.sent.push({ detailType: p.event.detailType, key: eventKey(p.event), eventId: r.EventId });
          return;
        }
        const code = r?.ErrorCode ?? 'NoResult';
        const message = r?.ErrorMessage ?? (r ? 'no EventId returned' : 'no result entry returned for this event');
        if (last || PERMANENT_ENTRY_ERRORS.has(code)) fail(p, code, message);
        else retry.push(p);
      });
      if ((output.FailedEntryCount ?? 0) === 0 && retry.length === 0) return;
      pending = retry;
      if (pending.length > 0) await this.sleep(this.backoffMs * 2 ** (attempt - 1));
    }
  }
}
