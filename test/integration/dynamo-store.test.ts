import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoStore, MAX_DELIVERY_ATTEMPTS } from '../../shared/adapters/dynamo-store.js';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../shared/adapters/embedded-dynamo.js';
import type {
  ComponentState,
  Delivery,
  Incident,
  Notice,
  ServiceStateRecord,
  SourceState,
  Transition,
} from '../../shared/domain/records.js';

const T0 = '2026-03-01T12:00:00.000Z';
const T1 = '2026-03-01T12:05:00.000Z';
const T2 = '2026-03-01T12:10:00.000Z';
const MINUTE = 60_000;

let db: EmbeddedDynamo;
let store: DynamoStore;

beforeAll(async () => {
  db = await startEmbeddedDynamo();
  store = new DynamoStore({ client: db.client, tableName: db.tableName });
});

afterAll(() => db.stop());

// Every test uses its own ids, so tests share one table without seeing each other.
let counter = 0;
const uid = (prefix: string) => `${prefix}-${++counter}`;

// ── fixtures ─────────────────────────────────────────────────────────────────────────────────

const componentState = (componentId: string, over: Partial<ComponentState> = {}): ComponentState => ({
  componentId,
  status: 'major_outage',
  since: T0,
  candidate: 'operational',
  candidateCount: 1,
  candidateSince: T1,
  version: 0,
  ...over,
});

const incident = (causeComponentId: string, over: Partial<Incident> = {}): Incident => ({
  id: uid('INC'),
  causeComponentId,
  openedAt: T0,
  status: 'open',
  services: { 'psap-a': { state: 'Down', since: T0, darkSince: T0, worst: 'Down' } },
  concurrent: [{ componentId: 'aws-us-east-1', status: 'degraded', since: T0 }],
  certainty: 'suspected',
  sources: ['vendor'],
  noticeSeq: 0,
  version: 0,
  ...over,
});

const notice = (inc: Incident, seq: number): Notice => ({
  incidentId: inc.id,
  seq,
  phase: seq === 1 ? 'initial' : 'update',
  reason: seq === 1 ? 'opened' : 'changed',
  createdAt: T1,
  incident: inc,
});

const delivery = (incidentId: string, over: Partial<Delivery> = {}): Delivery => ({
  incidentId,
  seq: 1,
  recipientId: 'r-ops',
  channel: 'sms',
  phase: 'initial',
  role: 'ops',
  address: '+15555550100',
  text: 'PSAP A is DOWN: calls roll to PSAP B',
  status: 'pending',
  attempts: 0,
  leaseUntil: T0,
  createdAt: T0,
  ...over,
});

// ── spying on the wire ───────────────────────────────────────────────────────────────────────

/** Records the name of every DynamoDB operation the client sends (e.g. BatchGetItemCommand). */
function recordOperations(client: DynamoDBClient): { operations: string[]; stop(): void } {
  const operations: string[] = [];
  const name = uid('record-operations');
  client.middlewareStack.add(
    (next, context) => async (args) => {
      operations.push(context.commandName ?? 'unknown');
      return next(args);
    },
    { step: 'initialize', name },
  );
  return { operations, stop: () => client.middlewareStack.remove(name) };
}

/** Makes the nth call of one operation fail as if the process died there; later calls succeed. */
async function withCrashAt<T>(client: DynamoDBClient, commandName: string, nth: number, run: () => Promise<T>): Promise<T> {
  const name = uid('crash');
  let seen = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === commandName && ++seen === nth) throw new Error('simulated crash');
      return next(args);
    },
    { step: 'initialize', name },
  );
  try {
    return await run();
  } finally {
    client.middlewareStack.remove(name);
  }
}

const WRITES = ['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand'];

const conflict = expect.objectContaining({ name: 'DialtoneError', code: 'STORE.CONFLICT' });

// ── current state: the same contract for components, services and sources ────────────────────

