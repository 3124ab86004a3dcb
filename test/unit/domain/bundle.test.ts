import { composeMessages, ROLE_PRIORITY } from '../../../shared/app/deliver.js';
import { planSms } from '../../../shared/app/throttle.js';
import { validateConfig } from '../../../shared/config/load.js';
import { renderBundle, renderOpsItems, bundleLabel, type BundlePart, type OpsItem } from '../../../shared/domain/bundle.js';
import { countyCodes, county } from '../../../shared/domain/counties.js';
import { issueNotice, openIncident, updateIncident, type ServiceView } from '../../../shared/domain/incident.js';
import { buildModel, type Model } from '../../../shared/domain/model.js';
import type { Notice } from '../../../shared/domain/records.js';
import { render } from '../../../shared/domain/render.js';
import { routeNotice } from '../../../shared/domain/routing.js';
import { fitsOneSms, gsm7Length } from '../../../shared/domain/text.js';
import { testModel } from '../../support/config.js';

const T0 = new Date('2026-09-29T00:10:00Z');
const view = (serviceId: string, state: ServiceView['state'], cause: string): ServiceView => ({ serviceId, state, since: T0.toISOString(), causes: [cause] });

/** The parts a recipient gets from several notices (each rendered alone, as deliver.ts does). */
function partsFor(recipientId: string, notices: readonly Notice[], model: Model, channel: 'sms' | 'email'): BundlePart[] {
  return notices.flatMap((notice) =>
    routeNotice(notice, model, new Set())
      .filter((r) => r.recipient.id === recipientId)
      .map((route) => ({ notice, route, rendered: render(route, channel, { notice, model, policy: model.config.escalation }) })),
  );
}

