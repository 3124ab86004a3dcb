/**
 * The world the bad-input corpus (bad-input.test.ts) runs in:
 *
 * - one loopback HTTP upstream on 127.0.0.1 (routes by path: the two good sources and one route
 *   per corpus case) and, when the host has it, an alias on 127.0.0.2 that the config's
 *   `network.allow` does NOT list (the forbidden target of the live redirect cases);
 * - a watch on `net.Socket.prototype.connect`: every connection any case opens is recorded, so
 *   the suite can prove nothing ever left 127.0.0.0/8;
 * - a fresh DynamoDB table per case on one embedded store (no state leaks between cases: the
 *   open-incident and outbox indexes are per table);
 * - the real reader (`readSource`) wired into the real poll cycle exactly as shared/cli and
 *   functions/poll do, wrapped only to record what it returned (and whether it threw).
 */
import { CreateTableCommand, DeleteTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createHash } from 'node:crypto';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { DynamoStore } from '../../shared/adapters/dynamo-store.js';
import { createTableInput } from '../../shared/adapters/table.js';
import { silentLog, type Log } from '../../shared/app/log.js';
import type { PipelineDeps } from '../../shared/app/poll-cycle.js';
import { validateConfig } from '../../shared/config/load.js';
import type { MonitoringConfig, PolledSourceConfig } from '../../shared/config/schema.js';
import { SimulatedClock } from '../../shared/domain/clock.js';
import { buildModel, type Model } from '../../shared/domain/model.js';
import type { Status } from '../../shared/domain/status.js';
import type { SourceRead } from '../../shared/sources/parsers.js';
import { readSource } from '../../shared/sources/read-source.js';
import { RecordingSender } from '../support/pipeline.js';

// ── the loopback upstream ─────────────────────────────────────────────────────────────────────

/** Where a case's handler may point the reader: the alias (not allowed) and a canary that must never be requested. */
export interface ServeContext {
  /** http://127.0.0.1:<port> */
  base: string;
  /** http://127.0.0.2:<port>, or a closed port on 127.0.0.2 when the host has no alias (the refusal comes first anyway). */
  alias: string;
  /** A URL on the main server that no case may cause a request to (XXE, external DTDs). */
  canary: string;
}

export type Serve = (req: http.IncomingMessage, res: http.ServerResponse, ctx: ServeContext) => void;

export const CANARY_PATH = '/canary/never-fetch-me';

export class LoopbackUpstream {
  private readonly routes = new Map<string, Serve>();
  /** Paths requested on 127.0.0.1, in order. */
  readonly requested: string[] = [];
  /** Connections accepted by the 127.0.0.2 alias (must stay 0: the guard refuses before connecting). */
  aliasConnections = 0;
  private constructor(
    private readonly main: http.Server,
    private readonly aliasServer: http.Server | undefined,
    readonly ctx: ServeContext,
  ) {}

  static async start(): Promise<LoopbackUpstream> {
    const main = http.createServer();
    await listen(main, '127.0.0.1');
    const base = `http://127.0.0.1:${(main.address() as AddressInfo).port}`;
    let aliasServer: http.Server | undefined = http.createServer((_req, res) => res.end('{"reached":"127.0.0.2"}'));
    try {
      await listen(aliasServer, '127.0.0.2');
    } catch {
      aliasServer = undefined; // no 127.0.0.2 on this host: the cases then prove the refusal only
    }
    const aliasPort = aliasServer ? (aliasServer.address() as AddressInfo).port : 9;
    const self = new LoopbackUpstream(main, aliasServer, { base, alias: `http://127.0.0.2:${aliasPort}`, canary: `${base}${CANARY_PATH}` });
    main.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => self.handle(req, res));
    aliasServer?.on('connection', () => self.aliasConnections++);
    return self;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    this.requested.push(path);
    const serve = this.routes.get(path);
    if (serve) serve(req, res, this.ctx);
    else res.writeHead(404, { 'content-type': 'text/plain' }).end(`no route ${path}`);
  }

  route(path: string, serve: Serve): void {
    this.routes.set(path, serve);
  }

  /** How often a path was requested (the canary must stay at 0). */
  count(path: string): number {
    return this.requested.filter((p) => p === path).length;
  }

  async close(): Promise<void> {
    for (const server of [this.main, this.aliasServer]) {
      if (!server) continue;
      server.closeAllConnections(); // stalled responses would keep close() waiting
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }
}

