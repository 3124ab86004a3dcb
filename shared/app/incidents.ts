import { DialtoneError } from '../domain/errors.js';
import {
  corroborate,
  escalationRules,
  noAckEscalationDue,
  issueNotice,
  openIncident,
  reminderDue,
  updateIncident,
  type ServiceView,
} from '../domain/incident.js';
import { maintenanceCause, maintenanceIncident, occurrenceAt } from '../domain/maintenance.js';
import type { Model } from '../domain/model.js';
import { isImpaired } from '../domain/nena.js';
import type { ComponentState, ConcurrentComponent, Incident, Notice, NoticeReason, ServiceStateRecord } from '../domain/records.js';
import { isTrouble } from '../domain/status.js';
import type { Log } from './log.js';
import type { Store } from './ports.js';
import { rosterModel } from './roster-read.js';

export interface IncidentReport {
  notices: Notice[];
}

interface Input {
  store: Store;
  model: Model;
  log: Log;
  now: Date;
  services: ReadonlyMap<string, ServiceStateRecord>;
  components: (componentId: string) => ComponentState;
  /**
   * A steady poll cycle (poll-cycle.ts): no component or service changed since the last full
   * evaluation, so only the clocks run (first notice, escalation, no-ack, reminders, maintenance
   * notices); nothing is opened, folded or corroborated, and `services` may be empty.
   */
  clocksOnly?: boolean;
  /** Told when an incident write lost a compare-and-set race (the caller evaluates again later). */
  onConflict?: () => void;
}

/**
 * Upstream trouble that is not a declared dependency of the incident's services: shown as
 * "concurrent", never as the cause (the 2020 Microsoft 365 lesson).
 */
function dependenciesOf(services: readonly string[], input: Input): Set<string> {
  return new Set(services.flatMap((id) => input.model.services.get(id)?.dependsOn.map((d) => d.component) ?? []));
}

function concurrentWith(services: readonly string[], input: Input): ConcurrentComponent[] {
  const dependencies = dependenciesOf(services, input);
  const out: ConcurrentComponent[] = [];
  for (const id of input.model.components.keys()) {
    const c = input.components(id);
    if (!dependencies.has(id) && isTrouble(c.status)) out.push({ componentId: id, status: c.status, since: c.since });
  }
  return out;
}

/** Agencies are the PSAPs and county offices told about an incident; their acknowledgement counts. */
function isAgency(model: Model, recipientId: string): boolean {
  const role = model.recipients.find((r) => r.id === recipientId)?.role;
  return role === 'psap' || role === 'county-manager';
}

/** The sources whose components are in trouble on the given services' dependencies (corroboration evidence). */
function supportingSources(services: readonly string[], input: Input): string[] {
  const sources = new Set<string>();
  for (const id of services) {
    for (const dep of input.model.services.get(id)?.dependsOn ?? []) {
      if (!isTrouble(input.components(dep.component).status)) continue;
      const source = input.model.components.get(dep.component)?.sourceId;
      if (source) sources.add(source);
    }
  }
  return [...sources].sort();
}

/** What a notice says, for telling a re-issue of it from a different notice with the same seq. */
function gist(n: Notice): string {
  const services = Object.entries(n.incident.services)
    .map(([id, s]) => `${id}=${s.state}`)
    .sort();
  return JSON.stringify([n.reason, n.phase, n.incident.status, services]);
}

/**
 * Writes the incident's next notice to the outbox. 'exists' means an invocation that died before
 * saving the incident (or a concurrent one) wrote that seq: if it is this same notice, it stands
 * (the outbox has it). If it says something else (the world moved on before the retry: e.g. a
 * "changed" written by the dead invocation, a "resolved" now), it stands too, as issued history,
 * and this notice takes the next seq; ignoring it would swallow an all-clear.
 */
async function issueOnce(store: Store, incident: Incident, reason: NoticeReason, now: Date): Promise<{ incident: Incident; notice: Notice; created: boolean }> {
  let issued = issueNotice(incident, reason, now);
  while ((await store.putNotice(issued.notice)) === 'exists') {
    const existing = (await store.listNotices(incident.id)).find((n) => n.seq === issued.notice.seq);
    if (!existing || gist(existing) === gist(issued.notice)) return { ...issued, created: false };
    issued = issueNotice({ ...issued.incident, noticeSeq: issued.notice.seq }, reason, now);
  }
  return { ...issued, created: true };
}