interface StateKind<T extends { version: number }> {
  kind: string;
  make(id: string): T;
  change(state: T): T;
  save(state: T, expectedVersion: number): Promise<void>;
  load(ids: readonly string[]): Promise<Map<string, T>>;
}

const componentKind: StateKind<ComponentState> = {
  kind: 'component',
  make: (id) => componentState(id),
  change: (s) => ({ ...s, status: 'degraded', candidateCount: 0 }),
  save: (s, v) => store.saveComponentState(s, v),
  load: (ids) => store.getComponentStates(ids),
};

const serviceKind: StateKind<ServiceStateRecord> = {
  kind: 'service',
  make: (serviceId) => ({ serviceId, state: 'Down', since: T0, causes: ['vendor-routing'], version: 0 }),
  change: (s) => ({ ...s, state: 'Normal', since: T1, causes: [] }),
  save: (s, v) => store.saveServiceState(s, v),
  load: (ids) => store.getServiceStates(ids),
};

const sourceKind: StateKind<SourceState> = {
  kind: 'source',
  make: (sourceId) => ({ sourceId, etag: '"abc"', bodyHash: 'sha256:00', consecutiveFailures: 0, lastChangedAt: T0, version: 0 }),
  change: (s) => ({ ...s, consecutiveFailures: 1 }),
  save: (s, v) => store.saveSourceState(s, v),
  load: (ids) => store.getSourceStates(ids),
};

describe.each([componentKind, serviceKind, sourceKind] as StateKind<{ version: number }>[])('$kind state', (k) => {
  it('round-trips, stamped with version = expectedVersion + 1', async () => {
    const id = uid(k.kind);
    const state = k.make(id);
    await k.save(state, 0);
    expect(await k.load([id])).toEqual(new Map([[id, { ...state, version: 1 }]]));
  });

  it('creates only when absent: a second create is a conflict', async () => {
    const id = uid(k.kind);
    await k.save(k.make(id), 0);
    await expect(k.save(k.make(id), 0)).rejects.toEqual(conflict);
  });

  it('updates from the version read and rejects a stale version', async () => {
    const id = uid(k.kind);
    await k.save(k.make(id), 0);
    const v1 = (await k.load([id])).get(id)!;
    await k.save(k.change(v1), 1);
    await expect(k.save(k.change(v1), 1)).rejects.toEqual(conflict);
    expect((await k.load([id])).get(id)).toEqual({ ...k.change(v1), version: 2 });
  });

  it('leaves out ids that were never saved', async () => {
    const id = uid(k.kind);
    await k.save(k.make(id), 0);
    expect([...(await k.load([id, uid('never-saved')])).keys()]).toEqual([id]);
  });
});

describe('service state basis (the component versions it was derived from)', () => {
  const svc = (serviceId: string, state: ServiceStateRecord['state'], basis: Record<string, number>): ServiceStateRecord => ({
    serviceId,
    state,
    since: T0,
    causes: state === 'Normal' ? [] : ['vendor-routing'],
    basis,
    version: 0,
  });

  it.each([
    ['older than stored: refused', { 'vendor-routing': 4, ali: 2 }, false],
    ['one component older: refused', { 'vendor-routing': 9, ali: 1 }, false],
    ['the same: accepted', { 'vendor-routing': 6, ali: 2 }, true],
    ['newer: accepted', { 'vendor-routing': 7, ali: 3 }, true],
    ['a component the stored state has no basis for: accepted', { 'vendor-routing': 6, ali: 2, 'new-dependency': 1 }, true],
  ])('a write derived from a basis %s', async (_, basis, accepted) => {
    const id = uid('svc');
    await store.saveServiceState(svc(id, 'Normal', { 'vendor-routing': 6, ali: 2 }), 0);
    const write = store.saveServiceState(svc(id, 'Partial', basis), 1);
    if (accepted) await expect(write).resolves.toBeUndefined();
    else await expect(write).rejects.toEqual(conflict);
    expect((await store.getServiceStates([id])).get(id)?.state).toBe(accepted ? 'Partial' : 'Normal');
  });
});

