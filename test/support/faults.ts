/**
 * Fault injection for the reliability suite (test/reliability). Everything here wraps the REAL
 * pieces (the DynamoDB client talking to the embedded store, the DynamoStore adapter, a Sender)
 * and breaks them on purpose, recording what it broke so the suite can tell an injected failure
 * from a bug:
 *
 * - DynamoDB throttling: a middleware inside the SDK's retry loop throws
 *   ProvisionedThroughputExceededException / ThrottlingException before the request is sent, so
 *   a throttled write never happens. A throttled call is throttled either once (the SDK's own
 *   retry absorbs it) or on every attempt (it reaches the app). The SDK's standard retry strategy
 *   is used unchanged except for its backoff, which is 0 ms (nothing sleeps in tests).
 * - A crash between two steps: a Store wrapper throws SimulatedCrash at a chosen call (by index
 *   or by the nth call of a method), before or after the real call; from then on every call of
 *   that invocation (store or sender) throws too: a dead Lambda does nothing more.
 * - Sender errors and timeouts: a send is rejected (never delivered), hangs past the timeout
 *   (never delivered), or is accepted by the channel and then hangs past the timeout (delivered,
 *   but the caller sees a timeout). A hang is simulated: the timeout fires on the next macrotask
 *   and the simulated clock moves by the timeout.
 * - The channel: the recipients' side of every sender (all regions), the ground truth for "was
 *   it delivered, and how often". Each accepted copy remembers what became of its mark-as-sent.
 */
import { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
import { DynamoDBClient, ProvisionedThroughputExceededException, ThrottlingException, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { HttpResponse, type HttpRequest } from '@smithy/core/protocols';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import dynalite from 'dynalite';
import { startEmbeddedDynamo } from '../../shared/adapters/embedded-dynamo.js';
import type { Sender, Store } from '../../shared/app/ports.js';
import type { SimulatedClock } from '../../shared/domain/clock.js';
import { DialtoneError } from '../../shared/domain/errors.js';
import type { Delivery, DeliveryKey } from '../../shared/domain/records.js';

// ── randomness and counting ──────────────────────────────────────────────────────────────────

export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/** Named counters (faults injected by type, outcomes). */
export class Tally {
  private readonly counts = new Map<string, number>();
  add(key: string, n = 1): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }
  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }
  /** Sum of every counter whose name starts with `prefix`. */
  sum(prefix: string): number {
    let n = 0;
    for (const [k, v] of this.counts) if (k.startsWith(prefix)) n += v;
    return n;
  }
  merge(other: Tally): void {
    for (const [k, v] of other.counts) this.add(k, v);
  }
  entries(): Array<[string, number]> {
    return [...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b));
  }
}

// ── errors the suite injects ─────────────────────────────────────────────────────────────────

const INJECTED = Symbol.for('dialtone.test.injected');

/** The process died here (a Lambda timeout, an OOM, a lost container). */
export class SimulatedCrash extends Error {
  readonly [INJECTED] = 'crash';
  constructor(where: string) {
    super(`simulated crash ${where}`);
    this.name = 'SimulatedCrash';
  }
}

/** A send that did not complete in time (the channel may or may not have taken the message). */
export class SimulatedTimeout extends Error {
  readonly [INJECTED] = 'timeout';
  constructor(ms: number) {
    super(`send timed out after ${ms} ms (simulated)`);
    this.name = 'TimeoutError';
  }
}

/** 'crash', 'throttle', 'timeout', 'reject' for an error this module injected, else undefined. */
export function injectedKind(err: unknown): string | undefined {
  return err !== null && typeof err === 'object' ? ((err as Record<symbol, string>)[INJECTED] ?? undefined) : undefined;
}

export function isConflict(err: unknown): boolean {
  return err instanceof DialtoneError && err.code === 'STORE.CONFLICT';
}

// ── the embedded store, and how clients reach it ────────────────────────────────────────────

/** Where DynamoDB clients for the embedded store connect: loopback HTTP, or straight in-process. */
export interface DynamoTransport {
  /** Client options that reach this store (endpoint, handler, fake credentials). */
  clientConfig(): DynamoDBClientConfig;
  /** A client without faults (table setup, the checks). */
  readonly client: DynamoDBClient;
  readonly kind: 'http' | 'in-process';
  stop(): Promise<void>;
}

