import { applyObservation, initialComponentState, lastReadStatus } from '../../../shared/domain/component.js';
import type { ComponentState } from '../../../shared/domain/records.js';
import type { Status } from '../../../shared/domain/status.js';

const thresholds = { openAfter: 2, closeAfter: 3, blindAfter: 3, flapWindowMinutes: 30, flapMaxChanges: 4, flapStableMinutes: 10 };
const minute = (n: number) => new Date(Date.UTC(2026, 8, 28, 23, n)).toISOString();

/** Feeds reads one a minute; returns the confirmed status after each read and the transitions. */
function replay(reads: Status[], start: ComponentState = initialComponentState('routing', minute(0))) {
  let state = start;
  const confirmed: Status[] = [];
  const transitions: string[] = [];
  reads.forEach((status, i) => {
    const { next, transition } = applyObservation(state, { sourceId: 'vendor', componentId: 'routing', status, observedAt: minute(i + 1) }, thresholds);
    state = next;
    confirmed.push(state.status);
    if (transition) transitions.push(`${transition.from}->${transition.to}@${i + 1}`);
  });
  return { state, confirmed, transitions };
}

describe('component hysteresis (open after 2 bad reads, close after 3 good, blind after 3 unreadable)', () => {
  test.each<[string, Status[], Status[], string[]]>([
    ['one bad read is not an outage', ['major_outage', 'operational'], ['operational', 'operational'], []],
    ['two bad reads open it', ['major_outage', 'major_outage'], ['operational', 'major_outage'], ['operational->major_outage@2']],
    [
      'it closes only after three good reads',
      ['major_outage', 'major_outage', 'operational', 'operational', 'operational'],
      ['operational', 'major_outage', 'major_outage', 'major_outage', 'operational'],
      ['operational->major_outage@2', 'major_outage->operational@5'],
    ],
    [
      'a bad read in between restarts the recovery count',
      ['major_outage', 'major_outage', 'operational', 'operational', 'major_outage', 'operational', 'operational', 'operational'],
      ['operational', 'major_outage', 'major_outage', 'major_outage', 'major_outage', 'major_outage', 'major_outage', 'operational'],
      ['operational->major_outage@2', 'major_outage->operational@8'],
    ],
    ['alternating reads never confirm anything', ['degraded', 'major_outage', 'degraded', 'major_outage'], ['operational', 'operational', 'operational', 'operational'], []],
    ['unreadable reads make it Unknown only after three', ['unknown', 'unknown', 'unknown'], ['operational', 'operational', 'unknown'], ['operational->unknown@3']],
    [
      'coming back from blind to healthy takes one read',
      ['unknown', 'unknown', 'unknown', 'operational'],
      ['operational', 'operational', 'unknown', 'operational'],
      ['operational->unknown@3', 'unknown->operational@4'],
    ],
    [
      'coming back from blind to an outage still needs two reads',
      ['unknown', 'unknown', 'unknown', 'major_outage', 'major_outage'],
      ['operational', 'operational', 'unknown', 'unknown', 'major_outage'],
      ['operational->unknown@3', 'unknown->major_outage@5'],
    ],
    [
      'getting worse while open needs two reads, getting better needs three',
      ['degraded', 'degraded', 'major_outage', 'major_outage', 'degraded', 'degraded', 'degraded'],
      ['operational', 'degraded', 'degraded', 'major_outage', 'major_outage', 'major_outage', 'degraded'],
      ['operational->degraded@2', 'degraded->major_outage@4', 'major_outage->degraded@7'],
    ],
  ])('%s', (_name, reads, confirmed, transitions) => {
    const r = replay(reads);
    expect(r.confirmed).toEqual(confirmed);
    expect(r.transitions).toEqual(transitions);
  });

  test('a confirmed change starts at the first read that showed it', () => {
    const { state } = replay(['major_outage', 'major_outage']);
    expect(state.since).toBe(minute(1));
  });

  test('a read that changes nothing returns the same state, so the caller writes nothing', () => {
    const start = initialComponentState('routing', minute(0));
    const { next, transition } = applyObservation(start, { sourceId: 'vendor', componentId: 'routing', status: 'operational', observedAt: minute(1) }, thresholds);
    expect(next).toBe(start);
    expect(transition).toBeUndefined();
  });

  test('an unchanged payload repeats the last read, confirmed or not', () => {
    expect(lastReadStatus(replay(['major_outage']).state)).toBe('major_outage');
    expect(lastReadStatus(replay(['major_outage', 'major_outage', 'operational']).state)).toBe('operational');
    expect(lastReadStatus(replay([]).state)).toBe('operational');
  });
});

describe('flap damping (more than 4 confirmed changes in 30 min holds the component; released after 10 stable min)', () => {
  const fast = { ...thresholds, openAfter: 1, closeAfter: 1 };
  /** One read a minute with open/close after one read, so every change is confirmed. */
  function replayFast(reads: Status[]) {
    let state = initialComponentState('routing', minute(0));
    const log: string[] = [];
    reads.forEach((status, i) => {
      const r = applyObservation(state, { sourceId: 'vendor', componentId: 'routing', status, observedAt: minute(i + 1) }, fast);
      state = r.next;
      if (r.transition) log.push(`${r.transition.from}->${r.transition.to}${r.transition.evidence.flapping ? ` (flapping ${r.transition.evidence.flapping})` : ''}@${i + 1}`);
    });
    return { state, log };
  }
  const flap: Status[] = ['major_outage', 'operational', 'major_outage', 'operational', 'major_outage', 'operational', 'major_outage'];

  test('the fifth change in the window holds it at the worse state, reported once', () => {
    const { state, log } = replayFast(flap);
    expect(log).toEqual([
      'operational->major_outage@1',
      'major_outage->operational@2',
      'operational->major_outage@3',
      'major_outage->operational@4',
      'operational->major_outage (flapping started)@5',
    ]);
    expect(state.status).toBe('major_outage');
    expect(state.flappingSince).toBe(minute(5));
  });

  test.each<[string, Status[], Status, string | undefined]>([
    ['still changing: held, nothing new reported', [...flap, 'operational', 'major_outage'], 'major_outage', undefined],
    ['settles healthy for 10 minutes: released to operational', [...flap, ...Array<Status>(11).fill('operational')], 'operational', 'major_outage->operational (flapping ended)@18'],
    ['settles down for 10 minutes: released, still major_outage', [...flap, ...Array<Status>(10).fill('major_outage')], 'major_outage', 'major_outage->major_outage (flapping ended)@17'],
  ])('%s', (_name, reads, status, lastTransition) => {
    const { state, log } = replayFast(reads);
    expect(state.status).toBe(status);
    if (lastTransition) expect(log.at(-1)).toBe(lastTransition);
    else expect(log).toHaveLength(5);
  });

  test('changes spread wider than the window never count as flapping', () => {
    const slow: Status[] = [];
    for (let i = 0; i < 6; i++) slow.push(...Array<Status>(10).fill(i % 2 === 0 ? 'major_outage' : 'operational'));
    const { state, log } = replayFast(slow);
    expect(state.flappingSince).toBeUndefined();
    expect(log).toHaveLength(6);
  });
});

test('while held as flapping, an unchanged payload repeats the last read, not the held status', () => {
  const held = { ...initialComponentState('routing', minute(0)), status: 'major_outage' as const, flappingSince: minute(5), lastRead: 'operational' as const, lastReadChangeAt: minute(6) };
  expect(lastReadStatus(held)).toBe('operational');
});
