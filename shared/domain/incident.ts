import type { EscalationPolicy } from '../config/schema.js';
import { isDark, isImpaired, stateSeverity, type ServiceState } from './nena.js';
import type { Model } from './model.js';
import type { AffectedService, Certainty, ConcurrentComponent, Incident, Notice, NoticeReason, Phase } from './records.js';
import { MINUTE } from './clock.js';
import { isPath } from './service.js';

/** A service's current state as the incident sees it: is it impaired by this incident's cause? */
export interface ServiceView {
  serviceId: string;
  state: ServiceState;
  since: string;
  causes: readonly string[];
}

/** FNV-1a: a small pure hash, enough to make ids stable and short without any I/O. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** Stable id: the same cause discovered at the same time always gets the same id (retries, regions). */
export function incidentId(causeComponentId: string, openedAt: string): string {
  const day = openedAt.slice(0, 10).replaceAll('-', '');
  return `INC-${day}-${fnv1a(`${causeComponentId}|${openedAt}`).slice(0, 6)}`;
}

/** A short code a recipient can reply with to acknowledge (app/ack.ts matches replies by it). */
export function ackCode(id: string): string {
  return id.slice(-4).toUpperCase();
}

function affectedByCause(view: ServiceView, cause: string): boolean {
  return isImpaired(view.state) && view.causes.includes(cause);
}

/**
 * Corroboration: one witness makes an incident "suspected"; independent witnesses agreeing (two
 * or more distinct witnesses with trouble on its services), or one authoritative source, confirm
 * it. Two sources of one witness (a page's summary and its incident list) are one voice.
 */
export function certaintyOf(sources: readonly string[], authoritative: ReadonlySet<string>, witnessOf: (sourceId: string) => string = (id) => id): Certainty {
  return new Set(sources.map(witnessOf)).size >= 2 || sources.some((s) => authoritative.has(s)) ? 'confirmed' : 'suspected';
}

/** Folds the current supporting sources in; once confirmed, an incident stays confirmed. */
export function corroborate(
  incident: Incident,
  sources: readonly string[],
  authoritative: ReadonlySet<string>,
  now: Date,
  witnessOf: (sourceId: string) => string = (id) => id,
): { incident: Incident; confirmedNow: boolean } {
  const merged = [...new Set([...incident.sources, ...sources])].sort();
  if (incident.certainty === 'confirmed') return { incident: merged.length === incident.sources.length ? incident : { ...incident, sources: merged }, confirmedNow: false };
  const certainty = certaintyOf(merged, authoritative, witnessOf);
  if (certainty === 'suspected') return { incident: merged.length === incident.sources.length ? incident : { ...incident, sources: merged }, confirmedNow: false };
  return { incident: { ...incident, sources: merged, certainty, confirmedAt: now.toISOString() }, confirmedNow: true };
}

export function openIncident(
  causeComponentId: string,
  views: readonly ServiceView[],
  concurrent: readonly ConcurrentComponent[],
  now: Date,
  sources: readonly string[] = [],
  authoritative: ReadonlySet<string> = new Set(),
  reportedSince?: string,
  witnessOf: (sourceId: string) => string = (id) => id,
): Incident {
  const openedAt = now.toISOString();
  const services: Record<string, AffectedService> = {};
  for (const v of views) {
    if (!affectedByCause(v, causeComponentId)) continue;
    services[v.serviceId] = {
      state: v.state,
      since: v.since,
      impairedSince: v.since,
      worst: v.state,
      ...(isDark(v.state) ? { darkSince: v.since } : {}),
    };
  }
  const discoveredAt = earliest([openedAt, ...Object.values(services).map((s) => s.since)]);
  const began = earliest([discoveredAt, ...(reportedSince ? [reportedSince] : [])]);
  return {
    id: incidentId(causeComponentId, openedAt),
    causeComponentId,
    openedAt,
    discoveredAt,
    began,
    status: 'open',
    services,
    concurrent: [...concurrent],
    sources: [...new Set(sources)].sort(),
    certainty: certaintyOf(sources, authoritative, witnessOf),
    ...(certaintyOf(sources, authoritative, witnessOf) === 'confirmed' ? { confirmedAt: openedAt } : {}),
    noticeSeq: 0,
    version: 0,
  };
}

