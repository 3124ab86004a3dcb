import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { CAP_TIME_PATTERN, capTime, capXml, type CapInput, type CapOptions } from '../../shared/domain/cap.js';
import { issueNotice, openIncident, updateIncident, type ServiceView } from '../../shared/domain/incident.js';
import type { Incident, Notice } from '../../shared/domain/records.js';
import { testModel } from '../support/config.js';

const SCHEMA_DIR = resolve(__dirname, '../../../shared/fixtures/cap/schema');
const XSD = join(SCHEMA_DIR, 'cap12.xsd');
const haveSchema = existsSync(XSD);
const haveXmllint = spawnSync('xmllint', ['--version']).status === 0;

const model = testModel();
const T0 = new Date('2026-09-29T00:10:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const view = (serviceId: string, state: ServiceView['state'], since = T0): ServiceView => ({ serviceId, state, since: since.toISOString(), causes: ['routing'] });
const OPTIONS: CapOptions = { domain: 'dialtone.example' };

/** One incident's three notices: the alert, an update after Maricopa recovered, the all-clear. */
function story() {
  let inc: Incident = openIncident('routing', [view('hennepin', 'Down'), view('maricopa', 'Down'), view('hennepin-text', 'Partial')], [{ componentId: 'mail', status: 'major_outage', since: '2026-09-29T00:05:00.000Z' }], T0, ['vendor', 'carrier']);
  const n1 = issueNotice(inc, 'opened', T0);
  inc = n1.incident;
  inc = updateIncident(inc, [view('hennepin', 'Down'), view('maricopa', 'Normal', at(25)), view('hennepin-text', 'Partial')], [], at(25)).incident;
  const n2 = issueNotice(inc, 'changed', at(25));
  inc = n2.incident;
  inc = updateIncident(inc, [view('hennepin', 'Normal', at(55)), view('maricopa', 'Normal'), view('hennepin-text', 'Normal', at(55))], [], at(55)).incident;
  const n3 = issueNotice(inc, 'resolved', at(55));
  return { initial: n1.notice, update: n2.notice, final: n3.notice };
}

function input(notice: Notice, previous: Notice[] = [], extra: Partial<CapInput> = {}): CapInput {
  return { notice, previous, services: model.services, components: model.components, notifier: model.config.notifier, ...extra };
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', parseTagValue: false, isArray: (name) => ['area', 'geocode', 'parameter'].includes(name) });
type Doc = { alert: Record<string, string> & { info: Record<string, unknown> & { area: Array<{ areaDesc: string; geocode: Array<{ valueName: string; value: string }> }> } } };
const parse = (xml: string) => parser.parse(xml) as Doc;

function xsdErrors(xml: string): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'cap-'));
  try {
    const file = join(dir, 'alert.xml');
    writeFileSync(file, xml);
    const run = spawnSync('xmllint', ['--noout', '--nonet', '--schema', XSD, file], { encoding: 'utf8' });
    return run.status === 0 ? undefined : run.stderr;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const { initial, update, final } = story();
const docs = {
  initial: capXml(input(initial), OPTIONS),
  update: capXml(input(update, [initial]), OPTIONS),
  final: capXml(input(final, [update, initial, initial]), OPTIONS),
};

const validates = haveSchema && haveXmllint ? describe : describe.skip;
if (!haveSchema) console.warn(`cap.test: SKIPPING XSD validation: ${SCHEMA_DIR} is absent (../shared/fixtures is for developers and CI only)`);
else if (!haveXmllint) console.warn('cap.test: SKIPPING XSD validation: xmllint is not installed (Debian: apt-get install -y libxml2-utils)');

validates('CAP documents validate against the OASIS CAP 1.2 schema (xmllint)', () => {
  test.each(Object.entries(docs))('%s notice', (_name, xml) => {
    expect(xsdErrors(xml)).toBeUndefined();
  });

  test('with markup, quotes and control characters in names, every optional element and geocode', () => {
    const services = new Map(
      [...model.services].map(([id, s]) => [id, { ...s, name: `${s.name} <Main> & "Backup" \u0007`, county: s.county && `${s.county} & <Co>` }]),
    );
    const xml = capXml(input(update, [initial], { services, certainty: 'Likely', expires: at(145).toISOString() }), { ...OPTIONS, ugc: true, fips6: true, web: 'https://status.dialtone.example/incidents?id=1&v=2' });
    expect(xsdErrors(xml)).toBeUndefined();
    expect(xml).toContain('&lt;Main&gt; &amp; &quot;Backup&quot;');
    expect(xml).not.toContain('\u0007');
    expect(parse(xml).alert.info.headline).toContain('<Main> & "Backup"');
  });

  test('the validator is not a rubber stamp: a "Z" time and a missing scope are rejected', () => {
    expect(xsdErrors(docs.initial.replace(/<sent>([^<]+)-00:00<\/sent>/, '<sent>$1Z</sent>'))).toMatch(/sent/);
    expect(xsdErrors(docs.initial.replace(/\s*<scope>Public<\/scope>/, ''))).toMatch(/scope/);
  });
});

describe('CAP fields', () => {
  test('envelope of the initial notice: stable identifier, default sender, Alert, Public, no references', () => {
    const { alert } = parse(docs.initial);
    expect(alert['@_xmlns']).toBe('urn:oasis:names:tc:emergency:cap:1.2');
    expect(alert.identifier).toBe(`${initial.incidentId}-1`);
    expect(alert.sender).toBe('dialtone@dialtone.example');
    expect(alert.sent).toBe('2026-09-29T00:10:00-00:00');
    expect(alert.status).toBe('Actual');
    expect(alert.msgType).toBe('Alert');
    expect(alert.scope).toBe('Public');
    expect(alert.references).toBeUndefined();
    expect(alert.incidents).toBe(initial.incidentId);
    // A retry of the same notice is the same document.
    expect(capXml(input(initial), OPTIONS)).toBe(docs.initial);
  });

  test.each(Object.entries(docs))('every time in the %s notice has a numeric offset (IPAWS pattern), never "Z"', (_name, xml) => {
    const times = [...xml.matchAll(/<(sent|effective|onset|expires)>([^<]*)<\/\1>/g)].map((m) => m[2]!);
    expect(times.length).toBeGreaterThanOrEqual(3);
    for (const t of times) expect(t).toMatch(CAP_TIME_PATTERN);
    for (const ref of (parse(xml).alert.references ?? '').split(' ').filter(Boolean)) expect(ref.split(',')[2]).toMatch(CAP_TIME_PATTERN);
    expect(xml).not.toMatch(/\d\d:\d\dZ/);
  });

  test('capTime writes UTC as -00:00 and drops fractions', () => {
    expect(capTime('2026-09-29T00:10:00.123Z')).toBe('2026-09-29T00:10:00-00:00');
    expect(capTime('2026-09-28T19:10:00-05:00')).toBe('2026-09-29T00:10:00-00:00');
    expect(() => capTime('yesterday')).toThrow(/not a time/);
  });

  test('the update is an Update referencing the initial notice', () => {
    const { alert } = parse(docs.update);
    expect(alert.msgType).toBe('Update');
    expect(alert.identifier).toBe(`${update.incidentId}-2`);
    expect(alert.references).toBe(`dialtone@dialtone.example,${initial.incidentId}-1,2026-09-29T00:10:00-00:00`);
  });

  test('the final notice is a Cancel listing every earlier notice once, in order, with Past urgency', () => {
    const { alert } = parse(docs.final);
    expect(alert.msgType).toBe('Cancel');
    expect(alert.references).toBe(
      [`dialtone@dialtone.example,${final.incidentId}-1,2026-09-29T00:10:00-00:00`, `dialtone@dialtone.example,${final.incidentId}-2,2026-09-29T00:35:00-00:00`].join(' '),
    );
    expect(alert.info.urgency).toBe('Past');
    expect(alert.info.responseType).toBe('AllClear');
    expect(alert.info.headline).toBe('911 RESTORED: Hennepin County 911 (MN) +2 more back to normal. Upstream: Meridian NG911 Inc.');
    expect(alert.info.instruction).toMatch(/restored/);
  });

  test('info: Infra, the TOE event, Immediate, Severe while a PSAP is dark, Observed by default', () => {
    const { info } = parse(docs.initial).alert;
    expect(info).toMatchObject({
      language: 'en-US',
      category: 'Infra',
      event: '911 Telephone Outage Emergency',
      urgency: 'Immediate',
      severity: 'Severe',
      certainty: 'Observed',
      eventCode: { valueName: 'SAME', value: 'TOE' },
      onset: '2026-09-29T00:10:00-00:00',
    });
  });

  test.each([
    ['a dark PSAP', 'Down', 'Severe'],
    ['an overloaded PSAP', 'Overloaded', 'Severe'],
    ['a partial outage', 'Partial', 'Moderate'],
    ['a major incident in progress', 'MajorIncidentInProgress', 'Moderate'],
  ] as const)('severity for %s (%s) is %s', (_name, state, severity) => {
    const inc = openIncident('routing', [view('hennepin', state)], [], T0);
    const { notice } = issueNotice(inc, 'opened', T0);
    expect(parse(capXml(input(notice), OPTIONS)).alert.info.severity).toBe(severity);
  });

  test('the Cancel keeps the severity of what it cancels (worst state), not Minor', () => {
    expect(parse(docs.final).alert.info.severity).toBe('Severe');
  });

  test('certainty follows corroboration: Observed when confirmed, Likely while only suspected; an explicit one wins', () => {
    expect(initial.incident.certainty).toBe('confirmed');
    const suspected = { ...initial, incident: { ...initial.incident, certainty: 'suspected' as const } };
    const certainty = (i: CapInput) => parse(capXml(i, OPTIONS)).alert.info.certainty;
    expect(certainty(input(initial))).toBe('Observed');
    expect(certainty(input(suspected))).toBe('Likely');
    expect(certainty(input(suspected, [], { certainty: 'Possible' }))).toBe('Possible');
  });

  test('an announced maintenance window says so and gives its planned end', () => {
    const notice = { ...initial, incident: { ...initial.incident, kind: 'maintenance' as const, plannedEnd: '2026-09-29T04:10:00.000Z' } };
    const { info } = parse(capXml(input(notice), OPTIONS)).alert;
    expect(info.headline).toMatch(/^911 MAINTENANCE: /);
    expect(info.description).toContain('8. Expected restoration: Planned end of maintenance 2026-09-28 23:10 CDT (04:10 UTC)');
    expect(info.description).toContain('9. Best-known cause: Planned maintenance of "NG911 routing" (Meridian NG911 Inc.)');
  });

  test('one area per county with SAME = "0" + FIPS; an update drops a county that recovered; the Cancel lists them all', () => {
    const areas = (xml: string) => parse(xml).alert.info.area.map((a) => [a.areaDesc, a.geocode.map((g) => `${g.valueName}=${g.value}`)]);
    expect(areas(docs.initial)).toEqual([
      ['Maricopa County, AZ', ['SAME=004013']],
      // Hennepin PSAP and its text-to-911 path share the county: one area.
      ['Hennepin County, MN', ['SAME=027053']],
    ]);
    expect(areas(docs.update)).toEqual([['Hennepin County, MN', ['SAME=027053']]]);
    expect(areas(docs.final)).toEqual([
      ['Maricopa County, AZ', ['SAME=004013']],
      ['Hennepin County, MN', ['SAME=027053']],
    ]);
    expect(areas(capXml(input(initial), { ...OPTIONS, ugc: true, fips6: true }))[1]).toEqual(['Hennepin County, MN', ['SAME=027053', 'FIPS6=027053', 'UGC=MNC053']]);
  });

  test('headline fits 160 characters; description carries the ten FCC fields; instruction gives the 10-digit numbers', () => {
    const { info } = parse(docs.initial).alert;
    const headline = info.headline as string;
    expect(headline.length).toBeLessThanOrEqual(160);
    expect(headline).toBe('911 OUTAGE: Hennepin County 911 (MN) DOWN +2 more. Upstream: Meridian NG911 Inc.');
    const description = info.description as string;
    for (const [i, field] of [
      'Outage identifier: ' + initial.incidentId,
      'Contact for follow-up: Watch desk, +1 555 010 0199, desk@dialtone.example',
      'Provider with the outage: Meridian NG911 Inc. (NG911 routing)',
      'Began: 2026-09-28 19:10 CDT (00:10 UTC)',
      'Services affected: ',
      'Geographic area: ',
      'Expected effect on the PSAP: 911 calls to ',
      'Expected restoration: UNKNOWN',
      'Best-known cause: Meridian NG911 Inc. reports an outage of "NG911 routing"',
      'Notice type: Initial (notice 1)',
    ].entries())
      expect(description).toContain(`${i + 1}. ${field}`);
    expect(description).toMatch(/Concurrent upstream incidents .*NOT known to be the cause\)\n- Contoso: Mail major_outage/);
    expect(info.instruction).toBe(
      'If a 911 call does not connect, call the 10-digit emergency number instead. Hennepin County 911 (MN): 612-555-0100; Maricopa Region 911 (AZ): 602-555-0142.',
    );
  });

  test('a long headline is cut to 160 characters', () => {
    const services = new Map([...model.services].map(([id, s]) => [id, { ...s, name: `${s.name} ${'Emergency Communications '.repeat(10)}` }]));
    const headline = parse(capXml(input(initial, [], { services }), OPTIONS)).alert.info.headline as unknown as string;
    expect(headline.length).toBeLessThanOrEqual(160);
    expect(headline.length).toBeGreaterThan(150);
    expect(headline.endsWith('...')).toBe(true);
  });

  test('a configured sender is used in the envelope and in references; an unusable one is refused', () => {
    const { alert } = parse(capXml(input(update, [initial]), { ...OPTIONS, sender: 'ops.dialtone.example', status: 'Exercise' }));
    expect(alert.sender).toBe('ops.dialtone.example');
    expect(alert.status).toBe('Exercise');
    expect(alert.references).toMatch(/^ops\.dialtone\.example,/);
    expect(() => capXml(input(initial), { ...OPTIONS, sender: 'dialtone, ops' })).toThrow(/CAP sender/);
  });

  test.each(Object.entries(docs))('the %s document is well-formed XML (checked without xmllint too)', (_name, xml) => {
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
  });
});
