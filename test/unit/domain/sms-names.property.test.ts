import fc from 'fast-check';
import { renderBundle } from '../../../shared/domain/bundle.js';
import { ackCode, issueNotice, openIncident, type ServiceView } from '../../../shared/domain/incident.js';
import { maintenanceIncident } from '../../../shared/domain/maintenance.js';
import { buildModel } from '../../../shared/domain/model.js';
import type { Notice, NoticeReason } from '../../../shared/domain/records.js';
import { render } from '../../../shared/domain/render.js';
import { routeNotice } from '../../../shared/domain/routing.js';
import { dialable, fitsOneSms } from '../../../shared/domain/text.js';
import { testConfig } from '../../support/config.js';

/**
 * Whatever the names are (1 to 200 characters, any script, emoji, control characters): every SMS
 * is one GSM-7 segment and keeps its incident id, its ack code where it asks for one, and the dark
 * neighbour's fallback number where it gives one. Single, bundled and maintenance texts alike.
 */
const T0 = new Date('2026-09-29T06:10:00Z');
const name = fc.oneof(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 200 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 200 }),
  fc.string({ unit: fc.constantFrom(...'ÄÖÜßéèçñøåæ—“”‘’…€{}[]~^|\\ abcXYZ 911'), minLength: 1, maxLength: 200 }),
);
const names = fc.record({ hennepin: name, maricopa: name, ramsey: name, anoka: name, pinal: name, provider: name, component: name });
const reason = fc.constantFrom<NoticeReason>('opened', 'changed', 'reminder', 'escalated', 'resolved');

type Names = typeof names extends fc.Arbitrary<infer T> ? T : never;

function modelWith(n: Names) {
  const base = testConfig();
  return buildModel(
    testConfig({
      sources: base.sources.map((s) => (s.id === 'vendor' ? { ...s, components: s.components.map((c) => (c.id === 'routing' ? { ...c, name: n.component, provider: n.provider } : c)) } : s)),
      // Ramsey hears about every dark PSAP, so its SMS is a list that must shorten or say "+N more".
      services: base.services.map((s) => ({
        ...s,
        name: n[s.id as keyof typeof n] ?? s.name,
        ...(s.id === 'ramsey' ? { neighbours: ['hennepin', 'maricopa', 'pinal', 'anoka'] } : {}),
        fallbackNumbers: s.fallbackNumbers.length ? s.fallbackNumbers : ['+16515550100'],
      })),
      maintenance: [{ id: 'router-upgrade', components: ['routing'], start: '2026-09-29T06:00', timeZone: 'UTC', durationMinutes: 60, notify: true }],
    }),
  );
}

function noticeOf(r: NoticeReason, cause: string, services: string[]): Notice {
  const views: ServiceView[] = services.map((serviceId) => ({ serviceId, state: 'Down', since: T0.toISOString(), causes: [cause] }));
  let inc = issueNotice(openIncident(cause, views, [], T0), 'opened', T0).incident;
  if (r === 'resolved') inc = { ...inc, status: 'resolved', resolvedAt: T0.toISOString(), services: Object.fromEntries(Object.entries(inc.services).map(([k, s]) => [k, { ...s, state: 'Normal' as const }])) };
  return r === 'opened' ? issueNotice(openIncident(cause, views, [], T0), 'opened', T0).notice : issueNotice(inc, r, T0).notice;
}

function checkSms(text: string, incidentId: string, what: string) {
  expect({ what, fits: fitsOneSms(text), text }).toMatchObject({ fits: true });
  expect({ what, hasId: text.includes(incidentId), text }).toMatchObject({ hasId: true });
}

describe('SMS composition keeps what matters, whatever the names', () => {
  test('single notices, to every audience', () => {
    fc.assert(
      fc.property(names, reason, (n, r) => {
        const model = modelWith(n);
        const notice = noticeOf(r, 'routing', ['hennepin', 'maricopa', 'ramsey', 'anoka', 'pinal']);
        for (const route of routeNotice(notice, model, new Set(model.recipients.map((x) => x.id)))) {
          if (!route.channels.includes('sms')) continue;
          const { text } = render(route, 'sms', { notice, model, policy: model.config.escalation });
          checkSms(text, notice.incidentId, `${r} to ${route.recipient.id}`);
          if (route.recipient.role === 'psap' && r !== 'resolved') {
            expect(text).toMatch(new RegExp(`Ack ${ackCode(notice.incidentId)}$`));
            // Names give way first: the message's own words stay whole.
            expect(text).toContain('Expect rollover.');
            // A listed dark neighbour comes with its fallback number, whole.
            const listed = route.darkNeighbours.map((id) => model.services.get(id)!).filter((s) => text.includes(dialable(s.fallbackNumbers[0]!)));
            expect(listed.length + (/\+\d+ more, see email\.|\d+ listed by email\./.test(text) ? 1 : 0)).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  test('bundles of two incidents: the first id is whole, and a list that cannot fit says "+N more" and points to the email', () => {
    fc.assert(
      fc.property(names, (n) => {
        const model = modelWith(n);
        const a = noticeOf('opened', 'routing', ['hennepin', 'maricopa']);
        const b = noticeOf('opened', 'sr', ['anoka', 'pinal']);
        const parts = [a, b].flatMap((notice) =>
          routeNotice(notice, model, new Set())
            .filter((r) => r.recipient.id === 'ramsey-floor')
            .map((route) => ({ notice, route, rendered: render(route, 'sms', { notice, model, policy: model.config.escalation }) })),
        );
        if (parts.length < 2) return;
        const { text } = renderBundle(parts, 'sms', model);
        expect({ fits: fitsOneSms(text), text }).toMatchObject({ fits: true });
        expect(text.includes(a.incidentId) || text.includes(b.incidentId)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  test('maintenance notices', () => {
    fc.assert(
      fc.property(names, fc.boolean(), (n, ended) => {
        const model = modelWith(n);
        const w = model.config.maintenance[0]!;
        const inc = maintenanceIncident(w, { windowId: w.id, start: '2026-09-29T06:00:00.000Z', end: '2026-09-29T07:00:00.000Z' }, model);
        const notice = issueNotice(ended ? { ...inc, status: 'resolved', resolvedAt: T0.toISOString() } : inc, ended ? 'resolved' : 'opened', T0).notice;
        for (const route of routeNotice(notice, model, new Set(model.recipients.map((x) => x.id)))) {
          if (!route.channels.includes('sms')) continue;
          const { text } = render(route, 'sms', { notice, model, policy: model.config.escalation });
          checkSms(text, notice.incidentId, `maintenance to ${route.recipient.id}`);
          expect(text).toMatch(ended ? /maintenance is over\./ : /, \d\d:\d\d [A-Z]+-\d\d:\d\d [A-Z]+, planned\./);
        }
      }),
      { numRuns: 100 },
    );
  });
});