describe('conditional-write races', () => {
  it('10 concurrent saves from one version: exactly one wins, 9 conflict', async () => {
    const id = uid('comp');
    await store.saveComponentState(componentState(id), 0);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => store.saveComponentState(componentState(id, { candidateCount: i }), 1)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected.map((r) => r.reason)).toEqual(Array(9).fill(conflict));
    expect((await store.getComponentStates([id])).get(id)?.version).toBe(2);
  });

  it('10 concurrent createIncident for one cause: exactly one created', async () => {
    const cause = uid('cause');
    const candidates = Array.from({ length: 10 }, () => incident(cause));
    const results = await Promise.all(candidates.map((c) => store.createIncident(c)));
    expect(results.filter((r) => r === 'created')).toHaveLength(1);
    const winner = candidates[results.indexOf('created')]!;
    expect(await store.getOpenIncident(cause)).toEqual({ ...winner, version: 1 });
    expect((await store.listOpenIncidents()).filter((i) => i.causeComponentId === cause)).toHaveLength(1);
  });

  it('10 concurrent claims of one delivery: exactly one claimed, the rest busy', async () => {
    const d = delivery(uid('INC'));
    const results = await Promise.all(Array.from({ length: 10 }, () => store.claimDelivery(d, new Date(T0), MINUTE)));
    expect(results.filter((r) => r === 'claimed')).toHaveLength(1);
    expect(results.filter((r) => r === 'busy')).toHaveLength(9);
    expect((await store.listDeliveries(d.incidentId))[0]?.attempts).toBe(1);
  });
});

describe('transitions', () => {
  const transition = (id: string, at: string, from: string, to: string): Transition => ({
    subject: 'component',
    id,
    from,
    to,
    at,
    evidence: {
      observation: { sourceId: 'vendor-status', componentId: id, status: 'major_outage', observedAt: at, title: 'Routing outage' },
    },
  });

  it('lists them oldest first, apart per subject', async () => {
    const id = uid('comp');
    const later = transition(id, T2, 'major_outage', 'operational');
    const earlier = transition(id, T1, 'operational', 'major_outage');
    const serviceTransition: Transition = { subject: 'service', id, from: 'Normal', to: 'Down', at: T1, evidence: { causes: [id] } };
    await store.appendTransition(later);
    await store.appendTransition(earlier);
    await store.appendTransition(serviceTransition);
    expect(await store.listTransitions('component', id)).toEqual([earlier, later]);
    expect(await store.listTransitions('service', id)).toEqual([serviceTransition]);
  });

  it('appending the same transition twice is a no-op', async () => {
    const t = transition(uid('comp'), T1, 'operational', 'major_outage');
    await store.appendTransition(t);
    await store.appendTransition(t);
    expect(await store.listTransitions('component', t.id)).toEqual([t]);
  });
});

