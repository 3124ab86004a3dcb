import {
  certaintyOf,
  corroborate,
  escalationDue,
  incidentId,
  issueNotice,
  openIncident,
  nextUpdateBy,
  reminderDue,
  updateIncident,
  type ServiceView,
} from '../../../shared/domain/incident.js';
import type { ServiceState } from '../../../shared/domain/nena.js';
import { testModel } from '../../support/config.js';

const T0 = new Date('2026-09-29T00:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const view = (serviceId: string, state: ServiceState, causes = ['routing'], since = T0.toISOString()): ServiceView => ({ serviceId, state, since, causes });
const model = testModel();
const policy = { downMinutes: 30, pathDownMinutes: 60, minPsaps: 2, minStates: 3, noAckMinutes: 20, updateEveryMinutes: 120 };

describe('incidents', () => {
  describe('began, discovered, confirmed: three facts', () => {
    // The vendor's own incident started 11:30; our first bad read was 11:31; confirmed at 11:32.
    const began = '2026-09-29T11:30:00.000Z';
    const firstRead = '2026-09-29T11:31:00.000Z';
    const confirmed = new Date('2026-09-29T11:32:00Z');
    test.each<[string, string | undefined, string]>([
      ['the upstream says when it began, earlier than our first read', began, began],
      ['the upstream says nothing', undefined, firstRead],
      ['the upstream says a time after our first read (a later update)', '2026-09-29T11:40:00.000Z', firstRead],
    ])('%s', (_case, reportedSince, expectedBegan) => {
      const inc = openIncident('routing', [view('hennepin', 'Down', ['routing'], firstRead)], [], confirmed, [], new Set(), reportedSince);
      expect({ began: inc.began, discoveredAt: inc.discoveredAt, openedAt: inc.openedAt }).toEqual({ began: expectedBegan, discoveredAt: firstRead, openedAt: confirmed.toISOString() });
    });

    test('a blind spell in between does not move the onset: Down, Unknown, Down again is one outage since the first Down', () => {
      let inc = openIncident('routing', [view('hennepin', 'Down', ['routing'], firstRead)], [], confirmed);
      inc = updateIncident(inc, [view('hennepin', 'Unknown', ['routing'], '2026-09-29T11:50:00.000Z')], [], at(720)).incident;
      inc = updateIncident(inc, [view('hennepin', 'Down', ['routing'], '2026-09-29T11:55:00.000Z')], [], at(725)).incident;
      expect(inc.services.hennepin).toMatchObject({ state: 'Down', since: '2026-09-29T11:55:00.000Z', impairedSince: firstRead, darkSince: firstRead });
      expect(inc).toMatchObject({ discoveredAt: firstRead, openedAt: confirmed.toISOString() });
    });
  });

  test('the id is stable for the same cause and discovery time, and differs otherwise', () => {
    expect(incidentId('routing', T0.toISOString())).toBe(incidentId('routing', T0.toISOString()));
    expect(incidentId('routing', T0.toISOString())).toMatch(/^INC-20260929-[0-9a-f]{6}$/);
    expect(incidentId('routing', at(1).toISOString())).not.toBe(incidentId('routing', T0.toISOString()));
    expect(incidentId('ali', T0.toISOString())).not.toBe(incidentId('routing', T0.toISOString()));
  });

  test('an incident lists only the services impaired by its cause', () => {
    const inc = openIncident('routing', [view('hennepin', 'Down'), view('maricopa', 'Down'), view('ramsey', 'Down', ['sr']), view('anoka', 'Normal', [])], [], T0);
    expect(Object.keys(inc.services).sort()).toEqual(['hennepin', 'maricopa']);
    expect(inc.services.hennepin).toEqual({ state: 'Down', since: T0.toISOString(), impairedSince: T0.toISOString(), worst: 'Down', darkSince: T0.toISOString() });
    expect(inc.status).toBe('open');
  });

  test.each<[string, ServiceView[], boolean, boolean]>([
    ['nothing new', [view('hennepin', 'Down'), view('maricopa', 'Down')], false, false],
    ['a service joins', [view('hennepin', 'Down'), view('maricopa', 'Down'), view('hennepin-text', 'Partial')], true, false],
    ['one recovers', [view('hennepin', 'Normal', []), view('maricopa', 'Down')], true, false],
    ['all recover', [view('hennepin', 'Normal', []), view('maricopa', 'Normal', [])], true, true],
    // still dark for another reason (e.g. an agency post outlives the vendor's all-clear): same outage
    ['another cause keeps a listed service dark', [view('hennepin', 'Down', ['ali']), view('maricopa', 'Normal', [])], true, false],
    // the cause's monitor went blind mid-outage: not knowing is not an all-clear
    ['the services go Unknown (the cause is blind)', [view('hennepin', 'Unknown'), view('maricopa', 'Unknown')], true, false],
    ['one recovers, one goes Unknown', [view('hennepin', 'Normal', []), view('maricopa', 'Unknown')], true, false],
    ['seen again and recovered', [view('hennepin', 'Normal', []), view('maricopa', 'Normal', [])], true, true],
  ])('update: %s', (_name, views, changed, resolved) => {
    const inc = openIncident('routing', [view('hennepin', 'Down'), view('maricopa', 'Down')], [], T0);
    const r = updateIncident(inc, views, [], at(5));
    expect(r.changed).toBe(changed);
    expect(r.resolved).toBe(resolved);
    expect(r.incident.status).toBe(resolved ? 'resolved' : 'open');
    if (resolved) expect(r.incident.resolvedAt).toBe(at(5).toISOString());
  });

  test('a listed service that went Unknown is listed as Unknown, and resolves once it is seen Normal', () => {
    const inc = openIncident('routing', [view('hennepin', 'Down')], [], T0);
    const blind = updateIncident(inc, [view('hennepin', 'Unknown')], [], at(10));
    expect(blind.incident.services.hennepin).toMatchObject({ state: 'Unknown', worst: 'Down' });
    expect(blind.incident.status).toBe('open');
    const seen = updateIncident(blind.incident, [view('hennepin', 'Normal', [])], [], at(20));
    expect(seen).toMatchObject({ resolved: true, incident: { status: 'resolved', services: { hennepin: { state: 'Normal', worst: 'Down' } } } });
  });

  test('a recovered service stays listed with its worst state, for the record and the all-clear', () => {
    const inc = openIncident('routing', [view('hennepin', 'Down')], [], T0);
    const { incident } = updateIncident(inc, [view('hennepin', 'Normal', [])], [], at(40));
    expect(incident.services.hennepin).toMatchObject({ state: 'Normal', worst: 'Down', darkSince: T0.toISOString() });
  });

  test('concurrent upstream trouble is attached once, never as the cause', () => {
    const concurrent = [{ componentId: 'mail', status: 'major_outage' as const, since: T0.toISOString() }];
    const inc = openIncident('routing', [view('hennepin', 'Down')], concurrent, T0);
    expect(inc.causeComponentId).toBe('routing');
    expect(inc.concurrent).toEqual(concurrent);
    const again = updateIncident(inc, [view('hennepin', 'Down')], concurrent, at(1));
    expect(again.changed).toBe(false);
    expect(again.incident.concurrent).toHaveLength(1);
  });

  test.each<[string, ServiceView[], number, boolean]>([
    ['one PSAP dark for 29 minutes', [view('hennepin', 'Down')], 29, false],
    ['one PSAP dark for 30 minutes', [view('hennepin', 'Down')], 30, true],
    ['two PSAPs dark at once', [view('hennepin', 'Down'), view('maricopa', 'Down')], 0, true],
    // a PSAP and its own text path are one PSAP
    ['a PSAP and its own path', [view('hennepin', 'Down'), view('hennepin-text', 'Down')], 0, false],
    ['partial for an hour is not dark', [view('hennepin', 'Partial')], 60, false],
  ])('escalation: %s → %s', (_name, views, minutes, due) => {
    const inc = openIncident('routing', views, [], T0);
    expect(escalationDue(inc, at(minutes), policy, model)).toBe(due);
  });

  test('an escalated incident is not escalated again', () => {
    const inc = openIncident('routing', [view('hennepin', 'Down')], [], T0);
    const { incident } = issueNotice(inc, 'escalated', at(30));
    expect(incident.escalatedAt).toBe(at(30).toISOString());
    expect(escalationDue(incident, at(90), policy, model)).toBe(false);
  });

  // Issued a few minutes early (one cycle and the delivery queue), so it arrives by the promised time.
  test.each<[number, boolean]>([
    [116, false],
    [117, true],
    [120, true],
  ])('a reminder is due %i minutes after the last notice: %s', (minutes, due) => {
    const { incident } = issueNotice(openIncident('routing', [view('hennepin', 'Down')], [], T0), 'opened', T0);
    expect(reminderDue(incident, at(minutes), policy)).toBe(due);
    expect(nextUpdateBy(incident, policy)).toBe(at(120).toISOString());
  });

  test('an escalation, which only the FCC liaisons hear, does not reset the update clock of everyone else', () => {
    const opened = issueNotice(openIncident('routing', [view('hennepin', 'Down')], [], T0), 'opened', T0).incident;
    const escalated = issueNotice(opened, 'escalated', at(100)).incident;
    expect(escalated.escalatedAt).toBe(at(100).toISOString());
    expect(reminderDue(escalated, at(117), policy)).toBe(true);
    expect(nextUpdateBy(escalated, policy)).toBe(at(120).toISOString());
    const changed = issueNotice(escalated, 'changed', at(110)).incident;
    expect(reminderDue(changed, at(117), policy)).toBe(false);
    expect(nextUpdateBy(changed, policy)).toBe(at(230).toISOString());
  });

  test.each([
    ['opened', 'initial'],
    ['changed', 'update'],
    ['escalated', 'update'],
    ['reminder', 'update'],
    ['resolved', 'final'],
  ] as const)('a notice for %s has phase %s and the next sequence number', (reason, phase) => {
    const inc = openIncident('routing', [view('hennepin', 'Down')], [], T0);
    const { incident, notice } = issueNotice({ ...inc, noticeSeq: 4 }, reason, at(1));
    expect(notice).toMatchObject({ incidentId: inc.id, seq: 5, phase, reason, createdAt: at(1).toISOString() });
    expect(incident.noticeSeq).toBe(5);
    expect(notice.incident).toBe(incident);
  });
});

describe('corroboration and the states rule', () => {
  test.each<[string, string[], string[], 'suspected' | 'confirmed']>([
    ['one source', ['vendor'], [], 'suspected'],
    ['the same source twice', ['vendor', 'vendor'], [], 'suspected'],
    ['a vendor page and an agency report agree', ['vendor', 'agency-report'], [], 'confirmed'],
    ['an authoritative source alone', ['agency-report'], ['agency-report'], 'confirmed'],
    ['no source at all', [], [], 'suspected'],
  ])('%s → %s', (_name, sources, authoritative, certainty) => {
    const inc = openIncident('routing', [view('hennepin', 'Down')], [], T0, sources, new Set(authoritative));
    expect(inc.certainty).toBe(certainty);
    expect(inc.confirmedAt).toBe(certainty === 'confirmed' ? T0.toISOString() : undefined);
  });

  test('a second source confirms an open incident once, and it stays confirmed', () => {
    const inc = openIncident('routing', [view('hennepin', 'Down')], [], T0, ['vendor']);
    const first = corroborate(inc, ['vendor', 'hennepin-heartbeat'], new Set(), at(3));
    expect(first).toMatchObject({ confirmedNow: true, incident: { certainty: 'confirmed', confirmedAt: at(3).toISOString(), sources: ['hennepin-heartbeat', 'vendor'] } });
    const again = corroborate(first.incident, ['vendor'], new Set(), at(5));
    expect(again.confirmedNow).toBe(false);
    expect(again.incident.certainty).toBe('confirmed');
  });

  test.each<[number, boolean]>([
    [3, false],
    [2, true],
  ])('with minStates %i, an incident across MN and AZ escalates: %s', (minStates, due) => {
    const inc = openIncident('routing', [view('hennepin', 'Partial'), view('maricopa', 'Partial')], [], T0);
    expect(escalationDue(inc, T0, { ...policy, minPsaps: 5, minStates }, model)).toBe(due);
  });
});

describe('independence is declared, not assumed', () => {
  const config = (witness?: string) =>
    testModel({
      sources: [
        { id: 'summary', kind: 'statuspage', url: 'https://status.meridian.example/api/v2/summary.json', components: [{ id: 'routing', name: 'NG911 routing', provider: 'Meridian NG911 Inc.', match: { page: true } }] },
        { id: 'unresolved', kind: 'statuspage-incidents', url: 'https://status.meridian.example/api/v2/incidents/unresolved.json', components: [{ id: 'routing-incidents', name: 'NG911 routing', provider: 'Meridian NG911 Inc.', match: { page: true } }] },
        { id: 'agency', kind: 'rss', url: 'https://www.hennepin.example/news.rss', ...(witness ? { witness } : {}), components: [{ id: 'hennepin-posts', name: 'Hennepin posts', provider: 'Hennepin County' }] },
        { id: 'mirror', kind: 'rss', url: 'https://mirror.example/meridian.rss', witness: 'Meridian NG911 Inc. at status.meridian.example', components: [{ id: 'mirror-posts', name: 'Mirror', provider: 'Mirror' }] },
      ],
      services: [{ id: 'hennepin', name: 'Hennepin County 911', kind: 'psap', fips: '27053', state: 'MN', dependsOn: [{ component: 'routing' }, { component: 'routing-incidents' }, { component: 'hennepin-posts' }, { component: 'mirror-posts' }] }],
      recipients: [{ id: 'ops', name: 'Ops', role: 'ops', channels: { email: 'ops@dialtone.example' } }],
    });
  test.each<[string, string[], string | undefined, 'suspected' | 'confirmed']>([
    ["a vendor page's summary and its incident list are one witness", ['summary', 'unresolved'], undefined, 'suspected'],
    ["a vendor page and the agency's own posts are two", ['summary', 'agency'], undefined, 'confirmed'],
    ['a source the config declares the same witness as the page (a mirror) adds nothing', ['summary', 'mirror'], undefined, 'suspected'],
    ['an agency feed declared to be the vendor speaking adds nothing either', ['summary', 'agency'], 'Meridian NG911 Inc. at status.meridian.example', 'suspected'],
  ])('%s', (_case, sources, witness, certainty) => {
    const m = config(witness);
    expect(certaintyOf(sources, new Set(), m.witnessOf)).toBe(certainty);
  });
  test('the default witness is the provider at the host', () => {
    expect(config().witnessOf('summary')).toBe('Meridian NG911 Inc. at status.meridian.example');
    expect(config().witnessOf('agency')).toBe('Hennepin County at www.hennepin.example');
  });
});
