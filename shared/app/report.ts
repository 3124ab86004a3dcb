import { opsItemIds } from '../domain/bundle.js';
import { countyLabel } from '../domain/counties.js';
import { maskAddress, redact } from '../domain/mask.js';
import type { Model } from '../domain/model.js';
import type { Acknowledgement, Channel, Delivery, DeliveryStatus, Incident, Notice, NoticeReason, Phase, ProviderStatus, Publication, RollCall, Transition } from '../domain/records.js';
import { escalationUnreachable } from '../domain/routing.js';
import { durationText } from '../domain/text.js';
import type { Store } from './ports.js';
import { rosterModel } from './roster-read.js';

/**
 * The after-action report of one incident: what happened upstream, which 911 services it hit,
 * and who was told what, when, on which channel, with what outcome, all from the record.
 *
 * Events are the recorded history, in time order:
 * - component transitions of the cause, of the affected services' declared dependencies (and any
 *   component a service transition names as its cause) and of the concurrent components, inside
 *   the incident window, each with its evidence (the observation that confirmed it);
 * - the affected services' transitions inside the window;
 * - every notice of the incident and every delivery of those notices, addresses masked;
 * - every acknowledgement (who, when, how), and the roll call (`dialtone roster verify`) of every
 *   recipient the incident reached or that acknowledged it, whenever it was sent;
 * - every carrier receipt (SNS delivery status) with what followed a failed SMS (the recipient's
 *   email, or ops), every opt-out (a number on the opted-out list, or a carrier saying so), every
 *   dead letter (a delivery or publication failed for good) and an escalation no FCC liaison
 *   received, each with the ops recipients that were told (their ops alert was sent).
 *
 * The window opens at the cause's last transition at or before discovery (a change is dated from
 * the first read that showed it, so it precedes `openedAt`), or at the earliest time a listed
 * service went dark, whichever is first; it closes at `resolvedAt`, and is open-ended while the
 * incident is open. Notices and deliveries are listed whatever their time.
 *
 * Recipients are the merged roster (config + DynamoDB). Without a model (no config at hand) ids
 * stand in for names, and dependencies are those the service transitions name.
 */

export interface ReportEvidence {
  sourceId?: string;
  /** What the confirming read said, on the status scale. */
  observedStatus?: string;
  observedAt?: string;
  title?: string;
  url?: string;
  payloadHash?: string;
  error?: string;
  flapping?: string;
}

export type ComponentRole = 'cause' | 'dependency' | 'concurrent';

export interface ComponentEvent {
  type: 'component';
  at: string;
  componentId: string;
  name: string;
  provider?: string;
  role: ComponentRole;
  from: string;
  to: string;
  evidence: ReportEvidence;
}

export interface ServiceEvent {
  type: 'service';
  at: string;
  serviceId: string;
  name: string;
  county?: string;
  state?: string;
  from: string;
  to: string;
  /** The components whose effect put the service in its new state. */
  causes: string[];
}

export interface NoticeEvent {
  type: 'notice';
  at: string;
  seq: number;
  phase: Phase;
  reason: NoticeReason;
}

export interface DeliveryEvent {
  type: 'delivery';
  /** When it was sent; for one not sent, its last error, else when it was first claimed. */
  at: string;
  seq: number;
  phase: Phase;
  recipientId: string;
  recipientName?: string;
  role: string;
  channel: Channel;
  /** Masked (shared/domain/mask.ts): enough to tell recipients apart, not to contact them. */
  address: string;
  status: DeliveryStatus;
  attempts: number;
  sentAt?: string;
  messageId?: string;
  error?: string;
}

export interface AckEvent {
  type: 'ack';
  at: string;
  recipientId: string;
  recipientName?: string;
  role?: string;
  via: Acknowledgement['via'];
}

export interface RollCallEvent {
  type: 'roll-call';
  /** When it was confirmed; unanswered: when it was sent. */
  at: string;
  recipientId: string;
  recipientName?: string;
  rollCallId: string;
  status: 'confirmed' | 'unanswered';
  sentAt: string;
  confirmedAt?: string;
  via?: RollCall['via'];
  channels: Channel[];
  /** An earlier roll call's confirmation (only the latest is kept). */
  lastConfirmedAt?: string;
}

export interface ReceiptEvent {
  type: 'receipt';
  /** When the carrier reported it. */
  at: string;
  seq: number;
  recipientId: string;
  recipientName?: string;
  channel: Channel;
  messageId?: string;
  status: ProviderStatus['status'];
  /** The carrier's words. */
  reason?: string;
  fallback?: ProviderStatus['fallback'];
  /** Ops recipients told that the recipient was not reached. */
  opsAlerted?: string[];
}