/** Opens, updates, escalates, reminds and resolves incidents; every notice lands in the outbox first. */
export async function evaluateIncidents(input: Input): Promise<IncidentReport> {
  const { store, model, log, now } = input;
  /** Saves over the version read; a concurrent writer wins, and the next cycle reads it again. */
  const save = async (next: Incident, read: Incident) => {
    try {
      await store.saveIncident({ ...next, version: read.version + 1 }, read.version);
    } catch (err) {
      if (!(err instanceof DialtoneError && err.code === 'STORE.CONFLICT')) throw err;
      input.onConflict?.();
      log.warn('incident written concurrently; the next cycle re-reads it', { incidentId: read.id });
    }
  };
  const views: ServiceView[] = [...input.services.values()].map((s) => ({ serviceId: s.serviceId, state: s.state, since: s.since, causes: s.causes }));
  const open = new Map((await store.listOpenIncidents()).map((i) => [i.causeComponentId, i]));
  const authoritative = new Set(model.config.corroboration.authoritativeSources);
  let merged: Promise<Model> | undefined;

  // A service already in an open incident stays there when a second cause appears: that cause
  // corroborates the incident (same outage, another witness) instead of opening a second one.
  const listed = new Set([...open.values()].filter((i) => i.kind !== 'maintenance').flatMap((i) => Object.entries(i.services).filter(([, s]) => isImpaired(s.state)).map(([id]) => id)));
  for (const cause of new Set(views.filter((v) => isImpaired(v.state)).flatMap((v) => v.causes))) {
    if (open.has(cause) || input.clocksOnly) continue;
    const freshViews = views.filter((v) => isImpaired(v.state) && v.causes.includes(cause) && !listed.has(v.serviceId));
    if (freshViews.length === 0) continue;
    const affected = freshViews.map((v) => v.serviceId);
    affected.forEach((id) => listed.add(id));
    const fresh = openIncident(cause, freshViews, concurrentWith(affected, input), now, supportingSources(affected, input), authoritative, input.components(cause).reportedSince, model.witnessOf);
    if ((await store.createIncident(fresh)) === 'created') {
      open.set(cause, { ...fresh, version: 1 });
      log.info('incident opened', { incidentId: fresh.id, cause, services: affected });
    } else {
      const existing = await store.getOpenIncident(cause);
      if (existing) open.set(cause, existing);
    }
  }

  // One open incident per service: an incident takes in a service its cause now explains only if
  // no other open incident holds it (it joins the incident that saw it first). Two invocations
  // racing can still open two incidents listing one service; the one already announced (else the
  // older) holds it, and the other lets it go before it says anything about it.
  const holder = new Map<string, string>();
  const byClaim = [...open.values()].sort((a, b) => Number(a.noticeSeq === 0) - Number(b.noticeSeq === 0) || a.openedAt.localeCompare(b.openedAt) || a.id.localeCompare(b.id));
  for (const i of byClaim) {
    if (i.kind === 'maintenance') continue;
    for (const [id, s] of Object.entries(i.services)) if (isImpaired(s.state) && !holder.has(id)) holder.set(id, i.id);
  }

  const notices: Notice[] = [];
  notices.push(...(await evaluateMaintenance(input, open)));
  for (const incident of open.values()) {
    if (incident.kind === 'maintenance') continue;
    const reasons: NoticeReason[] = [];
    let next: Incident = incident;
    // Notice first, incident second: a crash in between re-issues the same seq (see issueOnce).
    const issue = async (reason: NoticeReason) => {
      const issued = await issueOnce(store, next, reason, now);
      next = issued.incident;
      if (issued.created) notices.push(issued.notice);
    };
    // New, or created by an invocation that stopped before its first notice: announced as it
    // was opened, then brought up to date below like any open incident (a late first notice
    // must not leave the incident on a state its services have left).
    const announced = incident.noticeSeq === 0;
    if (announced && !input.clocksOnly) {
      const services = Object.fromEntries(Object.entries(next.services).filter(([id, s]) => !isImpaired(s.state) || (holder.get(id) ?? incident.id) === incident.id));
      if (Object.keys(services).length < Object.keys(next.services).length) {
        next = { ...next, services };
        log.warn('incident let go of services another open incident holds', { incidentId: incident.id });
      }
      if (Object.keys(services).length === 0) {
        // Nothing left that is its own, and nobody was told: it closes without a word.
        await save({ ...next, status: 'resolved', resolvedAt: now.toISOString() }, incident);
        continue;
      }
    }
    if (announced) await issue('opened');
    if (!input.clocksOnly) {
      const affected = Object.keys(next.services);
      // A service another open incident holds: this one never takes it in, and one it still lists
      // (Unknown through a blind spell, say) it lets go, so it can close.
      const mine = views.flatMap((v): ServiceView[] => {
        if ((holder.get(v.serviceId) ?? incident.id) === incident.id) return [v];
        return next.services[v.serviceId] ? [{ ...v, state: 'Normal', causes: [] }] : [];
      });
      const updated = updateIncident(next, mine, concurrentWith(affected, input), now);
      // The concurrent label follows the model: trouble that is a declared dependency of a service
      // the incident now lists is not "concurrent", whoever was listed first.
      const dependencies = dependenciesOf(Object.keys(updated.incident.services), input);
      next = { ...updated.incident, concurrent: updated.incident.concurrent.filter((c) => !dependencies.has(c.componentId)) };
      for (const [id, s] of Object.entries(next.services)) {
        if (isImpaired(s.state)) holder.set(id, incident.id);
        else if (holder.get(id) === incident.id) holder.delete(id);
      }
      // The cause recovered but its services are still impaired by another witness: that is news
      // of the incident (its cause), and later notices must not say the provider still reports it.
      const causeOver = !updated.resolved && !isTrouble(input.components(next.causeComponentId).status) && input.components(next.causeComponentId).status !== 'unknown';
      const causeNews = causeOver !== (next.causeClearedAt !== undefined);
      if (causeNews) {
        const { causeClearedAt: _c, ...rest } = next;
        next = causeOver ? { ...next, causeClearedAt: now.toISOString() } : rest;
      }
      if (updated.resolved) reasons.push('resolved');
      else {
        const impaired = Object.entries(next.services).filter(([, s]) => isImpaired(s.state)).map(([id]) => id);
        const corroborated = corroborate(next, supportingSources(impaired, input), authoritative, now, model.witnessOf);
        next = corroborated.incident;
        if (corroborated.confirmedNow) reasons.push('confirmed');
        else if (updated.changed || causeNews) reasons.push('changed');
      }
    }
    if (next.status === 'open' && !next.escalatedAt) {
      const rules = escalationRules(next, now, model.config.escalation, model);
      if (rules.length > 0) {
        next = { ...next, escalationRules: rules };
        reasons.push('escalated');
      }
      else if (now.getTime() - Date.parse(next.openedAt) >= model.config.escalation.noAckMinutes * 60_000) {
        const acks = await store.listAcks(next.id);
        // Whoever acknowledged may be a roster-added agency: the merged roster, read only when there is an ack to weigh.
        const roster = acks.length > 0 ? await (merged ??= rosterModel(model, store, log)) : model;
        const agencyAcks = acks.filter((a) => isAgency(roster, a.recipientId)).length;
        if (noAckEscalationDue(next, now, model.config.escalation, agencyAcks)) {
          next = { ...next, escalationRules: ['no-acknowledgement'] };
          reasons.push('escalated');
        }
      }
    }
    // The 2-hour update is owed to everyone told: an escalation, which only the liaisons get, does not stand in for it.
    if (!reasons.some((r) => r !== 'escalated') && reminderDue(next, now, model.config.escalation)) reasons.push('reminder');
    if (reasons.length === 0 && !announced) continue;

    for (const reason of reasons) await issue(reason);
    await save(next, incident);
    if (next.status === 'resolved') log.info('incident resolved', { incidentId: next.id });
  }
  return { notices };
}

