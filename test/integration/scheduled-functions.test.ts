import { createApiHandler } from '../../functions/api/handler.js';
import { DynamoLeaseStore } from '../../functions/common/region-lease.js';
import { createDeliverHandler } from '../../functions/deliver/handler.js';
import { createPollHandler, CYCLE_RESERVE_MS } from '../../functions/poll/handler.js';
import { createSweepHandler } from '../../functions/sweep/handler.js';
import { silentLog } from '../../shared/app/log.js';
import type { PipelineMetrics } from '../../shared/app/pipeline-metrics.js';
import type { PollGroup } from '../../shared/app/poll-groups.js';
import { runPollCycle } from '../../shared/app/poll-cycle.js';
import { regionRole, type LeaseStore } from '../../shared/app/region-lease.js';
import { validateConfig } from '../../shared/config/load.js';
import type { MonitoringConfig } from '../../shared/config/schema.js';
import { testConfig } from '../support/config.js';
import { startTestPipeline } from '../support/pipeline.js';

/** Records what the handlers emit (the Powertools implementation is exercised by the poll-handler test). */
class RecordingMetrics {
  cycles: Array<{ group: PollGroup; polled: number; failed: number }> = [];
  standbys = 0;
  delivered = { sent: 0, failed: 0 };
  open: number[] = [];
  flushes = 0;
  pollCycle(group: PollGroup, s: { polled: number; failed: number }) {
    this.cycles.push({ group, ...s });
  }
  standby() {
    this.standbys++;
  }
  deliveriesReport(r: { sent: number; failed: number }) {
    this.delivered.sent += r.sent;
    this.delivered.failed += r.failed;
  }
  openIncidents(n: number) {
    this.open.push(n);
  }
  flush() {
    this.flushes++;
  }
}
const metricsPort = (m: RecordingMetrics): PipelineMetrics => ({
  pollCycle: (g, s) => m.pollCycle(g, s),
  standby: () => m.standby(),
  deliveries: (r) => m.deliveriesReport(r),
  openIncidents: (n) => m.openIncidents(n),
  flush: () => m.flush(),
});

/** testConfig with the vendor page in the critical group. */
function groupedConfig(): MonitoringConfig {
  const base = testConfig();
  const raw = JSON.parse(JSON.stringify(base)) as { sources: Array<Record<string, unknown>> };
  raw.sources = raw.sources.map((s) => (s.id === 'vendor' ? { ...s, group: 'critical' } : s.id === 'carrier' ? { ...s, everySeconds: 300 } : s));
  const r = validateConfig(raw);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.config;
}