export interface OptOutEvent {
  type: 'opt-out';
  at: string;
  seq: number;
  recipientId: string;
  recipientName?: string;
  /** The masked SMS number. */
  address: string;
  /** `list`: on the account's opted-out list, not sent; `carrier`: the carrier's receipt said so. */
  by: 'list' | 'carrier';
  /** The recipient's email of the same notice went out. */
  reachedByEmail: boolean;
  opsAlerted: string[];
}

export interface DeadLetterEvent {
  type: 'dead-letter';
  at: string;
  seq: number;
  /** "sms to ramsey-floor", or "topic publication". */
  what: string;
  recipientId?: string;
  channel?: Channel;
  target?: Publication['target'];
  attempts: number;
  error?: string;
  opsAlerted: string[];
}

export interface EscalationUndeliverableEvent {
  type: 'escalation-undeliverable';
  at: string;
  seq: number;
  why: string;
  opsAlerted: string[];
}

export type ReportEvent =
  | ComponentEvent
  | ServiceEvent
  | NoticeEvent
  | DeliveryEvent
  | AckEvent
  | RollCallEvent
  | ReceiptEvent
  | OptOutEvent
  | DeadLetterEvent
  | EscalationUndeliverableEvent;

export interface ReportService {
  serviceId: string;
  name: string;
  kind?: string;
  psap?: string;
  fips?: string;
  /** "Hennepin County, MN": the Census name for the FIPS, else the config's county name. */
  county?: string;
  state?: string;
  /** Worst state seen in the incident, and the state it was last in. */
  worst: string;
  lastState: string;
  since: string;
  darkSince?: string;
}

export interface AfterActionReport {
  incident: {
    id: string;
    status: Incident['status'];
    certainty?: string;
    openedAt: string;
    confirmedAt?: string;
    escalatedAt?: string;
    /** Who the escalation reached (FCC liaisons it was sent to); empty means it reached nobody. */
    escalation?: { at: string; reached: string[]; pending: boolean };
    resolvedAt?: string;
    /** Discovery to resolution, in whole minutes; absent while open. */
    durationMinutes?: number;
    duration?: string;
    cause: { componentId: string; name: string; provider?: string; sourceId?: string };
    concurrent: Array<{ componentId: string; name: string; provider?: string; status: string; since: string }>;
    services: ReportService[];
  };
  window: { from: string; to?: string };
  counts: {
    componentTransitions: number;
    serviceTransitions: number;
    notices: number;
    deliveries: Record<DeliveryStatus, number> & { total: number };
    acks: number;
    rollCalls: { confirmed: number; unanswered: number };
    receipts: Record<ProviderStatus['status'], number>;
    optOuts: number;
    deadLetters: number;
    escalationsUndeliverable: number;
  };
  events: ReportEvent[];
}

/** The incident id is not in the store. */
export class UnknownIncidentError extends Error {
  readonly code = 'REPORT.UNKNOWN_INCIDENT';
  constructor(
    readonly incidentId: string,
    readonly known: readonly string[],
  ) {
    const latest = known.slice(-5).reverse();
    super(
      `unknown incident "${incidentId}": ` +
        (known.length === 0 ? 'the store holds no incidents' : `the store holds ${known.length} incident(s); latest: ${latest.join(', ')}${known.length > latest.length ? ', ...' : ''}`),
    );
    this.name = 'UnknownIncidentError';
  }
}

const TYPE_ORDER: Record<ReportEvent['type'], number> = {
  'roll-call': 0,
  component: 1,
  service: 2,
  notice: 3,
  'escalation-undeliverable': 4,
  delivery: 5,
  'opt-out': 6,
  'dead-letter': 7,
  receipt: 8,
  ack: 9,
};
const ROLE_ORDER: Record<ComponentRole, number> = { cause: 0, dependency: 1, concurrent: 2 };