function listen(server: http.Server, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

// ── every connection the process opens ────────────────────────────────────────────────────────

/** The host a `Socket#connect` call targets: (options), ([options, cb]) as net.createConnection passes it, (port, host) or (path). */
function targetOf(args: readonly unknown[]): string {
  let first = args[0];
  if (Array.isArray(first)) first = first[0];
  if (typeof first === 'object' && first !== null) {
    const o = first as { host?: unknown; path?: unknown };
    if (typeof o.path === 'string') return `pipe:${o.path}`;
    return typeof o.host === 'string' ? o.host : 'localhost';
  }
  if (typeof first === 'number') return typeof args[1] === 'string' ? args[1] : 'localhost';
  if (typeof first === 'string') return /^\d+$/.test(first) ? (typeof args[1] === 'string' ? args[1] : 'localhost') : `pipe:${first}`;
  return '?';
}

/** 127.0.0.0/8, ::1, localhost, or a local pipe: nothing that can leave the machine. */
export function isLoopbackTarget(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h.startsWith('pipe:') || h === 'localhost' || h === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/i.test(h);
}

export interface ConnectionWatch {
  /** Hosts connected to since the last `clear()`. */
  hosts(): string[];
  clear(): void;
  restore(): void;
}

/** Spies on net.Socket.prototype.connect (calls go through unchanged). */
export function watchConnections(): ConnectionWatch {
  const spy = jest.spyOn(net.Socket.prototype, 'connect');
  return {
    hosts: () => (spy.mock.calls as unknown as unknown[][]).map(targetOf),
    // mockClear also drops the sockets the spy remembers (`mock.instances`): no leak over hundreds of cases.
    clear: () => spy.mockClear(),
    restore: () => spy.mockRestore(),
  };
}

// ── one table per case ──────────────────────────────────────────────────────────────────────────

export async function createTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new CreateTableCommand(createTableInput(tableName)));
  for (let i = 0; i < 1000; i++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`table ${tableName} never became ACTIVE`);
}

export async function deleteTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new DeleteTableCommand({ TableName: tableName }));
}

// ── the config every case runs with ─────────────────────────────────────────────────────────────

export const START = '2026-09-29T00:00:00Z';
export const THRESHOLDS = { openAfter: 2, closeAfter: 2, blindAfter: 2 };

/** The two good sources every case reads beside the bad one (served by the same loopback server). */
export const GOOD = {
  outage: { sourceId: 'good-outage', componentId: 'good-routing', serviceId: 'good-psap', path: '/good/outage.json' },
  ok: { sourceId: 'good-ok', componentId: 'good-ali', serviceId: 'ok-psap', path: '/good/ok.json' },
} as const;
export const GOOD_OUTAGE_BODY = JSON.stringify({ page: { id: 'good', url: 'https://status.good.example' }, status: { indicator: 'critical' }, components: [{ id: 'g1', name: 'Routing', status: 'major_outage' }] });
export const GOOD_OK_BODY = JSON.stringify({ page: { id: 'ok', url: 'https://status.ok.example' }, status: { indicator: 'none' }, components: [{ id: 'o1', name: 'ALI', status: 'operational' }] });

/** The service that depends on the bad source's components, and the recipients who must never hear about it. */
export const BAD_SERVICE = 'bad-psap';
export const NEVER_NOTIFIED = ['bad-floor', 'az-em'];
export const BAD_STATUSES: ReadonlySet<Status> = new Set<Status>(['major_outage', 'partial_outage', 'degraded']);

export interface ComponentSpec {
  id: string;
  match?: unknown;
}

/**
 * The good world plus `extraSources` (the bad polled source, or push sources). `badComponents`
 * are the components Arizona's `bad-psap` depends on: none of them may ever put it in trouble.
 */