describe('poll handler: groups and cadence', () => {
  test('critical: four cycles 15 s apart on the real (here simulated) clock, only critical sources, push sources left to standard', async () => {
    const p = await startTestPipeline(groupedConfig(), '2026-09-29T00:00:00Z');
    try {
      const slept: number[] = [];
      const metrics = new RecordingMetrics();
      const budgets: Array<number | undefined> = [];
      const run = createPollHandler(p.deps, {
        sleep: async (ms) => {
          slept.push(ms);
          p.clock.advance(ms);
        },
        metrics: metricsPort(metrics),
        startRun: (remaining) => budgets.push(remaining?.()),
      });
      p.clock.advance(2_000); // the invocation starts 2 s after its scheduled time
      const r = await run({ group: 'critical', scheduledTime: '2026-09-29T00:00:00Z' }, () => 65_000 - slept.reduce((a, b) => a + b, 0));
      expect(r).toMatchObject({ group: 'critical', cycles: 4, sources: 4, failedSources: 0 });
      expect(slept).toEqual([13_000, 15_000, 15_000]);
      expect(p.upstream.reads).toBe(4);
      expect(metrics.cycles).toEqual(Array(4).fill({ group: 'critical', polled: 1, failed: 0 }));
      expect(metrics.flushes).toBe(4);
      // inline delivery may pace until the next slot (13 s for the late first cycle), the last cycle until the timeout
      expect(budgets).toEqual([13_000, 15_000, 15_000, 65_000 - 43_000]);
    } finally {
      await p.stop();
    }
  });

  test('bounded by the function timeout: no cycle starts without the slowest source timeout + reserve left', async () => {
    const p = await startTestPipeline(groupedConfig(), '2026-09-29T00:00:00Z');
    try {
      let remaining = 40_000;
      const run = createPollHandler(p.deps, {
        sleep: async (ms) => {
          remaining -= ms;
          p.clock.advance(ms);
        },
      });
      const reserve = 5_000 + CYCLE_RESERVE_MS; // default timeoutMs
      const r = await run({ group: 'critical', scheduledTime: '2026-09-29T00:00:00Z' }, () => remaining);
      // 40 s left: cycles at 0 and 15 s fit (25 s ≥ 15 s left after the second wait), the third (10 s left) does not.
      expect(remaining).toBeGreaterThanOrEqual(0);
      expect(r.cycles).toBe(2);
      expect(reserve).toBe(15_000);
    } finally {
      await p.stop();
    }
  });

  test('a late start skips the slots already covered by the next invocation', async () => {
    const p = await startTestPipeline(groupedConfig(), '2026-09-29T00:00:31Z');
    try {
      const run = createPollHandler(p.deps, { sleep: async (ms) => p.clock.advance(ms) });
      const r = await run({ group: 'critical', scheduledTime: '2026-09-29T00:00:00Z' });
      // slots 0 s and 15 s are past by a whole interval; 30 s (late by 1 s) and 45 s run
      expect(r.cycles).toBe(2);
    } finally {
      await p.stop();
    }
  });

  test('standard: one cycle; a source with everySeconds 300 is read on its own cadence', async () => {
    const p = await startTestPipeline(groupedConfig(), '2026-09-29T00:05:03Z');
    try {
      const run = createPollHandler(p.deps, { sleep: async (ms) => p.clock.advance(ms) });
      const at = (t: string) => run({ group: 'standard', scheduledTime: t });
      expect(await at('2026-09-29T00:05:00Z')).toMatchObject({ cycles: 1, sources: 2 }); // office + carrier (5-minute boundary)
      p.clock.set('2026-09-29T00:06:02Z');
      expect(await at('2026-09-29T00:06:00Z')).toMatchObject({ cycles: 1, sources: 1 }); // office only
    } finally {
      await p.stop();
    }
  });

  test('fast confirmation: a read that would change a component is read again 5 s later in the same invocation, and confirms', async () => {
    const p = await startTestPipeline(groupedConfig(), '2026-09-29T00:05:00Z');
    try {
      const run = createPollHandler(p.deps, { sleep: async (ms) => p.clock.advance(ms) });
      await run({ group: 'critical', scheduledTime: '2026-09-29T00:05:00Z' });
      p.clock.set('2026-09-29T00:06:00Z');
      p.upstream.set('routing', 'major_outage');
      const reads = p.upstream.reads;
      const r = await run({ group: 'critical', scheduledTime: '2026-09-29T00:06:00Z' }, () => 65_000);
      // slot 0 s: first bad read; re-read at 5 s confirms (openAfter 2) before the 15 s slot
      expect(r.rechecks).toBeGreaterThanOrEqual(1);
      expect(r.transitions).toBeGreaterThan(0);
      expect(p.upstream.reads - reads).toBe(r.cycles + r.rechecks);
    } finally {
      await p.stop();
    }
  });

  test('standby in a multi-region pair: nothing read, a Standby metric instead of a cycle', async () => {
    const p = await startTestPipeline(groupedConfig());
    try {
      const metrics = new RecordingMetrics();
      const lease: LeaseStore = { acquire: async () => ({ acquired: false, holder: 'us-east-1', until: '2026-09-29T00:02:00.000Z' }) };
      const run = createPollHandler(p.deps, { lease, region: 'us-west-2', metrics: metricsPort(metrics) });
      expect(await run({ group: 'standard' })).toMatchObject({ standby: true, cycles: 0 });
      expect(p.upstream.reads).toBe(0);
      expect(metrics.standbys).toBe(1);
      expect(metrics.cycles).toEqual([]);
    } finally {
      await p.stop();
    }
  });

  test('an unknown group is refused naming the field', async () => {
    const p = await startTestPipeline(groupedConfig());
    try {
      await expect(createPollHandler(p.deps)({ group: 'urgent' })).rejects.toThrow(/group/);
    } finally {
      await p.stop();
    }
  });
});

