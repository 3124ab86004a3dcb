/**
 * The fault suite: random upstream timelines (holds, flapping, blind periods, long gaps
 * that cross the escalation and reminder clocks) played through the REAL pipeline (runPollCycle →
 * DynamoStore → dynalite) with faults injected (test/support/faults.ts):
 *
 *   DynamoDB throttling (absorbed by the SDK's retry, or reaching the app) · conditional conflicts
 *   (two or three invocations on one table at once) · sender rejects, timeouts, and timeouts after
 *   the channel took the message · a crash before or after any Store call · the scheduler retrying
 *   an invocation · two regions, each with its own sender, on one table, interleaved or at once.
 *
 * Each case then settles without faults (every lease expired), is compared with a fault-free
 * replay, goes back to all operational (with faults again), recovers, and is checked
 * (harness.ts):
 *   1. delivered: every routed recipient × channel of every notice has exactly one sent delivery
 *      (routing recomputed with routeNotice and compared with listDeliveries); the outbox drains;
 *   2. once: at most one copy per (incident, seq, recipient, channel) reached the recipients across
 *      every sender, except when the channel took it and an injected fault stopped the record from
 *      saying so ("crash duplicates": the documented resend, counted apart);
 *   3. cleared: everyone alerted gets the all-clear; every incident ends resolved, its notices
 *      1..n, the first initial and the last final;
 *   4. no state lost: component and service states equal the fault-free replay's, after the
 *      timeline and at the end; every impaired service is in an open incident; every reported
 *      transition is recorded and each subject's history is an unbroken chain to its current
 *      state; no service state stale from another invocation's read survives a batch;
 *   5. no error escapes a cycle unless it was injected; no delivery is recorded sent that no
 *      channel took.
 *
 * `npm test` runs 25 cases. `npm run test:soak` (soak.ts) runs 10,000, one shard per core, and prints the
 * counts. A failure prints fast-check's seed and path: DIALTONE_SEED=… DIALTONE_PATH=… starts the
 * run at that case, DIALTONE_SHRINK=1 also shrinks it. Fault decisions are seeded, but which of two
 * concurrent invocations gets there first is not, so a race may need a few runs to recur.
 * DIALTONE_FAULTS_TRANSPORT=http reaches the store over
 * loopback HTTP as the product does (slower); DIALTONE_FAULTS_REPORT=1 prints the counts always.
 */
import fc from 'fast-check';
import { buildModel } from '../../shared/domain/model.js';
import { testConfig } from '../support/config.js';
import { writeFileSync } from 'node:fs';
import { inProcessDynamo, loopbackDynamo, Tally, type DynamoTransport } from '../support/faults.js';
import { report } from './report.js';
import { faultCaseArb } from './arbitraries.js';
import { runCase, type Step } from './harness.js';

const SOAK = Number(process.env.DIALTONE_SOAK ?? 0);
const NUM_RUNS = SOAK > 0 ? SOAK : 25;
const SEED = process.env.DIALTONE_SEED === undefined ? undefined : Number(process.env.DIALTONE_SEED);
const PATH = process.env.DIALTONE_PATH;
const REPORT = SOAK > 0 || process.env.DIALTONE_FAULTS_REPORT === '1';
const TRANSPORT = process.env.DIALTONE_FAULTS_TRANSPORT === 'http' ? 'http' : 'in-process';
/** jest treats --testTimeout=0 as its 5 s default, so the soak sets its own. */
const TIMEOUT_MS = SOAK > 0 ? 24 * 3_600_000 : 120_000;
/** Cases per embedded store (see below). */
const STORE_CASES = 100;