export function corpusConfig(base: string, extraSources: readonly Record<string, unknown>[], badComponents: readonly string[]): MonitoringConfig {
  const statuspage = (id: string, path: string, component: string, match: unknown) => ({
    id,
    kind: 'statuspage',
    url: `${base}${path}`,
    timeoutMs: 2_000,
    components: [{ id: component, name: component, provider: 'Good vendor', match }],
  });
  const raw = {
    notifier: { name: 'Watch desk', phone: '+1 555 010 0199', email: 'desk@dialtone.example' },
    thresholds: THRESHOLDS,
    network: { allow: ['127.0.0.1'] },
    sources: [
      statuspage(GOOD.outage.sourceId, GOOD.outage.path, GOOD.outage.componentId, { name: 'Routing' }),
      statuspage(GOOD.ok.sourceId, GOOD.ok.path, GOOD.ok.componentId, { page: true }),
      ...extraSources,
    ],
    services: [
      { id: GOOD.outage.serviceId, name: 'Hennepin County 911', kind: 'psap', fips: '27053', county: 'Hennepin County', state: 'MN', dependsOn: [{ component: GOOD.outage.componentId }], neighbours: [GOOD.ok.serviceId] },
      { id: GOOD.ok.serviceId, name: 'Ramsey County ECC', kind: 'psap', fips: '27123', state: 'MN', dependsOn: [{ component: GOOD.ok.componentId }] },
      { id: BAD_SERVICE, name: 'Maricopa Region 911', kind: 'psap', fips: '04013', state: 'AZ', dependsOn: badComponents.map((component) => ({ component })) },
    ],
    recipients: [
      { id: 'good-floor', name: 'Ramsey floor', role: 'psap', psap: GOOD.ok.serviceId, channels: { sms: '+16515550198' } },
      { id: 'mn-em', name: 'Minnesota 911', role: 'county-manager', jurisdictions: { states: ['MN'] }, channels: { email: 'mn@mn.example' } },
      { id: 'bad-floor', name: 'Maricopa floor', role: 'psap', psap: BAD_SERVICE, channels: { sms: '+16025550142' } },
      { id: 'az-em', name: 'Arizona 911 office', role: 'county-manager', jurisdictions: { states: ['AZ'] }, channels: { email: 'az@az.example' } },
      { id: 'ops', name: 'Ops', role: 'ops', channels: { email: 'ops@dialtone.example' } },
    ],
  };
  const result = validateConfig(raw);
  if (!result.ok) throw new Error(`corpus config invalid: ${JSON.stringify(result.problems)}`);
  return result.config;
}

// ── one case's pipeline ─────────────────────────────────────────────────────────────────────────

export interface RecordedRead {
  sourceId: string;
  read?: SourceRead;
  threw?: unknown;
  ms: number;
}

export interface CaseWorld {
  store: DynamoStore;
  clock: SimulatedClock;
  sender: RecordingSender;
  model: Model;
  deps: PipelineDeps;
  /** Every read this world made, in order (the real reader's own results). */
  reads: RecordedRead[];
  /** Warnings the pipeline logged (source read failed, push refused…). */
  warnings: Array<{ message: string; extra?: Record<string, unknown> }>;
  dispose(): Promise<void>;
}

let tables = 0;

/** A fresh table and the real pipeline on it, reading through the real `readSource`. */
export async function caseWorld(client: DynamoDBClient, config: MonitoringConfig): Promise<CaseWorld> {
  const tableName = `bad-input-${++tables}`;
  await createTable(client, tableName);
  const store = new DynamoStore({ client, tableName });
  const clock = new SimulatedClock(START);
  const sender = new RecordingSender();
  const model = buildModel(config);
  const reads: RecordedRead[] = [];
  const warnings: CaseWorld['warnings'] = [];
  const log: Log = { ...silentLog, warn: (message, extra) => void warnings.push({ message, ...(extra ? { extra } : {}) }) };
  // As shared/cli/local-pipeline.ts and functions/poll wire it: the cycle hands over `allow`.
  const read: PipelineDeps['readSource'] = async (source: PolledSourceConfig, prev, ctx) => {
    const started = performance.now();
    try {
      const result = await readSource(source, prev, ctx);
      reads.push({ sourceId: source.id, read: result, ms: performance.now() - started });
      return result;
    } catch (err) {
      reads.push({ sourceId: source.id, threw: err, ms: performance.now() - started });
      throw err;
    }
  };
  const deps: PipelineDeps = { store, sender, clock, model, readSource: read, log, leaseMs: 60_000 };
  return { store, clock, sender, model, deps, reads, warnings, dispose: () => deleteTable(client, tableName) };
}

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