function compareEvents(a: ReportEvent, b: ReportEvent): number {
  const byTime = Date.parse(a.at) - Date.parse(b.at);
  if (byTime !== 0) return byTime;
  if (a.type !== b.type) return TYPE_ORDER[a.type] - TYPE_ORDER[b.type];
  switch (a.type) {
    case 'component': {
      const o = b as ComponentEvent;
      return ROLE_ORDER[a.role] - ROLE_ORDER[o.role] || a.componentId.localeCompare(o.componentId);
    }
    case 'service':
      return a.serviceId.localeCompare((b as ServiceEvent).serviceId);
    case 'notice':
      return a.seq - (b as NoticeEvent).seq;
    case 'delivery':
    case 'receipt': {
      const o = b as DeliveryEvent | ReceiptEvent;
      return a.seq - o.seq || a.recipientId.localeCompare(o.recipientId) || a.channel.localeCompare(o.channel);
    }
    case 'opt-out':
      return a.seq - (b as OptOutEvent).seq || a.recipientId.localeCompare((b as OptOutEvent).recipientId);
    case 'dead-letter':
      return a.seq - (b as DeadLetterEvent).seq || a.what.localeCompare((b as DeadLetterEvent).what);
    case 'escalation-undeliverable':
      return a.seq - (b as EscalationUndeliverableEvent).seq;
    case 'ack':
    case 'roll-call':
      return a.recipientId.localeCompare((b as AckEvent | RollCallEvent).recipientId);
  }
}

const minIso = (values: readonly string[]) => values.reduce((m, v) => (Date.parse(v) < Date.parse(m) ? v : m));

