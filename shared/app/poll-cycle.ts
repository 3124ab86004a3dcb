import { isPolled, type PolledSourceConfig } from '../config/schema.js';
import type { Clock } from '../domain/clock.js';
import { applyObservation, componentStatesEqual, initialComponentState, lastReadStatus } from '../domain/component.js';
import { DialtoneError } from '../domain/errors.js';
import type { Model } from '../domain/model.js';
import type { Observation } from '../domain/observation.js';
import type { ComponentState, ServiceStateRecord, SourceState, Transition } from '../domain/records.js';
import { activeMaintenance } from '../domain/maintenance.js';
import { deriveServiceState } from '../domain/service.js';
import type { ReadContext, SourceRead } from '../sources/parsers.js';
import { evaluateIncidents, type IncidentReport } from './incidents.js';
import { deliverPending, type DeliveryReport } from './deliver.js';
import { mapLimit, type Log } from './log.js';
import { deliverOpsAlert, owedAlerts, planOpsAlerts, withBlindEpisode } from './ops-alerts.js';
import type { Sender, Store } from './ports.js';
import { pushSourcesOf, standingObservations } from './push-sources.js';
import { EGRESS_RECORD_ID, type OpsAlert } from '../domain/ops-alert.js';

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
}

/** What applying observations needs: the pipeline without the fetch. */
export type EvaluateDeps = Omit<PipelineDeps, 'readSource' | 'concurrency'>;

function isConflict(err: unknown): boolean {
  return err instanceof DialtoneError && err.code === 'STORE.CONFLICT';
}

/**
 * A confirmed transition rides in the state item it produced (`unrecorded`) until it is in the
 * history: one conditional write saves both, the history write follows, a second write clears it.
 * An invocation that dies or is throttled in between leaves it in the state, and the next one to
 * read that state writes it to the history (a no-op if it is there) before anything else: a
 * transition is never lost, and never recorded for a state that was not saved. (Issue 8.)
 */
type Owing<T> = T & { unrecorded?: Transition };

function splitOwed<T extends object>(stored: Owing<T>): { owed?: Transition; state: T } {
  const { unrecorded, ...state } = stored;
  return { ...(unrecorded ? { owed: unrecorded } : {}), state: state as T };
}

/**
 * One poll cycle, the signal path of DESIGN.md end to end: fetch → observe → evaluate → record →
 * route & render → deliver. The CLI, the demo and the poll Lambda all call this.
 * An unchanged cycle reads (batched) and writes nothing.
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

  // fetch + observe (push sources' and the egress record's states come in the same batch)
  const pushSources = options.withPushSources === false ? [] : pushSourcesOf(model);
  const prevSources = await store.getSourceStates([...sources.map((s) => s.id), ...pushSources.map((s) => s.id), EGRESS_RECORD_ID]);
  const componentIds = [...model.components.keys()];
  const components = await store.getComponentStates(componentIds);
  const stateOf = (id: string): ComponentState => components.get(id) ?? initialComponentState(id, at);

  const reads = await mapLimit(sources, deps.concurrency ?? 64, async (source) => {
    const prev = prevSources.get(source.id);
    let read: SourceRead;
    try {
      read = await deps.readSource(source, prev, { now, allow: model.config.network.allow });
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

  // unknown is not healthy: blind sources and a suspected egress problem (ops-alerts.ts)
  const ops = planOpsAlerts({ reads, prev: prevSources, blindAfter: model.config.thresholds.blindAfter, at });
  if (ops.egressSuspected) log.warn('every polled source failed this cycle: suspecting our own egress, components keep their last known state', { sources: reads.length });

  const observations: Observation[] = [];
  const outcomes: SourceOutcome[] = [];
  for (const { source, read } of reads) {
    outcomes.push({
      sourceId: source.id,
      kind: read.kind,
      ...(read.kind === 'failed' ? { error: read.error.message } : read.kind === 'skipped' ? { error: read.reason } : {}),
    });
    if (read.kind === 'changed') observations.push(...read.observations);
    else if (read.kind === 'unchanged') {
      // The same payload says the same again: each component's last read counts once more.
      for (const c of source.components) observations.push({ sourceId: source.id, componentId: c.id, status: lastReadStatus(stateOf(c.id)), observedAt: at });
    } else if (read.kind === 'failed') {
      log.warn('source read failed', { sourceId: source.id, code: read.error.code, error: read.error.message });
      // Everything failing at once says more about our egress than about N upstreams: hold the components.
      if (ops.egressSuspected) continue;
      if (read.observations) observations.push(...read.observations);
      else for (const c of source.components) observations.push({ sourceId: source.id, componentId: c.id, status: 'unknown', observedAt: at, error: read.error.message });
    }
    // skipped (throttled, Retry-After): nothing was read, so the components keep their state.
  }
  // Push sources: heartbeats, and the standing status of each source's latest push.
  observations.push(...standingObservations(pushSources, prevSources, now));

  // record the sources' state (the reader's, plus the blind bookkeeping) before evaluating
  const recorded = new Map<string, SourceState | undefined>();
  for (const [id, next] of ops.states) recorded.set(id, await saveSourceStateIfChanged(deps, prevSources.get(id), next));
  if (!recorded.has(EGRESS_RECORD_ID) && prevSources.get(EGRESS_RECORD_ID)?.blind) recorded.set(EGRESS_RECORD_ID, prevSources.get(EGRESS_RECORD_ID));

  const evaluation = await applyObservations(deps, observations, { now, components });

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
    ...evaluation,
    at,
    sources: outcomes,
    egressSuspected: ops.egressSuspected,
    opsAlerts: ops.changed,
    sent: [...evaluation.sent, ...opsDeliveries.sent],
    failed: [...evaluation.failed, ...opsDeliveries.failed],
  };
}

/**
 * Applies observations: components (hysteresis) → 911 services (dependencies, maintenance) →
 * incidents → route & render → deliver. The one evaluation path, shared by the poll cycle and
 * push ingest (shared/app/ingest.ts). `components` lets the caller pass the states it already
 * read; the map is updated in place.
 */
