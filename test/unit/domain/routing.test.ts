import { issueNotice, openIncident, updateIncident, type ServiceView } from '../../../shared/domain/incident.js';
import type { ServiceState } from '../../../shared/domain/nena.js';
import type { NoticeReason } from '../../../shared/domain/records.js';
import { routeNotice } from '../../../shared/domain/routing.js';
import { testModel } from '../../support/config.js';

const T0 = new Date('2026-09-29T00:00:00Z');
const view = (serviceId: string, state: ServiceState, causes = ['routing']): ServiceView => ({ serviceId, state, since: T0.toISOString(), causes });
const model = testModel();

function routed(views: ServiceView[], reason: NoticeReason, told: string[] = [], escalated = false) {
  let inc = openIncident('routing', views, [], T0);
  if (escalated) inc = issueNotice(inc, 'escalated', T0).incident;
  const { notice } = issueNotice(inc, reason, T0);
  return routeNotice(notice, model, new Set(told)).map((r) => r.recipient.id).sort();
}

describe('who hears about a notice', () => {
  test.each<[string, ServiceView[], NoticeReason, string[], boolean, string[]]>([
    // Hennepin dark: its neighbour Ramsey and backup Anoka, its county's manager; not its own floor, not AZ
    ['Hennepin goes dark', [view('hennepin', 'Down')], 'opened', [], false, ['anoka-floor', 'hennepin-em', 'ramsey-floor']],
    ['Maricopa goes dark', [view('maricopa', 'Down')], 'opened', [], false, ['az-state', 'pinal-floor']],
    ['both go dark', [view('hennepin', 'Down'), view('maricopa', 'Down')], 'opened', [], false, ['anoka-floor', 'az-state', 'hennepin-em', 'pinal-floor', 'ramsey-floor']],
    // Partial is not dark: neighbours expect no rollover, the manager still needs the situation
    ['Hennepin partial', [view('hennepin', 'Partial')], 'opened', [], false, ['hennepin-em']],
    ['escalated: the FCC liaison joins', [view('hennepin', 'Down')], 'changed', [], true, ['anoka-floor', 'fcc', 'hennepin-em', 'ramsey-floor']],
    ['the escalation notice goes to the FCC liaison only', [view('hennepin', 'Down')], 'escalated', ['ramsey-floor', 'hennepin-em'], true, ['fcc']],
    ['a reminder reaches everyone told before', [view('hennepin', 'Down')], 'reminder', ['ramsey-floor', 'ops'], false, ['anoka-floor', 'hennepin-em', 'ops', 'ramsey-floor']],
    // the all-clear goes to exactly who was told, even if they would not be routed today
    ['the all-clear goes to everyone told', [view('hennepin', 'Down')], 'resolved', ['ramsey-floor', 'hennepin-em', 'fcc'], false, ['fcc', 'hennepin-em', 'ramsey-floor']],
    ['no-one told, no all-clear', [view('hennepin', 'Down')], 'resolved', [], false, []],
  ])('%s', (_name, views, reason, told, escalated, expected) => {
    expect(routed(views, reason, told, escalated)).toEqual(expected);
  });

  test('a neighbour hears about the dark PSAP even after it recovered (update), and the route names it', () => {
    const inc = issueNotice(openIncident('routing', [view('hennepin', 'Down'), view('maricopa', 'Down')], [], T0), 'opened', T0).incident;
    const recovered = updateIncident(inc, [view('hennepin', 'Normal', []), view('maricopa', 'Down')], [], T0).incident;
    const { notice } = issueNotice(recovered, 'changed', T0);
    const routes = routeNotice(notice, model, new Set(['ramsey-floor']));
    const ramsey = routes.find((r) => r.recipient.id === 'ramsey-floor');
    expect(ramsey?.darkNeighbours).toEqual(['hennepin']);
    // Anoka was never told and Hennepin is no longer dark: it is not paged now.
    expect(routes.map((r) => r.recipient.id)).not.toContain('anoka-floor');
  });

  test('each recipient is routed on every channel it has', () => {
    const { notice } = issueNotice(openIncident('routing', [view('hennepin', 'Down')], [], T0), 'opened', T0);
    const ramsey = routeNotice(notice, model, new Set()).find((r) => r.recipient.id === 'ramsey-floor');
    expect(ramsey?.channels).toEqual(['sms', 'email']);
  });
});

