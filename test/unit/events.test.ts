import 'aws-sdk-client-mock-jest';
import { EventBridgeClient, EventBridgeServiceException, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { EventPublisher, eventKey, eventsFor, entrySize, MAX_PUT_BYTES } from '../../shared/adapters/events.js';
import { DETAIL_TYPES, parseDialtoneEvent, type DialtoneEvent } from '../../shared/config/events.js';
import { issueNotice, openIncident, updateIncident, type ServiceView } from '../../shared/domain/incident.js';
import type { Incident, Transition } from '../../shared/domain/records.js';
import { testModel } from '../support/config.js';

const model = testModel();
const T0 = new Date('2026-09-29T00:10:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const view = (serviceId: string, state: ServiceView['state'], since = T0): ServiceView => ({ serviceId, state, since: since.toISOString(), causes: ['routing'] });

function story() {
  let inc: Incident = openIncident('routing', [view('hennepin', 'Down'), view('maricopa', 'Partial')], [{ componentId: 'mail', status: 'major_outage', since: '2026-09-29T00:05:00.000Z' }], T0);
  const n1 = issueNotice(inc, 'opened', T0);
  inc = updateIncident(n1.incident, [view('hennepin', 'Down'), view('maricopa', 'Normal', at(20))], [], at(20)).incident;
  const n2 = issueNotice(inc, 'changed', at(20));
  inc = updateIncident(n2.incident, [view('hennepin', 'Normal', at(50)), view('maricopa', 'Normal')], [], at(50)).incident;
  const n3 = issueNotice(inc, 'resolved', at(50));
  return { initial: n1.notice, update: n2.notice, final: n3.notice };
}
const { initial, update, final } = story();

describe('eventsFor', () => {
  test('the initial notice is one IncidentOpened.v1 with the whole picture', () => {
    const events = eventsFor(initial, model);

    expect(events).toStrictEqual([
      {
        source: 'dialtone',
        detailType: 'IncidentOpened.v1',
        time: '2026-09-29T00:10:00.000Z',
        detail: {
          incidentId: initial.incidentId,
          seq: 1,
          phase: 'initial',
          reason: 'opened',
          status: 'open',
          kind: 'outage',
          certainty: 'suspected',
          sources: [],
          noticeAt: '2026-09-29T00:10:00.000Z',
          openedAt: '2026-09-29T00:10:00.000Z',
          cause: { componentId: 'routing', name: 'NG911 routing', provider: 'Meridian NG911 Inc.' },
          concurrent: [{ componentId: 'mail', name: 'Mail', provider: 'Contoso', status: 'major_outage', since: '2026-09-29T00:05:00.000Z' }],
          services: [
            { serviceId: 'hennepin', name: 'Hennepin County 911', state: 'Down', since: '2026-09-29T00:10:00.000Z', worst: 'Down', darkSince: '2026-09-29T00:10:00.000Z', fips: '27053', usState: 'MN' },
            { serviceId: 'maricopa', name: 'Maricopa Region 911', state: 'Partial', since: '2026-09-29T00:10:00.000Z', worst: 'Partial', fips: '04013', usState: 'AZ' },
          ],
          counties: ['04013', '27053'],
          states: ['AZ', 'MN'],
        },
      },
    ]);
  });

  test.each([
    ['initial', 'IncidentOpened.v1', initial],
    ['update', 'IncidentUpdated.v1', update],
    ['final', 'IncidentResolved.v1', final],
  ] as const)('the %s notice maps to %s and satisfies its contract', (_phase, detailType, notice) => {
    const [event, ...rest] = eventsFor(notice, model);
    expect(rest).toEqual([]);
    expect(event!.detailType).toBe(detailType);
    expect(parseDialtoneEvent(event!)).toMatchObject({ ok: true, detailType });
    // The area is the incident's: a recovered county stays listed so area filters get the all-clear.
    expect(event!.detail).toMatchObject({ counties: ['04013', '27053'], states: ['AZ', 'MN'] });
  });

  test('corroboration and maintenance windows are in the detail', () => {
    const confirmed = issueNotice(openIncident('routing', [view('hennepin', 'Down')], [], T0, ['vendor', 'carrier']), 'opened', T0).notice;
    expect(eventsFor(confirmed, model)[0]!.detail).toMatchObject({ kind: 'outage', certainty: 'confirmed', confirmedAt: '2026-09-29T00:10:00.000Z', sources: ['carrier', 'vendor'] });

    const window = { ...confirmed, incident: { ...confirmed.incident, kind: 'maintenance' as const, plannedEnd: '2026-09-29T04:10:00.000Z' } };
    const [event] = eventsFor(window, model);
    expect(event!.detail).toMatchObject({ kind: 'maintenance', plannedEnd: '2026-09-29T04:10:00.000Z' });
    expect(parseDialtoneEvent(event!).ok).toBe(true);
  });

  test('the resolved event carries the resolution time and the last states', () => {
    const [event] = eventsFor(final, model);
    expect(event!.detail).toMatchObject({ status: 'resolved', resolvedAt: '2026-09-29T01:00:00.000Z', seq: 3, phase: 'final', reason: 'resolved' });
    expect(event!.detailType === 'IncidentResolved.v1' && event!.detail.services.map((s) => [s.serviceId, s.state, s.worst])).toEqual([
      ['hennepin', 'Normal', 'Down'],
      ['maricopa', 'Normal', 'Partial'],
    ]);
  });

  test('a service transition is a ServiceStateChanged.v1; a component transition has no event', () => {
    const service: Transition = { subject: 'service', id: 'hennepin-text', from: 'Normal', to: 'Partial', at: '2026-09-29T00:10:00.000Z', evidence: { causes: ['routing'] } };
    const component: Transition = { subject: 'component', id: 'routing', from: 'operational', to: 'major_outage', at: '2026-09-29T00:09:00.000Z', evidence: {} };

    expect(eventsFor(service, model)).toStrictEqual([
      {
        source: 'dialtone',
        detailType: 'ServiceStateChanged.v1',
        time: '2026-09-29T00:10:00.000Z',
        detail: { serviceId: 'hennepin-text', name: 'Hennepin text-to-911', psapId: 'hennepin', from: 'Normal', to: 'Partial', at: '2026-09-29T00:10:00.000Z', causes: ['routing'], fips: '27053', usState: 'MN' },
      },
    ]);
    expect(eventsFor(component, model)).toEqual([]);
  });

  test('a service unknown to the directory still maps (without its area)', () => {
    const t: Transition = { subject: 'service', id: 'gone', from: 'Down', to: 'Normal', at: '2026-09-29T00:10:00.000Z', evidence: {} };
    expect(eventsFor(t, model)[0]!.detail).toStrictEqual({ serviceId: 'gone', from: 'Down', to: 'Normal', at: '2026-09-29T00:10:00.000Z', causes: [] });
  });
});

describe('event contracts', () => {
  test('every published detail-type is versioned', () => {
    for (const t of DETAIL_TYPES) expect(t).toMatch(/^[A-Z][A-Za-z]+\.v\d+$/);
  });

  test.each([
    ['a foreign source', { source: 'aws.health', detailType: 'IncidentOpened.v1', detail: {} }, /source: expected "dialtone"/],
    ['an unknown detail-type', { source: 'dialtone', detailType: 'IncidentOpened', detail: {} }, /detail-type: expected one of/],
    ['a bad FIPS', { source: 'dialtone', detailType: 'ServiceStateChanged.v1', detail: { serviceId: 'x', from: 'Normal', to: 'Down', at: '2026-09-29T00:10:00Z', causes: [], fips: '2705' } }, /detail\.fips: county FIPS/],
    ['a time without zone', { source: 'dialtone', detailType: 'ServiceStateChanged.v1', detail: { serviceId: 'x', from: 'Normal', to: 'Down', at: '2026-09-29 00:10', causes: [] } }, /detail\.at/],
    ['an unversioned extra field', { source: 'dialtone', detailType: 'ServiceStateChanged.v1', detail: { serviceId: 'x', from: 'Normal', to: 'Down', at: '2026-09-29T00:10:00Z', causes: [], extra: 1 } }, /extra/],
    ['a resolved event without resolvedAt', { source: 'dialtone', detailType: 'IncidentResolved.v1', detail: { ...eventsFor(final, model)[0]!.detail, resolvedAt: undefined } }, /detail\.resolvedAt/],
  ])('rejects %s, naming the field', (_name, event, problem) => {
    const parsed = parseDialtoneEvent(event);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.problems.join('\n')).toMatch(problem);
  });
});

describe('EventPublisher', () => {
  const eb = mockClient(EventBridgeClient);
  const client = new EventBridgeClient({ region: 'us-east-1' });
  const BUS = 'dialtone-events';
  let slept: number[];
  const sleep = async (ms: number) => {
    slept.push(ms);
  };
  const publisher = (options: Partial<ConstructorParameters<typeof EventPublisher>[0]> = {}) => new EventPublisher({ client, eventBusName: BUS, sleep, ...options });
  beforeEach(() => {
    eb.reset();
    slept = [];
  });

  /** n distinct ServiceStateChanged events. */
  const many = (n: number, name = 'svc'): DialtoneEvent[] =>
    Array.from({ length: n }, (_, i) => ({
      source: 'dialtone' as const,
      detailType: 'ServiceStateChanged.v1' as const,
      time: '2026-09-29T00:10:00.000Z',
      detail: { serviceId: `s${i}`, name, from: 'Normal' as const, to: 'Down' as const, at: '2026-09-29T00:10:00.000Z', causes: [] },
    }));
  const ok = (n: number, from = 0) => ({ FailedEntryCount: 0, Entries: Array.from({ length: n }, (_, i) => ({ EventId: `ev-${from + i}` })) });
  const sentEntries = (call: number) => eb.commandCalls(PutEventsCommand)[call]!.args[0].input.Entries!;

  test('puts each event on the custom bus with source, versioned detail-type, JSON detail and time', async () => {
    eb.on(PutEventsCommand).resolves(ok(1));
    const events = eventsFor(initial, model);

    const report = await publisher().publish(events);

    expect(report).toStrictEqual({ sent: [{ detailType: 'IncidentOpened.v1', key: `${initial.incidentId}#1`, eventId: 'ev-0' }], failed: [] });
    expect(eb).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    expect(eb.commandCalls(PutEventsCommand)[0]!.args[0].input).toStrictEqual({
      Entries: [
        {
          EventBusName: BUS,
          Source: 'dialtone',
          DetailType: 'IncidentOpened.v1',
          Detail: JSON.stringify(events[0]!.detail),
          Time: new Date('2026-09-29T00:10:00.000Z'),
        },
      ],
    });
    expect(slept).toEqual([]);
  });

  test('sends at most 10 entries per PutEvents, in order', async () => {
    eb.on(PutEventsCommand).resolvesOnce(ok(10, 0)).resolvesOnce(ok(10, 10)).resolvesOnce(ok(3, 20));

    const report = await publisher().publish(many(23));

    expect(eb).toHaveReceivedCommandTimes(PutEventsCommand, 3);
    expect([0, 1, 2].map((c) => sentEntries(c).length)).toEqual([10, 10, 3]);
    expect(sentEntries(2).map((e) => JSON.parse(e.Detail!).serviceId)).toEqual(['s20', 's21', 's22']);
    expect(report.sent.map((s) => s.eventId)).toEqual(Array.from({ length: 23 }, (_, i) => `ev-${i}`));
    expect(report.failed).toEqual([]);
  });

  test('also splits by size: a request stays within 256 KiB; a single entry over it is reported, not sent', async () => {
    eb.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ok(input.Entries.length));
    const big = many(5, 'x'.repeat(100_000));
    const huge = many(1, 'y'.repeat(MAX_PUT_BYTES));

    const report = await publisher().publish([...big, ...huge]);

    const sizes = eb.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries!.reduce((n, e) => n + entrySize(e), 0));
    expect(sizes.length).toBe(3);
    for (const s of sizes) expect(s).toBeLessThanOrEqual(MAX_PUT_BYTES);
    expect(report.sent).toHaveLength(5);
    expect(report.failed).toEqual([expect.objectContaining({ key: eventKey(huge[0]!), errorCode: 'EntryTooLarge', attempts: 0 })]);
  });

  test('checks FailedEntryCount and retries only the failed entries, with backoff', async () => {
    eb.on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 2,
        Entries: [{ EventId: 'ev-0' }, { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }, { EventId: 'ev-2' }, { ErrorCode: 'InternalFailure', ErrorMessage: 'oops' }],
      })
      .resolvesOnce({ FailedEntryCount: 0, Entries: [{ EventId: 'ev-1' }, { EventId: 'ev-3' }] });
    const events = many(4);

    const report = await publisher().publish(events);

    expect(eb).toHaveReceivedCommandTimes(PutEventsCommand, 2);
    expect(sentEntries(1).map((e) => JSON.parse(e.Detail!).serviceId)).toEqual(['s1', 's3']);
    expect(report.sent.map((s) => [s.key, s.eventId])).toEqual([
      ['s0@2026-09-29T00:10:00.000Z', 'ev-0'],
      ['s2@2026-09-29T00:10:00.000Z', 'ev-2'],
      ['s1@2026-09-29T00:10:00.000Z', 'ev-1'],
      ['s3@2026-09-29T00:10:00.000Z', 'ev-3'],
    ]);
    expect(report.failed).toEqual([]);
    expect(slept).toEqual([200]);
  });

  test('gives up after maxAttempts and reports what failed; backoff doubles', async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'still broken' }] });

    const report = await publisher({ maxAttempts: 4, backoffMs: 50 }).publish(many(1));

    expect(eb).toHaveReceivedCommandTimes(PutEventsCommand, 4);
    expect(slept).toEqual([50, 100, 200]);
    expect(report.sent).toEqual([]);
    expect(report.failed).toEqual([{ detailType: 'ServiceStateChanged.v1', key: 's0@2026-09-29T00:10:00.000Z', errorCode: 'InternalFailure', errorMessage: 'still broken', attempts: 4 }]);
  });

  test('does not retry an entry error a retry cannot fix', async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ EventId: 'ev-0' }, { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' }] });

    const report = await publisher().publish(many(2));

    expect(eb).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    expect(report.failed).toEqual([expect.objectContaining({ errorCode: 'MalformedDetail', attempts: 1 })]);
    expect(slept).toEqual([]);
  });

  test('a thrown throttling error is retried; a client error is not; messages are redacted', async () => {
    const throttled = new EventBridgeServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: {}, message: 'Rate exceeded' });
    eb.on(PutEventsCommand).rejectsOnce(throttled).resolvesOnce(ok(2));
    expect((await publisher().publish(many(2))).sent).toHaveLength(2);
    expect(eb).toHaveReceivedCommandTimes(PutEventsCommand, 2);

    eb.reset();
    const denied = new EventBridgeServiceException({ name: 'AccessDeniedException', $fault: 'client', $metadata: {}, message: 'User ops@dialtone.example is not authorized' });
    eb.on(PutEventsCommand).rejects(denied);
    const report = await publisher().publish(many(2));
    expect(eb).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    expect(report.failed.map((f) => f.errorCode)).toEqual(['AccessDeniedException', 'AccessDeniedException']);
    expect(report.failed[0]!.errorMessage).toBe('User o***@dialtone.example is not authorized');
  });

  test('a response missing an entry counts that entry as failed (and retries it)', async () => {
    eb.on(PutEventsCommand).resolvesOnce({ FailedEntryCount: 0, Entries: [{ EventId: 'ev-0' }] }).resolvesOnce(ok(1, 1));

    const report = await publisher().publish(many(2));

    expect(sentEntries(1)).toHaveLength(1);
    expect(report.sent.map((s) => s.eventId)).toEqual(['ev-0', 'ev-1']);
  });
});