describe('incidents', () => {
  it('round-trips and compare-and-sets on version', async () => {
    const inc = incident(uid('cause'));
    expect(await store.createIncident(inc)).toBe('created');
    expect(await store.getIncident(inc.id)).toEqual({ ...inc, version: 1 });

    const updated = { ...inc, noticeSeq: 1, lastNoticeAt: T1 };
    await store.saveIncident(updated, 1);
    await expect(store.saveIncident(updated, 1)).rejects.toEqual(conflict);
    expect(await store.getIncident(inc.id)).toEqual({ ...updated, version: 2 });
    expect(await store.getOpenIncident(inc.causeComponentId)).toEqual({ ...updated, version: 2 });
  });

  it('a second incident for a cause with one open is refused', async () => {
    const cause = uid('cause');
    expect(await store.createIncident(incident(cause))).toBe('created');
    expect(await store.createIncident(incident(cause))).toBe('exists');
  });

  it('resolving leaves the open list and frees the cause for a new incident', async () => {
    const cause = uid('cause');
    const first = incident(cause);
    await store.createIncident(first);
    const resolved: Incident = { ...first, status: 'resolved', resolvedAt: T2 };
    await store.saveIncident(resolved, 1);

    expect(await store.getOpenIncident(cause)).toBeUndefined();
    expect((await store.listOpenIncidents()).map((i) => i.id)).not.toContain(first.id);
    expect(await store.listIncidents()).toContainEqual({ ...resolved, version: 2 });

    const second = incident(cause, { openedAt: T2 });
    expect(await store.createIncident(second)).toBe('created');
    expect(await store.getOpenIncident(cause)).toEqual({ ...second, version: 1 });
  });

  it('lists every incident, open and resolved, by openedAt', async () => {
    const a = incident(uid('cause'), { openedAt: '2020-01-01T00:00:00.000Z' });
    const b = incident(uid('cause'), { openedAt: '2020-01-01T00:00:01.000Z' });
    await store.createIncident(a);
    await store.createIncident(b);
    await store.saveIncident({ ...a, status: 'resolved', resolvedAt: T0 }, 1);
    const ids = (await store.listIncidents()).map((i) => i.id);
    expect(ids.indexOf(a.id)).toBeLessThan(ids.indexOf(b.id));
  });

  describe('crash recovery', () => {
    it('a creator that died after claiming the slot leaves no half-made incident, and the next create finishes it', async () => {
      const cause = uid('cause');
      const orphan = incident(cause);
      // The second PutItem of createIncident is the incident item itself.
      await expect(withCrashAt(db.client, 'PutItemCommand', 2, () => store.createIncident(orphan))).rejects.toThrow(
        'simulated crash',
      );

      expect(await store.getOpenIncident(cause)).toBeUndefined();
      expect(await store.getIncident(orphan.id)).toBeUndefined();

      expect(await store.createIncident(incident(cause))).toBe('exists');
      expect(await store.getOpenIncident(cause)).toEqual({ ...orphan, version: 1 });
    });

    it('the dead creator retrying its own create completes it', async () => {
      const inc = incident(uid('cause'));
      await expect(withCrashAt(db.client, 'PutItemCommand', 2, () => store.createIncident(inc))).rejects.toThrow();
      expect(await store.createIncident(inc)).toBe('created');
      expect(await store.getOpenIncident(inc.causeComponentId)).toEqual({ ...inc, version: 1 });
    });

    it('a resolve that died before freeing the slot does not block the next incident', async () => {
      const cause = uid('cause');
      const first = incident(cause);
      await store.createIncident(first);
      await expect(
        withCrashAt(db.client, 'DeleteItemCommand', 1, () => store.saveIncident({ ...first, status: 'resolved' }, 1)),
      ).rejects.toThrow();

      expect(await store.getOpenIncident(cause)).toBeUndefined();
      const second = incident(cause, { openedAt: T2 });
      expect(await store.createIncident(second)).toBe('created');
      expect(await store.getOpenIncident(cause)).toEqual({ ...second, version: 1 });
    });
  });
});

