import { runPollCycle } from '../../shared/app/poll-cycle.js';
import { fitsOneSms } from '../../shared/domain/text.js';
import { testConfig } from '../support/config.js';
import { startTestPipeline } from '../support/pipeline.js';

type Pipeline = Awaited<ReturnType<typeof startTestPipeline>>;
const minute = 60_000;

/** "Unknown is not healthy, and not an outage": a blind monitor alerts ops, and only ops. */
describe('blind monitors and a suspected egress problem (poll cycle)', () => {
  let p: Pipeline;
  const cycle = async (minutes = 1) => {
    p.clock.advance(minutes * minute);
    return runPollCycle(p.deps);
  };
  const opsSent = () => p.sender.sent.filter((d) => d.incidentId.startsWith('OPS-'));

  beforeEach(async () => {
    const base = testConfig();
    // Ops on both channels, so the SMS rendering is exercised too.
    const recipients = base.recipients.map((r) => (r.role === 'ops' ? { ...r, channels: { ...r.channels, sms: '+16125550123' } } : r));
    p = await startTestPipeline(testConfig({ recipients }));
    await runPollCycle(p.deps);
  });
  afterEach(() => p.stop());

  test('one source blind: ops hears once when it goes blind and once when it is back; the others are unaffected', async () => {
    p.upstream.failing.add('office');
    p.upstream.set('routing', 'major_outage');
    const first = await cycle();
    const second = await cycle();
    expect([first, second].flatMap((r) => r.opsAlerts)).toEqual([]);
    expect(second.notices.map((n) => n.reason)).toEqual(['opened']); // the vendor outage goes on as usual
    expect(opsSent()).toEqual([]);

    const blind = await cycle();
    expect(blind.egressSuspected).toBe(false);
    expect(blind.opsAlerts).toEqual([
      { id: 'OPS-BLIND-office-20260929T000300Z', seq: 1, kind: 'blind', phase: 'initial', sourceIds: ['office'], since: '2026-09-29T00:03:00.000Z', at: '2026-09-29T00:03:00.000Z', error: 'source "office": connection refused', components: ['mail'] },
    ]);
    expect(blind.componentTransitions.map((t) => `${t.id}:${t.to}`)).toEqual(['mail:unknown']);
    const raised = opsSent();
    expect(raised.map((d) => `${d.recipientId}/${d.channel}/${d.seq}`).sort()).toEqual(['ops/email/1', 'ops/sms/1']);
    expect(raised.every((d) => d.role === 'ops')).toBe(true);
    const sms = raised.find((d) => d.channel === 'sms')!;
    expect(sms.text).toMatch(/^dialtone OPS: monitor BLIND, source office unreadable since 00:03 UTC\./);
    expect(fitsOneSms(sms.text)).toBe(true);
    expect(raised.find((d) => d.channel === 'email')!.subject).toBe('[dialtone] OPS: monitor blind: source office');
    expect(blind.sent.filter((d) => d.incidentId.startsWith('OPS-'))).toHaveLength(2); // in the cycle report too

    // Still blind: nothing more.
    const still = await cycle();
    expect(still.opsAlerts).toEqual([]);
    expect(opsSent()).toHaveLength(2);
    // Nobody but ops ever heard about it.
    expect(p.sender.sent.filter((d) => d.text.includes('office') || d.text.includes('BLIND')).every((d) => d.role === 'ops')).toBe(true);

    p.upstream.failing.delete('office');
    const back = await cycle();
    expect(back.opsAlerts).toMatchObject([{ id: 'OPS-BLIND-office-20260929T000300Z', seq: 2, kind: 'blind', phase: 'final', at: '2026-09-29T00:05:00.000Z' }]);
    expect(opsSent().filter((d) => d.seq === 2).map((d) => d.text).find((t) => t.startsWith('dialtone OPS'))).toBe('dialtone OPS: monitor restored, source office readable again at 00:05 UTC after 2 min blind. Ref OPS-BLIND-office-20260929T000300Z');
    const quiet = await cycle();
    expect(quiet.opsAlerts).toEqual([]);
    expect(opsSent()).toHaveLength(4);
    expect((await p.store.getSourceStates(['office'])).get('office')?.blind).toBeUndefined();
  });

  test('a failed ops send is not marked sent and is retried by the next cycle, once', async () => {
    p.upstream.failing.add('office');
    await cycle();
    await cycle();
    p.sender.failNext = 1;
    const r = await cycle();
    expect(r.failed).toHaveLength(1);
    expect(opsSent()).toHaveLength(1);
    const retry = await cycle();
    expect(retry.sent.map((d) => `${d.recipientId}/${d.channel}`)).toEqual([`${r.failed[0]!.recipientId}/${r.failed[0]!.channel}`]);
    await cycle();
    expect(opsSent()).toHaveLength(2);
    expect((await p.store.getSourceStates(['office'])).get('office')?.blind).toMatchObject({ raised: true });
  });

  test('every source failing at once: one suspected-egress alert instead of N blind alerts, components held', async () => {
    p.upstream.set('routing', 'major_outage');
    await cycle();
    await cycle(); // the outage is confirmed before the lights go out
    const before = p.sender.sent.length;
    for (const id of ['vendor', 'office', 'carrier']) p.upstream.failing.add(id);

    const reports = [await cycle(), await cycle(), await cycle(), await cycle(), await cycle()];
    expect(reports.map((r) => r.egressSuspected)).toEqual([true, true, true, true, true]);
    expect(reports.flatMap((r) => r.componentTransitions)).toEqual([]); // not marked unknown: held at the last known state
    expect(reports.flatMap((r) => r.opsAlerts)).toEqual([
      { id: 'OPS-EGRESS-20260929T000500Z', seq: 1, kind: 'egress', phase: 'initial', sourceIds: ['vendor', 'office', 'carrier'], since: '2026-09-29T00:05:00.000Z', at: '2026-09-29T00:05:00.000Z', error: 'source "vendor": connection refused' },
    ]);
    const egress = p.sender.sent.slice(before);
    expect(egress.map((d) => `${d.recipientId}/${d.channel}`).sort()).toEqual(['ops/email', 'ops/sms']);
    expect(egress.find((d) => d.channel === 'sms')!.text).toMatch(/^dialtone OPS: suspected LOCAL EGRESS problem: all 3 polled sources failing since 00:05 UTC\./);
    expect((await p.store.getComponentStates(['routing'])).get('routing')?.status).toBe('major_outage');
    expect((await p.store.getServiceStates(['hennepin'])).get('hennepin')?.state).toBe('Down');

    // Egress back: one all-clear to ops, no blind alerts (every source read again).
    p.upstream.failing.clear();
    const back = await cycle();
    expect(back.egressSuspected).toBe(false);
    expect(back.opsAlerts).toMatchObject([{ id: 'OPS-EGRESS-20260929T000500Z', seq: 2, kind: 'egress', phase: 'final' }]);
    expect(back.sent.filter((d) => d.incidentId.startsWith('OPS-')).map((d) => d.seq)).toEqual([2, 2]);
    expect((await cycle()).opsAlerts).toEqual([]);
  });

  test('egress recovering for some sources only: the egress alert clears and the still-failing sources are reported blind', async () => {
    for (const id of ['vendor', 'office', 'carrier']) p.upstream.failing.add(id);
    for (let i = 0; i < 3; i++) await cycle();
    p.upstream.failing.delete('vendor');
    const r = await cycle();
    expect(r.egressSuspected).toBe(false);
    expect(r.opsAlerts.map((a) => `${a.kind}:${a.phase}:${a.sourceIds.join(',')}`).sort()).toEqual(['blind:initial:carrier', 'blind:initial:office', 'egress:final:vendor,office,carrier']);
  });

  test('a throttled (skipped) source keeps its components and does not count for or against egress', async () => {
    p.upstream.set('mail', 'major_outage');
    await cycle();
    await cycle();
    p.upstream.throttled.add('office');
    p.upstream.failing.add('vendor');
    p.upstream.failing.add('carrier');
    const r = await cycle();
    expect(r.sources.find((s) => s.sourceId === 'office')).toEqual({ sourceId: 'office', kind: 'skipped', error: 'source "office": throttled' });
    expect(r.egressSuspected).toBe(true); // both sources actually read failed
    p.upstream.failing.delete('carrier');
    const s = await cycle();
    expect(s.egressSuspected).toBe(false);
    expect((await p.store.getComponentStates(['mail'])).get('mail')).toMatchObject({ status: 'major_outage' });
    expect(s.componentTransitions.filter((t) => t.id === 'mail')).toEqual([]);
  });

  test('a steady cycle records nothing for ops', async () => {
    const r = await cycle();
    expect(r).toMatchObject({ egressSuspected: false, opsAlerts: [] });
    expect((await p.store.getSourceStates(['_egress'])).size).toBe(0);
  });
});
