import { issueNotice, openIncident, type ServiceView } from '../../../shared/domain/incident.js';
import type { NoticeReason } from '../../../shared/domain/records.js';
import { render } from '../../../shared/domain/render.js';
import { routeNotice, type Route } from '../../../shared/domain/routing.js';
import { fitsOneSms, gsm7Length, toGsm7, composeSms } from '../../../shared/domain/text.js';
import { testConfig, testModel } from '../../support/config.js';
import { buildModel } from '../../../shared/domain/model.js';

const T0 = new Date('2026-09-29T00:10:00Z');
const view = (serviceId: string, state: ServiceView['state'] = 'Down'): ServiceView => ({ serviceId, state, since: T0.toISOString(), causes: ['routing'] });
const model = testModel();
const policy = model.config.escalation;
const concurrent = [{ componentId: 'mail', status: 'major_outage' as const, since: '2026-09-28T23:45:00Z' }];

function notice(reason: NoticeReason, views = [view('hennepin'), view('maricopa')], m = model) {
  let inc = openIncident('routing', views, concurrent, T0);
  if (reason !== 'opened') inc = issueNotice(inc, 'opened', T0).incident;
  if (reason === 'resolved') inc = { ...inc, status: 'resolved', resolvedAt: '2026-09-29T01:05:00Z', services: Object.fromEntries(Object.entries(inc.services).map(([k, s]) => [k, { ...s, state: 'Normal' as const }])) };
  const n = issueNotice(reason === 'escalated' ? inc : inc, reason, T0).notice;
  return { notice: n, routes: routeNotice(n, m, new Set(m.recipients.map((r) => r.id))) };
}
const routeFor = (routes: Route[], id: string) => routes.find((r) => r.recipient.id === id)!;

