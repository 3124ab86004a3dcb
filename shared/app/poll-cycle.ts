import { isPolled, type PolledSourceConfig } from '../config/schema.js';
import { MINUTE, type Clock } from '../domain/clock.js';
import { applyObservation, awaitsConfirmation, componentStatesEqual, initialComponentState, lastReadStatus } from '../domain/component.js';
import { DialtoneError } from '../domain/errors.js';
import type { Model } from '../domain/model.js';
import type { Observation } from '../domain/observation.js';
import type { ComponentState, ServiceStateRecord, SourceState, Transition } from '../domain/records.js';
import { activeMaintenance, occurrenceAt } from '../domain/maintenance.js';
import { deriveServiceState } from '../domain/service.js';
import type { ReadContext, SourceRead } from '../sources/parsers.js';
import { evaluateIncidents, type IncidentReport } from './incidents.js';
import { deliverPending, type DeliveryReport } from './deliver.js';
import { mapLimit, type Log } from './log.js';
import { deliverOpsAlert, owedAlerts, planOpsAlerts, planPushAlerts, withBlindEpisode } from './ops-alerts.js';
import type { Sender, Store } from './ports.js';
import { heartbeatWatches, pushSourcesOf, standingObservations } from './push-sources.js';
import { EGRESS_RECORD_ID, INGEST_RECORD_ID, pushWatchId, type OpsAlert } from '../domain/ops-alert.js';

export type ReadSource = (
  source: PolledSourceConfig,
  prev: SourceState | undefined,
  ctx: ReadContext,
) => Promise<SourceRead>;

export interface PipelineDeps {
  store: Store;
  sender: Sender;
  clock: Clock;
  model: Model;
  readSource: ReadSource;
  log: Log;
  /** Sources read at once (fetches are I/O bound). */
  concurrency?: number;
  /** How long a delivery claim is held before another worker may retry it. */
  leaseMs?: number;
  /** Signs acknowledgement links in emails (config acks.linkBase). */
  ackSecret?: string;
}

export interface SourceOutcome {
  sourceId: string;
  kind: SourceRead['kind'];
  error?: string;
}

/** What applying observations did: the evaluate → record → route & render → deliver half of the path. */
export interface EvaluationReport extends IncidentReport, DeliveryReport {
  componentTransitions: Transition[];
  serviceTransitions: Transition[];
}

export interface CycleReport extends EvaluationReport {
  at: string;
  sources: SourceOutcome[];
  /**
   * Every polled source read this cycle failed (two or more were read): our own egress is the
   * suspect, so the failures did not feed `unknown` to components this cycle.
   */
  egressSuspected: boolean;
  /** Ops alerts raised or cleared by this cycle: a source blind / readable again, suspected egress / its end. */
  opsAlerts: OpsAlert[];
  /**
   * Services and incidents were re-derived from every component (a reconciliation, a component
   * whose status changed, a source settling, a write conflict). False: a steady cycle, which read
   * only what could change and ran only the incidents' clocks (see runPollCycle).
   */
  fullEvaluation: boolean;
  /** Polled sources read this cycle with a component awaiting confirmation: read them again soon (RecheckSchedule). */
  awaitingConfirmation: string[];
}

/** What applying observations needs: the pipeline without the fetch. */
export type EvaluateDeps = Omit<PipelineDeps, 'readSource' | 'concurrency'>;

function isConflict(err: unknown): boolean {
  return err instanceof DialtoneError && err.code === 'STORE.CONFLICT';
}

/**
 * A confirmed transition rides in the state item it produced (`unrecorded`) until it has been
 * seen through: one conditional write saves both, then the history write, the services and the
 * incidents follow, and a last write clears it. An invocation that dies or is throttled in
 * between leaves it in the state, and the next one to read that state writes it to the history
 * (a no-op if it is there) and re-derives services and incidents: a transition is never lost,
 * never recorded for a state that was not saved, and never left without its services.
 */
type Owing<T> = T & { unrecorded?: Transition };

/** Rounds of derive → compare-and-set for one service before leaving it to the next cycle. */
const SERVICE_WRITE_ROUNDS = 3;