export async function applyObservations(
  deps: EvaluateDeps,
  observations: readonly Observation[],
  opts: { now?: Date; components?: Map<string, ComponentState> } = {},
): Promise<EvaluationReport> {
  const { store, model, log } = deps;
  const now = opts.now ?? deps.clock.now();
  const at = now.toISOString();
  const components = opts.components ?? (await store.getComponentStates([...model.components.keys()]));
  const stateOf = (id: string): ComponentState => components.get(id) ?? initialComponentState(id, at);

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
      // Services derived from our stale read could resolve an incident that is not over.
      const current = (await store.getComponentStates([state.componentId])).get(state.componentId);
      if (current) components.set(state.componentId, current);
      log.warn('component written concurrently; continuing from its current state', { componentId: state.componentId });
      return false;
    }
  };
  for (const obs of observations) {
    if (!model.components.has(obs.componentId)) continue;
    const { owed, state: prev } = splitOwed(stateOf(obs.componentId));
    const { next, transition } = applyObservation(prev, obs, model.config.thresholds);
    const changed = !componentStatesEqual(prev, next) || !components.has(obs.componentId);
    if (!changed && !owed) continue;
    // A transition an earlier invocation saved but did not get into the history: history first.
    if (owed) await store.appendTransition(owed);
    const saved: Owing<ComponentState> = { ...(changed ? next : prev), version: prev.version + 1, ...(transition ? { unrecorded: transition } : {}) };
    if (!(await saveComponent(saved, prev.version))) continue;
    if (transition) {
      await store.appendTransition(transition);
      componentTransitions.push(transition);
      await saveComponent({ ...splitOwed(saved).state, version: saved.version + 1 }, saved.version);
    }
  }

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
      const current = (await store.getServiceStates([state.serviceId])).get(state.serviceId);
      if (current) services.set(state.serviceId, current);
      log.warn('service written concurrently; continuing from its current state', { serviceId: state.serviceId });
      return false;
    }
  };
  const componentStatus = (id: string) => stateOf(id).status;
  const maintenance = activeMaintenance(model.config.maintenance, now);
  for (const svc of model.services.values()) {
    const derived = deriveServiceState(svc, componentStatus, maintenance);
    const { owed, state: prev } = splitOwed(services.get(svc.id) ?? { serviceId: svc.id, state: 'Normal' as const, since: at, causes: [], version: 0 });
    const same = prev.state === derived.state && prev.causes.join() === derived.causes.join();
    if (same && !owed) continue;
    if (owed) await store.appendTransition(owed);
    // A state change starts when the causing component's change started.
    const since = prev.state === derived.state ? prev.since : (derived.causes.map((c) => stateOf(c).since).sort()[0] ?? at);
    const t: Transition | undefined =
      prev.state !== derived.state ? { subject: 'service', id: svc.id, from: prev.state, to: derived.state, at, evidence: { causes: derived.causes } } : undefined;
    const next: Owing<ServiceStateRecord> = same
      ? { ...prev, version: prev.version + 1 }
      : { serviceId: svc.id, state: derived.state, since, causes: derived.causes, version: prev.version + 1, ...(t ? { unrecorded: t } : {}) };
    if (!(await saveService(next, prev.version))) continue;
    if (t) {
      await store.appendTransition(t);
      serviceTransitions.push(t);
      await saveService({ ...splitOwed(next).state, version: next.version + 1 }, next.version);
    }
  }

  // incidents, escalation, reminders → notices in the outbox
  const incidents = await evaluateIncidents({ store, model, log, now, services, components: stateOf });
  // route & render → deliver everything pending (this cycle's notices and any left by a crash)
  const deliveries = await deliverPending({ store, model, log, sender: deps.sender, clock: deps.clock, leaseMs: deps.leaseMs ?? 60_000, ...(deps.ackSecret ? { ackSecret: deps.ackSecret } : {}) });

  return { componentTransitions, serviceTransitions, ...incidents, ...deliveries };
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