export async function buildReport(store: Store, config: Model | undefined, incidentId: string): Promise<AfterActionReport> {
  const incident = await store.getIncident(incidentId);
  if (!incident) throw new UnknownIncidentError(incidentId, (await store.listIncidents()).map((i) => i.id));

  const serviceIds = Object.keys(incident.services).sort();
  const [notices, deliveries, serviceHistory, acks, publications, rollCalls, model] = await Promise.all([
    store.listNotices(incident.id),
    store.listDeliveries(incident.id),
    Promise.all(serviceIds.map((id) => store.listTransitions('service', id))),
    store.listAcks(incident.id),
    store.listPublications(incident.id),
    store.listRollCalls(),
    config ? rosterModel(config, store) : Promise.resolve(undefined),
  ]);

  // Which components matter, and as what (the strongest role wins).
  const roles = new Map<string, ComponentRole>();
  const claim = (id: string, role: ComponentRole) => {
    const held = roles.get(id);
    if (held === undefined || ROLE_ORDER[role] < ROLE_ORDER[held]) roles.set(id, role);
  };
  claim(incident.causeComponentId, 'cause');
  for (const id of serviceIds) for (const d of model?.services.get(id)?.dependsOn ?? []) claim(d.component, 'dependency');
  for (const t of serviceHistory.flat()) for (const c of t.evidence.causes ?? []) claim(c, 'dependency');
  for (const c of incident.concurrent) claim(c.componentId, 'concurrent');
  const componentIds = [...roles.keys()].sort();
  const componentHistory = await Promise.all(componentIds.map((id) => store.listTransitions('component', id)));

  const causeHistory = componentHistory[componentIds.indexOf(incident.causeComponentId)] ?? [];
  const causeStart = causeHistory.filter((t) => Date.parse(t.at) <= Date.parse(incident.openedAt)).at(-1)?.at;
  const darkSince = Object.values(incident.services).flatMap((s) => (s.darkSince ? [s.darkSince] : []));
  const window = { from: minIso([incident.openedAt, ...(causeStart ? [causeStart] : []), ...darkSince]), ...(incident.resolvedAt ? { to: incident.resolvedAt } : {}) };
  const inWindow = (t: Transition) => Date.parse(t.at) >= Date.parse(window.from) && (window.to === undefined || Date.parse(t.at) <= Date.parse(window.to));

  const componentName = (id: string) => model?.components.get(id)?.name ?? id;
  const provider = (id: string) => model?.components.get(id)?.provider;
  const serviceInfo = (id: string): Omit<ReportService, 'serviceId' | 'worst' | 'lastState' | 'since' | 'darkSince'> => {
    const svc = model?.services.get(id);
    if (!svc) return { name: id };
    const county = countyLabel(svc.fips) ?? (svc.county ? `${svc.county}, ${svc.state}` : undefined);
    return { name: svc.name, kind: svc.kind, ...(svc.psap ? { psap: svc.psap } : {}), fips: svc.fips, ...(county ? { county } : {}), state: svc.state };
  };

  const componentEvents: ComponentEvent[] = componentHistory.flatMap((history, i) => {
    const componentId = componentIds[i]!;
    return history.filter(inWindow).map((t) => {
      const o = t.evidence.observation;
      const evidence: ReportEvidence = defined({
        sourceId: o?.sourceId ?? model?.components.get(componentId)?.sourceId,
        observedStatus: o?.status,
        observedAt: o?.observedAt,
        title: o?.title,
        url: o?.url,
        payloadHash: o?.payloadHash,
        error: o?.error,
        flapping: t.evidence.flapping,
      });
      return defined({ type: 'component' as const, at: t.at, componentId, name: componentName(componentId), provider: provider(componentId), role: roles.get(componentId)!, from: t.from, to: t.to, evidence });
    });
  });

  const serviceEvents: ServiceEvent[] = serviceHistory.flatMap((history, i) => {
    const serviceId = serviceIds[i]!;
    const info = serviceInfo(serviceId);
    return history.filter(inWindow).map((t) =>
      defined({ type: 'service' as const, at: t.at, serviceId, name: info.name, county: info.county, state: info.state, from: t.from, to: t.to, causes: t.evidence.causes ?? [] }),
    );
  });

  const noticeEvents: NoticeEvent[] = notices.map((n) => ({ type: 'notice', at: n.createdAt, seq: n.seq, phase: n.phase, reason: n.reason }));

  const recipientName = (id: string) => model?.recipients.find((r) => r.id === id)?.name;
  const deliveryEvents: DeliveryEvent[] = deliveries.map((d: Delivery) =>
    defined({
      type: 'delivery' as const,
      at: d.sentAt ?? d.lastErrorAt ?? d.createdAt,
      seq: d.seq,
      phase: d.phase,
      recipientId: d.recipientId,
      recipientName: recipientName(d.recipientId),
      role: d.role,
      channel: d.channel,
      address: maskAddress(d.channel, d.address),
      status: d.status,
      attempts: d.attempts,
      sentAt: d.sentAt,
      messageId: d.messageId,
      // Written redacted (deliver.ts); redacted again so a report never carries an address.
      error: d.error === undefined ? undefined : redact(d.error),
    }),
  );

  const evidence = await deliveryEvidence(store, model, incident, notices, deliveries, acks, publications, rollCalls);
  const events = [...componentEvents, ...serviceEvents, ...noticeEvents, ...deliveryEvents, ...evidence].sort(compareEvents);
  const count = (s: DeliveryStatus) => deliveries.filter((d) => d.status === s).length;
  const kind = <K extends ReportEvent['type']>(type: K) => evidence.filter((e): e is Extract<ReportEvent, { type: K }> => e.type === type);
  const cause = incident.causeComponentId;
  return {
    incident: defined({
      id: incident.id,
      status: incident.status,
      certainty: incident.certainty,
      openedAt: incident.openedAt,
      confirmedAt: incident.confirmedAt,
      escalatedAt: incident.escalatedAt,
      escalation: escalationOf(notices, deliveries),
      resolvedAt: incident.resolvedAt,
      durationMinutes: incident.resolvedAt ? Math.round((Date.parse(incident.resolvedAt) - Date.parse(incident.openedAt)) / 60_000) : undefined,
      duration: incident.resolvedAt ? durationText(incident.openedAt, incident.resolvedAt) : undefined,
      cause: defined({ componentId: cause, name: componentName(cause), provider: provider(cause), sourceId: model?.components.get(cause)?.sourceId }),
      concurrent: incident.concurrent.map((c) => defined({ componentId: c.componentId, name: componentName(c.componentId), provider: provider(c.componentId), status: c.status, since: c.since })),
      services: serviceIds.map((id) => {
        const s = incident.services[id]!;
        return defined({ serviceId: id, ...serviceInfo(id), worst: s.worst, lastState: s.state, since: s.since, darkSince: s.darkSince });
      }),
    }),
    window,
    counts: {
      componentTransitions: componentEvents.length,
      serviceTransitions: serviceEvents.length,
      notices: notices.length,
      deliveries: { total: deliveries.length, sent: count('sent'), pending: count('pending'), failed: count('failed'), 'opted-out': count('opted-out') },
      acks: kind('ack').length,
      rollCalls: { confirmed: kind('roll-call').filter((e) => e.status === 'confirmed').length, unanswered: kind('roll-call').filter((e) => e.status === 'unanswered').length },
      receipts: { delivered: kind('receipt').filter((e) => e.status === 'delivered').length, failed: kind('receipt').filter((e) => e.status === 'failed').length },
      optOuts: kind('opt-out').length,
      deadLetters: kind('dead-letter').length,
      escalationsUndeliverable: kind('escalation-undeliverable').length,
    },
    events,
  };
}

/**
 * What the record holds about reaching people beyond the deliveries themselves: acknowledgements,
 * roll calls, carrier receipts, opt-outs, dead letters and an escalation nobody received, each
 * with the ops recipients its ops alert was sent to.
 */
