import { readdirSync } from 'node:fs';
import type { Status } from '../../shared/domain/status.js';
import { decodeCap, parseCap } from '../../shared/sources/cap-alerts.js';
import { AT, badPayload, billionLaughs, byComponent, expectRow, externalEntity, fixtureFolder, sourceOf, type Expected } from './feeds-support.js';

/**
 * CAP 1.1/1.2 documents and NWS Atom indexes (kind `cap`). The fixtures hold no real TOE alert
 * (none was found, PROVENANCE.md), so each real file is checked twice: the component reading (a
 * non-TOE alert must never page anyone) and the config-free decoder (every alert as the message
 * reads, proving the file was really understood). TOE behaviour per mapping row is checked on
 * hand-written messages below.
 */

const cap = fixtureFolder('cap');

interface Decoded {
  key: string;
  status: Status;
  title?: string;
  /** Substring of the item name. */
  name?: string;
}

interface FileTable {
  components: Record<string, Expected>;
  decoded?: Decoded[];
  /** Substring of the SOURCE.BAD_PAYLOAD message instead of a reading. */
  error?: string;
  /** Why an edge-* file reads operational (a valid document, not a malformed one). */
  operationalBecause?: string;
}

const CAP_FILES: Record<string, FileTable> = {
  'nws-cap12-blizzard-warning-alert.xml': {
    // CAP 1.1 namespace in spite of the name; Blizzard Warning for Cook (27031) and Lake (27075) MN.
    components: {
      cook: { match: { fips: ['27031'] }, status: 'operational', title: undefined }, // not a 911 outage
      everything: { status: 'operational' },
    },
    decoded: [{ key: '27031,27075', status: 'partial_outage', name: 'Blizzard Warning (Alert, severity Severe)' }],
  },
  'ipaws-cap12-local-area-emergency-montgomery-md.xml': {
    // LAE is a text event: its text ("Police looking for … Call 911 if seen.") is not a 911 outage.
    components: { montgomery: { match: { fips: ['24031'] }, status: 'operational', title: undefined }, md: { match: { fips: ['24000'] }, status: 'operational' } },
    decoded: [{ key: '24031', status: 'major_outage', title: 'Alert Montgomery - Police Searching for Suspicious Person', name: 'Local Area Emergency' }],
  },
  'ipaws-cap12-cancel-with-references-signed.xml': {
    components: { nv: { match: { fips: ['32003'] }, status: 'operational' }, everything: { status: 'operational' } },
    decoded: [{ key: '(no county)', status: 'operational', name: 'msgType Cancel' }], // no <info>: only the Cancel itself
  },
  'wcatwc-cap12-tsunami-cancellation-update.xml': {
    components: { juneau: { match: { fips: ['02110'] }, status: 'operational' } },
    decoded: [{ key: '(no county)', status: 'operational', name: 'Tsunami Cancellation (Update, urgency Past)' }],
  },
  'oasis-cap12-appendix-a1.xml': {
    components: { dc: { match: { fips: ['11001'] }, status: 'operational' } },
    decoded: [{ key: '(no county)', status: 'partial_outage', title: 'Homeland Security Sets Code ORANGE' }],
  },
  'oasis-cap12-appendix-a2.xml': {
    components: { alpine: { match: { fips: ['06003'] }, status: 'operational' } },
    decoded: [{ key: '06109,06009,06003', status: 'partial_outage', title: 'SEVERE THUNDERSTORM WARNING' }],
  },
  'oasis-cap12-appendix-a3.xml': {
    components: { imperial: { match: { fips: ['06025'] }, status: 'operational' } },
    decoded: [{ key: '(no county)', status: 'operational', name: 'Earthquake (Update, urgency Past)' }],
  },
  'oasis-cap12-appendix-a4.xml': {
    components: { la: { match: { fips: ['06037'] }, status: 'operational' } },
    decoded: [
      { key: '06037', status: 'partial_outage', title: 'Amber Alert in Los Angeles County' },
      { key: '06037', status: 'partial_outage', title: 'Alerta Amber en el condado de Los Ángeles' }, // second <info>, es-US
    ],
  },
  'nws-atom-index-cap11-2010.xml': {
    components: { montgomery: { match: { fips: ['24031'] }, status: 'operational' }, everything: { status: 'operational' } },
    decoded: [
      { key: '09007,09009,09011,44009', status: 'unknown', name: 'Air Quality Alert' }, // severity Unknown
      { key: '11001,24031,24033,51013,51059', status: 'unknown', name: 'Air Quality Alert' },
    ],
  },
  // ── edge files ──
  'edge-invalid-cap12-missing-scope.xml': { components: {}, error: 'CAP alert 12345 is missing required <scope>' },
  'edge-noaa-cap11-empty-required-fields.xml': { components: {}, error: 'info[0].urgency is empty' },
  'edge-nws-atom-index-empty-no-xml-decl.xml': {
    components: { anywhere: { match: { fips: ['27053'] }, status: 'operational' }, everything: { status: 'operational' } },
    decoded: [],
    operationalBecause: 'an NWS index with no entries is the documented "nothing active" (empty NWS/CAP indexes are healthy)',
  },
  'edge-oasis-cap11-appendix-a2-older-namespace.xml': {
    components: { alpine: { match: { fips: ['06003'] }, status: 'operational' } },
    decoded: [{ key: '06109,06009,06003', status: 'partial_outage', title: 'SEVERE THUNDERSTORM WARNING' }],
    operationalBecause: 'a valid CAP 1.1 thunderstorm warning, read in full (decoded: Severe → partial_outage); it is not a 911 outage',
  },
  'edge-usgs-earthquake-cap12-iso-8859-1.xml': {
    components: { everything: { status: 'operational' } },
    decoded: [{ key: '(no county)', status: 'operational', title: 'EQ 4.6 Usulután, Usulután, El Salvador - PRELIMINARY REPORT' }],
    operationalBecause: 'a valid ISO-8859-1 earthquake report (urgency Past: already over), decoded correctly; not a 911 outage',
  },
};

