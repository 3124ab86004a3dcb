import { initialComponentState } from '../domain/component.js';
import type { ComponentState } from '../domain/records.js';
import { deliverPending, type DeliveryReport } from './deliver.js';
import { evaluateIncidents, type IncidentReport } from './incidents.js';
import type { EvaluateDeps } from './poll-cycle.js';

export interface SweepReport extends IncidentReport, DeliveryReport {
  at: string;
  openIncidents: number;
}

/**
 * The evaluate/escalate sweep: incidents' clocks (FCC first notice, 2-hour updates, escalation
 * after `downMinutes`, no-acknowledgement escalation, maintenance windows starting and ending)
 * and the outbox, from the record alone: no source is read. It runs on its own schedule, so
 * reminders and escalations fire even while every poll is failing (a broken egress, a bad
 * deploy of an adapter), and whatever a crashed invocation left in the outbox is delivered.
 *
 * Safe to run beside polls and other sweeps: every write is a conditional write (an incident is
 * saved with compare-and-set, a notice is written once, a delivery is claimed before sending).
 */
export async function runSweep(deps: EvaluateDeps): Promise<SweepReport> {
  const { store, model, log } = deps;
  const now = deps.clock.now();
  const at = now.toISOString();
  const [services, components] = await Promise.all([
    store.getServiceStates([...model.services.keys()]),
    store.getComponentStates([...model.components.keys()]),
  ]);
  const stateOf = (id: string): ComponentState => components.get(id) ?? initialComponentState(id, at);
  const incidents = await evaluateIncidents({ store, model, log, now, services, components: stateOf });
  const deliveries = await deliverPending({
    store,
    model,
    log,
    sender: deps.sender,
    clock: deps.clock,
    leaseMs: deps.leaseMs ?? 60_000,
    ...(deps.ackSecret ? { ackSecret: deps.ackSecret } : {}),
  });
  const openIncidents = (await store.listOpenIncidents()).length;
  return { at, openIncidents, ...incidents, ...deliveries };
}

/** The outbox drain alone (functions/deliver): route, render and send every pending notice. */
export async function drainOutbox(deps: EvaluateDeps): Promise<DeliveryReport & { at: string }> {
  const at = deps.clock.now().toISOString();
  const report = await deliverPending({
    store: deps.store,
    model: deps.model,
    log: deps.log,
    sender: deps.sender,
    clock: deps.clock,
    leaseMs: deps.leaseMs ?? 60_000,
    ...(deps.ackSecret ? { ackSecret: deps.ackSecret } : {}),
  });
  return { at, ...report };
}