async function deliveryEvidence(
  store: Store,
  model: Model | undefined,
  incident: Incident,
  notices: readonly Notice[],
  deliveries: readonly Delivery[],
  acks: readonly Acknowledgement[],
  publications: readonly Publication[],
  rollCalls: readonly RollCall[],
): Promise<ReportEvent[]> {
  const recipient = (id: string) => model?.recipients.find((r) => r.id === id);
  const recipientName = (id: string) => recipient(id)?.name;
  const told = new Map<string, Promise<string[]>>();
  /** The ops recipients an ops alert (by its delivery key) was sent to. */
  const opsAlerted = (opsId: string) => {
    if (!told.has(opsId)) told.set(opsId, store.listDeliveries(opsId).then((ds) => [...new Set(ds.filter((d) => d.status === 'sent').map((d) => d.recipientId))].sort()));
    return told.get(opsId)!;
  };
  const events: ReportEvent[] = [];

  for (const a of acks) events.push(defined({ type: 'ack' as const, at: a.at, recipientId: a.recipientId, recipientName: recipientName(a.recipientId), role: recipient(a.recipientId)?.role ?? deliveries.find((d) => d.recipientId === a.recipientId)?.role, via: a.via }));

  const people = new Set([...deliveries.map((d) => d.recipientId), ...acks.map((a) => a.recipientId)]);
  for (const rc of rollCalls.filter((r) => people.has(r.recipientId)))
    events.push(
      defined({
        type: 'roll-call' as const,
        at: rc.confirmedAt ?? rc.sentAt,
        recipientId: rc.recipientId,
        recipientName: recipientName(rc.recipientId),
        rollCallId: rc.id,
        status: rc.confirmedAt ? ('confirmed' as const) : ('unanswered' as const),
        sentAt: rc.sentAt,
        confirmedAt: rc.confirmedAt,
        via: rc.via,
        channels: rc.channels,
        lastConfirmedAt: rc.lastConfirmedAt,
      }),
    );

  const emailSent = (d: Delivery) => deliveries.some((x) => x.seq === d.seq && x.recipientId === d.recipientId && x.channel === 'email' && x.status === 'sent');
  for (const d of deliveries) {
    if (d.provider) {
      const p = d.provider;
      events.push(
        defined({
          type: 'receipt' as const,
          at: p.at,
          seq: d.seq,
          recipientId: d.recipientId,
          recipientName: recipientName(d.recipientId),
          channel: d.channel,
          messageId: d.messageId,
          status: p.status,
          reason: p.reason === undefined ? undefined : redact(p.reason),
          fallback: p.fallback,
          opsAlerted: p.fallback === 'ops' ? await opsAlerted(opsItemIds.unreached(d.incidentId, d.seq, d.recipientId)) : undefined,
        }),
      );
      if (p.optedOut) events.push(await optOutEvent(d, 'carrier', p.at));
    }
    if (d.status === 'opted-out') events.push(await optOutEvent(d, 'list', d.lastErrorAt ?? d.createdAt));
    if (d.status === 'failed')
      events.push(
        defined({
          type: 'dead-letter' as const,
          at: d.lastErrorAt ?? d.createdAt,
          seq: d.seq,
          what: `${d.channel} to ${d.recipientId}`,
          recipientId: d.recipientId,
          channel: d.channel,
          attempts: d.attempts,
          error: d.error === undefined ? undefined : redact(d.error),
          opsAlerted: await opsAlerted(opsItemIds.deadLetter(d)),
        }),
      );
  }
  async function optOutEvent(d: Delivery, by: OptOutEvent['by'], at: string): Promise<OptOutEvent> {
    return defined({
      type: 'opt-out' as const,
      at,
      seq: d.seq,
      recipientId: d.recipientId,
      recipientName: recipientName(d.recipientId),
      address: maskAddress(d.channel, d.address),
      by,
      reachedByEmail: emailSent(d),
      opsAlerted: await opsAlerted(opsItemIds.optOut(d.recipientId, new Date(at))),
    });
  }

  for (const p of publications.filter((x) => x.status === 'failed'))
    events.push(
      defined({
        type: 'dead-letter' as const,
        at: p.lastErrorAt ?? p.createdAt,
        seq: p.seq,
        what: `${p.target} publication`,
        target: p.target,
        attempts: p.attempts,
        error: p.error === undefined ? undefined : redact(p.error),
        opsAlerted: await opsAlerted(opsItemIds.deadLetter({ incidentId: p.incidentId, seq: p.seq, target: p.target })),
      }),
    );

  for (const n of notices.filter((x) => x.reason === 'escalated')) {
    const toLiaisons = deliveries.filter((d) => d.seq === n.seq && d.role === 'fcc-liaison');
    if (toLiaisons.some((d) => d.status === 'sent' || d.status === 'pending')) continue;
    const why =
      toLiaisons.length > 0
        ? 'every delivery to the FCC liaison failed'
        : ((model ? escalationUnreachable([], model) : undefined) ?? 'it was routed to no FCC liaison');
    events.push({ type: 'escalation-undeliverable', at: n.createdAt, seq: n.seq, why, opsAlerted: await opsAlerted(opsItemIds.escalation(incident.id, n.seq)) });
  }
  return events;
}