/**
 * Folds the services' current states into an open incident. A service that recovered is kept in
 * the list as Normal (history), and the incident resolves when no listed service is impaired. A
 * listed service we can no longer see (Unknown: its monitor went blind mid-outage) is listed as
 * Unknown and keeps the incident open: not knowing is not an all-clear.
 */
export function updateIncident(
  incident: Incident,
  views: readonly ServiceView[],
  concurrent: readonly ConcurrentComponent[],
  now: Date,
): { incident: Incident; changed: boolean; resolved: boolean } {
  const services: Record<string, AffectedService> = { ...incident.services };
  let changed = false;
  for (const v of views) {
    const prev = services[v.serviceId];
    // A listed service stays until it recovers, even if another cause now explains it (an agency
    // post outliving the vendor's all-clear): one outage, one incident.
    const impaired = affectedByCause(v, incident.causeComponentId) || (prev !== undefined && isImpaired(prev.state) && isImpaired(v.state));
    if (!prev && !impaired) continue;
    // Out of the outage but inside a maintenance window: said as it is (the planned work goes on).
    const state: ServiceState = impaired ? v.state : prev !== undefined && v.state === 'Unknown' ? 'Unknown' : v.state === 'ScheduledMaintenanceAvailable' ? v.state : 'Normal';
    if (prev && prev.state === state) continue;
    changed = true;
    const worst = prev && stateSeverity(prev.worst) > stateSeverity(state) ? prev.worst : state;
    const darkSince = prev?.darkSince ?? (isDark(state) ? v.since : undefined);
    // Impaired → Unknown → impaired is one outage seen through a blind spell: its onset stays.
    const stillOut = prev !== undefined && (isImpaired(prev.state) || prev.state === 'Unknown');
    const onset = stillOut ? (prev.impairedSince ?? prev.since) : v.since;
    const impairedSince = impaired || (state === 'Unknown' && stillOut) ? onset : undefined;
    services[v.serviceId] = { state, since: impaired ? v.since : now.toISOString(), worst, ...(darkSince ? { darkSince } : {}), ...(impairedSince ? { impairedSince } : {}) };
  }
  const known = new Set(incident.concurrent.map((c) => c.componentId));
  const added = concurrent.filter((c) => !known.has(c.componentId));
  const resolved = !Object.values(services).some((s) => isImpaired(s.state) || s.state === 'Unknown');
  const next: Incident = {
    ...incident,
    services,
    concurrent: [...incident.concurrent, ...added],
    ...(resolved ? { status: 'resolved' as const, resolvedAt: now.toISOString() } : {}),
  };
  // A new concurrent incident elsewhere rides along in the next notice; it is no news of this
  // incident by itself (each outage re-announcing every other one is k²/2 notices in a storm).
  return { incident: next, changed, resolved };
}

const earliest = (times: readonly string[]) => times.reduce((a, b) => (Date.parse(b) < Date.parse(a) ? b : a));

/**
 * Distinct PSAPs of the incident dark now (`now`) or at any point (`ever`). A dark path
 * (text-to-911, ALI/ANI, one voice path) is not a dark PSAP: its calls do not roll over.
 */
export function darkPsaps(incident: Incident, model: Pick<Model, 'psapOf' | 'services'>, when: 'now' | 'ever' = 'now'): string[] {
  const ids = new Set<string>();
  for (const [id, s] of Object.entries(incident.services)) if (isDark(when === 'now' ? s.state : s.worst) && !isPath(model.services.get(id)?.kind)) ids.add(model.psapOf(id));
  return [...ids].sort();
}

/** States the incident's impaired services are in. */
export function impairedStates(incident: Incident, stateOf: (serviceId: string) => string | undefined): string[] {
  const states = Object.entries(incident.services)
    .filter(([, s]) => isImpaired(s.state))
    .map(([id]) => stateOf(id))
    .filter((s): s is string => s !== undefined);
  return [...new Set(states)].sort();
}

/** The escalation rules an incident can meet; the liaison's email names the ones that fired. */
export type EscalationRule = 'psap-dark-long' | 'path-down-long' | 'many-psaps-dark' | 'many-states' | 'no-acknowledgement';

