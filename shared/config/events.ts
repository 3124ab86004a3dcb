import * as z from 'zod';
import { SERVICE_STATES } from '../domain/nena.js';
import { STATUSES } from '../domain/status.js';

/**
 * The event contracts dialtone publishes on its EventBridge bus (one of the deliver step's channels).
 *
 * - `source` is always `dialtone`; the detail-type carries a major version (`IncidentOpened.v1`).
 *   Adding an optional field is compatible; renaming, removing or retyping one is a new version
 *   (`.v2`), published next to `.v1` until consumers have moved.
 * - Consumers should not assume exactly-once: a retried PutEvents can repeat an event. The
 *   natural keys are `incidentId` + `seq` for incident events and `serviceId` + `at` for
 *   ServiceStateChanged.
 * - Times are ISO-8601 UTC (`2026-09-29T00:10:00.000Z`).
 * - Detail objects are strict: a producer bug that adds an unknown field fails the schema in
 *   tests instead of leaking an unversioned field to consumers.
 */

export const EVENT_SOURCE = 'dialtone';

export const DETAIL_TYPES = ['IncidentOpened.v1', 'IncidentUpdated.v1', 'IncidentResolved.v1', 'ServiceStateChanged.v1'] as const;
export type DetailType = (typeof DETAIL_TYPES)[number];

const isoTime = z.iso.datetime({ offset: true });
const fips = z.string().regex(/^\d{5}$/, 'county FIPS is a 5-digit string');
const usState = z.string().regex(/^[A-Z]{2}$/, 'state is a 2-letter postal code');
const serviceState = z.enum(SERVICE_STATES);
const id = z.string().min(1);

const componentRef = z
  .object({
    componentId: id,
    name: z.string().optional(),
    provider: z.string().optional().describe('FCC 4.9(h): the service provider experiencing the outage'),
  })
  .strict();

export const affectedServiceDetail = z
  .object({
    serviceId: id,
    name: z.string().optional(),
    /** NENA i3 ServiceState now. */
    state: serviceState,
    since: isoTime,
    /** Worst state seen in this incident. */
    worst: serviceState,
    darkSince: isoTime.optional(),
    fips: fips.optional(),
    usState: usState.optional(),
  })
  .strict();

const incidentDetailBase = z
  .object({
    incidentId: id,
    /** Notice sequence within the incident (1 = the initial notice). */
    seq: z.number().int().min(1),
    phase: z.enum(['initial', 'update', 'final']),
    reason: z.enum(['opened', 'changed', 'confirmed', 'escalated', 'reminder', 'resolved']),
    status: z.enum(['open', 'resolved']),
    /** An unplanned outage, or a planned maintenance window the config asked to announce. */
    kind: z.enum(['outage', 'maintenance']),
    /** suspected: one source says so; confirmed: independent sources agree (or an authoritative one). */
    certainty: z.enum(['suspected', 'confirmed']),
    confirmedAt: isoTime.optional(),
    /** For a maintenance window: its planned end. */
    plannedEnd: isoTime.optional(),
    /** The sources whose trouble supports the incident. */
    sources: z.array(id),
    /** When the notice was issued. */
    noticeAt: isoTime,
    /** Discovery time (FCC 4.9(h) field 4). */
    openedAt: isoTime,
    escalatedAt: isoTime.optional(),
    resolvedAt: isoTime.optional(),
    /** The upstream component whose trouble this incident is about. */
    cause: componentRef,
    /** Upstream trouble in the same window that is not a declared dependency: never the cause. */
    concurrent: z.array(componentRef.extend({ status: z.enum(STATUSES), since: isoTime }).strict()),
    services: z.array(affectedServiceDetail),
    /** Every county (FIPS) and state with a service in the incident, sorted. */
    counties: z.array(fips),
    states: z.array(usState),
  })
  .strict();

export const incidentOpenedDetail = incidentDetailBase.extend({ phase: z.literal('initial'), status: z.literal('open') }).strict();
export const incidentUpdatedDetail = incidentDetailBase.extend({ phase: z.literal('update'), status: z.literal('open') }).strict();
export const incidentResolvedDetail = incidentDetailBase
  .extend({ phase: z.literal('final'), status: z.literal('resolved'), resolvedAt: isoTime })
  .strict();

export const serviceStateChangedDetail = z
  .object({
    serviceId: id,
    name: z.string().optional(),
    /** The PSAP the service belongs to (a PSAP belongs to itself). */
    psapId: id.optional(),
    from: serviceState,
    to: serviceState,
    at: isoTime,
    /** Components whose effect is the new state (empty when back to Normal). */
    causes: z.array(id),
    fips: fips.optional(),
    usState: usState.optional(),
  })
  .strict();

export const eventDetailSchemas = {
  'IncidentOpened.v1': incidentOpenedDetail,
  'IncidentUpdated.v1': incidentUpdatedDetail,
  'IncidentResolved.v1': incidentResolvedDetail,
  'ServiceStateChanged.v1': serviceStateChangedDetail,
} as const satisfies Record<DetailType, z.ZodType>;

export type IncidentDetail = z.output<typeof incidentDetailBase>;
export type ServiceStateChangedDetail = z.output<typeof serviceStateChangedDetail>;
export type DetailOf<T extends DetailType> = z.output<(typeof eventDetailSchemas)[T]>;

/** An event as dialtone emits it (before the bus name is added by the publisher). */
export type DialtoneEvent = {
  [T in DetailType]: { source: typeof EVENT_SOURCE; detailType: T; time: string; detail: DetailOf<T> };
}[DetailType];

/**
 * Checks an incoming event (a consumer, a replay, a test) against its contract: the detail-type
 * must be one we publish and the detail must match its schema. Problems name the field.
 */
export function parseDialtoneEvent(input: { source?: unknown; detailType?: unknown; detail: unknown }):
  | { ok: true; detailType: DetailType; detail: DetailOf<DetailType> }
  | { ok: false; problems: string[] } {
  if (input.source !== EVENT_SOURCE) return { ok: false, problems: [`source: expected "${EVENT_SOURCE}", got ${JSON.stringify(input.source)}`] };
  const detailType = input.detailType;
  if (typeof detailType !== 'string' || !(DETAIL_TYPES as readonly string[]).includes(detailType))
    return { ok: false, problems: [`detail-type: expected one of ${DETAIL_TYPES.join(', ')}, got ${JSON.stringify(detailType)}`] };
  const parsed = eventDetailSchemas[detailType as DetailType].safeParse(input.detail);
  if (!parsed.success)
    return { ok: false, problems: parsed.error.issues.map((i) => `${detailType} detail.${i.path.join('.') || '(root)'}: ${i.message}`) };
  return { ok: true, detailType: detailType as DetailType, detail: parsed.data };
}