describe('rendering', () => {
  describe('every SMS fits one GSM-7 segment', () => {
    const reasons: NoticeReason[] = ['opened', 'changed', 'escalated', 'reminder', 'resolved'];
    test.each(reasons)('%s, every audience', (reason) => {
      const { notice: n, routes } = notice(reason);
      for (const route of routes.filter((r) => r.channels.includes('sms'))) {
        const { text } = render(route, 'sms', { notice: n, model, policy });
        expect(fitsOneSms(text)).toBe(true);
        expect(gsm7Length(text)).toBeLessThanOrEqual(160);
      }
    });

    test('even with long names, many dark neighbours and non-GSM characters', () => {
      const long = testConfig({
        services: [
          ...testConfig().services.map((s) => (s.id === 'ramsey' ? { ...s, neighbours: ['hennepin', 'maricopa', 'pinal', 'anoka'] } : s)).map((s) => ({ ...s, name: `${s.name} — Emergency Communications Center “Main”` })),
        ],
      });
      const m = buildModel(long);
      const { notice: n, routes } = notice('opened', [view('hennepin'), view('maricopa'), view('pinal'), view('anoka')], m);
      const text = render(routeFor(routes, 'ramsey-floor'), 'sms', { notice: n, model: m, policy }).text;
      expect(fitsOneSms(text)).toBe(true);
      expect(text).toMatch(/^911 ALERT \(suspected\): 4 neighbor PSAPs/);
    });
  });

  test('the neighbour PSAP SMS names the dark PSAP, its fallback number, rollover, incident and ack code', () => {
    const { notice: n, routes } = notice('opened');
    const { text } = render(routeFor(routes, 'ramsey-floor'), 'sms', { notice: n, model, policy });
    expect(text).toBe(`911 ALERT (suspected): neighbor PSAP Hennepin County 911 MN DOWN since 19:10 CDT, fallback 612-555-0100. Expect rollover. Inc ${n.incidentId} Ack ${n.incidentId.slice(-4).toUpperCase()}`);
  });

  test('the all-clear SMS tells the neighbour the PSAP is back', () => {
    const { notice: n, routes } = notice('resolved');
    const { text } = render(routeFor(routes, 'ramsey-floor'), 'sms', { notice: n, model, policy });
    expect(text).toBe(`911 ALL CLEAR: neighbor PSAP Hennepin County 911 MN back to normal. Inc ${n.incidentId}`);
  });

  describe('email', () => {
    test('carries the ten FCC 4.9(h) fields, marking what we do not know', () => {
      const { notice: n, routes } = notice('escalated');
      const { subject, text } = render(routeFor(routes, 'fcc'), 'email', { notice: n, model, policy });
      expect(subject!.length).toBeLessThan(100);
      expect(subject).toBe(`[dialtone] ESCALATION: 911 Hennepin County 911 MN DOWN +1 more - ${n.incidentId}`);
      const fields: Array<[string, string]> = [
        ['1. Outage identifier:', n.incidentId],
        ['2. Contact for follow-up:', 'Watch desk, +1 555 010 0199, desk@dialtone.example'],
        ['3. Provider with the outage:', 'Meridian NG911 Inc. (NG911 routing)'],
        ['4. Began:', '2026-09-28 19:10 CDT (00:10 UTC)'],
        ['5. Services affected:', '911 call delivery to the PSAP'],
        ['6. Geographic area:', 'Hennepin County MN (FIPS 27053); Maricopa County AZ (FIPS 04013)'],
        ['7. Expected effect on the PSAP:', '911 calls to Hennepin County 911, Maricopa Region 911 may fail'],
        ['8. Expected restoration:', 'UNKNOWN - not reported by the provider'],
        ['9. Best-known cause:', 'Meridian NG911 Inc. reports an outage of "NG911 routing"'],
        ['10. Notice type:', 'Update (notice 2)'],
      ];
      const lines = text.split('\n').map((l) => l.trim().replace(/\s{2,}/g, ' '));
      for (const [label, value] of fields) expect(lines.find((l) => l.startsWith(label))).toContain(`${label} ${value}`);
    });

    test('every field describes the incident as it stands: a recovered PSAP leaves field 7 and is named as recovered', () => {
      const opened = issueNotice(openIncident('routing', [view('hennepin'), view('maricopa')], [], T0), 'opened', T0).incident;
      const partly = { ...opened, services: { ...opened.services, hennepin: { ...opened.services.hennepin!, state: 'Normal' as const, since: '2026-09-29T00:40:00.000Z' } } };
      const n = issueNotice(partly, 'changed', new Date('2026-09-29T00:40:00Z')).notice;
      const route = routeNotice(n, model, new Set(['hennepin-em'])).find((r) => r.recipient.id === 'hennepin-em')!;
      const lines = render(route, 'email', { notice: n, model, policy }).text.split('\n').map((l) => l.trim().replace(/\s{2,}/g, ' '));
      const field7 = lines.find((l) => l.startsWith('7. '))!;
      expect(field7).toBe('7. Expected effect on the PSAP: 911 calls to Maricopa Region 911 may fail or roll over to their backup/neighbor PSAPs; callers may need the 10-digit fallback numbers. Recovered: Hennepin County 911.');
      expect(lines.find((l) => l.startsWith('6. '))).toBe('6. Geographic area: Maricopa County AZ (FIPS 04013)');
    });

    test('field 4 gives the earliest evidence, the discovery and the confirmation', () => {
      const inc = openIncident('routing', [view('hennepin')], [], new Date('2026-09-29T00:12:00Z'), [], new Set(), '2026-09-29T00:02:00Z');
      const n = issueNotice(inc, 'opened', new Date('2026-09-29T00:12:00Z')).notice;
      const route = routeNotice(n, model, new Set()).find((r) => r.recipient.id === 'hennepin-em')!;
      const lines = render(route, 'email', { notice: n, model, policy }).text.split('\n').map((l) => l.trim().replace(/\s{2,}/g, ' '));
      expect(lines.find((l) => l.startsWith('4. '))).toBe(
        '4. Began: 2026-09-28 19:02 CDT (00:02 UTC) (earliest evidence); discovered 2026-09-28 19:10 CDT (00:10 UTC), confirmed 2026-09-28 19:12 CDT (00:12 UTC)',
      );
    });

    test('labels a concurrent cloud incident as concurrent, never as the cause', () => {
      const { notice: n, routes } = notice('opened');
      const { text } = render(routeFor(routes, 'hennepin-em'), 'email', { notice: n, model, policy });
      expect(text).toContain('Concurrent upstream incidents (same time window; NOT a declared dependency, NOT known to be the cause)');
      expect(text).toContain(' - Contoso: Mail major_outage since');
      const cause = text.split('\n').find((l) => l.includes('Best-known cause'))!;
      expect(cause).not.toContain('Contoso');
    });

    test('the final notice says restored and when', () => {
      const { notice: n, routes } = notice('resolved');
      const { subject, text } = render(routeFor(routes, 'hennepin-em'), 'email', { notice: n, model, policy });
      expect(subject).toMatch(/^\[dialtone\] ALL CLEAR: /);
      const lines = text.split('\n').map((l) => l.trim().replace(/\s{2,}/g, ' '));
      expect(lines).toContain('8. Expected restoration: Restored 2026-09-28 20:05 CDT (01:05 UTC)');
      expect(lines).toContain('10. Notice type: Final (notice 2)');
      expect(text).toContain('911 services in your jurisdiction are back to normal.');
      expect(text).toContain('This is the final notice for this incident.');
    });
  });

  describe('GSM-7 text', () => {
    test.each([
      ['plain ASCII stays', 'Hennepin 911 DOWN', 'Hennepin 911 DOWN'],
      ['curly quotes and dashes become ASCII', 'Ramsey’s ECC — “Main”', `Ramsey's ECC - "Main"`],
      ['characters outside GSM-7 become ?', 'Ramsey 🚨 ECC', 'Ramsey ? ECC'],
      ['GSM-7 accents stay', 'Müller é', 'Müller é'],
    ])('%s', (_name, input, output) => {
      expect(toGsm7(input)).toBe(output);
    });

    test('extended characters count twice, so the limit is septets not string length', () => {
      expect(gsm7Length('[]')).toBe(4);
      expect(fitsOneSms('x'.repeat(159) + '[')).toBe(false);
    });

    test('optional parts are dropped before required ones are cut', () => {
      const text = composeSms([{ text: 'A'.repeat(100) }, { text: 'B'.repeat(50), optional: true }, { text: 'C'.repeat(20) }]);
      expect(text).toBe(`${'A'.repeat(100)} ${'C'.repeat(20)}`);
      expect(fitsOneSms(composeSms([{ text: 'A'.repeat(300) }]))).toBe(true);
    });
  });
});
