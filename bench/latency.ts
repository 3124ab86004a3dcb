/**
 * Part 2: detection latency, from an upstream change to the first delivery recorded (marked sent
 * in the store), for critical (every 15 s), standard (every 60 s) and push sources.
 *
 * Two parts, reported separately:
 *  - schedule: simulated time (SimulatedClock). The scheduler ticks at the class's cadence and
 *    polls the due sources (the product's dueSources); the change happens at a uniformly random
 *    offset inside the cadence, and detection waits for the next poll(s), hysteresis included
 *    (openAfter reads). schedule = simulated time of the poll that recorded the delivery − change.
 *  - processing: real time inside the poll that recorded it, from the start of runPollCycle to
 *    the first delivery marked sent (and to the end of that cycle).
 * Each sample then reverts the upstream and waits for the all-clear the same way.
 *
 * Push: the real entry point, ingestPush (POST /push/{sourceId}), with an agency self-report.
 * The push is the first read (recorded and evaluated at once); the poll cycle repeats a push
 * source's standing status once per cycle, so with openAfter 2 the next minute's poll confirms
 * it and delivers. schedule = that poll − the push; processing = the ingest call itself and the
 * confirming cycle up to the first delivery.
 */
import { ingestPush } from '../shared/app/ingest.js';
import { runPollCycle } from '../shared/app/poll-cycle.js';
import type { Store } from '../shared/app/ports.js';
import { dueSources } from '../shared/cli/local-pipeline.js';
import { RecheckSchedule } from '../shared/app/recheck.js';
import { SimulatedClock } from '../shared/domain/clock.js';
import type { Delivery, DeliveryKey } from '../shared/domain/records.js';
import { latencyConfig, PUSH_SOURCE, PUSH_TOKEN } from './fixtures.js';
import { seededRandom } from '../test/support/random.js';
import { CountingSender, median, percentile, pipeline, report, round, World } from './harness.js';

const SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 50);
const COUNTS = { critical: 2, standard: 2 };
/**
 * Between samples the simulated clock jumps past the flap window (more than 4 changes in 30 min
 * holds a component as flapping): every sample is a fresh outage, as in life, not a flap.
 */
const QUIET_MS = 31 * 60_000;
const MAX_TICKS = 12;

interface Sample {
  scheduleS: number;
  processingToFirstMs: number;
  cycleMs: number;
  polls: number;
  ingestMs?: number;
}

const stats = (values: number[]) => ({ median: round(median(values)), p99: round(percentile(values, 99)) });

function summary(samples: Sample[]) {
  const pick = (f: (s: Sample) => number) => samples.map(f);
  return {
    samples: samples.length,
    scheduleS: { ...stats(pick((s) => s.scheduleS)), min: round(Math.min(...pick((s) => s.scheduleS))), max: round(Math.max(...pick((s) => s.scheduleS))) },
    processingToFirstDeliveryMs: stats(pick((s) => s.processingToFirstMs)),
    processingCycleMs: stats(pick((s) => s.cycleMs)),
    polls: { median: median(pick((s) => s.polls)), max: Math.max(...pick((s) => s.polls)) },
    ...(samples[0]?.ingestMs !== undefined ? { ingestMs: stats(pick((s) => s.ingestMs!)) } : {}),
  };
}

