import { acknowledgeReply } from '../../shared/app/ack.js';
import { runPollCycle } from '../../shared/app/poll-cycle.js';
import { buildReport, toMarkdown } from '../../shared/app/report.js';
import { ackCode } from '../../shared/domain/incident.js';
import type { Delivery } from '../../shared/domain/records.js';
import { testConfig } from '../support/config.js';
import { startTestPipeline } from '../support/pipeline.js';

type Pipeline = Awaited<ReturnType<typeof startTestPipeline>>;
const minute = 60_000;

/** The largest gap, in minutes, between consecutive messages each recipient got about `incidentId` while it was open. */
function largestGaps(sent: readonly Delivery[], incidentId: string, until: string): Map<string, number> {
  const times = new Map<string, number[]>();
  for (const d of sent) {
    if (d.incidentId !== incidentId && !(d.members ?? []).some((m) => m.incidentId === incidentId)) continue;
    const list = times.get(d.recipientId) ?? [];
    list.push(Date.parse(d.sentAt ?? d.createdAt));
    times.set(d.recipientId, list);
  }
  const gaps = new Map<string, number>();
  for (const [id, list] of times) {
    const sorted = [...new Set(list)].sort((a, b) => a - b).filter((t) => t <= Date.parse(until));
    gaps.set(id, Math.max(0, ...sorted.slice(1).map((t, i) => (t - sorted[i]!) / minute)));
  }
  return gaps;
}

describe('the notice clocks over a long outage', () => {
  let p: Pipeline;
  afterEach(() => p.stop());

  const runFor = async (minutes: number) => {
    for (let i = 0; i < minutes; i++) {
      p.clock.advance(minute);
      await runPollCycle(p.deps);
    }
  };

  test('a 4 h 40 min outage: every recipient told, acknowledged or not, hears at least every 120 minutes until the all-clear; the escalation does not reset their clock', async () => {
    // Default hearAt: the FCC liaison waits for "confirmed", but the escalation itself is why it hears.
    p = await startTestPipeline(testConfig({ corroboration: {}, escalation: { downMinutes: 100, minPsaps: 5, minStates: 5, noAckMinutes: 600, updateEveryMinutes: 120 } }));
    await runPollCycle(p.deps);
    p.upstream.set('routing', 'major_outage');
    await runFor(2);
    const [incident] = await p.store.listOpenIncidents();
    expect(incident).toBeDefined();
    expect(incident!.certainty).toBe('suspected');
    const ack = await acknowledgeReply(p.store, p.deps.model, { from: '+16515550198', text: `ACK ${ackCode(incident!.id)}` }, p.clock.now());
    expect(ack).toMatchObject({ ok: true });

    await runFor(280);
    p.upstream.set('routing', 'operational');
    await runFor(3);

    const final = await p.store.getIncident(incident!.id);
    expect(final).toMatchObject({ status: 'resolved' });
    const notices = await p.store.listNotices(incident!.id);
    expect(notices.map((n) => n.reason)).toEqual(['opened', 'escalated', 'reminder', 'reminder', 'resolved']);

    const gaps = largestGaps(p.sender.sent, incident!.id, final!.resolvedAt!);
    // ramsey-floor acknowledged and still hears every reminder; the liaison hears from its escalation on.
    expect([...gaps.keys()].sort()).toEqual(['anoka-floor', 'az-state', 'fcc', 'hennepin-em', 'pinal-floor', 'ramsey-floor']);
    for (const [recipient, gap] of gaps) expect({ recipient, within: gap <= 120 }).toEqual({ recipient, within: true });
    const toLiaison = p.sender.sent.filter((d) => d.recipientId === 'fcc');
    expect(toLiaison.map((d) => d.phase)).toEqual(['update', 'update', 'update', 'final']);
    // The escalation names the rule that fired, not the whole policy.
    expect(toLiaison[0]!.text).toContain('Escalation: this outage met the escalation policy: a PSAP dark 100 min or more.');

    const report = toMarkdown(await buildReport(p.store, p.deps.model, incident!.id));
    expect(report).toMatch(/Escalated.*UTC, sent to fcc/);
  });

  test('with no FCC liaison on the roster, an escalation is loudly undeliverable: ops is alerted and the report says so', async () => {
    const base = testConfig({ escalation: { downMinutes: 30, minPsaps: 5, minStates: 5, noAckMinutes: 600, updateEveryMinutes: 120 } });
    p = await startTestPipeline({ ...base, recipients: base.recipients.filter((r) => r.role !== 'fcc-liaison') });
    await runPollCycle(p.deps);
    p.upstream.set('routing', 'major_outage');
    await runFor(40);
    const [incident] = await p.store.listOpenIncidents();
    expect(incident?.escalatedAt).toBeDefined();

    const toOps = p.sender.sent.filter((d) => d.recipientId === 'ops');
    expect(toOps.map((d) => d.text).join('\n')).toContain(`ESCALATION UNDELIVERABLE: ${incident!.id} met the escalation policy, but no recipient has role fcc-liaison`);
    const report = toMarkdown(await buildReport(p.store, p.deps.model, incident!.id));
    expect(report).toMatch(/Escalated.*UTC, UNDELIVERABLE: no FCC liaison received it/);
  });
});

