import { runPollCycle } from '../../shared/app/poll-cycle.js';
import type { MonitoringConfig } from '../../shared/config/schema.js';
import { testConfig } from '../support/config.js';
import { startTestPipeline } from '../support/pipeline.js';

type Pipeline = Awaited<ReturnType<typeof startTestPipeline>>;
const minute = 60_000;
const PSAPS = ['hennepin', 'ramsey', 'anoka'] as const;

/** Hennepin, Ramsey and Anoka each send a CAD heartbeat; a silent one makes its PSAP Unreachable. */
function heartbeatConfig(): MonitoringConfig {
  const base = testConfig();
  return testConfig({
    sources: [
      ...base.sources,
      ...PSAPS.map((id) => ({ id: `${id}-hb`, kind: 'heartbeat', auth: { tokenSha256: 'a'.repeat(64) }, graceSeconds: 120, components: [{ id: `${id}-alive`, name: `${id} CAD heartbeat`, provider: `${id} County` }] })),
    ],
    services: base.services.map((s) => ((PSAPS as readonly string[]).includes(s.id) ? { ...s, dependsOn: [...s.dependsOn, { component: `${s.id}-alive`, effect: 'Unreachable' }] } : s)),
  });
}

describe('push sources are watched like polled ones', () => {
  let p: Pipeline;
  afterEach(() => p.stop());
  const cycle = async (minutes = 1) => {
    p.clock.advance(minutes * minute);
    return runPollCycle(p.deps);
  };
  /** A heartbeat as ingest records it. */
  const beat = async (id: string) => {
    const prev = (await p.store.getSourceStates([`${id}-hb`])).get(`${id}-hb`);
    await p.store.saveSourceState({ sourceId: `${id}-hb`, consecutiveFailures: 0, lastHeartbeatAt: p.clock.now().toISOString(), version: (prev?.version ?? 0) + 1 }, prev?.version ?? 0);
  };
  const toOps = () => p.sender.sent.filter((d) => d.recipientId === 'ops').map((d) => d.text);

  test('a heartbeat never heard is a blind monitor: ops is told once, and once when it is first heard', async () => {
    p = await startTestPipeline(heartbeatConfig());
    await beat('ramsey');
    await beat('anoka');
    await runPollCycle(p.deps);
    for (let i = 0; i < 3; i++) {
      await beat('ramsey');
      await beat('anoka');
      await cycle();
    }
    expect(toOps()).toEqual([expect.stringContaining('monitor blind: source hennepin-hb')]);
    expect(p.sender.sent.filter((d) => d.recipientId !== 'ops')).toEqual([]); // Unknown is not an outage
    await beat('hennepin');
    await beat('ramsey');
    await beat('anoka');
    await cycle();
    expect(toOps()).toEqual([expect.stringContaining('monitor blind: source hennepin-hb'), expect.stringContaining('monitor restored: source hennepin-hb')]);
  });

  test('many heartbeats silent at once point at our ingest path: ops hears it, the PSAPs read Unknown and nobody else is alerted, until another witness agrees', async () => {
    p = await startTestPipeline(heartbeatConfig());
    for (const id of PSAPS) await beat(id);
    await runPollCycle(p.deps);
    await cycle();
    // Every heartbeat stops (our API is down, say): past the 120 s grace they are all late together.
    for (let i = 0; i < 5; i++) await cycle();
    const states = await p.store.getServiceStates([...PSAPS]);
    expect([...PSAPS].map((id) => states.get(id)?.state)).toEqual(['Unknown', 'Unknown', 'Unknown']);
    expect(await p.store.listOpenIncidents()).toEqual([]);
    expect(p.sender.sent.filter((d) => d.recipientId !== 'ops')).toEqual([]);
    expect(toOps()).toEqual([expect.stringContaining('suspected ingest problem: heartbeats silent at once')]);

    // The vendor's page now shows the routing down: another witness, so Hennepin's outage is real.
    p.upstream.set('routing', 'major_outage');
    await cycle();
    await cycle();
    const [incident] = await p.store.listOpenIncidents();
    expect(incident?.causeComponentId).toBe('routing');
    expect(p.sender.sent.some((d) => d.recipientId === 'ramsey-floor')).toBe(true);

    // Heartbeats arrive again: ops hears the all-clear of its own alert.
    for (const id of PSAPS) await beat(id);
    await cycle();
    expect(toOps().at(-1)).toContain('heartbeats arriving again');
  });
});
