import { countyLabel } from '../domain/counties.js';
import { maskAddress, redact } from '../domain/mask.js';
import type { Model } from '../domain/model.js';
import type { Channel, Delivery, DeliveryStatus, Incident, Notice, NoticeReason, Phase, Transition } from '../domain/records.js';
import { durationText } from '../domain/text.js';
import type { Store } from './ports.js';

/**
 * The after-action report of one incident: what happened upstream, which 911 services it hit,
 * and who was told what, when, on which channel, with what outcome, all from the record.
 *
 * Events are the recorded history, in time order:
 * - component transitions of the cause, of the affected services' declared dependencies (and any
 *   component a service transition names as its cause) and of the concurrent components, inside
 *   the incident window, each with its evidence (the observation that confirmed it);
 * - the affected services' transitions inside the window;
 * - every notice of the incident and every delivery of those notices, addresses masked.
 *
 * The window opens at the cause's last transition at or before discovery (a change is dated from
 * the first read that showed it, so it precedes `openedAt`), or at the earliest time a listed
 * service went dark, whichever is first; it closes at `resolvedAt`, and is open-ended while the
 * incident is open. Notices and deliveries are listed whatever their time.
 *
 * Without a model (no config at hand) ids stand in for names, and dependencies are those the
 * service transitions name.
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

export type ReportEvent = ComponentEvent | ServiceEvent | NoticeEvent | DeliveryEvent;

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

const TYPE_ORDER: Record<ReportEvent['type'], number> = { component: 0, service: 1, notice: 2, delivery: 3 };
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
    case 'delivery': {
      const o = b as DeliveryEvent;
      return a.seq - o.seq || a.recipientId.localeCompare(o.recipientId) || a.channel.localeCompare(o.channel);
    }
  }
}

const minIso = (values: readonly string[]) => values.reduce((m, v) => (Date.parse(v) < Date.parse(m) ? v : m));

export async function buildReport(store: Store, model: Model | undefined, incidentId: string): Promise<AfterActionReport> {
  const incident = await store.getIncident(incidentId);
  if (!incident) throw new UnknownIncidentError(incidentId, (await store.listIncidents()).map((i) => i.id));

  const serviceIds = Object.keys(incident.services).sort();
  const [notices, deliveries, serviceHistory] = await Promise.all([
    store.listNotices(incident.id),
    store.listDeliveries(incident.id),
    Promise.all(serviceIds.map((id) => store.listTransitions('service', id))),
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

  const events = [...componentEvents, ...serviceEvents, ...noticeEvents, ...deliveryEvents].sort(compareEvents);
  const count = (s: DeliveryStatus) => deliveries.filter((d) => d.status === s).length;
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
    },
    events,
  };
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
        what: `notice ${e.seq} → ${e.recipientName ? `${e.recipientName} (${e.recipientId})` : e.recipientId}, ${e.role}, ${e.channel} ${e.address}`,
        detail: [e.status, plural(e.attempts, 'attempt'), e.messageId ? `message ${e.messageId}` : '', e.error ? `error: ${e.error}` : ''].filter(Boolean).join(', '),
      };
  }
}

export function toMarkdown(report: AfterActionReport): string {
  const inc = report.incident;
  const d = report.counts.deliveries;
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
      `${plural(report.counts.notices, 'notice')}, ${plural(d.total, 'delivery', 'deliveries')}. Addresses are masked.`,
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
