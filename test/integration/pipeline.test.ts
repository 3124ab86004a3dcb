import { runPollCycle } from '../../shared/app/poll-cycle.js';
import { testConfig } from '../support/config.js';
import { startTestPipeline } from '../support/pipeline.js';

type Pipeline = Awaited<ReturnType<typeof startTestPipeline>>;
const minute = 60_000;
const keyOf = (d: { incidentId: string; seq: number; recipientId: string; channel: string }) => `${d.incidentId}/${d.seq}/${d.recipientId}/${d.channel}`;

/** Counts DynamoDB calls by command name, on the embedded store's real client. */
function countCalls(p: Pipeline) {
  const calls: string[] = [];
  p.db.client.middlewareStack.add(
    (next, context) => async (args) => {
      calls.push(context.commandName ?? '?');
      return next(args);
    },
    { step: 'initialize', name: `count-${Math.random()}` },
  );
  return calls;
}

describe('the pipeline on the embedded store', () => {
  let p: Pipeline;
  beforeEach(async () => {
    p = await startTestPipeline(testConfig());
  });
  afterEach(() => p.stop());

  async function cycle(minutes = 1) {
    p.clock.advance(minutes * minute);
    return runPollCycle(p.deps);
  }

  test('an outage is confirmed after two reads, notified once, and cleared to everyone told', async () => {
    await cycle(0);
    p.upstream.set('routing', 'major_outage');
    const first = await cycle();
    expect(first.componentTransitions).toHaveLength(0); // one bad read is not an outage
    const second = await cycle();
    expect(second.componentTransitions.map((t) => `${t.id}:${t.from}->${t.to}`)).toEqual(['routing:operational->major_outage']);
    expect(second.serviceTransitions.map((t) => `${t.id}:${t.to}`).sort()).toEqual(['hennepin-text:Partial', 'hennepin:Down', 'maricopa:Down']);
    expect(second.notices.map((n) => n.reason)).toEqual(['opened']);
    const alerted = new Set(p.sender.sent.map((d) => d.recipientId));
    expect([...alerted].sort()).toEqual(['anoka-floor', 'az-state', 'hennepin-em', 'pinal-floor', 'ramsey-floor']);

    // Nothing changes: nothing is sent.
    const quiet = await cycle();
    expect(quiet.notices).toHaveLength(0);
    expect(quiet.sent).toHaveLength(0);

    p.upstream.set('routing', 'operational');
    await cycle();
    const recovered = await cycle();
    expect(recovered.notices.map((n) => n.reason)).toEqual(['resolved']);
    const cleared = p.sender.sent.filter((d) => d.phase === 'final');
    expect(new Set(cleared.map((d) => d.recipientId))).toEqual(alerted);
    expect(cleared.map(keyOf).length).toBe(new Set(cleared.map(keyOf)).size);
  });

  test('running the same transition a second time sends nothing', async () => {
    await cycle(0);
    p.upstream.set('routing', 'major_outage');
    await cycle();
    await cycle();
    const sent = p.sender.sent.length;
    expect(sent).toBeGreaterThan(0);
    // The same invocation again at the same instant (a retry of the scheduler's event).
    const again = await runPollCycle(p.deps);
    expect(again.notices).toHaveLength(0);
    expect(p.sender.sent).toHaveLength(sent);
  });

  test('two concurrent invocations on one table deliver every message exactly once', async () => {
    await cycle(0);
    p.upstream.set('routing', 'major_outage');
    await cycle();
    p.clock.advance(minute);
    await Promise.all([runPollCycle(p.deps), runPollCycle(p.deps), runPollCycle(p.deps)]);
    await cycle(); // anything a loser left pending is finished here
    const keys = p.sender.sent.map(keyOf);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.length).toBe(new Set(keys).size);
    expect(new Set(p.sender.sent.map((d) => d.recipientId))).toEqual(new Set(['anoka-floor', 'az-state', 'hennepin-em', 'pinal-floor', 'ramsey-floor']));
  });

  test('a failed send is not marked sent and is retried once its lease expires', async () => {
    await cycle(0);
    p.upstream.set('routing', 'major_outage');
    await cycle();
    p.sender.failNext = 1;
    const r = await cycle();
    expect(r.failed).toHaveLength(1);
    const failedKey = keyOf(r.failed[0]!);
    expect(p.sender.sent.map(keyOf)).not.toContain(failedKey);
    expect(await p.store.listPendingNotices()).toHaveLength(1);

    const retry = await cycle(2);
    expect(retry.sent.map(keyOf)).toEqual([failedKey]);
    expect(await p.store.listPendingNotices()).toHaveLength(0);
    const keys = p.sender.sent.map(keyOf);
    expect(keys.length).toBe(new Set(keys).size);
  });

  test('a source that cannot be read does not stop the others', async () => {
    await cycle(0);
    p.upstream.failing.add('office');
    p.upstream.set('routing', 'major_outage');
    await cycle();
    const r = await cycle();
    expect(r.sources.find((s) => s.sourceId === 'office')).toMatchObject({ kind: 'failed', error: 'source "office": connection refused' });
    expect(r.notices.map((n) => n.reason)).toEqual(['opened']);
    // blind, not down: after three failed reads the component is Unknown and no incident opens for it
    const blind = await cycle();
    expect(blind.componentTransitions.map((t) => `${t.id}:${t.to}`)).toEqual(['mail:unknown']);
    expect(blind.notices).toHaveLength(0);
  });

  test('a steady cycle reads in batches and writes nothing', async () => {
    await cycle(0);
    await cycle();
    const calls = countCalls(p);
    await cycle();
    const writes = calls.filter((c) => /Put|Update|Delete|BatchWrite/.test(c));
    expect(writes).toEqual([]);
    // Source states, then the components of the sources whose payload is new (this scripted
    // upstream has neither ETag nor body hash: every read is "changed"); no service is read.
    // With unchanged reads only the source states are read (steady-cycle.test.ts).
    expect(calls.filter((c) => c === 'BatchGetItemCommand')).toHaveLength(2);
  });

  test('escalation reaches the FCC liaison after 30 minutes dark, and only the liaison', async () => {
    await cycle(0);
    p.upstream.set('routing', 'major_outage');
    await cycle();
    await cycle();
    const before = p.sender.sent.length;
    await cycle(27); // dark for 28 minutes since the first bad read
    expect(p.sender.sent).toHaveLength(before);
    const r = await cycle(2);
    expect(r.notices.map((n) => n.reason)).toEqual(['escalated']);
    expect(r.sent.map((d) => d.recipientId)).toEqual(['fcc']);
    expect(r.sent[0]!.subject).toMatch(/^\[dialtone\] ESCALATION/);
  });
});