cap.describe('cap conformance over captured payloads', () => {
  test('every file in fixtures/cap is in the table', () => {
    const files = readdirSync(cap.dir).filter((f) => f.endsWith('.xml'));
    expect(files.sort()).toEqual(Object.keys(CAP_FILES).sort());
  });

  describe.each(Object.entries(CAP_FILES))('%s', (file, table) => {
    if (table.error) {
      test('is a clear SOURCE.BAD_PAYLOAD naming the field', () => {
        const err = badPayload(() => parseCap(cap.file(file), sourceOf('cap', { x: { fips: ['27053'] } }), AT));
        expect(err.message).toContain('source "feed": ');
        expect(err.message).toContain(table.error!);
        expect(() => decodeCap(cap.file(file))).toThrow(table.error!);
      });
      return;
    }
    test.each(Object.entries(table.components))('component %s', (id, expected) => {
      if (file.startsWith('edge-') && expected.status === 'operational') expect(table.operationalBecause).toBeDefined();
      const observed = byComponent(parseCap(cap.file(file), sourceOf('cap', Object.fromEntries(Object.entries(table.components).map(([c, e]) => [c, e.match]))), AT));
      expectRow(observed[id], expected);
    });
    test('decoder lists every alert × info as the message reads', () => {
      const items = decodeCap(cap.file(file));
      expect(items.map((i) => ({ key: i.key, status: i.status }))).toEqual(table.decoded!.map((d) => ({ key: d.key, status: d.status })));
      table.decoded!.forEach((d, i) => {
        if (d.title) expect(items[i]?.title).toBe(d.title);
        if (d.name) expect(items[i]?.name).toContain(d.name);
      });
    });
  });

  test('an expired alert reads as cleared in the decoder when given the time', () => {
    const [item] = decodeCap(cap.file('nws-cap12-blizzard-warning-alert.xml'), new Date(AT));
    expect(item?.status).toBe('operational');
    expect(item?.name).toContain('expired 2021-12-28T00:00:00.000Z');
  });
});

// ── Hand-written TOE messages: one per mapping row ───────────────────────────────────────────

interface Toe {
  status?: string;
  msgType?: string;
  event?: string;
  eventCode?: string | null;
  urgency?: string;
  severity?: string;
  responseType?: string;
  expires?: string;
  same?: string[];
  identifier?: string;
  references?: string;
  ns?: string;
  headline?: string;
  description?: string;
}

