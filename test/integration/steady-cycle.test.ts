/**
 * In steady state a poll cycle reads only what can change. An unchanged cycle reads the
 * sources' states and nothing else (no component, no service); a change reads its own source's
 * components; a cycle where a status changes (or a source settles, or a reconciliation is due)
 * evaluates everything as before. Keys are counted by item type on the client's middleware stack.
 */
import type { ReadSource } from '../../shared/app/poll-cycle.js';
import { runPollCycle } from '../../shared/app/poll-cycle.js';
import type { Store } from '../../shared/app/ports.js';
import type { MonitoringConfig } from '../../shared/config/schema.js';
import { testConfig } from '../support/config.js';
import { startTestPipeline } from '../support/pipeline.js';

type Pipeline = Awaited<ReturnType<typeof startTestPipeline>>;
const minute = 60_000;

interface Reads {
  /** DynamoDB commands, in order. */
  calls: string[];
  /** BatchGetItem keys by item type: SRC, COMP, SVC. */
  keys: Record<string, number>;
  writes: () => string[];
}

/** Counts commands and BatchGetItem keys by item type (the pk prefix), on the embedded store's real client. */
function watch(p: Pipeline): Reads {
  const reads: Reads = { calls: [], keys: {}, writes: () => reads.calls.filter((c) => /Put|Update|Delete|BatchWrite/.test(c)) };
  p.db.client.middlewareStack.add(
    (next, context) => async (args) => {
      reads.calls.push(context.commandName ?? '?');
      if (context.commandName === 'BatchGetItemCommand') {
        const requests = (args.input as { RequestItems: Record<string, { Keys: Array<Record<string, { S?: string } | string>> }> }).RequestItems;
        for (const { Keys } of Object.values(requests)) {
          for (const k of Keys) {
            const pk = typeof k.pk === 'string' ? k.pk : (k.pk?.S ?? '?');
            const type = pk.split('#')[0]!;
            reads.keys[type] = (reads.keys[type] ?? 0) + 1;
          }
        }
      }
      return next(args);
    },
    { step: 'initialize', name: `watch-${Math.random()}` },
  );
  return reads;
}