describe('hearing at suspected or confirmed', () => {
  const strict = testModel({ corroboration: { hearAt: { psap: 'suspected', 'county-manager': 'confirmed', 'fcc-liaison': 'confirmed' } } });
  function heard(sources: string[], told: string[] = [], escalated = false) {
    const inc = openIncident('routing', [view('hennepin', 'Down')], [], T0, sources);
    const { notice } = issueNotice(escalated ? issueNotice(inc, 'escalated', T0).incident : inc, 'changed', T0);
    return routeNotice(notice, strict, new Set(told)).map((r) => r.recipient.id).sort();
  }
  test('while suspected, only the audiences that hear at "suspected" are told', () => {
    expect(heard(['vendor'])).toEqual(['anoka-floor', 'ramsey-floor']);
  });
  test('once confirmed, the others are told too', () => {
    expect(heard(['vendor', 'agency'])).toEqual(['anoka-floor', 'hennepin-em', 'ramsey-floor']);
    expect(heard(['vendor', 'agency'], [], true)).toEqual(['anoka-floor', 'fcc', 'hennepin-em', 'ramsey-floor']);
  });
  test('an escalation reaches the FCC liaison although its audience hears at "confirmed": the escalation is the reason it hears', () => {
    expect(heard(['vendor'], [], true)).toEqual(['anoka-floor', 'fcc', 'ramsey-floor']);
    const inc = openIncident('routing', [view('hennepin', 'Down')], [], T0, ['vendor']);
    const { notice } = issueNotice(inc, 'escalated', T0);
    expect(routeNotice(notice, strict, new Set()).map((r) => r.recipient.id)).toEqual(['fcc']);
  });
  test('a recipient who acknowledged still hears reminders, routed as acknowledged', () => {
    const inc = issueNotice(openIncident('routing', [view('hennepin', 'Down')], [], T0, ['vendor']), 'opened', T0).incident;
    const { notice } = issueNotice(inc, 'reminder', T0);
    const routes = routeNotice(notice, strict, new Set(['ramsey-floor', 'anoka-floor']), new Set(['ramsey-floor']));
    expect(Object.fromEntries(routes.map((r) => [r.recipient.id, r.acked ?? false]))).toEqual({ 'ramsey-floor': true, 'anoka-floor': false });
  });
  test('someone already told keeps hearing, confirmed or not', () => {
    expect(heard(['vendor'], ['hennepin-em'])).toEqual(['anoka-floor', 'hennepin-em', 'ramsey-floor']);
  });
});

describe('per-recipient minimum severity and hear-at', () => {
  // hennepin-em hears critical only; ramsey-floor waits for confirmation whatever its audience says;
  // az-state hears at "suspected" although county managers wait for "confirmed".
  const tuned = testModel({
    corroboration: { hearAt: { 'county-manager': 'confirmed', 'fcc-liaison': 'suspected' } },
    recipients: testModel().config.recipients.map((r) =>
      r.id === 'hennepin-em' ? { ...r, minSeverity: 'critical' } : r.id === 'ramsey-floor' ? { ...r, hearAt: 'confirmed' } : r.id === 'az-state' ? { ...r, hearAt: 'suspected', minSeverity: 'major' } : r,
    ),
  });
  function heard(views: ServiceView[], sources: string[], reason: NoticeReason = 'opened', told: string[] = []) {
    const { notice } = issueNotice(openIncident('routing', views, [], T0, sources), reason, T0);
    return routeNotice(notice, tuned, new Set(told)).map((r) => r.recipient.id).sort();
  }
  test.each<[string, ServiceView[], string[], NoticeReason, string[], string[]]>([
    // Hennepin partial is "major": hennepin-em (critical only) is not told; ramsey waits for confirmation anyway
    ['major, suspected: the critical-only manager is not told', [view('hennepin', 'Partial')], ['vendor'], 'opened', [], []],
    ['major, confirmed: still not critical enough for hennepin-em', [view('hennepin', 'Partial')], ['vendor', 'agency'], 'opened', [], []],
    ['critical, confirmed: hennepin-em hears; ramsey too (confirmed now)', [view('hennepin', 'Down')], ['vendor', 'agency'], 'opened', [], ['anoka-floor', 'hennepin-em', 'ramsey-floor']],
    ['critical, suspected: ramsey waits for confirmation, anoka does not', [view('hennepin', 'Down')], ['vendor'], 'opened', [], ['anoka-floor']],
    ['a manager overriding its audience hears a suspected incident', [view('maricopa', 'Down')], ['vendor'], 'opened', [], ['az-state', 'pinal-floor']],
    ['major (Partial) meets az-state\'s major minimum', [view('maricopa', 'Partial')], ['vendor'], 'opened', [], ['az-state']],
    ['once told, a below-threshold recipient still gets the all-clear', [view('hennepin', 'Partial')], ['vendor'], 'resolved', ['hennepin-em'], ['hennepin-em']],
    ['once told, it hears updates even while only suspected', [view('hennepin', 'Down')], ['vendor'], 'changed', ['ramsey-floor'], ['anoka-floor', 'ramsey-floor']],
  ])('%s', (_name, views, sources, reason, told, expected) => {
    expect(heard(views, sources, reason, told)).toEqual(expected);
  });
});
