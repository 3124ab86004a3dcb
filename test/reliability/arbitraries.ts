/** Random cases for the fault suite: upstream timelines, schedules and fault rates. */
import fc from 'fast-check';
import type { Status } from '../../shared/domain/status.js';
import { ALL_OPERATIONAL, SCHEDULES, SOURCES, type FaultCase, type Schedule, type Step, type UpstreamWorld } from './harness.js';

const status = fc.constantFrom<Status>('operational', 'operational', 'operational', 'maintenance', 'degraded', 'partial_outage', 'major_outage', 'major_outage');
const world: fc.Arbitrary<UpstreamWorld> = fc.record({
  statuses: fc.record({ routing: status, ali: status, mail: status, sr: status }),
  // A blind period: sources we cannot read (their components go unknown after blindAfter reads).
  failing: fc.oneof({ weight: 4, arbitrary: fc.constant<string[]>([]) }, { weight: 1, arbitrary: fc.subarray([...SOURCES], { minLength: 1, maxLength: 2 }) }),
});
const schedule = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Schedule>('single') },
  { weight: 5, arbitrary: fc.constantFrom<Schedule>(...SCHEDULES.filter((s) => s !== 'single')) },
);
/** A world held for 1-3 steps; length-1 segments one after another are flapping. */
const segment = fc.record({
  world,
  len: fc.integer({ min: 1, max: 3 }),
  minutes: fc.constantFrom(1, 1, 1, 1, 2, 5, 31, 121),
  schedules: fc.array(schedule, { minLength: 3, maxLength: 3 }),
});

export const faultCaseArb: fc.Arbitrary<FaultCase> = fc
  .record({
    seed: fc.integer(),
    twoRegions: fc.boolean(),
    throttleRate: fc.constantFrom(0, 0.01, 0.03),
    senderFaultRate: fc.constantFrom(0, 0.1, 0.3),
    crashRate: fc.constantFrom(0, 0.2, 0.4),
    segments: fc.array(segment, { minLength: 1, maxLength: 4 }),
    clearSchedules: fc.array(schedule, { minLength: 2, maxLength: 2 }),
  })
  .map(({ segments, clearSchedules, ...rest }) => ({
    ...rest,
    steps: segments.flatMap((s) => Array.from({ length: s.len }, (_, i): Step => ({ world: s.world, minutes: i === 0 ? s.minutes : 1, schedule: s.schedules[i]! }))),
    clearSteps: clearSchedules.map((s): Step => ({ world: ALL_OPERATIONAL, minutes: 1, schedule: s })),
  }));