const transitionKey = (t: Transition) => `${t.subject}:${t.id}:${t.at}:${t.to}`;

function splitOwed<T extends object>(stored: Owing<T>): { owed?: Transition; state: T } {
  const { unrecorded, ...state } = stored;
  return { ...(unrecorded ? { owed: unrecorded } : {}), state: state as T };
}

// ── steady state ─────────────────────────────────────────────────────────────────────────────
//
// An unchanged cycle reads the due sources' states and nothing else. A polled source whose read
// is `unchanged` (304, or the same body hash) says again what it said last time; if each of its
// components was settled by then, that read cannot change anything, so its components are not
// read and it feeds no observation. `SourceState.settled` records this:
//
//   settled: true ⇒ the payload the state describes has been applied to the source's components;
//   each of them is settled (no hysteresis candidate, not held as flapping, not blind, no
//   transition owed to the history); and services and incidents were derived from every component
//   after their last change.
//
// It is lowered (omitted) in the write that records a new payload or a failed read, whenever the
// read would change a component, and raised only after a full evaluation that ended with the
// source's components settled and no write conflict: one source-state write in the cycle that
// confirms a change (or resets a candidate), never in a steady cycle. A crash between a
// component write and its services' writes leaves the source unsettled, so the next cycle reads
// its components, sees it settle, and re-derives everything.
//
// Services and incidents are re-derived (a full evaluation, the pre-issue-7 cycle) when a
// component's status changed, a source settles, a write conflicted, or a reconciliation is due:
// the first cycle a process runs with a config (a deploy or a config change), every cycle in the
// first minute of each quarter hour, and a maintenance window starting or ending in the last two
// minutes. Otherwise only the incidents' clocks run (escalation, no-ack, reminders, maintenance
// notices), from the open incidents (a Query), as the sweep does. Push sources' standing status
// and heartbeats are observed every cycle (their components are read; they are few).

/** Every cycle starting in the first RECONCILE_WINDOW_MS of each RECONCILE_EVERY_MS (UTC) is a full evaluation. */
export const RECONCILE_EVERY_MS = 15 * MINUTE;
const RECONCILE_WINDOW_MS = MINUTE;
/** A maintenance window that started or ended this recently makes the cycle a full evaluation. */
const MAINTENANCE_LOOKBACK_MS = 2 * MINUTE;
/** Configs this process has fully evaluated at least once (the first cycle after a deploy is a reconciliation). */
const reconciledModels = new WeakSet<Model>();

/** Whether this cycle must re-derive every service whatever the reads say (see above). */
export function reconciliationDue(model: Model, now: Date): boolean {
  if (!reconciledModels.has(model)) return true;
  if (now.getTime() % RECONCILE_EVERY_MS < RECONCILE_WINDOW_MS) return true;
  const before = new Date(now.getTime() - MAINTENANCE_LOOKBACK_MS);
  return model.config.maintenance.some((w) => occurrenceAt(w, before)?.start !== occurrenceAt(w, now)?.start);
}

/** A component the same read again would leave as it is. */
function componentSettled(state: Owing<ComponentState>): boolean {
  return state.candidate === undefined && state.flappingSince === undefined && state.status !== 'unknown' && state.unrecorded === undefined;
}

/** Would this cycle's observations leave every component of the source unchanged and settled? (pure) */
function staysSettled(source: PolledSourceConfig, observations: readonly Observation[], stateOf: (id: string) => Owing<ComponentState>, model: Model): boolean {
  return source.components.every((c) => {
    const stored = stateOf(c.id);
    if (!componentSettled(stored)) return false;
    let state: ComponentState = stored;
    for (const obs of observations) {
      if (obs.componentId !== c.id) continue;
      const { next } = applyObservation(state, obs, model.config.thresholds);
      if (!componentStatesEqual(state, next)) return false;
      state = next;
    }
    return componentSettled(state);
  });
}

function withSettled(state: Omit<SourceState, 'version'>, settled: boolean): Omit<SourceState, 'version'> {
  const { settled: _s, ...rest } = state;
  return settled ? { ...rest, settled: true } : rest;
}