const FAKE_CREDENTIALS = { accessKeyId: 'embedded', secretAccessKey: 'embedded' };

/** The embedded store as the product runs it: dynalite on loopback (shared/adapters/embedded-dynamo.ts). */
export async function loopbackDynamo(): Promise<DynamoTransport> {
  const db = await startEmbeddedDynamo();
  return { kind: 'http', client: db.client, clientConfig: () => ({ endpoint: db.endpoint, region: 'us-east-1', credentials: FAKE_CREDENTIALS }), stop: () => db.stop() };
}

type RequestListener = (req: unknown, res: unknown) => void;

/**
 * The same dynalite, the same SDK (serialisation, signing, retries, middleware) and the same
 * adapter, minus the socket: requests are handed to dynalite's HTTP request listener in-process.
 * About 40% less time per DynamoDB call than loopback, which is what makes a 10,000-case soak
 * practical on a small machine.
 */
export function inProcessDynamo(): DynamoTransport {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const listener = server.listeners('request')[0] as RequestListener;
  const requestHandler = {
    metadata: { handlerProtocol: 'http/1.1' },
    destroy() {},
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
    handle: (request: HttpRequest) =>
      new Promise<{ response: HttpResponse }>((resolve) => {
        const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]));
        const req = Object.assign(new EventEmitter(), { method: request.method, url: request.path, headers });
        const out: Record<string, string> = {};
        const res = {
          statusCode: 200,
          setHeader(k: string, v: unknown) {
            out[k.toLowerCase()] = String(v);
          },
          end(body?: string) {
            resolve({ response: new HttpResponse({ statusCode: this.statusCode, headers: out, body: Readable.from([Buffer.from(body ?? '')]) }) });
          },
        };
        listener(req, res);
        const body: unknown = request.body;
        if (body instanceof Uint8Array) req.emit('data', Buffer.from(body.buffer, body.byteOffset, body.byteLength));
        else if (typeof body === 'string') req.emit('data', Buffer.from(body));
        req.emit('end');
      }),
  };
  const clientConfig = (): DynamoDBClientConfig => ({ endpoint: 'http://dynalite.in-process', region: 'us-east-1', credentials: FAKE_CREDENTIALS, requestHandler });
  const client = new DynamoDBClient({ ...clientConfig(), maxAttempts: 2 });
  return { kind: 'in-process', client, clientConfig, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}

// ── DynamoDB throttling ──────────────────────────────────────────────────────────────────────

export interface ThrottleControl {
  /** Probability that a DynamoDB call is throttled (0 disables throttling). */
  rate: number;
  random: () => number;
  tally: Tally;
}

const PLAN = Symbol('throttlePlan');
interface ThrottlePlan {
  throttleAttempts: number;
  attempt: number;
  thrown: number;
}

/**
 * A DynamoDB client for the embedded store whose calls can be throttled. The middleware sits in
 * the deserialize step, inside the SDK's retry loop: the SDK classifies the error as throttling
 * and retries it like a real one, with its standard strategy (0 ms backoff, `maxAttempts`).
 */
export function createThrottlingClient(opts: { transport: DynamoTransport; control: ThrottleControl; maxAttempts?: number }): DynamoDBClient {
  const maxAttempts = opts.maxAttempts ?? 2;
  const { control } = opts;
  const client = new DynamoDBClient({ ...opts.transport.clientConfig(), retryStrategy: new ConfiguredRetryStrategy(maxAttempts, 0) });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const plan: ThrottlePlan = { throttleAttempts: 0, attempt: 0, thrown: 0 };
      if (control.rate > 0 && control.random() < control.rate) {
        // Half are a blip the SDK's retry absorbs, half a burst that outlasts every attempt.
        plan.throttleAttempts = control.random() < 0.5 ? 1 : maxAttempts;
      }
      (context as Record<symbol, unknown>)[PLAN] = plan;
      control.tally.add(`dynamo.${context.commandName}`);
      try {
        const out = await next(args);
        if (plan.thrown > 0) control.tally.add('throttle.absorbedBySdk');
        return out;
      } catch (err) {
        if (injectedKind(err) === 'throttle') control.tally.add('throttle.reachedApp');
        throw err;
      }
    },
    { step: 'initialize', name: 'faultsThrottlePlan', priority: 'high' },
  );
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const plan = (context as Record<symbol, ThrottlePlan | undefined>)[PLAN];
      if (plan && plan.attempt++ < plan.throttleAttempts) {
        plan.thrown++;
        control.tally.add('throttle.thrown');
        const init = { message: `Rate of requests exceeds the allowed throughput (simulated, ${context.commandName})`, $metadata: { httpStatusCode: 400 } };
        const err = control.random() < 0.5 ? new ProvisionedThroughputExceededException(init) : new ThrottlingException(init);
        Object.defineProperty(err, INJECTED, { value: 'throttle' });
        throw err;
      }
      return next(args);
    },
    { step: 'deserialize', name: 'faultsThrottle', priority: 'low' },
  );
  return client;
}