describe('bundles: one message per recipient per phase, across incidents', () => {
  // Two outages at once: the NG911 router (Hennepin MN, Maricopa AZ) and the selective router (Ramsey, Anoka, Pinal).
  const model = testModel({
    recipients: testModel().config.recipients.map((r) => (r.id === 'az-state' ? { ...r, channels: { ...r.channels, sms: '+16025550177' } } : r)),
  });
  const a = issueNotice(openIncident('routing', [view('hennepin', 'Down', 'routing'), view('maricopa', 'Down', 'routing')], [], T0), 'opened', T0).notice;
  const b = issueNotice(openIncident('sr', [view('ramsey', 'Down', 'sr'), view('anoka', 'Down', 'sr'), view('pinal', 'Down', 'sr')], [], T0), 'opened', T0).notice;

  test.each<[string, 'sms' | 'email', RegExp]>([
    // the office's own state first (nearest), then "+N more" for the rest of both incidents
    ['az-state', 'sms', /^911 ALERT \(suspected\): 5 911 services in 2 incidents: Maricopa Region 911 AZ DOWN; Pinal County 911 AZ DOWN; \+3 more, see email\. Inc INC-\S+ \+1$/],
    ['az-state', 'email', /^\[dialtone\] ALERT: 2 incidents - 5 911 services affected$/],
  ])('%s %s', (id, channel, expected) => {
    const parts = partsFor(id, [a, b], model, channel);
    expect(parts).toHaveLength(2);
    const words = renderBundle(parts, channel, model);
    expect(channel === 'sms' ? words.text : words.subject).toMatch(expected);
    if (channel === 'sms') expect(fitsOneSms(words.text)).toBe(true);
  });

  test('the bundled email carries an index and each notice in full (its FCC fields and ack)', () => {
    const { text } = renderBundle(partsFor('az-state', [a, b], model, 'email'), 'email', model);
    expect(text).toContain('(2 notices in one message)');
    expect(text).toMatch(new RegExp(` 1\\. ${a.incidentId} notice 1 \\(opened\\): `));
    expect(text).toMatch(new RegExp(`==== 1/2: ${a.incidentId} \\(notice 1\\) ====`));
    expect(text).toMatch(new RegExp(`==== 2/2: ${b.incidentId} \\(notice 1\\) ====`));
    expect(text.match(/1\. Outage identifier:/g)).toHaveLength(2);
    expect(text).toContain(`Acknowledge: reply ACK ${a.incidentId.slice(-4).toUpperCase()}`);
  });

  test.each<[string, Notice['reason'], string]>([
    ['opened', 'opened', 'ALERT'],
    ['changed', 'changed', 'UPDATE'],
    ['confirmed', 'confirmed', 'CONFIRMED'],
    ['escalated', 'escalated', 'ESCALATION'],
    ['resolved', 'resolved', 'ALL CLEAR'],
  ])('label: all %s', (_n, reason, label) => {
    const n = issueNotice(issueNotice(openIncident('routing', [view('hennepin', 'Down', 'routing')], [], T0), 'opened', T0).incident, reason, T0).notice;
    expect(bundleLabel([{ notice: reason === 'opened' ? a : n }, { notice: reason === 'opened' ? b : n }])).toBe(label);
  });

  test('the all-clear bundle says back to normal', () => {
    const cleared = [a, b].map((n) => {
      const views = Object.keys(n.incident.services).map((id) => view(id, 'Normal', n.incident.causeComponentId));
      const resolved = updateIncident(n.incident, views.map((v) => ({ ...v, causes: [] })), [], T0);
      return issueNotice(resolved.incident, 'resolved', T0).notice;
    });
    const parts = cleared.flatMap((notice) =>
      routeNotice(notice, model, new Set(['az-state']))
        .filter((r) => r.recipient.id === 'az-state')
        .map((route) => ({ notice, route, rendered: render(route, 'sms', { notice, model, policy: model.config.escalation }) })),
    );
    expect(renderBundle(parts, 'sms', model).text).toMatch(/^911 ALL CLEAR: 5 911 services back to normal: Maricopa Region 911 AZ; Pinal County 911 AZ; Anoka County 911 MN; \+2 more, see email\. Inc /);
  });

  test.each<[string, OpsItem[], 'sms' | 'email', RegExp]>([
    [
      'one opted-out number',
      [{ kind: 'opted-out', id: 'OPS-OPTOUT-ramsey-floor-20260929', recipientId: 'ramsey-floor', recipientName: 'Ramsey floor', maskedPhone: '+1******0198', otherChannel: true, at: T0.toISOString() }],
      'sms',
      /^dialtone OPS: Ramsey floor SMS \+1\*{6}0198 is opted out \(STOP\); reached by email instead\./,
    ],
    [
      'a dead letter',
      [{ kind: 'dead-letter', id: 'OPS-DEAD-INC-1-1-ramsey-floor-sms', what: 'INC-1 notice 1 sms to ramsey-floor', error: 'Throttling', attempts: 5, at: T0.toISOString() }],
      'sms',
      /^dialtone OPS: DEAD LETTER INC-1 notice 1 sms to ramsey-floor, 5 attempts\./,
    ],
    [
      'several problems in one message',
      [
        { kind: 'opted-out', id: 'OPS-OPTOUT-pinal-floor-20260929', recipientId: 'pinal-floor', recipientName: 'Pinal floor', maskedPhone: '+1******0166', otherChannel: false, at: T0.toISOString() },
        { kind: 'dead-letter', id: 'OPS-DEAD-INC-1-1-anoka-floor-sms', what: 'INC-1 notice 1 sms to anoka-floor', error: 'x', attempts: 5, at: T0.toISOString() },
      ],
      'sms',
      /^dialtone OPS: 2 delivery problems: pinal-floor SMS opted out, NOT REACHED; dead letter INC-1 notice 1 sms to anoka-floor\./,
    ],
    [
      'several problems, by email',
      [
        { kind: 'opted-out', id: 'OPS-OPTOUT-pinal-floor-20260929', recipientId: 'pinal-floor', recipientName: 'Pinal floor', maskedPhone: '+1******0166', otherChannel: false, at: T0.toISOString() },
        { kind: 'dead-letter', id: 'OPS-DEAD-INC-1-1-anoka-floor-sms', what: 'INC-1 notice 1 sms to anoka-floor', error: 'x', attempts: 5, at: T0.toISOString() },
      ],
      'email',
      /NOT REACHED: no other channel[\s\S]*DEAD LETTER: INC-1 notice 1 sms to anoka-floor failed 5 attempts/,
    ],
  ])('ops: %s', (_name, items, channel, expected) => {
    const words = renderOpsItems(items, channel);
    expect(words.text).toMatch(expected);
    if (channel === 'sms') expect(fitsOneSms(words.text)).toBe(true);
    else expect(words.subject!.length).toBeLessThan(100);
  });
});

/**
 * The storm: 1,000 PSAPs in 20 states; every even PSAP goes dark through its own cause (500
 * incidents in one cycle); every odd PSAP is healthy and neighbours the dark PSAPs beside it.
 * Each PSAP has a floor (SMS + email); each state a 911 office (SMS + email).
 */
