import type { EscalationPolicy } from '../config/schema.js';
import { capXml, type CapOptions } from '../domain/cap.js';
import { nextUpdateBy } from '../domain/incident.js';
import type { Model } from '../domain/model.js';
import type { Incident, Notice } from '../domain/records.js';
import type { Store } from './ports.js';

/**
 * The read side (functions/api): what an operator or a dashboard asks of the record. Pure over
 * the Store port and the model; nothing here writes. Addresses never appear: incidents and
 * notices carry none, and the after-action report (report.ts) masks deliveries.
 */

export interface ServiceStatus {
  id: string;
  name: string;
  kind: string;
  psap?: string;
  county?: string;
  state: string;
  fips: string;
  /** NENA i3 ServiceState (Normal when never recorded). */
  serviceState: string;
  since?: string;
  causes: string[];
}

export interface ComponentStatus {
  id: string;
  name: string;
  provider: string;
  sourceId: string;
  /** On the status scale; `operational` when never read (the presumption the pipeline makes too). */
  status: string;
  since?: string;
  flappingSince?: string;
}

export interface IncidentSummary {
  id: string;
  kind: 'outage' | 'maintenance';
  status: Incident['status'];
  certainty: Incident['certainty'];
  cause: string;
  openedAt: string;
  resolvedAt?: string;
  escalatedAt?: string;
  services: Record<string, { state: string; worst: string }>;
  notices: number;
  lastNoticeAt?: string;
}

export interface StatusView {
  at: string;
  services: ServiceStatus[];
  components: ComponentStatus[];
  openIncidents: IncidentSummary[];
}

export function summarize(i: Incident): IncidentSummary {
  return {
    id: i.id,
    kind: i.kind ?? 'outage',
    status: i.status,
    certainty: i.certainty,
    cause: i.causeComponentId,
    openedAt: i.openedAt,
    ...(i.resolvedAt !== undefined ? { resolvedAt: i.resolvedAt } : {}),
    ...(i.escalatedAt !== undefined ? { escalatedAt: i.escalatedAt } : {}),
    services: Object.fromEntries(Object.entries(i.services).map(([id, s]) => [id, { state: s.state, worst: s.worst }])),
    notices: i.noticeSeq,
    ...(i.lastNoticeAt !== undefined ? { lastNoticeAt: i.lastNoticeAt } : {}),
  };
}

/** GET /status: every configured 911 service and upstream component with its current state. */
export async function statusView(store: Store, model: Model, now: Date): Promise<StatusView> {
  const [services, components, open] = await Promise.all([
    store.getServiceStates([...model.services.keys()]),
    store.getComponentStates([...model.components.keys()]),
    store.listOpenIncidents(),
  ]);
  return {
    at: now.toISOString(),
    services: [...model.services.values()].map((s) => {
      const rec = services.get(s.id);
      return {
        id: s.id,
        name: s.name,
        kind: s.kind,
        ...(s.psap !== undefined ? { psap: s.psap } : {}),
        ...(s.county !== undefined ? { county: s.county } : {}),
        state: s.state,
        fips: s.fips,
        serviceState: rec?.state ?? 'Normal',
        ...(rec ? { since: rec.since } : {}),
        causes: rec?.causes ?? [],
      };
    }),
    components: [...model.components.values()].map((c) => {
      const rec = components.get(c.id);
      return {
        id: c.id,
        name: c.name,
        provider: c.provider,
        sourceId: c.sourceId,
        status: rec?.status ?? 'operational',
        ...(rec ? { since: rec.since } : {}),
        ...(rec?.flappingSince !== undefined ? { flappingSince: rec.flappingSince } : {}),
      };
    }),
    openIncidents: open.map(summarize),
  };
}

export type IncidentFilter = 'open' | 'all';

/** GET /incidents: newest first, at most `limit`. */
export async function listIncidentSummaries(store: Store, filter: IncidentFilter, limit: number): Promise<IncidentSummary[]> {
  const incidents = filter === 'open' ? await store.listOpenIncidents() : await store.listIncidents();
  return incidents
    .sort((a, b) => b.openedAt.localeCompare(a.openedAt) || b.id.localeCompare(a.id))
    .slice(0, Math.max(0, limit))
    .map(summarize);
}

export interface IncidentDetail {
  incident: Incident;
  notices: Array<Pick<Notice, 'seq' | 'phase' | 'reason' | 'createdAt'>>;
  acknowledgements: Array<{ recipientId: string; at: string; via: string }>;
  nextUpdateBy?: string;
}

/** GET /incidents/{id}: the incident, its notices (without bodies) and acknowledgements; undefined if unknown. */
export async function incidentDetail(store: Store, policy: EscalationPolicy, id: string): Promise<IncidentDetail | undefined> {
  const incident = await store.getIncident(id);
  if (!incident) return undefined;
  const [notices, acks] = await Promise.all([store.listNotices(id), store.listAcks(id)]);
  const next = incident.status === 'open' ? nextUpdateBy(incident, policy) : undefined;
  return {
    incident,
    notices: notices.sort((a, b) => a.seq - b.seq).map((n) => ({ seq: n.seq, phase: n.phase, reason: n.reason, createdAt: n.createdAt })),
    acknowledgements: acks.map((a) => ({ recipientId: a.recipientId, at: a.at, via: a.via })),
    ...(next !== undefined ? { nextUpdateBy: next } : {}),
  };
}

export type CapResult = { ok: true; xml: string; seq: number } | { ok: false; status: 404; error: string };

/**
 * GET /incidents/{id}/cap[?seq=N]: a notice of the incident as a CAP 1.2 alert (the latest
 * notice unless `seq` names one). Earlier notices become the alert's `references`.
 */
export async function incidentCap(store: Store, model: Model, id: string, seq: number | undefined, options: CapOptions): Promise<CapResult> {
  const incident = await store.getIncident(id);
  if (!incident) return { ok: false, status: 404, error: `unknown incident "${id}"` };
  const notices = (await store.listNotices(id)).sort((a, b) => a.seq - b.seq);
  const notice = seq === undefined ? notices[notices.length - 1] : notices.find((n) => n.seq === seq);
  if (!notice) return { ok: false, status: 404, error: seq === undefined ? `incident "${id}" has no notice yet` : `incident "${id}" has no notice #${seq}` };
  const expires = notice.phase === 'final' ? undefined : nextUpdateBy(notice.incident, model.config.escalation);
  const xml = capXml(
    {
      notice,
      previous: notices.filter((n) => n.seq < notice.seq),
      services: model.services,
      components: model.components,
      notifier: model.config.notifier,
      ...(expires !== undefined ? { expires } : {}),
    },
    options,
  );
  return { ok: true, xml, seq: notice.seq };
}