async function main() {
  const world = await World.start();
  try {
    const config = latencyConfig(world.upstream, COUNTS);
    const clock = new SimulatedClock('2026-09-29T00:00:00Z');
    const p = pipeline(world, config, clock, new CountingSender());

    // "Delivery recorded" = recorded sent in the store; timestamped here, in real time.
    const recorded: Array<DeliveryKey & { real: number }> = [];
    const store: Store = Object.assign(Object.create(p.store) as Store, {
      recordDeliveries: async (records: readonly Delivery[]) => {
        await p.store.recordDeliveries(records);
        const real = performance.now();
        for (const d of records) if (d.status === 'sent') recorded.push({ ...d, real });
      },
    });
    const deps = { ...p.deps, store };

    let prevMs: number | undefined;
    const rechecks = new RecheckSchedule(config.thresholds);
    /** One scheduler tick at simulated time `at`: polls what is due, and the re-reads due (as `dialtone run` does). */
    const tick = async (at: number) => {
      clock.set(new Date(at));
      const scheduled = dueSources(config, prevMs, at);
      rechecks.drop(scheduled.map((s) => s.id));
      const due = [...scheduled, ...rechecks.takeDue(at)];
      prevMs = at;
      recorded.length = 0;
      const t0 = performance.now();
      if (due.length > 0) {
        const r = await runPollCycle(deps, due);
        rechecks.afterCycle(at, due, new Set(scheduled.map((s) => s.id)), new Set(r.awaitingConfirmation));
      }
      return { t0, t1: performance.now() };
    };
    const nextBoundary = (after: number, step: number) => (Math.floor(after / step) + 1) * step;
    /** Tick at the cadence, or at a re-read when one comes first, until a delivery is recorded. */
    const waitForDelivery = async (changeAt: number, step: number): Promise<Sample> => {
      for (let polls = 1; polls <= MAX_TICKS; polls++) {
        const at = Math.min(nextBoundary(clock.now().getTime(), step), rechecks.nextAt() ?? Number.POSITIVE_INFINITY);
        const { t0, t1 } = await tick(at);
        if (recorded.length > 0) return { scheduleS: (at - changeAt) / 1000, processingToFirstMs: recorded[0]!.real - t0, cycleMs: t1 - t0, polls };
      }
      throw new Error(`no delivery within ${MAX_TICKS} ticks`);
    };

    const random = seededRandom(911);
    await tick(clock.now().getTime()); // first poll: every source read once, all operational
    const results: Record<string, unknown> = {};
    const classes = [
      { name: 'critical', cadenceS: 15, first: 0, count: COUNTS.critical },
      { name: 'standard', cadenceS: 60, first: COUNTS.critical, count: COUNTS.standard },
    ];
    for (const cls of classes) {
      const step = cls.cadenceS * 1000;
      const detect: Sample[] = [];
      const clear: Sample[] = [];
      await tick(nextBoundary(clock.now().getTime(), step));
      for (let s = 0; s < SAMPLES; s++) {
        const source = cls.first + (s % cls.count);
        if (s > 0) await tick(nextBoundary(clock.now().getTime() + QUIET_MS, step));
        // The change lands at a random offset after the last poll, inside the cadence.
        const changeAt = clock.now().getTime() + Math.floor(random() * step);
        await world.setStatus([[source, 'major_outage']]);
        detect.push(await waitForDelivery(changeAt, step));
        const clearAt = clock.now().getTime() + Math.floor(random() * step);
        await world.setStatus([[source, 'operational']]);
        clear.push(await waitForDelivery(clearAt, step));
      }
      results[cls.name] = { cadenceS: cls.cadenceS, detection: summary(detect), allClear: summary(clear) };
    }

    // Push: POST /push/psap-report at a random moment; the minute's poll confirms it.
    const step = 60_000;
    const push = async (state: string, at: number) => {
      clock.set(new Date(at));
      const t0 = performance.now();
      const res = await ingestPush(deps, PUSH_SOURCE, { headers: { authorization: `Bearer ${PUSH_TOKEN}` }, body: JSON.stringify({ state, reason: 'bench' }), receivedAt: new Date(at) });
      if (res.status !== 202) throw new Error(`push answered ${res.status}: ${JSON.stringify(res.body)}`);
      return performance.now() - t0;
    };
    const pushDetect: Sample[] = [];
    const pushClear: Sample[] = [];
    for (let s = 0; s < SAMPLES; s++) {
      await tick(nextBoundary(clock.now().getTime() + QUIET_MS, step));
      for (const [state, into] of [['Down', pushDetect], ['Normal', pushClear]] as const) {
        const at = clock.now().getTime() + 1 + Math.floor(random() * (step - 1));
        recorded.length = 0;
        const ingestMs = await push(state, at);
        // With openAfter 1 the push itself would deliver; with 2 the next poll does.
        const sample = recorded.length > 0 ? { scheduleS: 0, processingToFirstMs: recorded[0]!.real - (performance.now() - ingestMs), cycleMs: ingestMs, polls: 0 } : await waitForDelivery(at, step);
        into.push({ ...sample, ingestMs });
      }
    }
    results.push = { cadenceS: step / 1000, mode: 'ingestPush (agency-report), confirmed by the next minute poll', detection: summary(pushDetect), allClear: summary(pushClear) };
    report({ thresholds: config.thresholds, sources: { critical: COUNTS.critical, standard: COUNTS.standard, push: 1 }, ...results });
  } finally {
    await world.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