/** Whom the escalation notice reached: an escalation routed to nobody is reported as such, never as done. */
function escalationOf(notices: readonly Notice[], deliveries: readonly Delivery[]): AfterActionReport['incident']['escalation'] {
  const notice = notices.find((n) => n.reason === 'escalated');
  if (!notice) return undefined;
  const toLiaisons = deliveries.filter((d) => d.seq === notice.seq && d.role === 'fcc-liaison');
  const reached = [...new Set(toLiaisons.filter((d) => d.status === 'sent').map((d) => d.recipientId))].sort();
  return { at: notice.createdAt, reached, pending: toLiaisons.some((d) => d.status === 'pending') };
}

function escalationWords(e: AfterActionReport['incident']['escalation']): string {
  if (!e) return 'no escalation notice on record';
  if (e.reached.length > 0) return `sent to ${e.reached.join(', ')}`;
  return e.pending ? 'delivery to the FCC liaison still pending' : 'UNDELIVERABLE: no FCC liaison received it';
}

/** Drops undefined fields, so JSON and equality checks see only what is known. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

// ── formats ──────────────────────────────────────────────────────────────────────────────────

export function toJson(report: AfterActionReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** "2026-09-29 00:21:00" (UTC; the headings say so). */
const utc = (iso: string | undefined) => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : '');

/** A markdown table cell: no pipes, line breaks or raw HTML from upstream text. */
const cell = (text: string) => text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n|\r/g, ' ').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const row = (cells: readonly string[]) => `| ${cells.map(cell).join(' | ')} |`;
const table = (head: readonly string[], rows: ReadonlyArray<readonly string[]>) => [row(head), `|${head.map(() => '---').join('|')}|`, ...rows.map(row)];
const plural = (n: number, word: string, many = `${word}s`) => `${n} ${n === 1 ? word : many}`;
const named = (name: string, id: string) => (name === id ? id : `${name} (${id})`);

function describeEvent(e: ReportEvent): { what: string; detail: string } {
  switch (e.type) {
    case 'component': {
      const ev = e.evidence;
      const detail = [
        ev.sourceId ? `source ${ev.sourceId}` : '',
        ev.observedStatus ? `read ${ev.observedStatus}${ev.title ? ` "${ev.title}"` : ''}` : '',
        ev.error ? `error: ${ev.error}` : '',
        ev.flapping ? `flapping ${ev.flapping}` : '',
        ev.payloadHash ? `payload ${ev.payloadHash}` : '',
      ];
      const role = e.role === 'concurrent' ? 'concurrent, not the cause' : e.role;
      return { what: `${e.provider ? `${e.provider}: ` : ''}${named(e.name, e.componentId)} [${role}]: ${e.from} → ${e.to}`, detail: detail.filter(Boolean).join('; ') };
    }
    case 'service':
      return { what: `${named(e.name, e.serviceId)}${e.county ? `, ${e.county}` : ''}: ${e.from} → ${e.to}`, detail: e.causes.length ? `via ${e.causes.join(', ')}` : '' };
    case 'notice':
      return { what: `notice ${e.seq}: ${e.phase} (${e.reason})`, detail: '' };
    case 'delivery':
      return {
        what: `notice ${e.seq} → ${who(e)}, ${e.role}, ${e.channel} ${e.address}`,
        detail: [e.status, plural(e.attempts, 'attempt'), e.messageId ? `message ${e.messageId}` : '', e.error ? `error: ${e.error}` : ''].filter(Boolean).join(', '),
      };
    case 'ack':
      return { what: `acknowledged by ${who(e)}${e.role ? `, ${e.role}` : ''}`, detail: `via ${ACK_VIA[e.via]}` };
    case 'roll-call':
      return {
        what: `roll call ${e.rollCallId} to ${who(e)} (${e.channels.join(', ') || 'no channel'})`,
        detail:
          e.status === 'confirmed'
            ? `confirmed via ${ACK_VIA[e.via ?? 'reply']}; sent ${utc(e.sentAt)} UTC`
            : `sent ${utc(e.sentAt)} UTC, NOT CONFIRMED${e.lastConfirmedAt ? ` (an earlier one confirmed ${utc(e.lastConfirmedAt)} UTC)` : ''}`,
      };
    case 'receipt':
      return {
        what: `carrier receipt: notice ${e.seq} → ${who(e)}, ${e.channel}`,
        detail: [
          e.status,
          e.reason ? `"${e.reason}"` : '',
          e.messageId ? `message ${e.messageId}` : '',
          e.fallback === 'email' ? 'reached by email instead' : e.fallback === 'ops' ? `NOT REACHED, ops alerted${opsWords(e.opsAlerted ?? [])}` : '',
        ]
          .filter(Boolean)
          .join(', '),
      };
    case 'opt-out':
      return {
        what: `opted out: ${who(e)}, sms ${e.address}`,
        detail: [
          e.by === 'list' ? 'on the opted-out list, not sent' : 'the carrier says the number opted out',
          e.reachedByEmail ? 'reached by email' : 'NOT REACHED by another channel',
          `ops alerted${opsWords(e.opsAlerted)}`,
        ].join(', '),
      };
    case 'dead-letter':
      return { what: `DEAD LETTER: notice ${e.seq} ${e.what}`, detail: [plural(e.attempts, 'attempt'), e.error ? `error: ${e.error}` : '', `ops alerted${opsWords(e.opsAlerted)}`].filter(Boolean).join(', ') };
    case 'escalation-undeliverable':
      return { what: `ESCALATION UNDELIVERABLE: notice ${e.seq}`, detail: `${e.why}; ops alerted${opsWords(e.opsAlerted)}` };
  }
}