describe('notices (outbox)', () => {
  it('are written once and stay pending until completed', async () => {
    const inc = incident(uid('cause'));
    const first = notice(inc, 1);
    const second = notice(inc, 2);
    expect(await store.putNotice(first)).toBe('created');
    expect(await store.putNotice(first)).toBe('exists');
    await store.putNotice(second);

    const pendingOf = async () => (await store.listPendingNotices()).filter((n) => n.incidentId === inc.id);
    expect(await pendingOf()).toEqual([first, second]);

    await store.completeNotice(inc.id, 1);
    await store.completeNotice(inc.id, 1);
    expect(await pendingOf()).toEqual([second]);
    expect(await store.listNotices(inc.id)).toEqual([first, second]);
  });

  it('completing a notice that does not exist is an error, not a stray item', async () => {
    const incidentId = uid('INC');
    await expect(store.completeNotice(incidentId, 1)).rejects.toThrow('does not exist');
    expect(await store.listNotices(incidentId)).toEqual([]);
  });

  describe('delivery lease', () => {
    const t = (ms: number) => new Date(Date.parse(T0) + ms);
    async function pendingNotice() {
      const inc = incident(uid('cause'));
      const n = notice(inc, 1);
      await store.putNotice(n);
      return n;
    }

    it('one holder at a time; the holder may renew; anyone once it has expired', async () => {
      const n = await pendingNotice();
      expect(await store.leaseNotice(n.incidentId, 1, 'run-a', t(0), t(MINUTE))).toBe('leased');
      expect(await store.leaseNotice(n.incidentId, 1, 'run-b', t(1000), t(MINUTE + 1000))).toBe('busy');
      expect(await store.leaseNotice(n.incidentId, 1, 'run-a', t(2000), t(MINUTE + 2000))).toBe('leased');
      expect(await store.leaseNotice(n.incidentId, 1, 'run-b', t(MINUTE + 2000), t(2 * MINUTE))).toBe('leased');
      expect(await store.leaseNotice(n.incidentId, 1, 'run-a', t(MINUTE + 3000), t(2 * MINUTE))).toBe('busy');
    });

    it('10 runs at once: exactly one holds it', async () => {
      const n = await pendingNotice();
      const leases = await Promise.all(Array.from({ length: 10 }, (_, i) => store.leaseNotice(n.incidentId, 1, `run-${i}`, t(0), t(MINUTE))));
      expect(leases.filter((l) => l === 'leased')).toHaveLength(1);
      expect(leases.filter((l) => l === 'busy')).toHaveLength(9);
    });

    it('released by its holder only; a completed or missing notice is done; the lease is not part of the notice', async () => {
      const n = await pendingNotice();
      await store.leaseNotice(n.incidentId, 1, 'run-a', t(0), t(MINUTE));
      await store.releaseNotice(n.incidentId, 1, 'run-b');
      expect(await store.leaseNotice(n.incidentId, 1, 'run-b', t(1000), t(MINUTE))).toBe('busy');
      await store.releaseNotice(n.incidentId, 1, 'run-a');
      expect(await store.leaseNotice(n.incidentId, 1, 'run-b', t(1000), t(MINUTE))).toBe('leased');
      expect((await store.listPendingNotices()).find((x) => x.incidentId === n.incidentId)).toEqual(n);
      expect(await store.listNotices(n.incidentId)).toEqual([n]);
      await store.completeNotice(n.incidentId, 1);
      expect(await store.leaseNotice(n.incidentId, 1, 'run-c', t(2 * MINUTE), t(3 * MINUTE))).toBe('done');
      expect(await store.leaseNotice(uid('INC'), 1, 'run-c', t(0), t(MINUTE))).toBe('done');
      expect(await store.listNotices(n.incidentId)).toEqual([n]);
    });
  });
});