describe('the pipeline under injected faults', () => {
  let db: DynamoTransport;
  const startStore = async () => (TRANSPORT === 'http' ? loopbackDynamo() : inProcessDynamo());
  // Every other case runs the default audiences (the FCC liaison hears only confirmed incidents, so
  // its escalations take the "escalation is the reason it hears" path).
  const models = [buildModel(testConfig()), buildModel(testConfig({ corroboration: {} }))];
  const totals = new Tally();
  let cases = 0;
  let wallMs = 0;

  beforeAll(async () => {
    db = await startStore();
  });
  afterAll(async () => {
    await db?.stop();
    // A shard of `npm run test:soak` hands its counts to the runner (test/reliability/soak.ts).
    if (process.env.DIALTONE_FAULTS_OUT) writeFileSync(process.env.DIALTONE_FAULTS_OUT, JSON.stringify({ cases, wallMs, transport: TRANSPORT, tally: totals.entries() }));
    if (REPORT) console.log(report(totals, cases, wallMs, TRANSPORT));
  });

  test(
    `every notice reaches its recipients once, every alert is cleared, no state is lost (${NUM_RUNS} cases)`,
    async () => {
      const started = performance.now();
      try {
        await fc.assert(
          fc.asyncProperty(faultCaseArb, async (c) => {
            const caseNo = cases++;
            // A fresh embedded store now and then: dynalite does not give back all the memory of
            // the tables each case creates and deletes, and a soak runs thousands.
            if (caseNo > 0 && caseNo % STORE_CASES === 0) {
              await db.stop();
              db = await startStore();
            }
            const result = await runCase(db, models[caseNo % 2]!, c, caseNo);
            totals.merge(result.tally);
            totals.add('cases');
            if (SOAK > 0 && cases % 500 === 0) {
              process.stderr.write(`fault suite: ${cases} / ${NUM_RUNS} cases, ${((performance.now() - started) / 1000).toFixed(0)} s, RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB\n`);
            }
            if (result.violations.length > 0) {
              totals.add('cases.failed');
              throw new Error(
                `${result.violations.length} violation(s):\n- ${result.violations.slice(0, 12).join('\n- ')}\n` +
                  `case: ${JSON.stringify({ ...c, steps: c.steps.map(stepText), clearSteps: c.clearSteps.map(stepText) })}\n` +
                  `trace:\n  ${result.trace.join('\n  ')}`,
              );
            }
          }),
          // A failure is reported as found, with the seed and path that replay it; shrinking
          // (DIALTONE_SHRINK=1) reruns hundreds of cases, so it is asked for, not the default.
          { numRuns: NUM_RUNS, endOnFailure: process.env.DIALTONE_SHRINK !== '1', ...(SEED === undefined ? {} : { seed: SEED }), ...(PATH === undefined ? {} : { path: PATH }) },
        );
      } finally {
        wallMs = performance.now() - started;
      }
      // The faults were really there: throttles reached the app and were absorbed, crashes fired,
      // sends failed, invocations raced on one table, and messages went out.
      if (NUM_RUNS >= 25 && PATH === undefined) {
        expect(totals.get('throttle.reachedApp')).toBeGreaterThan(0);
        expect(totals.get('throttle.absorbedBySdk')).toBeGreaterThan(0);
        expect(totals.sum('crash.before.') + totals.sum('crash.after.')).toBeGreaterThan(0);
        expect(totals.sum('sender.')).toBeGreaterThan(0);
        expect(totals.sum('conflict.')).toBeGreaterThan(0);
        expect(totals.get('schedule.regions-parallel') + totals.get('schedule.regions-interleaved')).toBeGreaterThan(0);
        expect(totals.get('copies')).toBeGreaterThan(0);
      }
    },
    TIMEOUT_MS,
  );
});

function stepText(s: Step): string {
  const statuses = Object.entries(s.world.statuses)
    .filter(([, v]) => v !== 'operational')
    .map(([k, v]) => `${k}=${v}`);
  return `+${s.minutes}m ${s.schedule} ${[...statuses, ...s.world.failing.map((f) => `${f}:blind`)].join(' ') || 'all-ok'}`;
}