const ACK_VIA: Record<Acknowledgement['via'], string> = { reply: 'SMS reply', link: 'email link', cli: 'operator (dialtone ack)' };
const who = (e: { recipientId: string; recipientName?: string }) => (e.recipientName ? `${e.recipientName} (${e.recipientId})` : e.recipientId);
const opsWords = (ids: readonly string[]) => (ids.length ? ` (${ids.join(', ')})` : ' (no ops alert sent yet)');

export function toMarkdown(report: AfterActionReport): string {
  const inc = report.incident;
  const c = report.counts;
  const d = c.deliveries;
  const acks = report.events.filter((e): e is AckEvent => e.type === 'ack');
  const summary: Array<[string, string]> = [
    ['Status', `${inc.status}${inc.certainty ? ` (${inc.certainty})` : ''}`],
    ['Opened (discovered)', `${utc(inc.openedAt)} UTC`],
    ...(inc.confirmedAt ? [['Confirmed', `${utc(inc.confirmedAt)} UTC`] as [string, string]] : []),
    ['Escalated', inc.escalatedAt ? `${utc(inc.escalatedAt)} UTC, ${escalationWords(inc.escalation)}` : 'no'],
    ['Resolved', inc.resolvedAt ? `${utc(inc.resolvedAt)} UTC` : 'still open'],
    ['Duration', inc.duration ?? 'still open'],
    ['Cause', `${inc.cause.provider ? `${inc.cause.provider}: ` : ''}${named(inc.cause.name, inc.cause.componentId)}`],
    [
      'Concurrent, not the cause',
      inc.concurrent.length ? inc.concurrent.map((c) => `${c.provider ? `${c.provider}: ` : ''}${named(c.name, c.componentId)}, ${c.status} since ${utc(c.since)} UTC`).join('; ') : 'none',
    ],
    ['Notices', String(report.counts.notices)],
    ['Deliveries', `${d.total} (${d.sent} sent, ${d.pending} pending, ${d.failed} failed)`],
    ['Acknowledged', acks.length ? acks.map((a) => `${who(a)} ${utc(a.at)} UTC via ${ACK_VIA[a.via]}`).join('; ') : 'nobody'],
    ['Carrier receipts', `${c.receipts.delivered} delivered, ${c.receipts.failed} failed`],
    [
      'Delivery problems',
      `${plural(c.optOuts, 'opt-out')}, ${plural(c.deadLetters, 'dead letter')}, ${plural(c.escalationsUndeliverable, 'undeliverable escalation')}`,
    ],
    ['Roll calls of its recipients', `${c.rollCalls.confirmed} confirmed, ${c.rollCalls.unanswered} unanswered`],
  ];
  const lines = [
    `# After-action report: ${inc.id}`,
    '',
    ...table(['Incident', inc.id], summary),
    '',
    '## Affected 911 services',
    '',
    ...table(
      ['Service', 'Kind', 'County', 'State', 'Worst', 'Last state', 'Dark since (UTC)'],
      inc.services.map((s) => [named(s.name, s.serviceId), s.kind ?? '', s.county ?? (s.fips ? `FIPS ${s.fips}` : ''), s.state ?? '', s.worst, s.lastState, utc(s.darkSince)]),
    ),
    '',
    '## Timeline',
    '',
    `Window: ${utc(report.window.from)} UTC to ${report.window.to ? `${utc(report.window.to)} UTC` : 'now (still open)'}. ` +
      `${plural(report.counts.componentTransitions, 'component transition')}, ${plural(report.counts.serviceTransitions, 'service transition')}, ` +
      `${plural(report.counts.notices, 'notice')}, ${plural(d.total, 'delivery', 'deliveries')}, ${plural(c.acks, 'acknowledgement')}, ${plural(c.receipts.delivered + c.receipts.failed, 'carrier receipt')}. Addresses are masked.`,
    '',
    ...table(
      ['Time (UTC)', 'Event', 'What', 'Evidence / outcome'],
      report.events.map((e) => {
        const { what, detail } = describeEvent(e);
        return [utc(e.at), e.type, what, detail];
      }),
    ),
  ];
  return `${lines.join('\n')}\n`;
}

