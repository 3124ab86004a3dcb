import { RecheckSchedule } from '../../shared/app/recheck.js';
import type { PolledSourceConfig } from '../../shared/config/schema.js';

const thresholds = { openAfter: 2, closeAfter: 3, blindAfter: 3, flapWindowMinutes: 30, flapMaxChanges: 4, flapStableMinutes: 15, recheckSeconds: 5 };
const source = (id: string, extra: Partial<PolledSourceConfig> = {}) => ({ id, ...extra }) as PolledSourceConfig;
const ids = (xs: readonly PolledSourceConfig[]) => xs.map((s) => s.id);

describe('fast confirmation: re-reads of a source whose read would change a component', () => {
  test('a source awaiting confirmation is read again recheckSeconds later, not at its next interval', () => {
    const r = new RecheckSchedule(thresholds);
    const a = source('a');
    r.afterCycle(0, [a, source('b')], new Set(['a', 'b']), new Set(['a']));
    expect(r.nextAt()).toBe(5_000);
    expect(ids(r.takeDue(4_999))).toEqual([]);
    expect(ids(r.takeDue(5_000))).toEqual(['a']);
    expect(r.nextAt()).toBeUndefined();
  });

  test.each([
    ['the source\'s own recheckSeconds wins', { recheckSeconds: 2 }, 2_000],
    ['recheckSeconds 0: wait for the interval', { recheckSeconds: 0 }, undefined],
  ])('%s', (_name, extra, at) => {
    const r = new RecheckSchedule(thresholds);
    r.afterCycle(0, [source('a', extra)], new Set(['a']), new Set(['a']));
    expect(r.nextAt()).toBe(at);
  });

  test('bounded: at most max(openAfter, closeAfter) - 1 re-reads per scheduled read, however the source flaps', () => {
    const r = new RecheckSchedule(thresholds);
    const a = source('a');
    r.afterCycle(0, [a], new Set(['a']), new Set(['a']));
    let rereads = 0;
    for (let t = 5_000; t < 60_000; t += 5_000) {
      const due = r.takeDue(t);
      if (due.length === 0) continue;
      rereads++;
      r.afterCycle(t, due, new Set(), new Set(['a']));
    }
    expect(rereads).toBe(2);
    // the next scheduled read starts a new budget
    r.afterCycle(60_000, [a], new Set(['a']), new Set(['a']));
    expect(r.nextAt()).toBe(65_000);
  });

  test('a read that no longer awaits confirmation, or a scheduled read, drops the pending re-read', () => {
    const r = new RecheckSchedule(thresholds);
    r.afterCycle(0, [source('a'), source('b')], new Set(['a', 'b']), new Set(['a', 'b']));
    r.afterCycle(1_000, [source('a')], new Set(), new Set());
    r.drop(['b']);
    expect(r.nextAt()).toBeUndefined();
  });
});