/**
 * One poll cycle, the whole signal path end to end: fetch → observe → evaluate → record →
 * route & render → deliver. The CLI, the demo and the poll Lambda all call this.
 * An unchanged cycle reads the sources' states (batched), writes nothing, and reads nothing else
 * but the open incidents and the outbox (two Queries); see "steady state" above.
 */
export async function runPollCycle(
  deps: PipelineDeps,
  due?: readonly PolledSourceConfig[],
  /** `withPushSources: false`: leave push sources' standing status to another poll group's cycle (counted once per minute). */
  options: { withPushSources?: boolean } = {},
): Promise<CycleReport> {
  const { store, model, log } = deps;
  const now = deps.clock.now();
  const at = now.toISOString();
  const sources = due ?? model.config.sources.filter(isPolled);
  const reconcile = reconciliationDue(model, now);

  // fetch + observe (push sources' states come in the same batch)
  const pushSources = options.withPushSources === false ? [] : pushSourcesOf(model);
  // A push source's own record is ingest's; its blind bookkeeping (and the ingest episode) lives beside it.
  const pushWatchIds = pushSources.length > 0 ? [...pushSources.map((s) => pushWatchId(s.id)), INGEST_RECORD_ID] : [];
  const prevSources = await store.getSourceStates([...sources.map((s) => s.id), ...pushSources.map((s) => s.id), ...pushWatchIds]);

  const reads = await mapLimit(sources, deps.concurrency ?? 64, async (source) => {
    const prev = prevSources.get(source.id);
    let read: SourceRead;
    try {
      read = await deps.readSource(source, prev, { now, allow: model.config.network.allow, ...(model.config.network.onlyAllowed ? { onlyAllowed: true } : {}) });
    } catch (err) {
      // An adapter bug must not stop the other sources: it reads as a failed fetch.
      read = {
        kind: 'failed',
        error: new DialtoneError('SOURCE.BAD_PAYLOAD', `source "${source.id}": ${(err as Error).message}`),
        state: { sourceId: source.id, consecutiveFailures: (prev?.consecutiveFailures ?? 0) + 1 },
      };
    }
    return { source, read };
  });

  // The egress record (ops-alerts.ts) changes only around failures: it is read when a read failed
  // this cycle or a source failed last time, and on every reconciliation (which also retries an
  // egress all-clear whose send failed). A cycle with no failure near it does not read it.
  const attempted = reads.filter((r) => r.read.kind !== 'skipped');
  const egressMatters = reconcile || (attempted.length >= 2 && attempted.some(({ source, read }) => read.kind === 'failed' || (prevSources.get(source.id)?.consecutiveFailures ?? 0) > 0));
  if (egressMatters) for (const [id, state] of await store.getSourceStates([EGRESS_RECORD_ID])) prevSources.set(id, state);

  // unknown is not healthy: blind sources and a suspected egress problem (ops-alerts.ts)
  const ops = planOpsAlerts({ reads, prev: prevSources, blindAfter: model.config.thresholds.blindAfter, at });
  if (ops.egressSuspected) log.warn('every polled source failed this cycle: suspecting our own egress, components keep their last known state', { sources: reads.length });

  // Which sources can change anything this cycle: only their components are read.
  const isActive = ({ source, read }: (typeof reads)[number]) =>
    read.kind === 'changed' || (read.kind === 'unchanged' && (reconcile || prevSources.get(source.id)?.settled !== true)) || (read.kind === 'failed' && !ops.egressSuspected);
  const active = reads.filter(isActive);
  const activeById = new Map(active.map((r) => [r.source.id, r.source]));
  const wanted = reconcile
    ? [...model.components.keys()]
    : [...active.flatMap(({ source, read }) => [...source.components.map((c) => c.id), ...(read.kind === 'changed' ? read.observations.map((o) => o.componentId) : [])]), ...pushSources.flatMap((s) => s.components.map((c) => c.id))];
  const componentsRead = new Set(wanted);
  const components: Map<string, Owing<ComponentState>> = await store.getComponentStates([...componentsRead]);
  const stateOf = (id: string): Owing<ComponentState> => components.get(id) ?? initialComponentState(id, at);

  const observations: Observation[] = [];
  const bySource = new Map<string, Observation[]>();
  const outcomes: SourceOutcome[] = [];
  for (const { source, read } of reads) {
    outcomes.push({
      sourceId: source.id,
      kind: read.kind,
      ...(read.kind === 'failed' ? { error: read.error.message } : read.kind === 'skipped' ? { error: read.reason } : {}),
    });
    if (read.kind === 'failed') log.warn('source read failed', { sourceId: source.id, code: read.error.code, error: read.error.message });
    // A payload read, but with parts we could not make out (an unknown status value): those
    // components read unknown; say which and why, once per read.
    if (read.kind === 'changed') {
      const unreadable = read.observations.filter((o) => o.status === 'unknown' && o.error !== undefined);
      if (unreadable.length > 0) log.warn('source payload partly unreadable', { sourceId: source.id, components: unreadable.map((o) => o.componentId), error: unreadable[0]!.error });
    }
    if (!activeById.has(source.id)) continue;
    const own: Observation[] = [];
    if (read.kind === 'changed') own.push(...read.observations);
    else if (read.kind === 'unchanged') {
      // The same payload says the same again: each component's last read counts once more.
      for (const c of source.components) own.push({ sourceId: source.id, componentId: c.id, status: lastReadStatus(stateOf(c.id)), observedAt: at });
    } else if (read.kind === 'failed') {
      // (Everything failing at once says more about our egress than about N upstreams: such a
      // cycle holds the components, and the source is not active.)
      if (read.observations) own.push(...read.observations);
      else for (const c of source.components) own.push({ sourceId: source.id, componentId: c.id, status: 'unknown', observedAt: at, error: read.error.message });
    }
    // skipped (throttled, Retry-After): nothing was read, so the components keep their state.
    observations.push(...own);
    bySource.set(source.id, own);
  }
  // Push sources: heartbeats, and the standing status of each source's latest push. A heartbeat
  // never heard is a blind monitor; many silent at once point at our own ingest path.
  const push = planPushAlerts({ watches: heartbeatWatches(pushSources, prevSources, now), prev: prevSources, blindAfter: model.config.thresholds.blindAfter, massSilence: model.config.thresholds.massSilence, at });
  if (push.suspectIngest.size > 0) log.warn('many heartbeats silent at once: suspecting our own ingest path, their PSAPs read Unknown', { silent: [...push.suspectIngest] });
  observations.push(...standingObservations(pushSources, prevSources, now, push.suspectIngest));

  // record the sources' state (the reader's, plus the blind bookkeeping and `settled`) before
  // evaluating. `settled` can stay true or be lowered here, never raised (see "steady state").
  const recorded = new Map<string, SourceState | undefined>();
  for (const [id, next] of [...ops.states, ...push.states]) {
    const prev = prevSources.get(id);
    let state = next;
    if (id !== EGRESS_RECORD_ID && !push.states.has(id)) {
      const source = activeById.get(id);
      const settled = source ? (prev === undefined || prev.settled === true) && staysSettled(source, bySource.get(id) ?? [], stateOf, model) : prev?.settled === true;
      state = withSettled(next, settled);
    }
    recorded.set(id, await saveSourceStateIfChanged(deps, prev, state));
  }
  if (!recorded.has(EGRESS_RECORD_ID) && prevSources.get(EGRESS_RECORD_ID)?.blind) recorded.set(EGRESS_RECORD_ID, prevSources.get(EGRESS_RECORD_ID));

  /** Active polled sources whose components are all settled now but whose record does not say so yet. */
  const settling = () =>
    [...activeById.values()].filter((s) => {
        const state = recorded.get(s.id);
        return state !== undefined && state.settled !== true && s.components.every((c) => componentSettled(stateOf(c.id)));
      });

  const evaluation = await evaluate(deps, observations, { now, components, componentsRead, ...(reconcile ? {} : { steady: { mustReconcile: () => settling().length > 0 } }) });

  if (evaluation.full) {
    reconciledModels.add(model);
    // Raise `settled` only after a full evaluation that met no conflict (a conflicting writer's
    // view may not have been folded in yet: the next cycle reads these components again).
    if (evaluation.conflicts === 0) {
      for (const source of settling()) {
        const state = recorded.get(source.id)!;
        recorded.set(source.id, await saveSourceStateIfChanged(deps, state, withSettled(withoutVersion(state), true)));
      }
    }
  }

  // ops alerts last: the dark PSAP's neighbours come first. An alert owed but not settled (a
  // failed send) stays owed in the record and is retried by the next cycle.
  const opsDeliveries: DeliveryReport = { sent: [], failed: [] };
  const opsDeps = { store, sender: deps.sender, clock: deps.clock, model, log, leaseMs: deps.leaseMs ?? 60_000 };
  for (const [id, state] of recorded) {
    if (!state?.blind) continue;
    let blind: typeof state.blind | undefined = state.blind;
    for (const alert of owedAlerts(id, state.blind, model)) {
      if (!(await deliverOpsAlert(opsDeps, alert, opsDeliveries))) break;
      blind = alert.phase === 'initial' ? { ...blind!, raised: true } : undefined;
    }
    if (blind !== state.blind) await saveSourceStateIfChanged(deps, state, withBlindEpisode(withoutVersion(state), blind));
  }

  return {
    ...evaluation.report,
    at,
    sources: outcomes,
    egressSuspected: ops.egressSuspected,
    opsAlerts: [...ops.changed, ...push.changed],
    fullEvaluation: evaluation.full,
    awaitingConfirmation: [...activeById.values()].filter((s) => s.components.some((c) => awaitsConfirmation(stateOf(c.id)))).map((s) => s.id),
    sent: [...evaluation.report.sent, ...opsDeliveries.sent],
    failed: [...evaluation.report.failed, ...opsDeliveries.failed],
  };
}