// ── crashes ──────────────────────────────────────────────────────────────────────────────────

export type StoreMethod = keyof Store;

export type CrashPlan =
  | { kind: 'index'; index: number; mode: 'before' | 'after' }
  | { kind: 'method'; method: StoreMethod; nth: number; mode: 'before' | 'after' };

export function describeCrash(plan: CrashPlan): string {
  return plan.kind === 'index' ? `${plan.mode} store call #${plan.index}` : `${plan.mode} ${plan.method} #${plan.nth}`;
}

/** One Lambda invocation: once it is dead, nothing it does reaches the store or a channel. */
export class Invocation {
  dead = false;
  calls = 0;
  readonly callsByMethod = new Map<string, number>();
  firedAt?: string;
  /** Messages the channel took from this invocation. */
  readonly sent: Copy[] = [];
  constructor(readonly crash?: CrashPlan) {}

  /**
   * The invocation died of an injected fault: whatever the channel took from it and it had not
   * yet recorded as sent was cut off by that fault (the documented resend case).
   */
  diedOf(kind: string): void {
    for (const copy of this.sent) for (const key of copy.keys) if (!copy.marks.has(key)) copy.marks.set(key, kind);
  }

  /** Throws if this invocation already died. */
  checkAlive(what: string): void {
    if (this.dead) throw new SimulatedCrash(`(already dead: ${what} never happens)`);
  }
}

/**
 * The Store of one invocation: forwards to the real store and dies where the plan says. The
 * channel learns what happened to each mark-as-sent (the ground truth for duplicates).
 */
export function crashingStore(base: Store, inv: Invocation, channel: Channel, tally: Tally, onWritten?: (method: StoreMethod, args: unknown[]) => void): Store {
  return new Proxy(base, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const method = prop as StoreMethod;
      return async (...args: unknown[]) => {
        inv.checkAlive(method);
        const index = inv.calls++;
        const nth = inv.callsByMethod.get(method) ?? 0;
        inv.callsByMethod.set(method, nth + 1);
        const plan = inv.crash;
        const hit = plan !== undefined && (plan.kind === 'index' ? plan.index === index : plan.method === method && plan.nth === nth);
        const die = () => {
          inv.dead = true;
          inv.firedAt = `${plan!.mode} ${method}`;
          tally.add(`crash.${plan!.mode}.${method}`);
          return new SimulatedCrash(`${plan!.mode} ${method} (store call #${index})`);
        };
        // The sends this call records (an ops alert's mark, or a lease holder's batch).
        const marks: Array<[messageId: string, key: string]> =
          method === 'markDeliverySent'
            ? [[args[1] as string, deliveryKey(args[0] as DeliveryKey)]]
            : method === 'recordDeliveries'
              ? (args[0] as Delivery[]).filter((d) => d.status === 'sent' && d.messageId !== undefined).map((d) => [d.messageId!, deliveryKey(d)])
              : [];
        const mark = (outcome: string) => {
          for (const [messageId, key] of marks) channel.markOutcome(messageId, key, outcome);
        };
        if (hit && plan.mode === 'before') {
          mark('crash');
          throw die();
        }
        let result: unknown;
        try {
          result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } catch (err) {
          mark(injectedKind(err) ?? (isConflict(err) ? 'conflict' : `error:${(err as Error).name}`));
          if (isConflict(err)) tally.add(`conflict.thrown.${method}`);
          throw err;
        }
        mark('recorded');
        onWritten?.(method, args);
        if (hit && plan.mode === 'after') throw die();
        return result;
      };
    },
  });
}

// ── the channel and the senders ──────────────────────────────────────────────────────────────