/** Windows with `notify`: a start notice when an occurrence begins, a final one when it ends. */
async function evaluateMaintenance(input: Input, open: ReadonlyMap<string, Incident>): Promise<Notice[]> {
  const { store, model, now } = input;
  const notices: Notice[] = [];
  const issue = async (incident: Incident, reason: NoticeReason, changes: Partial<Incident> = {}) => {
    const issued = await issueOnce(store, { ...incident, ...changes }, reason, now);
    if (issued.created) notices.push(issued.notice);
    try {
      await store.saveIncident({ ...issued.incident, version: incident.version + 1 }, incident.version);
    } catch (err) {
      if (!(err instanceof DialtoneError && err.code === 'STORE.CONFLICT')) throw err;
      input.onConflict?.();
    }
  };
  for (const w of model.config.maintenance.filter((x) => x.notify)) {
    const occurrence = occurrenceAt(w, now);
    let current = open.get(maintenanceCause(w.id));
    if (current && (!occurrence || current.id !== maintenanceIncident(w, occurrence, model).id)) {
      await issue(current, 'resolved', { status: 'resolved', resolvedAt: now.toISOString() });
      current = undefined;
    }
    if (!occurrence || current?.noticeSeq) continue;
    const fresh = current ?? maintenanceIncident(w, occurrence, model);
    if (!current) {
      if ((await store.createIncident(fresh)) !== 'created') continue;
      fresh.version = 1;
    }
    await issue(fresh, 'opened');
  }
  // A window removed from the config while open still gets its end notice.
  for (const incident of open.values()) {
    if (incident.kind !== 'maintenance' || incident.status !== 'open') continue;
    const windowId = incident.causeComponentId.slice('maintenance:'.length);
    if (!model.config.maintenance.some((w) => w.id === windowId && w.notify)) await issue(incident, 'resolved', { status: 'resolved', resolvedAt: now.toISOString() });
  }
  return notices;
}