function stormWorld(): { model: Model; notices: Notice[] } {
  const byState = new Map<string, string[]>();
  for (const fips of countyCodes()) {
    const c = county(fips)!;
    byState.set(c.state, [...(byState.get(c.state) ?? []), fips]);
  }
  const states = [...byState.keys()].filter((s) => s !== 'DC').slice(0, 20);
  const psap = (p: number) => `p${p}`;
  const services = Array.from({ length: 1000 }, (_, p) => {
    const state = states[Math.floor(p / 50)]!;
    const counties = byState.get(state)!;
    const sameBlock = (p + 1) % 50 !== 0;
    return {
      id: psap(p),
      name: `PSAP ${p}`,
      kind: 'psap',
      fips: counties[p % counties.length],
      state,
      timeZone: 'America/Chicago',
      dependsOn: [{ component: p % 2 === 0 ? `c${p}` : 'healthy' }],
      neighbours: sameBlock && p + 1 < 1000 ? [psap(p + 1)] : [],
      fallbackNumbers: [`+1612555${String(p).padStart(4, '0')}`],
    };
  });
  const phone = (k: number) => `+1612${String(5_550_000 + k).slice(-7)}`;
  const recipients = [
    ...services.map((s, p) => ({ id: `floor-${p}`, name: `Floor ${p}`, role: 'psap', psap: s.id, channels: { sms: phone(p), email: `floor${p}@psap.example` } })),
    ...states.map((st, i) => ({ id: `office-${st.toLowerCase()}`, name: `${st} 911 office`, role: 'county-manager', jurisdictions: { states: [st] }, channels: { sms: phone(2000 + i), email: `office${i}@state.example` } })),
    { id: 'fcc', name: 'FCC liaison', role: 'fcc-liaison', channels: { email: 'liaison@fcc.example' } },
    { id: 'ops', name: 'Ops', role: 'ops', channels: { email: 'ops@dialtone.example' } },
  ];
  const components = [{ id: 'healthy', name: 'healthy', provider: 'Carrier B' }, ...Array.from({ length: 500 }, (_, k) => ({ id: `c${2 * k}`, name: `router ${2 * k}`, provider: 'Carrier A' }))];
  const result = validateConfig({
    notifier: { name: 'Watch desk', phone: '+1 555 010 0199', email: 'desk@dialtone.example' },
    sources: [{ id: 'carriers', kind: 'statuspage', url: 'http://127.0.0.1:1/s.json', components }],
    services,
    recipients,
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems.slice(0, 3)));
  const model = buildModel(result.config);
  const notices = Array.from({ length: 500 }, (_, k) => issueNotice(openIncident(`c${2 * k}`, [view(psap(2 * k), 'Down', `c${2 * k}`)], [], T0), 'opened', T0).notice);
  return { model, notices };
}

describe('a storm of 500 dark PSAPs through 500 causes, in one cycle', () => {
  const { model, notices } = stormWorld();
  const messages = composeMessages(notices, model, T0);
  const sms = messages.filter((m) => m.channel === 'sms');

  test('one message per recipient per phase and channel', () => {
    const keys = messages.map((m) => `${m.recipient.id}|${m.channel}|${m.phase}`);
    expect(new Set(keys).size).toBe(keys.length);
    // 500 healthy floors hear of their dark neighbours, 20 state offices of their 25 incidents; twice (SMS and email)
    expect(new Set(messages.map((m) => m.recipient.id)).size).toBe(520);
    expect(sms).toHaveLength(520);
    expect(messages.filter((m) => m.channel === 'email')).toHaveLength(520);
    // without bundling: 2 × (25 notices × 20 offices + 2 neighbours × 500 floors − 20 floors at a state's edge with one)
    expect(messages.reduce((n, m) => n + m.units.length, 0)).toBe(2 * (25 * 20 + 2 * 500 - 20));
  });

  test('each message carries every notice due to its recipient (bundles of 2 neighbours, 25 incidents per state)', () => {
    const floor = messages.find((m) => m.recipient.id === 'floor-1' && m.channel === 'sms')!;
    expect(floor.units.map((u) => u.key.incidentId).sort()).toEqual([notices[0]!.incidentId, notices[1]!.incidentId].sort());
    const office = messages.find((m) => m.recipient.id.startsWith('office-') && m.channel === 'email')!;
    expect(office.units).toHaveLength(25);
  });

  test('priority order: every dark PSAP\'s neighbour before any manager', () => {
    const order = sms.map((m) => m.priority);
    expect(order).toEqual([...order].sort((x, y) => x - y));
    expect(sms.slice(0, 500).every((m) => m.recipient.role === 'psap')).toBe(true);
    expect(sms.slice(500).every((m) => m.recipient.role === 'county-manager')).toBe(true);
    expect(ROLE_PRIORITY.psap).toBeLessThan(ROLE_PRIORITY['county-manager']);
  });

  test('every SMS is one GSM-7 segment (≤ 160 septets), and names the dark neighbours with their fallback numbers', () => {
    for (const m of sms) {
      expect(fitsOneSms(m.words.text)).toBe(true);
      expect(gsm7Length(m.words.text)).toBeLessThanOrEqual(160);
    }
    const floor1 = sms.find((m) => m.recipient.id === 'floor-1')!.words.text;
    expect(floor1).toMatch(/^911 ALERT \(suspected\): 2 neighbor PSAPs DOWN: PSAP 0 \w\w 612-555-0000; PSAP 2 \w\w 612-555-0002\. Expect rollover\. Inc INC-\S+ \+1$/);
    const office = sms.find((m) => m.recipient.role === 'county-manager')!.words.text;
    expect(office).toMatch(/^911 ALERT \(suspected\): 25 911 services in 25 incidents: PSAP \d+ \w\w DOWN; .*\+2\d more, see email\. Inc INC-\S+ \+24$/);
  });

  test.each([
    [3, 173_334],
    [20, 26_000],
    [100, 5_200],
  ])('SMS at %d MPS: the last of 520 messages goes out %d ms after the first', (mps, etaMs) => {
    const plan = planSms(sms.map((m) => ({ channel: 'sms' as const, text: m.words.text })), mps, T0);
    expect(plan.totalParts).toBe(520);
    expect(plan.etaMs).toBe(etaMs);
    // the neighbours are all done first: at 3 MPS within 500 / 3 s
    expect(plan.sends[499]!.doneMs).toBe(Math.ceil((500 * 1000) / mps));
  });
});
