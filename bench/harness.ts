/**
 * What every benchmark part shares: the world process, the pipeline wired exactly as the local
 * home wires it (DynamoStore on the embedded store, the real readSource), a DynamoDB call
 * counter on the client's middleware stack, and wall/CPU/RSS measurement.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoStore } from '../shared/adapters/dynamo-store.js';
import { silentLog } from '../shared/app/log.js';
import type { PipelineDeps, ReadSource } from '../shared/app/poll-cycle.js';
import type { Sender } from '../shared/app/ports.js';
import type { MonitoringConfig } from '../shared/config/schema.js';
import type { Clock } from '../shared/domain/clock.js';
import { buildModel } from '../shared/domain/model.js';
import type { Status } from '../shared/domain/status.js';
import { readSource } from '../shared/sources/read-source.js';
import type { WorldReply, WorldRequest, WorldUsage } from './world.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** How a part process is started: TypeScript through tsx, gc() exposed. */
export const PART_EXEC_ARGV = ['--expose-gc', '--import', 'tsx'];

export class World {
  private constructor(
    private readonly child: ChildProcess,
    readonly endpoint: string,
    readonly tableName: string,
    readonly upstream: string,
  ) {}

  static async start(): Promise<World> {
    const child = fork(join(__dirname, 'world.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const ready = await new Promise<Extract<WorldReply, { type: 'ready' }>>((resolve, reject) => {
      child.once('message', (m: WorldReply) => (m.type === 'ready' ? resolve(m) : reject(new Error(`world: unexpected ${m.type}`))));
      child.once('exit', (code) => reject(new Error(`world exited with ${code}`)));
    });
    return new World(child, ready.endpoint, ready.tableName, ready.upstream);
  }

  private ask<T extends WorldReply>(req: WorldRequest): Promise<T> {
    return new Promise((resolve) => {
      this.child.once('message', (m: T) => resolve(m));
      this.child.send(req);
    });
  }

  async setStatus(updates: Array<[number, Exclude<Status, 'unknown'>]>): Promise<void> {
    await this.ask({ type: 'status', updates });
  }

  async usage(): Promise<WorldUsage> {
    const { type: _t, ...u } = await this.ask<Extract<WorldReply, { type: 'usage' }>>({ type: 'usage' });
    return u;
  }

  async stop(): Promise<void> {
    const exited = new Promise((ok) => this.child.once('exit', ok));
    this.child.send({ type: 'stop' } satisfies WorldRequest);
    await Promise.race([exited, new Promise((ok) => setTimeout(ok, 3000).unref())]);
    if (this.child.exitCode === null) this.child.kill();
  }
}

/** DynamoDB calls by command name, counted on the client's middleware stack (what AWS would bill and throttle). */
export class CallCounter {
  private counts: Record<string, number> = {};
  constructor(client: DynamoDBClient) {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const name = (context.commandName ?? '?').replace(/Command$/, '');
        this.counts[name] = (this.counts[name] ?? 0) + 1;
        return next(args);
      },
      { step: 'initialize', name: 'benchCallCounter' },
    );
  }
  take(): Record<string, number> {
    const out = this.counts;
    this.counts = {};
    return out;
  }
}

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);
export const writesOf = (calls: Record<string, number>) => Object.entries(calls).reduce((n, [k, v]) => n + (WRITES.has(k) ? v : 0), 0);

/** The pipeline as the local home builds it (shared/cli/local-pipeline.ts), on the world's store. */
export function pipeline(world: World, config: MonitoringConfig, clock: Clock, sender: Sender, read: ReadSource = readSource) {
  const client = new DynamoDBClient({
    endpoint: world.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'embedded', secretAccessKey: 'embedded' },
    maxAttempts: 2,
  });
  const counter = new CallCounter(client);
  const store = new DynamoStore({ client, tableName: world.tableName });
  const deps: PipelineDeps = { store, sender, clock, model: buildModel(config), readSource: read, log: silentLog, concurrency: 64, leaseMs: 60_000 };
  return { deps, store, client, counter };
}

/** Counts sends; answers at once (the channel's own latency is not the pipeline's). */
export class CountingSender implements Sender {
  count = 0;
  async send(): Promise<{ messageId: string }> {
    this.count++;
    return { messageId: `bench-${this.count}` };
  }
}

export interface Measured<T> {
  result: T;
  wallMs: number;
  /** CPU (user + system) of this process: the pipeline's own. */
  cpuMs: number;
  /** CPU of the world process (dynalite + upstream) during the same span: not the pipeline's. */
  worldCpuMs?: number;
  /** Highest RSS of this process seen during the span (sampled every 10 ms). */
  peakRssMb: number;
  dynamo?: Record<string, number>;
  served?: Record<string, number>;
}

const gc = (globalThis as { gc?: () => void }).gc;

export async function measure<T>(fn: () => Promise<T>, opts: { world?: World; counter?: CallCounter } = {}): Promise<Measured<T>> {
  gc?.();
  opts.counter?.take();
  const before = opts.world ? await opts.world.usage() : undefined;
  let peak = process.memoryUsage.rss();
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await fn();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage.rss());
  const after = opts.world ? await opts.world.usage() : undefined;
  const served = before && after ? Object.fromEntries(Object.entries(after.served).map(([k, v]) => [k, v - (before.served[k] ?? 0)]).filter(([, v]) => v !== 0)) : undefined;
  return {
    result,
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    ...(before && after ? { worldCpuMs: after.cpuMs - before.cpuMs } : {}),
    peakRssMb: peak / 2 ** 20,
    ...(opts.counter ? { dynamo: opts.counter.take() } : {}),
    ...(served ? { served } : {}),
  };
}

// ── statistics ───────────────────────────────────────────────────────────────────────────────

/** Nearest-rank percentile of a sample. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
export const median = (values: readonly number[]) => percentile(values, 50);

/** A part process hands its result to the runner over IPC (or prints it when run by hand). */
export function report(result: unknown): void {
  if (process.send) process.send({ type: 'result', result });
  else console.log(JSON.stringify(result, null, 2));
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