/**
 * Applies observations: components (hysteresis) → 911 services (dependencies, maintenance) →
 * incidents → route & render → deliver. The one evaluation path, shared by the poll cycle and
 * push ingest (shared/app/ingest.ts), which always evaluates everything. `components` lets the
 * caller pass the states it already read; the map is updated in place.
 */
export async function applyObservations(
  deps: EvaluateDeps,
  observations: readonly Observation[],
  opts: { now?: Date; components?: Map<string, ComponentState> } = {},
): Promise<EvaluationReport> {
  return (await evaluate(deps, observations, opts.components ? { ...opts, componentsRead: new Set(opts.components.keys()) } : opts)).report;
}

interface EvaluateOptions {
  now?: Date;
  /** Component states already read (updated in place); ids in `componentsRead` were asked for (absent = never written). */
  components?: Map<string, Owing<ComponentState>>;
  componentsRead?: ReadonlySet<string>;
  /**
   * A poll cycle that is not a reconciliation: services and incidents are re-derived only when
   * a component's status changed, a write conflicted, or `mustReconcile()` says so after the
   * component step; otherwise only the incidents' clocks run.
   */
  steady?: { mustReconcile: () => boolean };
}

async function evaluate(
  deps: EvaluateDeps,
  observations: readonly Observation[],
  opts: EvaluateOptions,
): Promise<{ report: EvaluationReport; full: boolean; conflicts: number }> {
  const { store, model, log } = deps;
  const now = opts.now ?? deps.clock.now();
  const at = now.toISOString();
  const components = opts.components ?? (await store.getComponentStates([...model.components.keys()]));
  const componentsRead = opts.components ? (opts.componentsRead ?? new Set(components.keys())) : new Set(model.components.keys());
  const stateOf = (id: string): ComponentState => components.get(id) ?? initialComponentState(id, at);
  let conflicts = 0;
  let statusChanged = false;
  /** Components whose status this invocation changed (or whose owed transition it recorded). */
  const touched = new Set<string>();

  // evaluate + record: components (hysteresis)
  const componentTransitions: Transition[] = [];
  /** Saves with compare-and-set; when another invocation wrote first, carries on from what it wrote. */
  const saveComponent = async (state: Owing<ComponentState>, expected: number): Promise<boolean> => {
    try {
      await store.saveComponentState(state, expected);
      components.set(state.componentId, state);
      return true;
    } catch (err) {
      if (!isConflict(err)) throw err;
      conflicts++;
      // Services derived from our stale read could resolve an incident that is not over.
      const current = (await store.getComponentStates([state.componentId])).get(state.componentId);
      if (current) components.set(state.componentId, current);
      log.warn('component written concurrently; continuing from its current state', { componentId: state.componentId });
      return false;
    }
  };
  /** Components that owe a transition, at the version we left them: cleared once services and incidents follow it. */
  const owing = new Map<string, number>();
  const appended = new Set<string>();
  for (const obs of observations) {
    if (!model.components.has(obs.componentId)) continue;
    const { owed, state: prev } = splitOwed(stateOf(obs.componentId));
    const { next, transition } = applyObservation(prev, obs, model.config.thresholds);
    const changed = !componentStatesEqual(prev, next) || !components.has(obs.componentId);
    if (!changed && !owed) continue;
    // A transition an earlier invocation saved but did not see through: history first.
    if (owed && !appended.has(transitionKey(owed))) {
      await store.appendTransition(owed);
      appended.add(transitionKey(owed));
    }
    if (owed || transition || next.status !== prev.status) {
      statusChanged = true;
      touched.add(obs.componentId);
    }
    if (!changed) {
      owing.set(obs.componentId, prev.version);
      continue;
    }
    const carried = transition ?? owed;
    const saved: Owing<ComponentState> = { ...next, version: prev.version + 1, ...(carried ? { unrecorded: carried } : {}) };
    if (!(await saveComponent(saved, prev.version))) continue;
    if (transition) {
      await store.appendTransition(transition);
      appended.add(transitionKey(transition));
      componentTransitions.push(transition);
    }
    if (carried) owing.set(obs.componentId, saved.version);
  }

  const deliver = () =>
    deliverPending({ store, model, log, sender: deps.sender, clock: deps.clock, leaseMs: deps.leaseMs ?? 60_000, ...(deps.ackSecret ? { ackSecret: deps.ackSecret } : {}) });

  const full = !opts.steady || statusChanged || conflicts > 0 || opts.steady.mustReconcile();
  if (!full) {
    // Steady: no component changed status, so no service can have; only the incidents' clocks move.
    const incidents = await evaluateIncidents({ store, model, log, now, services: new Map(), components: stateOf, clocksOnly: true });
    return { report: { componentTransitions, serviceTransitions: [], ...incidents, ...(await deliver()) }, full: false, conflicts };
  }

  // Every component, then every service: a steady-path caller read only the observed components.
  const unread = [...model.components.keys()].filter((id) => !componentsRead.has(id));
  if (unread.length > 0) for (const [id, state] of await store.getComponentStates(unread)) components.set(id, state);

  // evaluate + record: 911 services, derived through their dependencies
  const serviceIds = [...model.services.keys()];
  const services: Map<string, Owing<ServiceStateRecord>> = await store.getServiceStates(serviceIds);
  const serviceTransitions: Transition[] = [];
  const saveService = async (state: Owing<ServiceStateRecord>, expected: number): Promise<boolean> => {
    try {
      await store.saveServiceState(state, expected);
      services.set(state.serviceId, state);
      return true;
    } catch (err) {
      if (!isConflict(err)) throw err;
      conflicts++;
      const current = (await store.getServiceStates([state.serviceId])).get(state.serviceId);
      if (current) services.set(state.serviceId, current);
      log.warn('service written concurrently; continuing from its current state', { serviceId: state.serviceId });
      return false;
    }
  };
  const componentStatus = (id: string) => stateOf(id).status;
  const maintenance = activeMaintenance(model.config.maintenance, now);
  for (const svc of model.services.values()) {
    // Another invocation may have read a component before we changed it and derive this service
    // from that older view. We write every service of a component we changed, even when its
    // state is the same, and each write carries the component versions it was derived from
    // (`basis`, which the store refuses to go back on): whichever of the two writes lands last,
    // the stored state is the one derived from the newer components. A conflict means another
    // invocation wrote first: derive again from the current states, a few rounds at most.
    const mustWrite = svc.dependsOn.some((d) => touched.has(d.component));
    for (let round = 0; round < SERVICE_WRITE_ROUNDS; round++) {
      if (round > 0) for (const [id, c] of await store.getComponentStates(svc.dependsOn.map((d) => d.component))) components.set(id, c);
      const derived = deriveServiceState(svc, componentStatus, maintenance);
      const basis = Object.fromEntries(svc.dependsOn.map((d) => [d.component, stateOf(d.component).version]));
      const { owed, state: prev } = splitOwed(services.get(svc.id) ?? { serviceId: svc.id, state: 'Normal' as const, since: at, causes: [], version: 0 });
      const same = prev.state === derived.state && prev.causes.join() === derived.causes.join();
      if (same && !owed && !mustWrite) break;
      if (owed) await store.appendTransition(owed);
      // A state change starts when the causing component's change started.
      const since = prev.state === derived.state ? prev.since : (derived.causes.map((c) => stateOf(c).since).sort()[0] ?? at);
      const t: Transition | undefined =
        prev.state !== derived.state ? { subject: 'service', id: svc.id, from: prev.state, to: derived.state, at, evidence: { causes: derived.causes } } : undefined;
      const next: Owing<ServiceStateRecord> = same
        ? { ...prev, basis, version: prev.version + 1 }
        : { serviceId: svc.id, state: derived.state, since, causes: derived.causes, basis, version: prev.version + 1, ...(t ? { unrecorded: t } : {}) };
      if (!(await saveService(next, prev.version))) continue;
      if (t) {
        await store.appendTransition(t);
        serviceTransitions.push(t);
        await saveService({ ...splitOwed(next).state, version: next.version + 1 }, next.version);
      }
      break;
    }
  }

  // incidents, escalation, reminders → notices in the outbox
  const incidents = await evaluateIncidents({ store, model, log, now, services, components: stateOf, onConflict: () => conflicts++ });
  // Only now has a transition reached the history, the services and the incidents: an invocation
  // that died before here left it owed, and the next one to read the component does it all again.
  for (const [id, version] of owing) {
    const current = components.get(id);
    if (current?.version !== version) continue; // written since: the writer's to see through
    const { owed, state } = splitOwed<ComponentState>(current);
    if (owed) await saveComponent({ ...state, version: version + 1 }, version);
  }
  // route & render → deliver everything pending (this cycle's notices and any left by a crash)
  const deliveries = await deliver();

  return { report: { componentTransitions, serviceTransitions, ...incidents, ...deliveries }, full: true, conflicts };
}

/** The record as stored after the call: `prev` when nothing changed, undefined when another writer won. */
async function saveSourceStateIfChanged(
  deps: Pick<PipelineDeps, 'store' | 'log'>,
  prev: SourceState | undefined,
  next: Omit<SourceState, 'version'>,
): Promise<SourceState | undefined> {
  if (prev && JSON.stringify(sortKeys(withoutVersion(prev))) === JSON.stringify(sortKeys(next))) return prev;
  const version = prev?.version ?? 0;
  const saved = { ...next, version: version + 1 };
  try {
    await deps.store.saveSourceState(saved, version);
    return saved;
  } catch (err) {
    if (!isConflict(err)) throw err;
    deps.log.warn('source state written concurrently', { sourceId: next.sourceId });
    return undefined;
  }
}

function withoutVersion(state: SourceState): Omit<SourceState, 'version'> {
  const { version: _v, ...rest } = state;
  return rest;
}

/** Key order and undefined values do not make a record different (nested maps come back from the store in any order). */
function sortKeys(o: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(o)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => [k, v !== null && typeof v === 'object' && !Array.isArray(v) ? sortKeys(v as object) : v]),
  );
}
