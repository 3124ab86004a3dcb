/**
 * Regression tests for what the fault suite (test/reliability/faults.test.ts, issue 8) found, each
 * reduced to one deterministic interleaving on the embedded store.
 */
import { runPollCycle } from '../../shared/app/poll-cycle.js';
import type { Store } from '../../shared/app/ports.js';
import type { Transition } from '../../shared/domain/records.js';
import { testConfig } from '../support/config.js';
import { startTestPipeline } from '../support/pipeline.js';

type Pipeline = Awaited<ReturnType<typeof startTestPipeline>>;
const minute = 60_000;

/** The store of one invocation, with one method replaced (the rest forwarded). */
function storeWith(base: Store, overrides: Partial<Store>): Store {
  return new Proxy(base, {
    get(target, prop, receiver) {
      if (prop in overrides) return overrides[prop as keyof Store];
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

const chain = (list: Transition[]) => list.map((t) => `${t.from}->${t.to}`);

describe('the pipeline when an invocation dies or loses a race', () => {
  let p: Pipeline;
  beforeEach(async () => {
    p = await startTestPipeline(testConfig());
  });
  afterEach(() => p.stop());

  async function cycle(minutes = 1) {
    p.clock.advance(minutes * minute);
    return runPollCycle(p.deps);
  }

  test('a transition whose state was saved but whose history write failed is recorded by the next cycle', async () => {
    await cycle(0);
    p.upstream.set('routing', 'major_outage');
    await cycle(); // one bad read: not yet confirmed
    // The read that confirms it saves the component state, then its history write is throttled
    // (or the Lambda dies): the invocation fails there.
    let failed = 0;
    const dying = storeWith(p.store, {
      appendTransition: async (t) => {
        if (t.subject === 'component' && failed++ === 0) throw new Error('simulated crash');
        return p.store.appendTransition(t);
      },
    });
    p.clock.advance(minute);
    await expect(runPollCycle({ ...p.deps, store: dying })).rejects.toThrow('simulated crash');
    expect((await p.store.getComponentStates(['routing'])).get('routing')?.status).toBe('major_outage');

    await cycle();
    expect(chain(await p.store.listTransitions('component', 'routing'))).toEqual(['operational->major_outage']);
    expect(chain(await p.store.listTransitions('service', 'hennepin'))).toEqual(['Normal->Down']);

    // And the same for a service transition.
    p.upstream.set('routing', 'operational');
    await cycle();
    let serviceFailed = 0;
    const dyingOnService = storeWith(p.store, {
      appendTransition: async (t) => {
        if (t.subject === 'service' && serviceFailed++ === 0) throw new Error('simulated crash');
        return p.store.appendTransition(t);
      },
    });
    p.clock.advance(minute);
    await expect(runPollCycle({ ...p.deps, store: dyingOnService })).rejects.toThrow('simulated crash');
    await cycle();
    expect(chain(await p.store.listTransitions('component', 'routing'))).toEqual(['operational->major_outage', 'major_outage->operational']);
    for (const id of ['hennepin', 'maricopa', 'hennepin-text']) {
      const history = chain(await p.store.listTransitions('service', id));
      expect(history.at(-1)).toMatch(/->Normal$/);
      expect(history).toHaveLength(2);
    }
  });

  test('an invocation that loses the race for a component does not derive services from its stale read (no premature all-clear)', async () => {
    await cycle(0);
    p.upstream.set('routing', 'major_outage');
    await cycle(); // one bad read
    p.clock.advance(minute);

    // Two invocations read the same state at the same instant. B is held at its component write
    // until A has finished its whole cycle (outage confirmed, incident opened, alerts sent).
    let finishA!: () => void;
    const aDone = new Promise<void>((resolve) => (finishA = resolve));
    const slowB = storeWith(p.store, {
      saveComponentState: async (next, expected) => {
        await aDone;
        return p.store.saveComponentState(next, expected);
      },
    });
    const b = runPollCycle({ ...p.deps, store: slowB });
    const a = await runPollCycle(p.deps);
    finishA();
    const bReport = await b;

    expect(a.notices.map((n) => n.reason)).toEqual(['opened']);
    expect(bReport.notices).toEqual([]); // no "resolved" from a stale view
    expect(bReport.serviceTransitions).toEqual([]);
    const services = await p.store.getServiceStates(['hennepin', 'maricopa']);
    expect(services.get('hennepin')?.state).toBe('Down');
    expect(services.get('maricopa')?.state).toBe('Down');
    expect(p.sender.sent.filter((d) => d.phase === 'final')).toEqual([]);
    expect((await p.store.listOpenIncidents()).map((i) => i.causeComponentId)).toEqual(['routing']);
  });

  test('a recipient whose alert another invocation holds still gets the all-clear', async () => {
    await cycle(0);
    p.upstream.set('routing', 'major_outage');
    await cycle();
    // The outage is confirmed and its alert written to the outbox, but the invocation dies before
    // delivering; the vendor recovers and the all-clear is written the same way.
    const diesBeforeDelivering = storeWith(p.store, {
      listPendingNotices: async () => {
        throw new Error('simulated crash');
      },
    });
    p.clock.advance(minute);
    await expect(runPollCycle({ ...p.deps, store: diesBeforeDelivering })).rejects.toThrow('simulated crash');
    p.upstream.set('routing', 'operational');
    p.clock.advance(minute);
    await expect(runPollCycle({ ...p.deps, store: diesBeforeDelivering })).rejects.toThrow('simulated crash');
    p.clock.advance(minute);
    await expect(runPollCycle({ ...p.deps, store: diesBeforeDelivering })).rejects.toThrow('simulated crash');
    expect((await p.store.listPendingNotices()).map((n) => n.reason)).toEqual(['opened', 'resolved']);

    // Two invocations deliver both at once. A claims the first alert and dies right after; B read
    // the (empty) delivery history before that, so it finds the alert held by A ('busy').
    let bListed!: () => void;
    const bHasListed = new Promise<void>((resolve) => (bListed = resolve));
    let aDied!: () => void;
    const aIsDead = new Promise<void>((resolve) => (aDied = resolve));
    let aClaims = 0;
    const a = storeWith(p.store, {
      listPendingNotices: async () => {
        await bHasListed;
        return p.store.listPendingNotices();
      },
      claimDelivery: async (d, now, leaseMs) => {
        const claim = await p.store.claimDelivery(d, now, leaseMs);
        if (aClaims++ === 0) {
          aDied();
          throw new Error('simulated crash');
        }
        return claim;
      },
    });
    let bClaims = 0;
    const b = storeWith(p.store, {
      listDeliveries: async (id) => {
        const list = await p.store.listDeliveries(id);
        bListed();
        return list;
      },
      claimDelivery: async (d, now, leaseMs) => {
        if (bClaims++ === 0) await aIsDead;
        return p.store.claimDelivery(d, now, leaseMs);
      },
    });
    p.clock.advance(minute);
    const [aRun] = await Promise.allSettled([runPollCycle({ ...p.deps, store: a }), runPollCycle({ ...p.deps, store: b })]);
    expect(aRun.status).toBe('rejected');

    // Recovery: A's claim expires, and everything owed goes out.
    for (let i = 0; i < 4; i++) await cycle(2);
    const incident = (await p.store.listIncidents())[0]!;
    const deliveries = await p.store.listDeliveries(incident.id);
    const alerted = new Set(deliveries.filter((d) => d.seq === 1 && d.status === 'sent').map((d) => `${d.recipientId}/${d.channel}`));
    const cleared = new Set(deliveries.filter((d) => d.seq === 2 && d.status === 'sent').map((d) => `${d.recipientId}/${d.channel}`));
    expect(alerted.size).toBeGreaterThan(0);
    expect([...alerted].filter((k) => !cleared.has(k))).toEqual([]);
    expect(await p.store.listPendingNotices()).toEqual([]);
  });

  test('a notice written by an invocation that died is not mistaken for a different one: the all-clear is still issued', async () => {
    await cycle(0);
    p.upstream.set('routing', 'partial_outage');
    await cycle();
    await cycle(); // confirmed: incident opened, notice 1
    const [incident] = await p.store.listOpenIncidents();
    expect(incident?.noticeSeq).toBe(1);

    // An office-suite outage is confirmed (concurrent: an update for the incident) while the
    // vendor reads better; the invocation writes notice 2 ("changed") and dies before saving the
    // incident. The scheduler retries it at once; that read confirms the recovery, so the retry
    // issues notice 2 as "resolved": the outbox already has a notice 2.
    p.upstream.set('mail', 'major_outage');
    await cycle();
    p.upstream.set('routing', 'maintenance');
    const diesAfterNotice = storeWith(p.store, {
      putNotice: async (n) => {
        await p.store.putNotice(n);
        throw new Error('simulated crash');
      },
    });
    p.clock.advance(minute);
    await expect(runPollCycle({ ...p.deps, store: diesAfterNotice })).rejects.toThrow('simulated crash');
    expect((await p.store.listNotices(incident!.id)).map((n) => `${n.seq} ${n.reason}`)).toEqual(['1 opened', '2 changed']);
    await runPollCycle(p.deps); // the retry, same instant

    const notices = await p.store.listNotices(incident!.id);
    expect(notices.at(-1)?.reason).toBe('resolved');
    expect((await p.store.getIncident(incident!.id))?.status).toBe('resolved');
    for (let i = 0; i < 3; i++) await cycle(2);
    const deliveries = await p.store.listDeliveries(incident!.id);
    const alerted = new Set(deliveries.filter((d) => d.phase !== 'final' && d.status === 'sent').map((d) => `${d.recipientId}/${d.channel}`));
    const cleared = new Set(deliveries.filter((d) => d.phase === 'final' && d.status === 'sent').map((d) => `${d.recipientId}/${d.channel}`));
    expect(alerted.size).toBeGreaterThan(0);
    expect([...alerted].filter((k) => !cleared.has(k))).toEqual([]);
  });
});