export const deliveryKey = (d: DeliveryKey) => `${d.incidentId}/${d.seq}/${d.recipientId}/${d.channel}`;

/** The deliveries one message carries: itself, or each member of a bundle (shared/app/deliver.ts). */
export function memberKeys(d: Delivery): string[] {
  return d.members ? d.members.map((m) => deliveryKey({ ...m, recipientId: d.recipientId, channel: d.channel })) : [deliveryKey(d)];
}

export interface Copy {
  /** The delivery keys it carried (a bundle carries several). */
  keys: string[];
  delivery: Delivery;
  messageId: string;
  region: string;
  acceptedAt: string;
  /** Order of acceptance across every sender. */
  order: number;
  /**
   * What became of each carried delivery's mark-as-sent: 'recorded'; 'crash' / 'throttle' /
   * 'timeout' (an injected fault between the channel taking it and the record saying so: the
   * documented resend case); 'conflict' (another record won: two workers sent it); absent (never
   * marked).
   */
  marks: Map<string, string>;
}

/** What the recipients' phones and mailboxes saw, across every sender (region). */
export class Channel {
  readonly copies: Copy[] = [];
  private readonly byMessageId = new Map<string, Copy>();

  accept(d: Delivery, region: string, at: Date): Copy {
    const copy: Copy = { keys: memberKeys(d), delivery: d, messageId: `${region}-m${this.copies.length + 1}`, region, acceptedAt: at.toISOString(), order: this.copies.length, marks: new Map() };
    this.copies.push(copy);
    this.byMessageId.set(copy.messageId, copy);
    return copy;
  }

  /** Every carried delivery of a message that timed out after the channel took it. */
  markAll(copy: Copy, outcome: string): void {
    for (const k of copy.keys) copy.marks.set(k, outcome);
  }

  markOutcome(messageId: string, key: string, outcome: string): void {
    const copy = this.byMessageId.get(messageId);
    if (copy && copy.marks.get(key) !== 'recorded') copy.marks.set(key, outcome);
  }
}

export interface SenderFaults {
  /** Probability that a send fails (reject, hang, or hang after the channel took it). */
  rate: number;
  random: () => number;
  tally: Tally;
  clock: SimulatedClock;
  /** The send timeout the hang runs into (simulated: the clock moves this much). */
  timeoutMs: number;
}

/** A region's last hop: delivers into the shared channel, failing as the plan says. */
export class FaultySender implements Sender {
  constructor(
    private readonly region: string,
    private readonly channel: Channel,
    private readonly inv: Invocation,
    private readonly faults: SenderFaults,
  ) {}

  async send(d: Delivery): Promise<{ messageId: string }> {
    this.inv.checkAlive('send');
    const { faults } = this;
    const fault = faults.rate > 0 && faults.random() < faults.rate ? pick(faults.random, ['reject', 'timeout', 'timeout-after-accept'] as const) : undefined;
    if (fault === 'reject') {
      faults.tally.add('sender.reject');
      // The address in the message: deliver.ts must redact it before it is logged or stored.
      const err = new Error(`channel refused the message for ${d.address} (simulated)`);
      Object.defineProperty(err, INJECTED, { value: 'reject' });
      throw err;
    }
    if (fault === 'timeout' || fault === 'timeout-after-accept') {
      faults.tally.add(`sender.${fault}`);
      if (fault === 'timeout-after-accept') this.channel.markAll(this.channel.accept(d, this.region, faults.clock.now()), 'timeout');
      // A real timeout may also fire after the channel took it: the caller cannot tell.
      return withSimulatedTimeout(new Promise<never>(() => {}), faults.timeoutMs, faults.clock);
    }
    const copy = this.channel.accept(d, this.region, faults.clock.now());
    this.inv.sent.push(copy);
    return { messageId: copy.messageId };
  }
}

/**
 * Races a promise against a simulated timeout: the timeout fires on the next macrotask (no real
 * waiting) and the simulated clock moves by `ms`, as if the caller had waited that long.
 */
export function withSimulatedTimeout<T>(work: Promise<T>, ms: number, clock: SimulatedClock): Promise<T> {
  const timeout = new Promise<never>((_, reject) =>
    setImmediate(() => {
      clock.advance(ms);
      reject(new SimulatedTimeout(ms));
    }),
  );
  return Promise.race([work, timeout]);
}