/** FCC escalation rules met now: a PSAP dark ≥ downMinutes, a path Down ≥ pathDownMinutes, ≥ minPsaps PSAPs dark, ≥ minStates states. */
export function escalationRules(incident: Incident, now: Date, policy: EscalationPolicy, model: Pick<Model, 'psapOf' | 'services'>): EscalationRule[] {
  if (incident.status !== 'open' || incident.escalatedAt) return [];
  const rules: EscalationRule[] = [];
  if (darkPsaps(incident, model).length >= policy.minPsaps) rules.push('many-psaps-dark');
  if (impairedStates(incident, (id) => model.services.get(id)?.state).length >= policy.minStates) rules.push('many-states');
  // A dark PSAP escalates after downMinutes; a path that is Down, by its own clock.
  const longer = (path: boolean) =>
    Object.entries(incident.services).some(([id, s]) => {
      if (isPath(model.services.get(id)?.kind) !== path) return false;
      const limit = path ? policy.pathDownMinutes : policy.downMinutes;
      return (path ? s.state === 'Down' : isDark(s.state)) && s.darkSince !== undefined && now.getTime() - Date.parse(s.darkSince) >= limit * MINUTE;
    });
  if (longer(false)) rules.push('psap-dark-long');
  if (longer(true)) rules.push('path-down-long');
  return rules;
}

export function escalationDue(incident: Incident, now: Date, policy: EscalationPolicy, model: Pick<Model, 'psapOf' | 'services'>): boolean {
  return escalationRules(incident, now, policy, model).length > 0;
}

/** No agency in the affected area acknowledged within noAckMinutes of the first notice: escalate. */
export function noAckEscalationDue(incident: Incident, now: Date, policy: EscalationPolicy, agencyAcks: number): boolean {
  if (incident.status !== 'open' || incident.escalatedAt || incident.kind === 'maintenance' || incident.noticeSeq === 0) return false;
  return agencyAcks === 0 && now.getTime() - Date.parse(incident.openedAt) >= policy.noAckMinutes * MINUTE;
}

/**
 * How early a reminder is issued before its deadline: evaluation runs once a cycle and delivery
 * takes its turn in the queue, so a reminder issued exactly at the deadline would arrive after it.
 */
export function reminderLeadMs(policy: EscalationPolicy): number {
  return Math.min(REMINDER_LEAD_MS, (policy.updateEveryMinutes * MINUTE) / 4);
}
const REMINDER_LEAD_MS = 3 * MINUTE;

/** The update clock: the last notice everyone told received (older records: the last notice). */
function lastUpdate(incident: Incident): string | undefined {
  return incident.lastUpdateAt ?? incident.lastNoticeAt;
}

/**
 * FCC 4.9(h): updates no more than 2 h apart (configurable, never longer), to every recipient told,
 * acknowledged or not. Due `reminderLeadMs` before the promised time, so it arrives by then.
 */
export function reminderDue(incident: Incident, now: Date, policy: EscalationPolicy): boolean {
  const last = lastUpdate(incident);
  if (incident.status !== 'open' || !last) return false;
  return now.getTime() - Date.parse(last) >= policy.updateEveryMinutes * MINUTE - reminderLeadMs(policy);
}

/** The time the next update is promised by (what notices print as "next update by"). */
export function nextUpdateBy(incident: Incident, policy: EscalationPolicy): string | undefined {
  const last = lastUpdate(incident);
  if (incident.status !== 'open' || !last) return undefined;
  return new Date(Date.parse(last) + policy.updateEveryMinutes * MINUTE).toISOString();
}

function phaseOf(reason: NoticeReason): Phase {
  // 'confirmed' is an update to those who heard the suspicion, and the first word to the rest.
  if (reason === 'opened') return 'initial';
  return reason === 'resolved' ? 'final' : 'update';
}

/** Issues the next notice: bumps the incident's sequence and snapshots it into the notice. */
export function issueNotice(incident: Incident, reason: NoticeReason, now: Date): { incident: Incident; notice: Notice } {
  const at = now.toISOString();
  const next: Incident = {
    ...incident,
    noticeSeq: incident.noticeSeq + 1,
    lastNoticeAt: at,
    ...(reason === 'escalated' ? { escalatedAt: at } : { lastUpdateAt: at }),
  };
  return { incident: next, notice: { incidentId: incident.id, seq: next.noticeSeq, phase: phaseOf(reason), reason, createdAt: at, incident: next } };
}