describe('sweep: incident clocks without polling', () => {
  test('escalation and the 2-hour reminder fire while every poll fails', async () => {
    const p = await startTestPipeline(testConfig());
    try {
      p.upstream.set('routing', 'major_outage');
      await runPollCycle(p.deps);
      p.clock.advance(60_000);
      await runPollCycle(p.deps); // confirmed: incident opened, initial notices delivered
      const initial = p.sender.sent.length;
      expect(initial).toBeGreaterThan(0);

      // From here no poll runs at all (say, the poll function is broken): only the sweep.
      const metrics = new RecordingMetrics();
      const sweep = createSweepHandler(p.deps, { metrics: metricsPort(metrics) });
      p.clock.advance(31 * 60_000);
      const escalated = await sweep({});
      expect(escalated.notices).toBe(1);
      expect(p.sender.sent.slice(initial).map((d) => d.recipientId)).toContain('fcc');
      expect(escalated.openIncidents).toBe(1);

      p.clock.advance(121 * 60_000);
      const reminded = await sweep({});
      expect(reminded.notices).toBe(1);
      expect(reminded.sent).toBeGreaterThan(0);
      expect(metrics.open).toEqual([1, 1]);
      expect(metrics.delivered.sent).toBe(escalated.sent + reminded.sent);

      // Nothing due: a repeated sweep issues and sends nothing.
      expect(await sweep({})).toMatchObject({ notices: 0, sent: 0 });
    } finally {
      await p.stop();
    }
  });
});

describe('deliver: the outbox drain', () => {
  test('sends what a failed inline delivery left pending once its lease is over, and only once', async () => {
    const p = await startTestPipeline(testConfig());
    try {
      p.upstream.set('routing', 'major_outage');
      await runPollCycle(p.deps);
      p.clock.advance(60_000);
      p.sender.failNext = 100; // the channel is down during the poll's inline delivery
      const cycle = await runPollCycle(p.deps);
      expect(cycle.failed.length).toBeGreaterThan(0);
      p.sender.failNext = 0;

      const deliver = createDeliverHandler(p.deps);
      expect(await deliver({})).toMatchObject({ sent: 0 }); // still inside the lease
      p.clock.advance(61_000);
      const drained = await deliver({});
      expect(drained.sent).toBe(cycle.failed.length);
      expect(await deliver({})).toMatchObject({ sent: 0, failedDeliveries: 0 });
    } finally {
      await p.stop();
    }
  });
});