describe('deliveries', () => {
  const now = new Date(T0);
  const at = (ms: number) => new Date(now.getTime() + ms);

  it('a claim creates the delivery pending, counted and leased', async () => {
    const d = delivery(uid('INC'), { subject: 'PSAP A down' });
    expect(await store.claimDelivery(d, now, MINUTE)).toBe('claimed');
    expect(await store.listDeliveries(d.incidentId)).toEqual([
      { ...d, status: 'pending', attempts: 1, leaseUntil: at(MINUTE).toISOString() },
    ]);
  });

  it('is busy while leased, and an expired lease is taken over with attempts counted', async () => {
    const d = delivery(uid('INC'));
    await store.claimDelivery(d, now, MINUTE);
    expect(await store.claimDelivery(d, at(MINUTE - 1), MINUTE)).toBe('busy');
    expect(await store.claimDelivery(d, at(MINUTE + 1), MINUTE)).toBe('claimed');
    const [stored] = await store.listDeliveries(d.incidentId);
    expect(stored).toMatchObject({ attempts: 2, leaseUntil: at(2 * MINUTE + 1).toISOString(), createdAt: T0 });
  });

  it('once sent, a claim answers sent and a repeated mark is a no-op', async () => {
    const d = delivery(uid('INC'));
    await store.claimDelivery(d, now, MINUTE);
    await store.markDeliverySent(d, 'msg-1', at(1000));
    await store.markDeliverySent(d, 'msg-1', at(1000));
    expect(await store.claimDelivery(d, at(2 * MINUTE), MINUTE)).toBe('sent');
    expect(await store.listDeliveries(d.incidentId)).toEqual([
      expect.objectContaining({ status: 'sent', messageId: 'msg-1', sentAt: at(1000).toISOString() }),
    ]);
  });

  it('marking sent what is not pending is a conflict', async () => {
    const d = delivery(uid('INC'));
    await expect(store.markDeliverySent(d, 'msg-1', now)).rejects.toEqual(conflict);
    await store.claimDelivery(d, now, MINUTE);
    await store.markDeliverySent(d, 'msg-1', now);
    await expect(store.markDeliverySent(d, 'msg-2', now)).rejects.toEqual(conflict);
  });

  it('a failure keeps it pending and reclaimable at once, recording the error', async () => {
    const d = delivery(uid('INC'));
    await store.claimDelivery(d, now, MINUTE);
    await store.markDeliveryFailed(d, 'SNS throttled', at(1000));
    expect((await store.listDeliveries(d.incidentId))[0]).toMatchObject({
      status: 'pending',
      error: 'SNS throttled',
      lastErrorAt: at(1000).toISOString(),
      leaseUntil: at(1000).toISOString(),
    });
    expect(await store.claimDelivery(d, at(1001), MINUTE)).toBe('claimed');
  });

  it(`fails for good after ${MAX_DELIVERY_ATTEMPTS} attempts, and is then never claimed again`, async () => {
    const d = delivery(uid('INC'));
    for (let attempt = 1; attempt <= MAX_DELIVERY_ATTEMPTS; attempt++) {
      expect(await store.claimDelivery(d, at(attempt * 1000), MINUTE)).toBe('claimed');
      await store.markDeliveryFailed(d, `error ${attempt}`, at(attempt * 1000 + 1));
    }
    expect((await store.listDeliveries(d.incidentId))[0]).toMatchObject({
      status: 'failed',
      attempts: MAX_DELIVERY_ATTEMPTS,
      error: `error ${MAX_DELIVERY_ATTEMPTS}`,
    });
    expect(await store.claimDelivery(d, at(MINUTE * 60), MINUTE)).toBe('busy');
  });

  it('records 60 settled deliveries in 3 BatchWriteItem calls, indexed by what they became', async () => {
    const incidentId = uid('INC');
    const sent = Array.from({ length: 58 }, (_, i) => ({ ...delivery(incidentId, { recipientId: `r${i}` }), status: 'sent' as const, messageId: `msg-${incidentId}-${i}`, sentAt: T1 }));
    const dead = { ...delivery(incidentId, { recipientId: 'dead' }), status: 'failed' as const, attempts: MAX_DELIVERY_ATTEMPTS, error: 'refused', lastErrorAt: T1 };
    const retrying = { ...delivery(incidentId, { recipientId: 'retrying' }), status: 'pending' as const, attempts: 2, error: 'throttled', lastErrorAt: T1, leaseUntil: T1 };
    const recorder = recordOperations(db.client);
    try {
      await store.recordDeliveries([...sent, dead, retrying]);
      expect(recorder.operations).toEqual(Array(3).fill('BatchWriteItemCommand'));
    } finally {
      recorder.stop();
    }
    expect(await store.listDeliveries(incidentId)).toHaveLength(60);
    expect(await store.findDeliveryByMessageId(`msg-${incidentId}-7`)).toEqual(sent[7]);
    expect((await store.listDeadLetters()).filter((d) => d.incidentId === incidentId)).toEqual([dead]);
    // What was recorded is what the next claim sees: sent stays sent, a due retry is claimable.
    expect(await store.claimDelivery(sent[0]!, new Date(T1), MINUTE)).toBe('sent');
    expect(await store.claimDelivery(retrying, new Date(Date.parse(T1) + 1), MINUTE)).toBe('claimed');
  });

  it('lists the deliveries of an incident apart from its notices', async () => {
    const inc = incident(uid('cause'));
    await store.putNotice(notice(inc, 1));
    const sms = delivery(inc.id, { channel: 'sms' });
    const email = delivery(inc.id, { channel: 'email', address: 'ops@example.org', subject: 'PSAP A down' });
    await store.claimDelivery(sms, now, MINUTE);
    await store.claimDelivery(email, now, MINUTE);
    expect((await store.listDeliveries(inc.id)).map((d) => d.channel).sort()).toEqual(['email', 'sms']);
  });
});

