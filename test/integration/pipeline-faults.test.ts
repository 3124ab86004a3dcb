/**
 * Regression tests for what the fault suite (test/reliability/faults.test.ts) found, each
 * reduced to one deterministic interleaving on the embedded store.
 */
import { runPollCycle } from '../../shared/app/poll-cycle.js';
import type { Store } from '../../shared/app/ports.js';
import { buildModel } from '../../shared/domain/model.js';
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

  /** A promise and the function that settles it: to hold one invocation at a chosen store call. */
  function gate(): { open: () => void; passed: Promise<void> } {
    let open!: () => void;
    const passed = new Promise<void>((resolve) => (open = resolve));
    return { open, passed };
  }

  async function confirmRoutingButDieBeforeServices(status: 'partial_outage' | 'major_outage') {
    await cycle(0);
    p.upstream.set('routing', status);
    await cycle();
    // The read that confirms it records the component, then dies before any service is written.
    const dying = storeWith(p.store, {
      saveServiceState: async () => {
        throw new Error('simulated crash');
      },
    });
    p.clock.advance(minute);
    await expect(runPollCycle({ ...p.deps, store: dying })).rejects.toThrow('simulated crash');
    expect((await p.store.getComponentStates(['routing'])).get('routing')?.status).toBe(status);
    expect((await p.store.getServiceStates(['maricopa'])).get('maricopa')).toBeUndefined();
  }

  test('a service derived from components another invocation has since changed does not survive (stored basis)', async () => {
    await confirmRoutingButDieBeforeServices('partial_outage');
    p.upstream.set('routing', 'operational');
    p.clock.advance(minute);

    // A, a fresh container (a full evaluation), reads routing as partial_outage and saves the
    // first operational read as a candidate. Before it reads the services, B confirms
    // operational and writes every service of routing from that: Normal.
    const a = storeWith(p.store, {
      getServiceStates: async (ids) => {
        await runPollCycle({ ...p.deps, model: buildModel(p.deps.model.config) });
        return p.store.getServiceStates(ids);
      },
    });
    const aReport = await runPollCycle({ ...p.deps, store: a, model: buildModel(p.deps.model.config) });

    // A derived Partial from its older routing; the store refused it, A read routing again.
    expect(aReport.serviceTransitions).toEqual([]);
    const services = await p.store.getServiceStates(['hennepin', 'maricopa', 'hennepin-text']);
    for (const id of ['hennepin', 'maricopa', 'hennepin-text']) expect([id, services.get(id)?.state]).toEqual([id, 'Normal']);
    expect((await p.store.listOpenIncidents()).map((i) => i.causeComponentId)).toEqual([]);
  });

  test('a service whose state did not change is still rewritten by the invocation that changed its component', async () => {
    await confirmRoutingButDieBeforeServices('partial_outage');
    p.upstream.set('routing', 'operational');
    p.clock.advance(minute);

    // A and B read the services (Normal: never written) at the same time. B has confirmed
    // routing operational, so Normal is still right for B. A read routing before B changed it,
    // and writes Partial between B's read of the services and B's write.
    const aRead = gate();
    const bRead = gate();
    const aWrote = gate();
    const a = storeWith(p.store, {
      getServiceStates: async (ids) => {
        const states = await p.store.getServiceStates(ids);
        aRead.open();
        await bRead.passed;
        return states;
      },
      saveServiceState: async (next, expected) => {
        try {
          return await p.store.saveServiceState(next, expected);
        } finally {
          if (next.serviceId === 'hennepin-text') aWrote.open();
        }
      },
    });
    const b = storeWith(p.store, {
      getComponentStates: async (ids) => {
        await aRead.passed; // A has saved its candidate read of routing and read the services
        return p.store.getComponentStates(ids);
      },
      getServiceStates: async (ids) => {
        const states = await p.store.getServiceStates(ids);
        bRead.open();
        await aWrote.passed;
        return states;
      },
    });
    const fresh = () => buildModel(p.deps.model.config);
    const [aReport, bReport] = await Promise.all([runPollCycle({ ...p.deps, store: a, model: fresh() }), runPollCycle({ ...p.deps, store: b, model: fresh() })]);

    expect(bReport.componentTransitions.map((t) => `${t.id}:${t.from}->${t.to}`)).toEqual(['routing:partial_outage->operational']);
    expect(aReport.serviceTransitions.map((t) => `${t.id}:${t.to}`)).toEqual(['hennepin:Partial', 'maricopa:Partial', 'hennepin-text:Partial']);
    // B's write of the unchanged Normal met A's Partial, and B derived again from routing as it is.
    const services = await p.store.getServiceStates(['hennepin', 'maricopa', 'hennepin-text']);
    for (const id of ['hennepin', 'maricopa', 'hennepin-text']) expect([id, services.get(id)?.state]).toEqual([id, 'Normal']);
    expect(chain(await p.store.listTransitions('service', 'maricopa'))).toEqual(['Normal->Partial', 'Partial->Normal']);
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

    // Two invocations deliver both at once. A leases the alert, sends it and dies before recording
    // it; B finds the alert held by A and must not send the all-clear past it (its routing would
    // miss everyone A told).
    let aLeased!: () => void;
    const aHasLeased = new Promise<void>((resolve) => (aLeased = resolve));
    const a = storeWith(p.store, {
      leaseNotice: async (...args) => {
        const lease = await p.store.leaseNotice(...args);
        aLeased();
        return lease;
      },
      recordDeliveries: async () => {
        throw new Error('simulated crash');
      },
    });
    const b = storeWith(p.store, {
      listPendingNotices: async () => {
        await aHasLeased;
        return p.store.listPendingNotices();
      },
    });
    p.clock.advance(minute);
    const [aRun, bRun] = await Promise.allSettled([runPollCycle({ ...p.deps, store: a }), runPollCycle({ ...p.deps, store: b })]);
    expect(aRun.status).toBe('rejected');
    expect(bRun.status === 'fulfilled' && bRun.value.sent).toEqual([]);
    expect(p.sender.sent.filter((d) => d.phase === 'initial').length).toBeGreaterThan(0);
    expect(p.sender.sent.filter((d) => d.phase === 'final')).toEqual([]);

    // Recovery: A's lease expires, the alert is sent again (the documented crash duplicate) and
    // recorded, and the all-clear reaches everyone it reached.
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
    p.upstream.set('routing', 'major_outage');
    await cycle();
    await cycle(); // confirmed: incident opened, notice 1
    const [incident] = await p.store.listOpenIncidents();
    expect(incident?.noticeSeq).toBe(1);

    // The escalation clock runs out (Hennepin dark 30 min) in the cycle that first reads the
    // vendor better; the invocation writes notice 2 ("escalated") and dies before saving the
    // incident. The scheduler retries it at once; that read confirms the recovery, so the retry
    // issues notice 2 as "resolved": the outbox already has a notice 2.
    await cycle(27);
    p.upstream.set('routing', 'maintenance');
    const diesAfterNotice = storeWith(p.store, {
      putNotice: async (n) => {
        await p.store.putNotice(n);
        throw new Error('simulated crash');
      },
    });
    p.clock.advance(3 * minute);
    await expect(runPollCycle({ ...p.deps, store: diesAfterNotice })).rejects.toThrow('simulated crash');
    expect((await p.store.listNotices(incident!.id)).map((n) => `${n.seq} ${n.reason}`)).toEqual(['1 opened', '2 escalated']);
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