describe('one open incident per service', () => {
  let p: Pipeline;
  afterEach(() => p.stop());

  test('a PSAP in an incident stays in that one when a second dependency fails: the second cause opens an incident only for the services it alone explains', async () => {
    p = await startTestPipeline(testConfig());
    await runPollCycle(p.deps);
    p.upstream.set('ali', 'major_outage'); // Hennepin depends on ALI (Partial)
    for (let i = 0; i < 2; i++) {
      p.clock.advance(minute);
      await runPollCycle(p.deps);
    }
    p.upstream.set('routing', 'major_outage'); // Hennepin and Maricopa depend on routing (Down)
    for (let i = 0; i < 4; i++) {
      p.clock.advance(minute);
      await runPollCycle(p.deps);
    }
    const open = await p.store.listOpenIncidents();
    const holding = (service: string) => open.filter((i) => ['Down', 'Partial'].includes(i.services[service]?.state ?? '')).map((i) => i.causeComponentId);
    expect(holding('hennepin')).toEqual(['ali']);
    expect(open.find((i) => i.causeComponentId === 'ali')!.services.hennepin!.state).toBe('Down');
    expect(holding('maricopa')).toEqual(['routing']);
  });
});

describe('overlapping outages', () => {
  let p: Pipeline;
  afterEach(() => p.stop());

  test('twelve single-page outages opening a minute apart: a new incident elsewhere triggers no notice of the open ones; it rides along in their next one', async () => {
    const n = 12;
    const ids = Array.from({ length: n }, (_, i) => `p${String(i).padStart(2, '0')}`);
    p = await startTestPipeline(
      testConfig({
        escalation: { downMinutes: 600, minPsaps: 50, minStates: 50, noAckMinutes: 600, updateEveryMinutes: 120 },
        sources: ids.map((id) => ({ id: `src-${id}`, kind: 'statuspage', url: `http://127.0.0.1:1/${id}.json`, components: [{ id: `c-${id}`, name: `Page ${id}`, provider: `Vendor ${id}`, match: { page: true } }] })),
        services: ids.map((id, i) => ({ id, name: `PSAP ${id}`, kind: 'psap', fips: '27053', state: 'MN', dependsOn: [{ component: `c-${id}` }], neighbours: [ids[(i + 1) % n]!] })),
        recipients: ids.map((id) => ({ id: `${id}-floor`, name: `${id} floor`, role: 'psap', psap: id, channels: { sms: `+1612555${String(1000 + Number(id.slice(1))).slice(-4)}` } })),
      }),
    );
    await runPollCycle(p.deps);
    for (const id of ids) {
      p.upstream.set(`c-${id}`, 'major_outage');
      p.clock.advance(minute);
      await runPollCycle(p.deps);
    }
    for (let i = 0; i < 3; i++) {
      p.clock.advance(minute);
      await runPollCycle(p.deps);
    }
    const incidents = await p.store.listIncidents();
    expect(incidents).toHaveLength(n);
    const notices = (await Promise.all(incidents.map((i) => p.store.listNotices(i.id)))).flat();
    expect(notices.map((x) => x.reason)).toEqual(Array(n).fill('opened'));
    expect(p.sender.sent.length).toBe(2 * n); // each dark PSAP's two neighbours, once

    // The first one recovers: its all-clear carries the others as concurrent, never as its cause.
    p.upstream.set(`c-${ids[0]}`, 'operational');
    for (let i = 0; i < 2; i++) {
      p.clock.advance(minute);
      await runPollCycle(p.deps);
    }
    const first = incidents.find((i) => i.causeComponentId === `c-${ids[0]}`)!;
    const [, final] = await p.store.listNotices(first.id);
    expect(final).toMatchObject({ reason: 'resolved' });
    expect(final!.incident.concurrent.map((c) => c.componentId).sort()).toEqual(ids.slice(1).map((id) => `c-${id}`));
  });
});

