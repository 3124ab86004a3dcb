/** The fault suite's counts, as `npm run test:soak` and DIALTONE_FAULTS_REPORT=1 print them. */
import type { Tally } from '../support/faults.js';
import { INVARIANTS } from './invariants.js';

const INVARIANT_ROWS: Array<[string, string]> = [
  ...INVARIANTS.map((i): [string, string] => [i.id, `(${i.id}) ${i.title}`]),
  ['c.oneIncidentPerService', '(c.oneIncidentPerService) no service impaired in two open incidents'],
];

export function report(t: Tally, cases: number, wallMs: number, transport: string): string {
  const row = (label: string, value: number | string) => `  ${label.padEnd(58)} ${value}`;
  const crashes = t
    .entries()
    .filter(([k]) => k.startsWith('crash.before.') || k.startsWith('crash.after.'))
    .map(([k, v]) => `${k.slice(6)} ${v}`);
  return [
    `dialtone fault suite (store reached ${transport})`,
    row('cases', `${cases} (${t.get('cases.failed')} failed) in ${(wallMs / 1000).toFixed(1)} s, ${(wallMs / Math.max(cases, 1)).toFixed(0)} ms a case`),
    row('time a case: faulty run / replay / recovery / checks / tables', ['faulty', 'replay', 'recovery', 'checks', 'tables'].map((k) => `${(t.get(`ms.${k}`) / Math.max(cases, 1)).toFixed(0)} ms`).join(' / ')),
    row('poll invocations', `${t.get('invocations')} (crashed ${t.get('invocations.crashed')}, failed by throttling ${t.get('invocations.failedByThrottle')}, other errors ${t.get('invocations.unexpectedError')})`),
    'faults injected',
    row('  DynamoDB throttles thrown (attempts)', t.get('throttle.thrown')),
    row('    calls the SDK retry absorbed', t.get('throttle.absorbedBySdk')),
    row('    calls that reached the app', t.get('throttle.reachedApp')),
    row('  conditional-write conflicts (STORE.CONFLICT thrown)', t.sum('conflict.')),
    row('  sender rejects', t.get('sender.reject')),
    row('  sender timeouts (not delivered)', t.get('sender.timeout')),
    row('  sender timeouts after the channel took it', t.get('sender.timeout-after-accept')),
    row('  crashes fired (planned)', `${t.sum('crash.before.') + t.sum('crash.after.')} (${t.get('crash.planned')})`),
    ...chunk(crashes, 3).map((c) => `      ${c.join(', ')}`),
    row('  scheduler retries (the same cycle twice)', t.get('schedule.retry')),
    row('  concurrent invocations (2 / 3 at once)', `${t.get('schedule.parallel2')} / ${t.get('schedule.parallel3')}`),
    row('  two regions on one table (interleaved / at once)', `${t.get('schedule.regions-interleaved')} / ${t.get('schedule.regions-parallel')}`),
    'outcomes',
    row('incidents / notices / transitions', `${t.get('incidents')} / ${t.get('notices')} / ${t.get('transitions')}`),
    row('deliveries routed / messages received (bundles)', `${t.get('deliveries.expected')} / ${t.get('copies')} (${t.get('copies.bundles')})`),
    row('LOST (routed, never sent)', t.get('lost')),
    row('missing all-clears', t.get('allClear.missing')),
    row('DUPLICATES outside the documented case', t.get('duplicates.unexplained')),
    row('crash duplicates (taken by the channel, then a fault)', `${t.get('duplicates.crash')} (crash ${t.get('duplicates.crash.crash')}, throttle ${t.get('duplicates.crash.throttle')}, timeout ${t.get('duplicates.crash.timeout')})`),
    row('deliveries that gave up after 5 attempts (documented)', t.get('deliveries.gaveUp')),
    row('service states stale after a completed batch', t.get('staleServiceStates')),
    row('paths reached: escalations (liaison hears at confirmed / suspected)', `${t.get('reach.escalatedWhileLiaisonHearsConfirmed')} / ${t.get('reach.escalated')}`),
    row('paths reached: reminders / outages over 2 h / path services', `${t.get('reach.reminder')} / ${t.get('reach.outageOver2h')} / ${t.get('reach.pathService')}`),
    row('paths reached: 3+ overlapping incidents', t.get('reach.threeOverlapping')),
    'lifecycle invariants (violations / checked)',
    ...INVARIANT_ROWS.map(([id, title]) => row(`  ${title}`, `${t.get(`invariant.${id}.violations`)} / ${t.get(`invariant.${id}.checked`)}`)),
    row('observed: last word to a recipient not the all-clear', t.get('observed.lastWordNotAllClear')),
    row('observed: a final notice that was not the last', t.get('observed.prematureFinalNotice')),
    row('observed: an all-clear issued while its cause was blind', t.get('observed.allClearWhileBlind')),
  ].join('\n');
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
