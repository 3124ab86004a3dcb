/**
 * Part 1: one poll cycle for N sources, the real path (fetch → observe → evaluate → record →
 * route & render → deliver) through runPollCycle, 64 sources in flight, delivery to the local
 * delivery log in a temp file. Usage: tsx bench/cycle.ts N
 *
 * Cycles, a simulated minute apart:
 *   1 cold     every page is new: parsed, every state written (not reported as a target)
 *   2 warm-up  every page unchanged (304 / same hash)
 *   3 UNCHANGED the measured steady cycle
 *   4 change   5 % of pages now show a major outage: first bad read (hysteresis candidate)
 *   5 CONFIRM  same pages again (304): openAfter = 2 reads → transitions, incidents, deliveries
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalDeliveryLog } from '../shared/adapters/local-sender.js';
import { runPollCycle, type CycleReport } from '../shared/app/poll-cycle.js';
import { SimulatedClock } from '../shared/domain/clock.js';
import { buildModel } from '../shared/domain/model.js';
import { changedSources, cycleConfig } from './fixtures.js';
import { measure, pipeline, report, round, World, writesOf, type Measured } from './harness.js';

const MINUTE = 60_000;

function summarise(m: Measured<CycleReport>) {
  const r = m.result;
  const kinds: Record<string, number> = {};
  for (const s of r.sources) kinds[s.kind] = (kinds[s.kind] ?? 0) + 1;
  return {
    wallMs: round(m.wallMs),
    cpuMs: round(m.cpuMs),
    worldCpuMs: round(m.worldCpuMs ?? NaN),
    peakRssMb: round(m.peakRssMb),
    dynamo: m.dynamo ?? {},
    dynamoWrites: writesOf(m.dynamo ?? {}),
    http: m.served ?? {},
    reads: kinds,
    componentTransitions: r.componentTransitions.length,
    serviceTransitions: r.serviceTransitions.length,
    notices: r.notices.length,
    deliveries: r.sent.length,
    failedDeliveries: r.failed.length,
  };
}

async function main() {
  const n = Number(process.argv[2] ?? 1000);
  const world = await World.start();
  const dir = mkdtempSync(join(tmpdir(), 'dialtone-bench-'));
  try {
    const config = cycleConfig(n, world.upstream);
    const clock = new SimulatedClock('2026-09-29T00:00:00Z');
    const sender = new LocalDeliveryLog({ clock, file: join(dir, 'deliveries.jsonl'), publicContacts: buildModel(config).publicContacts });
    const { deps, counter } = pipeline(world, config, clock, sender);
    const cycle = () => measure(() => runPollCycle(deps), { world, counter });

    const cold = await cycle();
    clock.advance(MINUTE);
    const warm = await cycle();
    clock.advance(MINUTE);
    const unchanged = await cycle();

    const flipped = changedSources(n);
    await world.setStatus(flipped.map((i) => [i, 'major_outage']));
    clock.advance(MINUTE);
    const change = await cycle();
    clock.advance(MINUTE);
    const confirm = await cycle();

    report({
      n,
      services: config.services.length,
      recipients: config.recipients.length,
      changedSources: flipped.length,
      cycles: {
        cold: summarise(cold),
        warm: summarise(warm),
        unchanged: summarise(unchanged),
        change: summarise(change),
        confirm: summarise(confirm),
      },
      processMaxRssMb: round(process.resourceUsage().maxRSS / 1024),
    });
  } finally {
    await world.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
