import { DynamoStore } from '../../shared/adapters/dynamo-store.js';
import { startEmbeddedDynamo } from '../../shared/adapters/embedded-dynamo.js';
import { silentLog } from '../../shared/app/log.js';
import type { PipelineDeps, ReadSource } from '../../shared/app/poll-cycle.js';
import type { Sender } from '../../shared/app/ports.js';
import type { MonitoringConfig } from '../../shared/config/schema.js';
import { SimulatedClock } from '../../shared/domain/clock.js';
import { buildModel } from '../../shared/domain/model.js';
import type { Delivery } from '../../shared/domain/records.js';
import type { Status } from '../../shared/domain/status.js';

/** Records every send; can be told to fail the next n sends (a channel outage). */
export class RecordingSender implements Sender {
  readonly sent: Delivery[] = [];
  failNext = 0;
  async send(d: Delivery) {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error(`channel unavailable for ${d.address}`);
    }
    this.sent.push(d);
    return { messageId: `m-${this.sent.length}` };
  }
}

/**
 * Upstream status set by the test, read through the real pipeline. Only the fetch is replaced:
 * hysteresis, services, incidents, the store, routing and rendering are the real ones.
 */
export class ScriptedUpstream {
  private readonly status = new Map<string, Status>();
  failing = new Set<string>();
  /** Sources the upstream told to wait (Retry-After): read as `skipped`, nothing fetched. */
  throttled = new Set<string>();
  reads = 0;
  set(componentId: string, status: Status) {
    this.status.set(componentId, status);
  }
  readonly read: ReadSource = async (source, prev, { now }) => {
    this.reads++;
    const state = { sourceId: source.id, consecutiveFailures: 0 };
    if (this.throttled.has(source.id)) {
      return { kind: 'skipped', reason: `source "${source.id}": throttled`, state: { sourceId: source.id, consecutiveFailures: prev?.consecutiveFailures ?? 0 } };
    }
    if (this.failing.has(source.id)) {
      const { DialtoneError } = await import('../../shared/domain/errors.js');
      return { kind: 'failed', error: new DialtoneError('SOURCE.UNREACHABLE', `source "${source.id}": connection refused`), state: { sourceId: source.id, consecutiveFailures: (prev?.consecutiveFailures ?? 0) + 1 } };
    }
    return {
      kind: 'changed',
      state,
      observations: source.components.map((c) => ({ sourceId: source.id, componentId: c.id, status: this.status.get(c.id) ?? 'operational', observedAt: now.toISOString() })),
    };
  };
}

export async function startTestPipeline(config: MonitoringConfig, start = '2026-09-29T00:00:00Z') {
  const db = await startEmbeddedDynamo();
  const store = new DynamoStore({ client: db.client, tableName: db.tableName });
  const clock = new SimulatedClock(start);
  const upstream = new ScriptedUpstream();
  const sender = new RecordingSender();
  const deps: PipelineDeps = { store, sender, clock, model: buildModel(config), readSource: upstream.read, log: silentLog, leaseMs: 60_000 };
  return { db, store, clock, upstream, sender, deps, stop: () => db.stop() };
}