function toe(t: Toe = {}): string {
  const codes = (t.same ?? ['027053']).map((v) => `<geocode><valueName>SAME</valueName><value>${v}</value></geocode>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="${t.ns ?? 'urn:oasis:names:tc:emergency:cap:1.2'}">
  <identifier>${t.identifier ?? 'MN-HENNEPIN-TOE-1'}</identifier>
  <sender>hennepin.ecc@example.gov</sender>
  <sent>2026-11-24T05:40:00-06:00</sent>
  <status>${t.status ?? 'Actual'}</status>
  <msgType>${t.msgType ?? 'Alert'}</msgType>
  <scope>Public</scope>
  ${t.references ? `<references>${t.references}</references>` : ''}
  <info>
    <category>Safety</category>
    <event>${t.event ?? '911 Telephone Outage Emergency'}</event>
    ${t.responseType ? `<responseType>${t.responseType}</responseType>` : ''}
    <urgency>${t.urgency ?? 'Immediate'}</urgency>
    <severity>${t.severity ?? 'Severe'}</severity>
    <certainty>Observed</certainty>
    ${t.eventCode === null ? '' : `<eventCode><valueName>SAME</valueName><value>${t.eventCode ?? 'TOE'}</value></eventCode>`}
    <expires>${t.expires ?? '2026-11-24T09:40:00-06:00'}</expires>
    <headline>${t.headline ?? '911 service is down in Hennepin County'}</headline>
    <description>${t.description ?? '911 is down. Call 612-555-0100 for emergencies.'}</description>
    <area><areaDesc>Hennepin County, MN</areaDesc>${codes}</area>
  </info>
</alert>`;
}

const HENNEPIN = { match: { fips: ['27053'] } };

function read(xml: string, matches: Record<string, unknown> = { hennepin: HENNEPIN.match }, extra: Record<string, unknown> = {}) {
  return byComponent(parseCap(Buffer.from(xml, 'latin1'), sourceOf('cap', matches, extra), AT));
}

const ROWS: [string, string, Status][] = [
  ['severity Extreme → major_outage', toe({ severity: 'Extreme' }), 'major_outage'],
  ['severity Severe → partial_outage', toe({ severity: 'Severe' }), 'partial_outage'],
  ['severity Moderate → degraded', toe({ severity: 'Moderate' }), 'degraded'],
  ['severity Minor → degraded', toe({ severity: 'Minor' }), 'degraded'],
  ['severity Unknown → unknown', toe({ severity: 'Unknown' }), 'unknown'],
  ['severity misspelt → unknown (open enum)', toe({ severity: 'Catastrophic' }), 'unknown'],
  ['msgType Cancel → operational', toe({ msgType: 'Cancel' }), 'operational'],
  ['msgType Error → operational', toe({ msgType: 'Error' }), 'operational'],
  ['urgency Past → operational', toe({ urgency: 'Past', msgType: 'Update' }), 'operational'],
  ['responseType AllClear → operational', toe({ responseType: 'AllClear', msgType: 'Update' }), 'operational'],
  ['expired → operational', toe({ expires: '2026-11-24T05:59:59-06:00' }), 'operational'],
  ['status Test → never alerts', toe({ status: 'Test', severity: 'Extreme' }), 'operational'],
  ['status Exercise → never alerts', toe({ status: 'Exercise', severity: 'Extreme' }), 'operational'],
  ['status Draft → never alerts', toe({ status: 'Draft', severity: 'Extreme' }), 'operational'],
  ['another county → operational', toe({ same: ['027123'], severity: 'Extreme' }), 'operational'],
  ['whole state (CCC 000) covers the county', toe({ same: ['027000'], severity: 'Extreme' }), 'major_outage'],
  ['a subdivision of the county (P = 2) covers it', toe({ same: ['227053'], severity: 'Extreme' }), 'major_outage'],
  ['another state with the same county code → operational', toe({ same: ['055053'], severity: 'Extreme' }), 'operational'],
  ['event name only, no eventCode', toe({ eventCode: null, severity: 'Extreme' }), 'major_outage'],
  ['older name "911 Telephone Outage"', toe({ eventCode: null, event: '911 TELEPHONE OUTAGE', severity: 'Extreme' }), 'major_outage'],
  ['eventCode TOE under another event name', toe({ event: '911 Outage', severity: 'Extreme' }), 'major_outage'],
  ['CAP 1.1 namespace', toe({ ns: 'urn:oasis:names:tc:emergency:cap:1.1', severity: 'Extreme' }), 'major_outage'],
  ['not TOE (Blizzard Warning) → operational', toe({ eventCode: 'BZW', event: 'Blizzard Warning', severity: 'Extreme' }), 'operational'],
  [
    'LAE whose text says 911 is down → major_outage (classifier)',
    toe({ eventCode: 'LAE', event: 'Local Area Emergency', severity: 'Minor', headline: '911 outage in Hennepin County', description: 'Residents are unable to reach 911. Call 612-555-0100.' }),
    'major_outage',
  ],
  [
    'LAE whose text only says "call 911" → operational',
    toe({ eventCode: 'LAE', event: 'Local Area Emergency', severity: 'Extreme', headline: 'Police searching for a suspect', description: 'Call 911 if seen.' }),
    'operational',
  ],
  [
    'LAE saying 911 is restored → operational',
    toe({ eventCode: 'LAE', event: 'Local Area Emergency', headline: '911 service has been restored', description: 'Thank you for your patience.' }),
    'operational',
  ],
  [
    'CEM whose text says text-to-911 is unavailable → partial_outage',
    toe({ eventCode: 'CEM', event: 'Civil Emergency Message', headline: 'Text-to-911 is currently unavailable', description: 'Please make a voice call.' }),
    'partial_outage',
  ],
];

describe('cap: TOE mapping rows (hand-written CAP)', () => {
  test.each(ROWS)('%s', (_name, xml, status) => {
    const o = read(xml).hennepin;
    expect(o?.status).toBe(status);
    if (status === 'unknown') expect(o?.error).toMatch(/^source "feed": .*severity/);
    else expect(o?.error).toBeUndefined();
  });

  test('the deciding alert is the evidence: headline, CAP dedup key, times in UTC', () => {
    expect(read(toe({ severity: 'Extreme' })).hennepin).toMatchObject({
      status: 'major_outage',
      title: '911 service is down in Hennepin County',
      upstreamId: 'hennepin.ecc@example.gov,MN-HENNEPIN-TOE-1,2026-11-24T11:40:00.000Z',
      startedAt: '2026-11-24T11:40:00.000Z',
      updatedAt: '2026-11-24T11:40:00.000Z',
    });
  });

  test('textEvents: [] reads TOE only', () => {
    const xml = toe({ eventCode: 'LAE', event: 'Local Area Emergency', headline: '911 outage', description: 'Residents are unable to reach 911.' });
    expect(read(xml, { hennepin: HENNEPIN.match }, { textEvents: [] }).hennepin?.status).toBe('operational');
  });

  test('a component without match takes every TOE alert of the feed', () => {
    expect(read(toe({ same: ['006037'], severity: 'Extreme' }), { all: undefined }).all?.status).toBe('major_outage');
  });

  test('a component FIPS SS000 stands for the whole state', () => {
    expect(read(toe({ same: ['027123'], severity: 'Extreme' }), { mn: { fips: ['27000'] } }).mn?.status).toBe('major_outage');
  });

  test('a TOE alert without a county geocode cannot be placed: unknown, not a guess', () => {
    const o = read(toe({ same: [], severity: 'Extreme' })).hennepin;
    expect(o?.status).toBe('unknown');
    expect(o?.error).toContain('has no SAME/FIPS county geocode');
  });

  test('UGC county codes are read as FIPS (MNC053 = 27053)', () => {
    const xml = toe({ severity: 'Extreme', same: [] }).replace('</areaDesc>', '</areaDesc><geocode><valueName>UGC</valueName><value>MNC053</value></geocode>');
    expect(read(xml).hennepin?.status).toBe('major_outage');
  });

  test('ISO-8859-1 and a prefixed <cap:alert> read the same', () => {
    const latin = toe({ severity: 'Extreme', headline: 'Caída del 911 en el condado' }).replace('encoding="UTF-8"', 'encoding="ISO-8859-1"');
    const o = read(latin).hennepin;
    expect(o?.title).toBe('Caída del 911 en el condado');
    const prefixed = toe({ severity: 'Extreme' })
      .replace('<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">', '<cap:alert xmlns:cap="urn:oasis:names:tc:emergency:cap:1.2">')
      .replace('</alert>', '</cap:alert>')
      .replace(/<(\/?)(identifier|sender|sent|status|msgType|scope|info|category|event|urgency|severity|certainty|eventCode|valueName|value|expires|headline|description|area|areaDesc|geocode)>/g, '<$1cap:$2>');
    expect(read(prefixed).hennepin?.status).toBe('major_outage');
  });

  test('an NWS Atom index entry for TOE, superseded entries and an all-clear', () => {
    const entry = (id: string, severity: string, msgType: string, geocode = '027053 027123', refs = '') => `<entry>
      <id>${id}</id><updated>2026-11-24T11:${id.slice(-2)}:00Z</updated>
      <title>911 Telephone Outage Emergency issued November 24 by Hennepin County ECC</title>
      <link href="https://alerts.example.gov/${id}"/>
      <summary>911 service is down. Call 612-555-0100.</summary>
      <cap:event>911 Telephone Outage Emergency</cap:event><cap:status>Actual</cap:status><cap:msgType>${msgType}</cap:msgType>
      <cap:urgency>Immediate</cap:urgency><cap:severity>${severity}</cap:severity><cap:certainty>Observed</cap:certainty>
      <cap:expires>2026-11-24T18:00:00Z</cap:expires><cap:areaDesc>Hennepin; Ramsey</cap:areaDesc>
      ${refs ? `<cap:references>${refs}</cap:references>` : ''}
      <cap:geocode><valueName>FIPS6</valueName><value>${geocode}</value></cap:geocode></entry>`;
    const index = (...entries: string[]) =>
      `<feed xmlns="http://www.w3.org/2005/Atom" xmlns:cap="urn:oasis:names:tc:emergency:cap:1.1"><id>x</id><title>t</title><updated>2026-11-24T12:00:00Z</updated>${entries.join('')}</feed>`;
    const open = read(index(entry('toe-10', 'Extreme', 'Alert'))).hennepin;
    expect(open).toMatchObject({ status: 'major_outage', url: 'https://alerts.example.gov/toe-10' });
    // An Update referencing the first alert supersedes it: its severity now decides.
    const updated = read(index(entry('toe-10', 'Extreme', 'Alert'), entry('toe-20', 'Moderate', 'Update', '027053', 'ecc,toe-10,2026-11-24T11:10:00Z'))).hennepin;
    expect(updated?.status).toBe('degraded');
    // A Cancel referencing it clears it.
    const cancelled = read(index(entry('toe-10', 'Extreme', 'Alert'), entry('toe-30', 'Extreme', 'Cancel', '027053', 'ecc,toe-10,2026-11-24T11:10:00Z'))).hennepin;
    expect(cancelled?.status).toBe('operational');
    expect(cancelled?.url).toBe('https://alerts.example.gov/toe-30');
  });
});

describe('cap: hostile XML', () => {
  test('an entity bomb is not expanded and returns quickly', () => {
    const bomb = billionLaughs((lol) => toe({ severity: 'Extreme', headline: `911 outage ${lol}` }).replace(/^<\?xml[^>]*>\n/, ''));
    const started = performance.now();
    const items = decodeCap(bomb);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(items[0]?.title).not.toContain('lollol');
    expect(items[0]?.title?.length).toBeLessThan(100);
  });

  test('an external entity (XXE) is refused, never resolved', () => {
    const xxe = externalEntity((e) => toe({ headline: e }).replace(/^<\?xml[^>]*>\n/, ''));
    const started = performance.now();
    const err = badPayload(() => parseCap(Buffer.from(xxe), sourceOf('cap', { hennepin: HENNEPIN.match }), AT));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(err.message).toContain('source "feed"');
    expect(err.message).not.toMatch(/root:|nologin/);
  });

  test('not XML, JSON, HTML or another root → clear errors', () => {
    const s = sourceOf('cap', { hennepin: HENNEPIN.match });
    expect(badPayload(() => parseCap(Buffer.from(''), s, AT)).message).toContain('empty');
    expect(badPayload(() => parseCap(Buffer.from('{"alerts":[]}'), s, AT)).message).toContain('not well-formed XML');
    expect(badPayload(() => parseCap(Buffer.from('<html><body>502 Bad Gateway</body></html>'), s, AT)).message).toContain('root element <html>');
  });
});