/** One row per event; the columns a type does not use are empty. */
export const CSV_COLUMNS = [
  'at',
  'event',
  'id',
  'name',
  'role',
  'from',
  'to',
  'causes',
  'source',
  'observed_status',
  'observed_title',
  'payload_hash',
  'seq',
  'phase',
  'reason',
  'channel',
  'address',
  'status',
  'attempts',
  'sent_at',
  'message_id',
  'error',
  'via',
  'fallback',
  'ops_alerted',
  'ref',
  'detail',
] as const;
type CsvRow = Partial<Record<(typeof CSV_COLUMNS)[number], string | number>>;

function csvRow(e: ReportEvent): CsvRow {
  switch (e.type) {
    case 'component':
      return {
        id: e.componentId,
        name: e.name,
        role: e.role,
        from: e.from,
        to: e.to,
        source: e.evidence.sourceId,
        observed_status: e.evidence.observedStatus,
        observed_title: e.evidence.title,
        payload_hash: e.evidence.payloadHash,
        error: e.evidence.error,
      };
    case 'service':
      return { id: e.serviceId, name: e.name, from: e.from, to: e.to, causes: e.causes.join(' ') };
    case 'notice':
      return { seq: e.seq, phase: e.phase, reason: e.reason };
    case 'delivery':
      return {
        id: e.recipientId,
        name: e.recipientName,
        role: e.role,
        seq: e.seq,
        phase: e.phase,
        channel: e.channel,
        address: e.address,
        status: e.status,
        attempts: e.attempts,
        sent_at: e.sentAt,
        message_id: e.messageId,
        error: e.error,
      };
    case 'ack':
      return { id: e.recipientId, name: e.recipientName, role: e.role, via: e.via };
    case 'roll-call':
      return { id: e.recipientId, name: e.recipientName, status: e.status, sent_at: e.sentAt, via: e.via, ref: e.rollCallId, channel: e.channels.join(' '), detail: e.lastConfirmedAt ? `earlier confirmed ${e.lastConfirmedAt}` : undefined };
    case 'receipt':
      return { id: e.recipientId, name: e.recipientName, seq: e.seq, channel: e.channel, status: e.status, message_id: e.messageId, detail: e.reason, fallback: e.fallback, ops_alerted: e.opsAlerted?.join(' ') };
    case 'opt-out':
      return { id: e.recipientId, name: e.recipientName, seq: e.seq, channel: 'sms', address: e.address, via: e.by, fallback: e.reachedByEmail ? 'email' : undefined, ops_alerted: e.opsAlerted.join(' ') };
    case 'dead-letter':
      return { id: e.recipientId ?? e.target, seq: e.seq, channel: e.channel, attempts: e.attempts, error: e.error, ref: e.what, ops_alerted: e.opsAlerted.join(' ') };
    case 'escalation-undeliverable':
      return { seq: e.seq, detail: e.why, ops_alerted: e.opsAlerted.join(' ') };
  }
}

/** RFC 4180: a field with a comma, quote, CR or LF is quoted, quotes doubled. */
export function csvField(value: string | number | undefined): string {
  const s = value === undefined ? '' : String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * RFC 4180 CSV: a header, then one row per event; CRLF between records. Values are the record's
 * own (no spreadsheet-formula escaping: a masked phone starts with "+"), so import as text.
 */
export function toCsv(report: AfterActionReport): string {
  const rows = report.events.map((e) => {
    const r: CsvRow = { ...csvRow(e), at: e.at, event: e.type };
    return CSV_COLUMNS.map((c) => csvField(r[c])).join(',');
  });
  return `${[CSV_COLUMNS.join(','), ...rows].join('\r\n')}\r\n`;
}