describe('read API', () => {
  test('status, incidents, detail, report (md/json/csv), CAP; 404s and bad queries named', async () => {
    const p = await startTestPipeline(testConfig());
    try {
      p.upstream.set('routing', 'major_outage');
      await runPollCycle(p.deps);
      p.clock.advance(60_000);
      await runPollCycle(p.deps);
      const api = createApiHandler({ store: p.store, model: p.deps.model, clock: p.clock, log: silentLog, cap: { domain: 'dialtone.example' } });
      const get = (routeKey: string, pathParameters?: Record<string, string>, queryStringParameters?: Record<string, string>) =>
        api({ routeKey, pathParameters, queryStringParameters });

      const status = await get('GET /status');
      expect(status.statusCode).toBe(200);
      const body = JSON.parse(status.body!) as { services: Array<{ id: string; serviceState: string }>; components: Array<{ id: string; status: string }>; openIncidents: Array<{ id: string }> };
      expect(body.services.find((s) => s.id === 'hennepin')?.serviceState).toBe('Down');
      expect(body.components.find((c) => c.id === 'routing')?.status).toBe('major_outage');
      expect(body.openIncidents).toHaveLength(1);
      const id = body.openIncidents[0]!.id;

      const list = JSON.parse((await get('GET /incidents', undefined, { status: 'open', limit: '5' })).body!) as { incidents: Array<{ id: string }> };
      expect(list.incidents.map((i) => i.id)).toEqual([id]);
      expect((await get('GET /incidents', undefined, { limit: 'many' })).statusCode).toBe(400);

      const detail = await get('GET /incidents/{id}', { id });
      expect(detail.statusCode).toBe(200);
      expect(JSON.parse(detail.body!)).toMatchObject({ incident: { id }, notices: [{ seq: 1, phase: 'initial' }] });
      expect(detail.body).not.toMatch(/\+1\d{10}|@ramsey\.example/); // no addresses

      const md = await get('GET /incidents/{id}/report', { id }, { format: 'md' });
      expect(md.headers?.['content-type']).toMatch(/markdown/);
      expect(md.body).toContain(id);
      expect((await get('GET /incidents/{id}/report', { id }, { format: 'csv' })).headers?.['content-type']).toMatch(/csv/);
      expect(JSON.parse((await get('GET /incidents/{id}/report', { id }, { format: 'json' })).body!)).toMatchObject({ incident: { id } });
      expect((await get('GET /incidents/{id}/report', { id }, { format: 'pdf' })).statusCode).toBe(400);

      const cap = await get('GET /incidents/{id}/cap', { id });
      expect(cap.statusCode).toBe(200);
      expect(cap.body).toContain('urn:oasis:names:tc:emergency:cap:1.2');
      expect(cap.body).toContain('<sender>dialtone@dialtone.example</sender>');
      expect((await get('GET /incidents/{id}/cap', { id }, { seq: '9' })).statusCode).toBe(404);

      expect((await get('GET /incidents/{id}', { id: 'INC-nope' })).statusCode).toBe(404);
      expect((await get('GET /incidents/{id}/report', { id: 'INC-nope' })).statusCode).toBe(404);
      expect((await get('DELETE /incidents/{id}', { id })).statusCode).toBe(404);
    } finally {
      await p.stop();
    }
  });
});

describe('region lease', () => {
  test('one region leads; the other stands by until the lease expires (DynamoDB conditional write)', async () => {
    const p = await startTestPipeline(testConfig());
    try {
      const lease = new DynamoLeaseStore({ client: p.db.client, tableName: p.db.tableName });
      const at = (iso: string) => new Date(iso);
      const role = (region: string, now: string) => regionRole({ lease, region, now: at(now), log: silentLog });
      expect(await role('us-east-1', '2026-09-29T00:00:00Z')).toEqual({ role: 'leader', reason: 'lease' });
      expect((await role('us-west-2', '2026-09-29T00:00:30Z')).role).toBe('standby');
      expect(await role('us-east-1', '2026-09-29T00:01:00Z')).toEqual({ role: 'leader', reason: 'lease' }); // renewed
      // us-east-1 goes quiet: two minutes after its last renewal the standby takes over
      expect((await role('us-west-2', '2026-09-29T00:02:59Z')).role).toBe('standby');
      expect(await role('us-west-2', '2026-09-29T00:03:01Z')).toEqual({ role: 'leader', reason: 'lease' });
      expect((await role('us-east-1', '2026-09-29T00:03:30Z')).role).toBe('standby'); // no flapping back
    } finally {
      await p.stop();
    }
  });

  test('fail open: a region that cannot reach the lease leads (a duplicate beats silence)', async () => {
    const broken: LeaseStore = { acquire: async () => Promise.reject(new Error('ResourceNotFoundException')) };
    expect(await regionRole({ lease: broken, region: 'us-west-2', now: new Date(0), log: silentLog })).toEqual({ role: 'leader', reason: 'lease-unavailable' });
    expect(await regionRole({ region: 'us-east-1', now: new Date(0), log: silentLog })).toEqual({ role: 'leader', reason: 'single-region' });
  });
});