describe('batch reads', () => {
  it('reads 250 components in 3 BatchGetItem calls and writes nothing', async () => {
    const ids = Array.from({ length: 250 }, () => uid('comp'));
    await Promise.all(ids.slice(0, 200).map((id) => store.saveComponentState(componentState(id), 0)));

    const recorder = recordOperations(db.client);
    try {
      const states = await store.getComponentStates([...ids, ids[0]!]);
      expect(states.size).toBe(200);
      expect(recorder.operations).toEqual(Array(3).fill('BatchGetItemCommand'));
      expect(recorder.operations.filter((op) => WRITES.includes(op))).toEqual([]);
    } finally {
      recorder.stop();
    }
  });

  it('reads nothing for no ids', async () => {
    const recorder = recordOperations(db.client);
    try {
      expect((await store.getComponentStates([])).size).toBe(0);
      expect(recorder.operations).toEqual([]);
    } finally {
      recorder.stop();
    }
  });

  it('retries keys DynamoDB left unprocessed', async () => {
    const ids = Array.from({ length: 5 }, () => uid('comp'));
    await Promise.all(ids.map((id) => store.saveComponentState(componentState(id), 0)));

    // Throttle the first BatchGetItem: answer only 2 items and hand the rest back as unprocessed.
    const name = uid('throttle');
    let calls = 0;
    db.client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName !== 'BatchGetItemCommand' || ++calls > 1) return result;
        const output = result.output as {
          Responses: Record<string, Record<string, unknown>[]>;
          UnprocessedKeys?: Record<string, { Keys: Record<string, unknown>[] }>;
        };
        const returned = output.Responses[db.tableName]!;
        const held = returned.splice(2);
        output.UnprocessedKeys = { [db.tableName]: { Keys: held.map(({ pk, sk }) => ({ pk, sk })) } };
        return result;
      },
      { step: 'initialize', name },
    );
    try {
      expect([...(await store.getComponentStates(ids)).keys()].sort()).toEqual([...ids].sort());
      expect(calls).toBe(2);
    } finally {
      db.client.middlewareStack.remove(name);
    }
  });
});

describe('persistence with a data directory', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'dialtone-dynamo-'));
  });

  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('keeps the record across a stop and a start', async () => {
    const state = componentState('vendor-routing');
    const first = await startEmbeddedDynamo({ dataDir });
    try {
      await new DynamoStore({ client: first.client, tableName: first.tableName }).saveComponentState(state, 0);
    } finally {
      await first.stop();
    }

    const second = await startEmbeddedDynamo({ dataDir });
    try {
      const reopened = new DynamoStore({ client: second.client, tableName: second.tableName });
      expect((await reopened.getComponentStates(['vendor-routing'])).get('vendor-routing')).toEqual({ ...state, version: 1 });
    } finally {
      await second.stop();
    }
  });
});
