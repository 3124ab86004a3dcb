import { resolve } from 'node:path';
import type { DeliveryLogLine } from '../../shared/adapters/local-sender.js';
import { duplicateCount, duplicateDeliveries, missingAllClears, opsStillRaised, owedAllClears, received } from '../../shared/cli/demo-summary.js';
import {
  compileExpectations,
  describeRaw,
  evaluateExpectations,
  expectListSchema,
  resolveJurisdiction,
  runRecipients,
  type ExpectRun,
  type RunIncident,
} from '../../shared/cli/scenario-expect.js';
import { loadConfigFile } from '../../shared/config/load.js';
import type { MonitoringConfig } from '../../shared/config/schema.js';

const loaded = loadConfigFile(resolve(__dirname, '../../shared/scenarios/ng911-vendor-outage/dialtone.yaml'));
if (!loaded.ok) throw new Error('the bundled config must be valid');
const config: MonitoringConfig = loaded.config;

const START = '2026-09-28T23:40:00.000Z';
const at = (minutes: number) => new Date(Date.parse(START) + minutes * 60_000).toISOString();
const NOTES = { notes: [{ at: 20 * 60_000, note: 'Meridian NG911 status page: NG911 Call Routing major_outage' }, { at: 75 * 60_000, note: 'Meridian NG911 status page: resolved' }] };

let n = 0;
function line(minutes: number, recipientId: string, over: Partial<DeliveryLogLine> = {}): DeliveryLogLine {
  const r = config.recipients.find((x) => x.id === recipientId)!;
  n += 1;
  return {
    time: at(minutes),
    incidentId: 'INC-1',
    phase: 'initial',
    seq: 1,
    recipientId,
    role: r.role,
    channel: r.channels.sms ? 'sms' : 'email',
    address: 'masked',
    text: `message ${n}`,
    reason: 'opened',
    ...over,
  };
}

const incident: RunIncident = {
  id: 'INC-1',
  kind: 'outage',
  cause: 'meridian-routing',
  status: 'resolved',
  certainty: 'confirmed',
  services: ['psap-hennepin', 'psap-maricopa'],
  concurrent: ['contoso-mail'],
  openedAt: at(21),
  resolvedAt: at(79),
  escalatedAt: at(50),
  fields: { 'Best-known cause': 'Meridian NG911 Inc. reports an outage of "Meridian NG911 call routing"', 'Notice type': 'Final (notice 5)' },
};

const deliveries: DeliveryLogLine[] = [
  line(21, 'ramsey-floor', { text: '911 ALERT (suspected): neighbor PSAP Hennepin County 911 MN DOWN since 19:00 CDT, fallback 612-555-0100. Expect rollover.' }),
  line(21, 'hennepin-em', { channel: 'email', subject: '[dialtone] ALERT: 911 Hennepin County 911 MN DOWN', text: 'Concurrent upstream incidents: Contoso (NOT known to be the cause)' }),
  line(21, 'maricopa-em', { channel: 'email', subject: '[dialtone] ALERT: 911 Maricopa Region 911 AZ DOWN', text: 'situation' }),
  line(50, 'fcc-liaison', { phase: 'update', seq: 3, reason: 'escalated', subject: '[dialtone] ESCALATION: 911 Hennepin', text: 'Escalation: this outage met the escalation policy' }),
  line(79, 'ramsey-floor', { phase: 'final', seq: 5, reason: 'resolved', text: '911 ALL CLEAR: neighbor PSAP Hennepin County 911 MN back to normal.' }),
  // a bundle: one message, two notices
  line(79, 'anoka-floor', { incidentId: 'BDL-x', phase: 'final', reason: undefined, text: '911 ALL CLEAR: 2 incidents', members: [{ incidentId: 'INC-1', seq: 5, reason: 'resolved' }, { incidentId: 'INC-2', seq: 2, reason: 'resolved' }] }),
];

const run: ExpectRun = { start: START, deliveries, incidents: [incident], recipients: runRecipients(config) };