describe('a path is not a dark PSAP', () => {
  let p: Pipeline;
  afterEach(() => p.stop());

  test('a text-to-911 outage names the path and what still works, pages no neighbour, claims no rollover, and escalates on its own clock', async () => {
    const base = testConfig({ escalation: { downMinutes: 30, pathDownMinutes: 60, minPsaps: 1, minStates: 5, noAckMinutes: 600, updateEveryMinutes: 120 } });
    p = await startTestPipeline({
      ...base,
      sources: [...base.sources, { ...(base.sources[2] as Extract<(typeof base.sources)[number], { kind: 'statuspage' }>), id: 'tcc', url: 'http://127.0.0.1:1/tcc.json', components: [{ id: 'tcc', name: 'Text control center', provider: 'Prairie', match: { page: true } }] }],
      services: base.services.map((s) => (s.id === 'hennepin-text' ? { ...s, dependsOn: [{ component: 'tcc', effect: 'Down' as const, decides: false }] } : s)),
      recipients: base.recipients.map((r) => (r.id === 'hennepin-em' ? { ...r, channels: { ...r.channels, sms: '+16125550122' } } : r)),
    });
    await runPollCycle(p.deps);
    p.upstream.set('tcc', 'major_outage');
    const runFor = async (minutes: number) => {
      for (let i = 0; i < minutes; i++) {
        p.clock.advance(minute);
        await runPollCycle(p.deps);
      }
    };
    await runFor(2);
    const [incident] = await p.store.listOpenIncidents();
    expect(Object.keys(incident!.services)).toEqual(['hennepin-text']);
    const sms = p.sender.sent.filter((d) => d.channel === 'sms');
    expect(sms.map((d) => d.recipientId)).toEqual(['hennepin-em']); // Ramsey and Anoka get no rollover alert
    expect(sms[0]!.text).toMatch(/^911 ALERT \(suspected\): Text-to-911 at Hennepin County 911 DOWN since \d\d:\d\d [A-Z]+, voice OK: tell callers to call\./);
    const email = p.sender.sent.find((d) => d.recipientId === 'hennepin-em' && d.channel === 'email')!.text;
    expect(email).toMatch(/7\. Expected effect on the PSAP:\s+text-to-911 at Hennepin County 911 Down; the PSAP's other 911 paths are not known to be affected\./);
    expect(p.sender.sent.map((d) => d.text).join('\n')).not.toMatch(/roll over|rollover|back to normal/i);

    // minPsaps 1 would escalate a dark PSAP at once; a path waits for its own 60 minutes.
    await runFor(40);
    expect((await p.store.getIncident(incident!.id))!.escalatedAt).toBeUndefined();
    await runFor(25);
    expect((await p.store.getIncident(incident!.id))!.escalatedAt).toBeDefined();
  });
});

describe('an escalation does not stand in for the 2-hour update', () => {
  let p: Pipeline;
  afterEach(() => p.stop());

  test('when the escalation and the reminder fall due in the same cycle, both go out: the liaison hears the one, everyone told the other', async () => {
    p = await startTestPipeline(testConfig({ escalation: { downMinutes: 60, minPsaps: 5, minStates: 5, noAckMinutes: 600, updateEveryMinutes: 120 } }));
    await runPollCycle(p.deps);
    p.upstream.set('routing', 'major_outage');
    for (let i = 0; i < 2; i++) {
      p.clock.advance(minute);
      await runPollCycle(p.deps);
    }
    const [incident] = await p.store.listOpenIncidents();
    // The next invocation comes two hours later (a long outage of the scheduler, say).
    p.clock.advance(121 * minute);
    await runPollCycle(p.deps);
    expect((await p.store.listNotices(incident!.id)).map((n) => n.reason)).toEqual(['opened', 'escalated', 'reminder']);
    const reminded = new Set(p.sender.sent.filter((d) => d.seq === 3).map((d) => d.recipientId));
    expect(reminded.has('ramsey-floor')).toBe(true);
    expect(reminded.has('fcc')).toBe(true);
  });
});
