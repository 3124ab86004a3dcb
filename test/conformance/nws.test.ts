import { readdirSync } from 'node:fs';
import type { Observation } from '../../shared/domain/observation.js';
import type { Status } from '../../shared/domain/status.js';
import { decodeNwsAlerts, parseNwsAlerts } from '../../shared/sources/nws.js';
import { AT, badPayload, byComponent, expectRow, fixtureFolder, sourceOf, type Expected } from './feeds-support.js';

/** api.weather.gov alerts (kind `nws-alerts`): the same TOE model and mapping as `cap`. */

const nws = fixtureFolder('nws-api');

const POINT_HEAT = 'urn:oid:2.49.0.1.840.0.505a7220d91b00eb1d75a3fb4f339f825496a522.004.1';

interface FileTable {
  components?: Record<string, Expected>;
  decoded?: { key: string; status: Status; name: string }[];
  error?: string;
}

const NWS_FILES: Record<string, FileTable> = {
  'weather-gov-alerts-active-point-geojson.json': {
    // Excessive Heat Warning (Update, Severe) and Air Quality Alert (Unknown) for Maricopa AZ: no 911 outage.
    components: {
      maricopa: { match: { fips: ['04013'] }, status: 'operational', title: undefined },
      az: { match: { fips: ['04000'] }, status: 'operational' },
      everything: { status: 'operational' },
    },
    decoded: [
      { key: '04013', status: 'partial_outage', name: 'Excessive Heat Warning (Update, severity Severe)' },
      { key: '04013', status: 'unknown', name: 'Air Quality Alert (Alert, severity Unknown)' },
    ],
  },
  // Counts only: not an alert list. A clear error pointing at the right endpoint.
  'weather-gov-alerts-active-count.json': { error: 'this is /alerts/active/count' },
};

nws.describe('nws-alerts conformance over captured payloads', () => {
  test('every file in fixtures/nws-api is in the table', () => {
    expect(readdirSync(nws.dir).sort()).toEqual(Object.keys(NWS_FILES).sort());
  });

  describe.each(Object.entries(NWS_FILES))('%s', (file, table) => {
    if (table.error) {
      test('is a clear SOURCE.BAD_PAYLOAD', () => {
        expect(badPayload(() => parseNwsAlerts(nws.file(file), sourceOf('nws-alerts', { x: { fips: ['27053'] } }), AT)).message).toContain(table.error!);
      });
      return;
    }
    test.each(Object.entries(table.components!))('component %s', (id, expected) => {
      const matches = Object.fromEntries(Object.entries(table.components!).map(([c, e]) => [c, e.match]));
      expectRow(byComponent(parseNwsAlerts(nws.file(file), sourceOf('nws-alerts', matches), AT))[id], expected);
    });
    test('decoder', () => {
      const items = decodeNwsAlerts(nws.file(file));
      expect(items.map((i) => ({ key: i.key, status: i.status, name: i.name }))).toEqual(table.decoded);
    });
  });

  test('decoder with the time: both alerts have ended by 2026', () => {
    const items = decodeNwsAlerts(nws.file('weather-gov-alerts-active-point-geojson.json'), new Date(AT));
    expect(items.map((i) => i.status)).toEqual(['operational', 'operational']);
    expect(items[0]?.url).toBe(`https://api.weather.gov/alerts/${POINT_HEAT}`);
  });

  test('the heat warning turned into a TOE alert for Maricopa is read as one', () => {
    const json = JSON.parse(nws.file('weather-gov-alerts-active-point-geojson.json').toString('utf8')) as { features: { properties: Record<string, unknown> }[] };
    const props = json.features[0]!.properties;
    Object.assign(props, { event: '911 Telephone Outage Emergency', eventCode: { SAME: ['TOE'] }, expires: '2026-11-24T18:00:00-07:00', ends: null });
    const o = byComponent(parseNwsAlerts(Buffer.from(JSON.stringify(json)), sourceOf('nws-alerts', { maricopa: { fips: ['04013'] } }), AT)).maricopa;
    expect(o).toMatchObject({ status: 'partial_outage', upstreamId: `w-nws.webmaster@noaa.gov,${POINT_HEAT},2024-07-18T19:47:00.000Z` });
  });
});

// ── Hand-written api.weather.gov alerts: one per mapping row ─────────────────────────────────

function alert(p: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'urn:oid:2.49.0.1.840.0.toe.1',
    '@id': 'https://api.weather.gov/alerts/urn:oid:2.49.0.1.840.0.toe.1',
    areaDesc: 'Hennepin, MN',
    geocode: { SAME: ['027053'], UGC: ['MNC053'] },
    references: [],
    sent: '2026-11-24T05:40:00-06:00',
    effective: '2026-11-24T05:40:00-06:00',
    onset: '2026-11-24T05:30:00-06:00',
    expires: '2026-11-24T09:40:00-06:00',
    ends: null,
    status: 'Actual',
    messageType: 'Alert',
    category: 'Safety',
    severity: 'Severe',
    certainty: 'Observed',
    urgency: 'Immediate',
    event: '911 Telephone Outage Emergency',
    eventCode: { SAME: ['TOE'], NationalWeatherService: ['TOE'] },
    sender: 'w-nws.webmaster@noaa.gov',
    senderName: 'NWS Twin Cities/Chanhassen MN',
    headline: '911 Telephone Outage Emergency issued November 24 at 5:40AM CST by NWS Twin Cities/Chanhassen MN',
    description: 'The Hennepin County Sheriff reports that 911 service is down. Call 612-555-0100.',
    instruction: null,
    response: 'Execute',
    parameters: {},
    ...p,
  };
}