/** The store of one invocation, with some methods replaced (the rest forwarded). */
function storeWith(base: Store, overrides: Partial<Store>): Store {
  return new Proxy(base, {
    get(target, prop, receiver) {
      if (prop in overrides) return overrides[prop as keyof Store];
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('a steady poll cycle reads only what can change', () => {
  let p: Pipeline;
  let read: ReadSource;

  async function start(config: MonitoringConfig = testConfig()) {
    p = await startTestPipeline(config);
    // The scripted upstream answers every read with a payload; give it a body hash, as the HTTP
    // reader has (an unchanged payload reads as `unchanged`, after a failure it is parsed again).
    read = async (source, prev, ctx) => {
      const r = await p.upstream.read(source, prev, ctx);
      if (r.kind !== 'changed') return r;
      const bodyHash = JSON.stringify(r.observations.map((o) => [o.componentId, o.status]));
      if (prev?.bodyHash === bodyHash && prev.consecutiveFailures === 0) {
        const { version: _v, ...state } = prev;
        return { kind: 'unchanged', state };
      }
      return { ...r, state: { ...r.state, bodyHash } };
    };
  }
  afterEach(() => p.stop());

  const cycle = (minutes = 1, store?: Store) => {
    p.clock.advance(minutes * minute);
    return runPollCycle({ ...p.deps, readSource: read, ...(store ? { store } : {}) });
  };

  test('an unchanged cycle reads the source states and nothing else, and writes nothing', async () => {
    await start();
    const cold = await cycle(0);
    expect(cold.fullEvaluation).toBe(true); // the first cycle with a config reconciles everything
    expect((await p.store.getSourceStates(['vendor', 'office', 'carrier'])).get('vendor')?.settled).toBe(true);
    await cycle();

    const reads = watch(p);
    const steady = await cycle();
    expect(steady.sources.map((s) => s.kind)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect(steady.fullEvaluation).toBe(false);
    expect(reads.keys).toEqual({ SRC: 3 }); // one key per source: no component, no service, no egress record
    expect(reads.calls.filter((c) => c === 'BatchGetItemCommand')).toHaveLength(1);
    expect(reads.calls.filter((c) => c !== 'BatchGetItemCommand').sort()).toEqual(['QueryCommand', 'QueryCommand']); // open incidents, outbox
    expect(reads.writes()).toEqual([]);
  });

  test('an outage is confirmed, escalated and cleared through steady cycles; only the cycles that change something read more', async () => {
    await start();
    await cycle(0);
    await cycle();
    const reads = watch(p);
    const take = () => {
      const out = { keys: { ...reads.keys }, writes: reads.writes().length };
      reads.calls.length = 0;
      reads.keys = {};
      return out;
    };

    p.upstream.set('routing', 'major_outage');
    const first = await cycle(); // first bad read: a candidate on the vendor's components only
    expect(first.componentTransitions).toEqual([]);
    expect(first.fullEvaluation).toBe(false);
    expect(take()).toEqual({ keys: { SRC: 3, COMP: 2 }, writes: 2 }); // the vendor's new payload (settled lowered) and its candidate

    const second = await cycle(); // confirmed: everything is evaluated
    expect(second.fullEvaluation).toBe(true);
    expect(second.componentTransitions.map((t) => `${t.id}:${t.to}`)).toEqual(['routing:major_outage']);
    expect(second.serviceTransitions.map((t) => `${t.id}:${t.to}`).sort()).toEqual(['hennepin-text:Partial', 'hennepin:Down', 'maricopa:Down']);
    expect(second.notices.map((n) => n.reason)).toEqual(['opened']);
    expect(take().keys).toEqual({ SRC: 3, COMP: 4, SVC: 6 });
    expect((await p.store.getSourceStates(['vendor'])).get('vendor')?.settled).toBe(true); // raised once everything was derived
    const told = new Set(p.sender.sent.map((d) => d.recipientId));
    expect([...told].sort()).toEqual(['anoka-floor', 'az-state', 'hennepin-em', 'pinal-floor', 'ramsey-floor']);
    take(); // (the test's own read above)

    // Dark and unchanged: steady cycles, and the escalation clock still runs (testConfig: 30 minutes dark).
    const quiet = await cycle();
    expect(quiet).toMatchObject({ fullEvaluation: false, notices: [], sent: [] });
    expect(take()).toEqual({ keys: { SRC: 3 }, writes: 0 });
    expect((await cycle(24)).notices).toEqual([]); // 00:28: 26 minutes since the first bad read (00:02)
    take();
    const escalated = await cycle(4); // 00:32: 30 minutes dark
    expect(escalated.fullEvaluation).toBe(false);
    expect(escalated.notices.map((n) => n.reason)).toEqual(['escalated']);
    expect(escalated.sent.map((d) => d.recipientId)).toEqual(['fcc']);
    expect(take().keys).toEqual({ SRC: 3 });

    p.upstream.set('routing', 'operational');
    await cycle();
    const recovered = await cycle();
    expect(recovered.fullEvaluation).toBe(true);
    expect(recovered.notices.map((n) => n.reason)).toEqual(['resolved']);
    const cleared = new Set(p.sender.sent.filter((d) => d.phase === 'final').map((d) => d.recipientId));
    expect(cleared).toEqual(new Set([...told, 'fcc']));
  });

  test('a crash between the component write and the services: the source stays unsettled and the next cycle derives them', async () => {
    await start();
    await cycle(0);
    p.upstream.set('routing', 'major_outage');
    await cycle();
    const dying = storeWith(p.store, {
      saveServiceState: async () => {
        throw new Error('simulated crash');
      },
    });
    await expect(cycle(1, dying)).rejects.toThrow('simulated crash');
    expect((await p.store.getComponentStates(['routing'])).get('routing')?.status).toBe('major_outage');
    expect((await p.store.getSourceStates(['vendor'])).get('vendor')?.settled).toBeUndefined();

    const next = await cycle(); // the vendor's payload is unchanged; its components read as settled now
    expect(next.sources.find((s) => s.sourceId === 'vendor')?.kind).toBe('unchanged');
    expect(next.fullEvaluation).toBe(true);
    expect(next.serviceTransitions.map((t) => `${t.id}:${t.to}`).sort()).toEqual(['hennepin-text:Partial', 'hennepin:Down', 'maricopa:Down']);
    expect(next.notices.map((n) => n.reason)).toEqual(['opened']);
    expect((await p.store.getSourceStates(['vendor'])).get('vendor')?.settled).toBe(true);
  });

  test('a maintenance window that starts between reconciliations is applied by the next cycle', async () => {
    const base = testConfig();
    await start(testConfig({ maintenance: [{ id: 'vendor-work', components: ['ali'], start: '2026-09-29T00:05', durationMinutes: 60, timeZone: 'UTC' }], recipients: base.recipients }));
    await cycle(0);
    p.upstream.set('ali', 'partial_outage');
    await cycle();
    const confirmed = await cycle(); // 00:02
    expect(confirmed.serviceTransitions.map((t) => `${t.id}:${t.to}`)).toEqual(['hennepin:Partial']);
    expect((await cycle()).fullEvaluation).toBe(false); // 00:03
    await cycle(); // 00:04
    const inWindow = await cycle(); // 00:05: the window starts
    expect(inWindow.fullEvaluation).toBe(true);
    expect(inWindow.serviceTransitions.map((t) => `${t.id}:${t.to}`)).toEqual(['hennepin:ScheduledMaintenanceAvailable']);
    expect((await cycle()).fullEvaluation).toBe(true); // 00:06: still inside the two-minute look-back
    expect((await cycle(2)).fullEvaluation).toBe(false); // 00:08
  });

  test('every cycle in the first minute of a quarter hour is a full reconciliation', async () => {
    await start();
    await cycle(0);
    for (let m = 1; m < 15; m++) expect((await cycle()).fullEvaluation).toBe(false);
    const reads = watch(p);
    const quarter = await cycle(); // 00:15
    expect(quarter.fullEvaluation).toBe(true);
    expect(reads.keys).toEqual({ SRC: 4, COMP: 4, SVC: 6 }); // and the egress record
    expect(reads.writes()).toEqual([]);
  });

  test('push sources keep being observed in steady cycles: a late heartbeat still opens its outage', async () => {
    const base = testConfig();
    const config = testConfig({
      sources: [...base.sources, { id: 'hennepin-hb', kind: 'heartbeat', auth: { tokenSha256: 'a'.repeat(64) }, graceSeconds: 120, components: [{ id: 'hennepin-alive', name: 'Hennepin CAD heartbeat', provider: 'Hennepin' }] }],
      services: base.services.map((s) => (s.id === 'hennepin' ? { ...s, dependsOn: [...s.dependsOn, { component: 'hennepin-alive', effect: 'Unreachable' }] } : s)),
      recipients: base.recipients,
    });
    await start(config);
    // A heartbeat arrives (as ingest records it), then stops.
    await p.store.saveSourceState({ sourceId: 'hennepin-hb', consecutiveFailures: 0, lastHeartbeatAt: '2026-09-29T00:00:00.000Z', version: 1 }, 0);
    await cycle(0);
    await cycle();
    const reads = watch(p);
    await cycle(); // 00:02: within the grace
    expect(reads.keys).toEqual({ SRC: 6, COMP: 1 }); // the sources with the heartbeat's watch and the ingest record, and its component
    await cycle(); // 00:03: late, first read
    const late = await cycle(); // 00:04: confirmed
    expect(late.componentTransitions.map((t) => `${t.id}:${t.to}`)).toEqual(['hennepin-alive:major_outage']);
    expect(late.serviceTransitions.map((t) => `${t.id}:${t.to}`)).toEqual(['hennepin:Unreachable']);
    expect(late.notices.map((n) => n.reason)).toEqual(['opened']);
  });
});
