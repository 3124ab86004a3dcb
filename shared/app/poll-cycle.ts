import { isPolled, type PolledSourceConfig } from '../config/schema.js';
import type { Clock } from '../domain/clock.js';
import { applyObservation, componentStatesEqual, initialComponentState, lastReadStatus } from '../domain/component.js';
import { DialtoneError } from '../domain/errors.js';
import type { Model } from '../domain/model.js';
import type { Observation } from '../domain/observation.js';
import type { ComponentState, SourceState, Transition } from '../domain/records.js';
import { activeMaintenance } from '../domain/maintenance.js';
import { deriveServiceState } from '../domain/service.js';
import type { SourceRead } from '../sources/read-source.js';
import { evaluateIncidents, type IncidentReport } from './incidents.js';
import { deliverPending, type DeliveryReport } from './deliver.js';
import { mapLimit, type Log } from './log.js';
import type { Sender, Store } from './ports.js';

export type ReadSource = (
  source: PolledSourceConfig,
  prev: SourceState | undefined,
  ctx: { now: Date; allow: readonly string[] },
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
}

export interface SourceOutcome {
  sourceId: string;
  kind: SourceRead['kind'];
  error?: string;
}

export interface CycleReport extends IncidentReport, DeliveryReport {
  at: string;
  sources: SourceOutcome[];
  componentTransitions: Transition[];
  serviceTransitions: Transition[];
}

function isConflict(err: unknown): boolean {
  return err instanceof DialtoneError && err.code === 'STORE.CONFLICT';
}

/**
 * One poll cycle, the signal path of DESIGN.md end to end: fetch → observe → evaluate → record →
 * route & render → deliver. The CLI, the demo and the poll Lambda all call this.
 * An unchanged cycle reads (batched) and writes nothing.
 */
export async function runPollCycle(deps: PipelineDeps, due?: readonly PolledSourceConfig[]): Promise<CycleReport> {
  const { store, model, log } = deps;
  const now = deps.clock.now();
  const at = now.toISOString();
  const sources = due ?? model.config.sources.filter(isPolled);

  // fetch + observe
  const prevSources = await store.getSourceStates(sources.map((s) => s.id));
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
    await saveSourceStateIfChanged(deps, prev, read.state);
    return { source, read };
  });

  const observations: Observation[] = [];
  const outcomes: SourceOutcome[] = [];
  for (const { source, read } of reads) {
    outcomes.push({ sourceId: source.id, kind: read.kind, ...(read.kind === 'failed' ? { error: read.error.message } : {}) });
    if (read.kind === 'changed') observations.push(...read.observations);
    else if (read.kind === 'unchanged') {
      // The same payload says the same again: each component's last read counts once more.
      for (const c of source.components) observations.push({ sourceId: source.id, componentId: c.id, status: lastReadStatus(stateOf(c.id)), observedAt: at });
    } else {
      log.warn('source read failed', { sourceId: source.id, code: read.error.code, error: read.error.message });
      for (const c of source.components) observations.push({ sourceId: source.id, componentId: c.id, status: 'unknown', observedAt: at, error: read.error.message });
    }
  }

  // evaluate + record: components (hysteresis)
  const componentTransitions: Transition[] = [];
  for (const obs of observations) {
    if (!model.components.has(obs.componentId)) continue;
    const prev = stateOf(obs.componentId);
    const { next, transition } = applyObservation(prev, obs, model.config.thresholds);
    if (componentStatesEqual(prev, next) && components.has(obs.componentId)) continue;
    const saved = { ...next, version: prev.version + 1 };
    try {
      await store.saveComponentState(saved, prev.version);
    } catch (err) {
      if (!isConflict(err)) throw err;
      log.warn('component written concurrently; the next cycle re-reads it', { componentId: obs.componentId });
      continue;
    }
    components.set(obs.componentId, saved);
    if (transition) {
      await store.appendTransition(transition);
      componentTransitions.push(transition);
    }
  }

  // evaluate + record: 911 services, derived through their dependencies
  const serviceIds = [...model.services.keys()];
  const services = await store.getServiceStates(serviceIds);
  const serviceTransitions: Transition[] = [];
  const componentStatus = (id: string) => stateOf(id).status;
  const maintenance = activeMaintenance(model.config.maintenance, now);
  for (const svc of model.services.values()) {
    const derived = deriveServiceState(svc, componentStatus, maintenance);
    const prev = services.get(svc.id) ?? { serviceId: svc.id, state: 'Normal' as const, since: at, causes: [], version: 0 };
    if (prev.state === derived.state && prev.causes.join() === derived.causes.join()) continue;
    // A state change starts when the causing component's change started.
    const since = prev.state === derived.state ? prev.since : (derived.causes.map((c) => stateOf(c).since).sort()[0] ?? at);
    const next = { serviceId: svc.id, state: derived.state, since, causes: derived.causes, version: prev.version + 1 };
    try {
      await store.saveServiceState(next, prev.version);
    } catch (err) {
      if (!isConflict(err)) throw err;
      log.warn('service written concurrently; the next cycle re-reads it', { serviceId: svc.id });
      continue;
    }
    services.set(svc.id, next);
    if (prev.state !== derived.state) {
      const t: Transition = { subject: 'service', id: svc.id, from: prev.state, to: derived.state, at, evidence: { causes: derived.causes } };
      await store.appendTransition(t);
      serviceTransitions.push(t);
    }
  }

  // incidents, escalation, reminders → notices in the outbox
  const incidents = await evaluateIncidents({ store, model, log, now, services, components: stateOf });
  // route & render → deliver everything pending (this cycle's notices and any left by a crash)
  const deliveries = await deliverPending({ store, model, log, sender: deps.sender, clock: deps.clock, leaseMs: deps.leaseMs ?? 60_000 });

  return { at, sources: outcomes, componentTransitions, serviceTransitions, ...incidents, ...deliveries };
}

async function saveSourceStateIfChanged(deps: PipelineDeps, prev: SourceState | undefined, next: Omit<SourceState, 'version'>) {
  if (prev) {
    const { version: _v, ...rest } = prev;
    if (JSON.stringify(sortKeys(rest)) === JSON.stringify(sortKeys(next))) return;
  }
  const version = prev?.version ?? 0;
  try {
    await deps.store.saveSourceState({ ...next, version: version + 1 }, version);
  } catch (err) {
    if (!isConflict(err)) throw err;
    deps.log.warn('source state written concurrently', { sourceId: next.sourceId });
  }
}

function sortKeys(o: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b)));
}