const collection = (...alerts: Record<string, unknown>[]) => JSON.stringify({ type: 'FeatureCollection', features: alerts.map((properties) => ({ type: 'Feature', geometry: null, properties })) });

function hennepin(body: string): Observation | undefined {
  return byComponent(parseNwsAlerts(Buffer.from(body), sourceOf('nws-alerts', { hennepin: { fips: ['27053'] } }), AT)).hennepin;
}

const ROWS: [string, Record<string, unknown>, Status][] = [
  ['Extreme → major_outage', { severity: 'Extreme' }, 'major_outage'],
  ['Severe → partial_outage', { severity: 'Severe' }, 'partial_outage'],
  ['Moderate → degraded', { severity: 'Moderate' }, 'degraded'],
  ['Minor → degraded', { severity: 'Minor' }, 'degraded'],
  ['Unknown → unknown', { severity: 'Unknown' }, 'unknown'],
  ['messageType Cancel → operational', { messageType: 'Cancel' }, 'operational'],
  ['urgency Past → operational', { urgency: 'Past', messageType: 'Update' }, 'operational'],
  ['response AllClear → operational', { response: 'AllClear', messageType: 'Update' }, 'operational'],
  ['expired and ended → operational', { expires: '2026-11-24T05:50:00-06:00', ends: '2026-11-24T05:55:00-06:00' }, 'operational'],
  ['expired message but the hazard has not ended → still in effect', { expires: '2026-11-24T05:50:00-06:00', ends: '2026-11-24T09:00:00-06:00' }, 'partial_outage'],
  ['status Test → never alerts', { status: 'Test', severity: 'Extreme' }, 'operational'],
  ['status Exercise → never alerts', { status: 'Exercise', severity: 'Extreme' }, 'operational'],
  ['another county → operational', { geocode: { SAME: ['027123'] }, severity: 'Extreme' }, 'operational'],
  ['statewide 027000 → covers Hennepin', { geocode: { SAME: ['027000'] }, severity: 'Extreme' }, 'major_outage'],
  ['UGC county only → read as FIPS', { geocode: { UGC: ['MNC053'] }, severity: 'Extreme' }, 'major_outage'],
  ['older event name, no eventCode', { event: '911 Telephone Outage', eventCode: {}, severity: 'Extreme' }, 'major_outage'],
  ['another event → operational', { event: 'Winter Storm Warning', eventCode: { SAME: ['WSW'] }, severity: 'Extreme' }, 'operational'],
];

describe('nws-alerts: mapping rows (hand-written alerts)', () => {
  test.each(ROWS)('%s', (_name, props, status) => {
    const o = hennepin(collection(alert(props)));
    expect(o?.status).toBe(status);
    if (status !== 'unknown') expect(o?.error).toBeUndefined();
    else expect(o?.error).toContain('severity');
  });

  test('an empty /alerts/active is "nothing posted": operational', () => {
    expect(hennepin(JSON.stringify({ type: 'FeatureCollection', features: [], title: 'Current watches, warnings, and advisories' }))?.status).toBe('operational');
  });

  test('an Update referencing the alert supersedes it', () => {
    const first = alert({ severity: 'Extreme' });
    const update = alert({ id: 'urn:oid:toe.2', messageType: 'Update', severity: 'Moderate', sent: '2026-11-24T05:50:00-06:00', references: [{ identifier: 'urn:oid:2.49.0.1.840.0.toe.1', sender: 'x', sent: 'y' }] });
    expect(hennepin(collection(first, update))?.status).toBe('degraded');
  });

  test('JSON-LD (@graph) and a single alert (/alerts/{id}) read the same', () => {
    expect(hennepin(JSON.stringify({ '@graph': [alert({ severity: 'Extreme' })] }))?.status).toBe('major_outage');
    expect(hennepin(JSON.stringify({ type: 'Feature', properties: alert({ severity: 'Extreme' }) }))?.status).toBe('major_outage');
  });

  test('evidence: headline, api.weather.gov link, onset, sent in UTC', () => {
    expect(hennepin(collection(alert({ severity: 'Extreme' })))).toMatchObject({
      title: '911 Telephone Outage Emergency issued November 24 at 5:40AM CST by NWS Twin Cities/Chanhassen MN',
      url: 'https://api.weather.gov/alerts/urn:oid:2.49.0.1.840.0.toe.1',
      startedAt: '2026-11-24T11:30:00.000Z',
      updatedAt: '2026-11-24T11:40:00.000Z',
    });
  });

  test('bad shapes are clear errors naming the field', () => {
    const s = sourceOf('nws-alerts', { hennepin: { fips: ['27053'] } });
    expect(badPayload(() => parseNwsAlerts(Buffer.from('<html>503</html>'), s, AT)).message).toContain('not JSON');
    expect(badPayload(() => parseNwsAlerts(Buffer.from('{"type":"FeatureCollection"}'), s, AT)).message).toContain('no features[]');
    expect(badPayload(() => parseNwsAlerts(Buffer.from(collection(alert({ status: 42 }))), s, AT)).message).toContain('features.0.properties.status');
  });
});