function verdict(yaml: unknown) {
  const parsed = expectListSchema.parse([yaml]);
  const compiled = compileExpectations(parsed, config, NOTES);
  expect(compiled.problems).toEqual([]);
  return evaluateExpectations(compiled.expectations, run)[0]!;
}

describe('scenario expectations: verdicts', () => {
  test.each([
    // who hears what
    ['a named recipient hears', { hears: { recipient: 'ramsey-floor' } }, true],
    ['by SMS, initial, with the fallback number', { hears: { recipient: 'ramsey-floor', channel: 'sms', phase: 'initial', contains: ['Hennepin County 911', '612-555-0100'] } }, true],
    ['phrases match regardless of case and spacing', { hears: { recipient: 'ramsey-floor', contains: 'expect   ROLLOVER' } }, true],
    ['a phrase it does not say', { hears: { recipient: 'ramsey-floor', contains: ['Maricopa'] } }, false],
    ['notContains a phrase it says', { hears: { recipient: 'ramsey-floor', phase: 'initial', notContains: 'fallback' } }, false],
    ['within 5m after a step note', { hears: { recipient: 'ramsey-floor', within: '5m', after: 'NG911 Call Routing major_outage' } }, true],
    ['within 30s after the note: too late', { hears: { recipient: 'fcc-liaison', within: '30s', after: 'NG911 Call Routing major_outage' } }, false],
    ['after an offset', { hears: { recipient: 'fcc-liaison', after: '45m', reason: 'escalated' } }, true],
    ['each of a list of recipients', { hears: { recipient: ['ramsey-floor', 'anoka-floor'], phase: 'all-clear' } }, true],
    ['each of a list: one never heard', { hears: { recipient: ['ramsey-floor', 'pinal-floor'], phase: 'final' } }, false],
    ['a role: any of them', { hears: { role: 'fcc-liaison', channel: 'email', reason: 'escalated', contains: 'ESCALATION' } }, true],
    ['a role that heard nothing', { hears: { role: 'ops' } }, false],
    ['a county by FIPS', { hears: { jurisdiction: '27053', role: 'county-manager' } }, true],
    ['a county by name, as the config names it', { hears: { jurisdiction: 'Maricopa County', contains: 'Maricopa Region 911' } }, true],
    ["a county's PSAP recipient counts as the county's", { hears: { jurisdiction: 'Ramsey County, MN', phase: 'final' } }, true],
    ['a state', { hears: { jurisdiction: 'AZ', channel: 'email' } }, true],
    ['a bundle member reason counts', { hears: { recipient: 'anoka-floor', reason: 'resolved', contains: '2 incidents' } }, true],
    ['subject words count for email', { hears: { recipient: 'hennepin-em', contains: '[dialtone] ALERT' } }, true],
    // silent
    ['ops hears nothing', { silent: { role: 'ops' } }, true],
    ['Pinal hears nothing', { silent: { recipient: 'pinal-floor' } }, true],
    ['Ramsey is not silent', { silent: { recipient: 'ramsey-floor' } }, false],
    ['silent before the outage', { silent: { jurisdiction: 'MN', between: ['0m', '20m'] } }, true],
    ['not silent between the notes', { silent: { jurisdiction: 'MN', between: ['NG911 Call Routing major_outage', 'resolved'] } }, false],
    ['silent on email only', { silent: { recipient: 'ramsey-floor', channel: 'email' } }, true],
    // atMost
    ['at most one initial message each', { atMost: { count: 1, phase: 'initial' } }, true],
    ['at most one message to Ramsey: it got two', { atMost: { count: 1, recipient: 'ramsey-floor' } }, false],
    ['a bundle is one message', { atMost: { count: 1, recipient: 'anoka-floor' } }, true],
    ['at most 5 in total', { atMost: { count: 5, total: true } }, false],
    ['at most 6 in total', { atMost: { count: 6, total: true } }, true],
    ['nobody hears more than 0 reminders', { atMost: { count: 0, reason: 'reminder' } }, true],
    // never
    ['never says the cloud is the cause', { never: { contains: 'Contoso is the cause' } }, true],
    ['never says NOT known to be the cause: it does', { never: { contains: ['not known to be the cause'] } }, false],
    // incident
    ['the incident, its services and cause', { incident: { services: ['psap-hennepin', 'psap-maricopa'], cause: 'meridian-routing', state: 'resolved' } }, true],
    ['listed services are a subset', { incident: { services: ['psap-maricopa'] } }, true],
    ['a service it does not list', { incident: { services: ['psap-ramsey'] } }, false],
    ['concurrent, escalated, confirmed', { incident: { concurrent: ['contoso-mail'], escalated: true, certainty: 'confirmed' } }, true],
    ['still open: it is not', { incident: { state: 'open' } }, false],
    ['exactly one outage', { incident: { kind: 'outage', count: 1 } }, true],
    ['exactly zero maintenance windows', { incident: { kind: 'maintenance', count: 0 } }, true],
    ['exactly two: only one', { incident: { count: 2 } }, false],
    ['a 4.9(h) field', { incident: { cause: 'meridian-routing', fields: { 'Best-known cause': 'Meridian NG911' } } }, true],
    ['a 4.9(h) field it does not say', { incident: { fields: { 'Best-known cause': 'Contoso' } } }, false],
  ])('%s', (_what, yaml, ok) => {
    const v = verdict(yaml);
    expect(v.ok).toBe(ok);
    if (ok) expect(v.evidence).toEqual([]);
    else expect(v.evidence.length).toBeGreaterThan(0);
  });

  test('a failed one shows what it looked at, and why each did not count', () => {
    const v = verdict({ hears: { recipient: 'ramsey-floor', channel: 'sms', phase: 'initial', contains: ['Maricopa'] } });
    expect(v.words).toBe('ramsey-floor hears by SMS (initial) containing "Maricopa"');
    expect(v.evidence).toEqual([
      '+00:21 ramsey-floor sms initial (opened): "911 ALERT (suspected): neighbor PSAP Hennepin County 911 MN DOWN since 19:00 CDT, fallback 612-555-0100. Expect rollover."  [lacks "Maricopa"]',
      '+01:19 ramsey-floor sms final (resolved): "911 ALL CLEAR: neighbor PSAP Hennepin County 911 MN back to normal."  [not initial]',
    ]);
    expect(verdict({ hears: { role: 'ops' } }).evidence).toEqual(['ops: nothing delivered at all']);
    expect(verdict({ silent: { recipient: 'ramsey-floor', phase: 'final' } }).evidence).toEqual([expect.stringMatching(/^\+01:19 ramsey-floor sms final \(resolved\): "911 ALL CLEAR/)]);
    expect(verdict({ incident: { state: 'open' } }).evidence).toEqual(['INC-1 (outage, resolved, cause meridian-routing): psap-hennepin, psap-maricopa  [resolved]']);
  });

  test('evidence is capped', () => {
    const many = Array.from({ length: 20 }, (_, i) => line(30 + i, 'ops-desk', { text: `ops ${i}` }));
    const compiled = compileExpectations(expectListSchema.parse([{ silent: { role: 'ops' } }]), config, NOTES);
    const [v] = evaluateExpectations(compiled.expectations, { ...run, deliveries: many });
    expect(v!.evidence).toHaveLength(9);
    expect(v!.evidence.at(-1)).toBe('… and 12 more');
  });

  test.each([
    [{ hears: { recipient: 'ramsey-floor', channel: 'sms', within: '5m', after: 'major_outage' } }, 'ramsey-floor hears by SMS within 5m after "major_outage"'],
    [{ silent: { role: 'ops', between: ['0m', '20m'] } }, 'ops hears nothing between 0m and 20m'],
    [{ atMost: { count: 1, jurisdiction: 'MN', phase: 'initial' } }, 'anyone in MN hears at most 1 message(s) (initial)'],
    [{ never: { contains: 'Contoso is the cause' } }, 'no message says "Contoso is the cause"'],
    [{ incident: { services: ['psap-hennepin'], cause: 'meridian-routing', state: 'resolved' } }, 'a resolved incident affecting psap-hennepin caused by meridian-routing'],
  ])('its words: %j', (yaml, words) => {
    expect(describeRaw(expectListSchema.parse([yaml])[0]!)).toBe(words);
  });
});

describe('scenario expectations: bad ones are problems with their path', () => {
  const problems = (items: unknown[]) => {
    const parsed = expectListSchema.safeParse(items);
    if (!parsed.success) return parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    return compileExpectations(parsed.data, config, NOTES).problems.map((p) => `${p.path}: ${p.message}`);
  };

  test.each([
    [[{ hears: { role: 'psap' }, silent: { role: 'ops' } }], /^0: each expectation is exactly one of hears, silent, atMost, never, incident$/],
    [[{ hears: { channel: 'sms' } }], /^0\.hears: say who: a recipient, a role or a jurisdiction$/],
    [[{ hears: { recipient: 'x', chanel: 'sms' } }], /^0\.hears: Unrecognized key: "chanel"$/],
    [[{ hears: { role: 'dispatcher' } }], /^0\.hears\.role: Invalid option/],
    [[{ hears: { recipient: 'x', within: 'five minutes' } }], /^0\.hears\.within: a duration is a number with s, m or h/],
    [[{ atMost: { recipient: 'x' } }], /^0\.atMost\.count: /],
    [[{ silent: { role: 'ops', between: ['0m'] } }], /^0\.silent\.between: /],
    [[{ incident: { fields: { 'Root cause': 'x' } } }], /^0\.incident\.fields: not a notice field: "Root cause" \(the fields are: Outage identifier, /],
    [[{ hears: { recipient: 'nobody' } }], /^expect\[0\]\.hears\.recipient: no recipient "nobody" in the config/],
    [[{ hears: { recipient: ['ramsey-floor', 'nobody'] } }], /^expect\[0\]\.hears\.recipient\[1\]: no recipient "nobody"/],
    [[{ hears: { jurisdiction: 'Cook County' } }], /^expect\[0\]\.hears\.jurisdiction: "Cook County" is not a county the config names/],
    [[{ hears: { jurisdiction: '17031' } }], /^expect\[0\]\.hears\.jurisdiction: no service or recipient in the config is in county FIPS 17031/],
    [[{ hears: { role: 'psap', after: 'the vendor calls' } }], /^expect\[0\]\.hears\.after: "the vendor calls" is neither an offset \(e\.g\. 20m\) nor the note of an upstream step/],
    [[{ hears: { role: 'psap', after: 'Meridian' } }], /^expect\[0\]\.hears\.after: "Meridian" matches the notes of 2 steps at different times/],
    [[{ silent: { role: 'ops', between: ['30m', '10m'] } }], /^expect\[0\]\.silent\.between: between ends before it starts/],
    [[{ incident: { services: ['psap-cook'], cause: 'nothing' } }], /^expect\[0\]\.incident\.services\[0\]: no service "psap-cook"/],
  ])('%j', (items, message) => {
    const found = problems(items);
    expect(found.some((p) => message.test(p))).toBe(true);
  });

  test('every problem is reported, not just the first', () => {
    expect(problems([{ hears: { recipient: 'nobody' } }, { incident: { services: ['psap-cook'], cause: 'nothing' } }])).toHaveLength(3);
  });

  test('a county name shared by two states needs its state', () => {
    const twoStates = { ...config, services: [...config.services, { ...config.services[0]!, id: 'psap-x', fips: '12053', county: 'Hennepin County', state: 'FL' }] };
    expect(resolveJurisdiction('Hennepin County', twoStates)).toMatch(/is a county in MN and FL: name the state too/);
    expect(resolveJurisdiction('Hennepin County, MN', twoStates)).toEqual({ label: 'Hennepin County MN', fips: '27053' });
    expect(resolveJurisdiction('Hennepin County FL', twoStates)).toEqual({ label: 'Hennepin County FL', fips: '12053' });
  });
});

describe('the demo summary counts per recipient and channel, bundles expanded', () => {
  const l = (minutes: number, recipientId: string, over: Partial<DeliveryLogLine>) => line(minutes, recipientId, over);
  const bundle = (minutes: number, recipientId: string, phase: DeliveryLogLine['phase'], members: Array<[string, number]>) =>
    l(minutes, recipientId, { incidentId: `BDL-${minutes}-${recipientId}`, phase, seq: 1, members: members.map(([incidentId, seq]) => ({ incidentId, seq })) });

  test('every all-clear sent inside bundles is counted as sent', () => {
    const lines = [bundle(1, 'ramsey-floor', 'initial', [['INC-A', 1], ['INC-B', 1]]), bundle(9, 'ramsey-floor', 'final', [['INC-A', 2], ['INC-B', 2]])];
    const resolved = [{ id: 'INC-A', status: 'resolved' as const }, { id: 'INC-B', status: 'resolved' as const }];
    expect(received(lines)).toHaveLength(4);
    expect(missingAllClears(lines, resolved)).toEqual([]);
    expect(duplicateCount(lines)).toBe(0);
  });

  test.each([
    ['an all-clear missing on one channel', [l(1, 'ramsey-floor', { channel: 'sms' }), l(1, 'ramsey-floor', { channel: 'email' }), l(9, 'ramsey-floor', { channel: 'sms', phase: 'final', seq: 2 })], ['INC-1 ramsey-floor/email']],
    ['an all-clear missing for one member of a bundle', [bundle(1, 'anoka-floor', 'initial', [['INC-1', 1], ['INC-2', 1]]), l(9, 'anoka-floor', { phase: 'final', seq: 2 })], ['INC-2 anoka-floor/sms']],
    ['told an update only, never cleared', [l(5, 'fcc-liaison', { phase: 'update', seq: 3 })], ['INC-1 fcc-liaison/email']],
    ['all cleared', [l(1, 'pinal-floor', {}), l(9, 'pinal-floor', { phase: 'final', seq: 2 })], []],
  ])('%s', (_what, lines, missing) => {
    expect(missingAllClears(lines, [{ id: 'INC-1', status: 'resolved' }, { id: 'INC-2', status: 'resolved' }])).toEqual(missing);
  });

  test('an incident still open is not a missing all-clear: it is owed, and listed', () => {
    const lines = [l(1, 'ramsey-floor', {}), l(1, 'hennepin-em', {})];
    expect(missingAllClears(lines, [{ id: 'INC-1', status: 'open' }])).toEqual([]);
    expect(owedAllClears(lines, 'INC-1')).toEqual(['hennepin-em/sms', 'ramsey-floor/sms']);
  });

  test('a notice sent alone and again inside a bundle is a duplicate; the same seq on two channels is not', () => {
    const lines = [l(1, 'ramsey-floor', {}), l(1, 'ramsey-floor', { channel: 'email' }), bundle(2, 'ramsey-floor', 'initial', [['INC-1', 1], ['INC-2', 1]])];
    expect(duplicateCount(lines)).toBe(1);
    expect(duplicateDeliveries(lines)).toEqual(['INC-1 #1 ramsey-floor/sms ×2']);
  });

  test('ops alerts raised and not cleared', () => {
    const lines = [
      l(3, 'ops-desk', { incidentId: 'OPS-BLIND-a-1', reason: 'monitor-blind' }),
      l(4, 'ops-desk', { incidentId: 'OPS-BLIND-b-1', reason: 'monitor-blind' }),
      l(9, 'ops-desk', { incidentId: 'OPS-BLIND-a-1', phase: 'final', seq: 2, reason: 'monitor-restored' }),
    ];
    expect(opsStillRaised(lines)).toEqual(['OPS-BLIND-b-1']);
  });
});
