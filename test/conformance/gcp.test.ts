import { decodeGcpIncidents } from '../../shared/sources/gcp-incidents.js';
import { badPayload, conformance, fixtureFolder, observe, type Expected } from './support.js';

// ── Conformance over the real captured payloads (../shared/fixtures) ────────────────────────────

const gcp = fixtureFolder('gcp');

const SECRET_MANAGER_OPEN: Partial<Expected> = {
  title: 'Secret Manager experienced service unavailability in europe-west2',
  url: 'https://status.example.com/incidents/mLBHeCxhRia17anXCSX1', // uri is relative to the source URL
  upstreamId: 'mLBHeCxhRia17anXCSX1',
  startedAt: '2022-07-19T14:17:00.000Z',
  updatedAt: '2022-07-20T13:46:32.000Z',
};

const GCP: Record<string, Record<string, Expected>> = {
  // 4 incidents, every one with `end` set: resolved, so nothing is open.
  'incidents-json-capture-2026-07-resolved.json': {
    vmware: { match: { product: 'VMWare engine' }, status: 'operational', upstreamId: undefined },
    'vmware-euw4': { match: { product: 'VMWare engine', location: 'europe-west4' }, status: 'operational' },
    gemini: { match: { product: 'Gemini on Agent Platform' }, status: 'operational' }, // current_title
    bms: { match: { product: '5gQF7Qk9XfQ32pStX6Hb' }, status: 'operational' }, // by id
    'cloud-run': { match: { product: 'Cloud Run' }, status: 'operational' }, // never listed
    everything: { status: 'operational' },
  },
  // The same id three times (edited report): the first copy is open (no `end`) and its latest
  // update says SERVICE_OUTAGE although status_impact says SERVICE_DISRUPTION; the others are resolved.
  'edge-checkmk-edited-ongoing-and-resolved.json': {
    'secret-manager': { match: { product: 'Secret Manager' }, status: 'major_outage', ...SECRET_MANAGER_OPEN },
    'secret-manager-euw2': { match: { product: 'secret manager', location: 'europe-west2' }, status: 'major_outage' }, // currently_affected_locations is [], the latest update names europe-west2
    'by-id': { match: { product: 'kzGfErQK3HzkFhptoeHH', location: 'London (europe-west2)' }, status: 'major_outage' },
    everything: { status: 'major_outage' },
  },
};

gcp.describe('Google Cloud incidents.json conformance (gcp/)', () => {
  conformance('gcp-incidents', GCP, gcp.file);

  test('decode lists every incident × product: 11 rows, all resolved', () => {
    const items = decodeGcpIncidents(gcp.file('incidents-json-capture-2026-07-resolved.json'));
    expect(items).toHaveLength(11);
    expect(new Set(items.map((i) => i.status))).toEqual(new Set(['operational']));
    expect(items[0]).toMatchObject({ key: '5gQF7Qk9XfQ32pStX6Hb', name: 'Bare Metal Solution', url: 'https://status.cloud.google.com/incidents/3BvH3LVGcupoYqV6F4Nw' });
  });

  test('decode keeps the duplicated edited copies apart: one open, two resolved', () => {
    const items = decodeGcpIncidents(gcp.file('edge-checkmk-edited-ongoing-and-resolved.json'));
    expect(items.map((i) => [i.name, i.status])).toEqual([
      ['Secret Manager', 'major_outage'],
      ['Secret Manager', 'operational'],
      ['Google Cloud SQL', 'operational'],
      ['Secret Manager', 'operational'],
    ]);
  });
});

// ── Hand-written cases ───────────────────────────────────────────────────────────────────────────

const incident = (extra: Record<string, unknown> = {}) => ({
  id: 'abc123',
  begin: '2026-11-24T09:00:00+00:00',
  created: '2026-11-24T09:10:00+00:00',
  modified: '2026-11-24T10:00:00+00:00',
  external_desc: 'Cloud Run: elevated errors',
  status_impact: 'SERVICE_DISRUPTION',
  severity: 'medium',
  uri: 'incidents/abc123',
  affected_products: [{ title: 'Cloud Run', id: 'run-id' }],
  currently_affected_locations: [{ title: 'Iowa (us-central1)', id: 'us-central1' }],
  most_recent_update: { status: 'SERVICE_DISRUPTION', when: '2026-11-24T10:00:00+00:00', affected_locations: [] },
  ...extra,
});
const one = (extra: Record<string, unknown>, match: unknown = { product: 'Cloud Run' }) => observe('gcp-incidents', [incident(extra)], { c: match }).c;

describe('gcp-incidents', () => {
  test.each([
    [{ status_impact: 'SERVICE_INFORMATION', most_recent_update: { status: 'SERVICE_INFORMATION' } }, 'degraded'],
    [{ status_impact: 'SERVICE_DISRUPTION' }, 'partial_outage'],
    [{ status_impact: 'SERVICE_OUTAGE' }, 'major_outage'],
    [{ status_impact: 'SERVICE_INFORMATION', most_recent_update: { status: 'SERVICE_OUTAGE' } }, 'major_outage'], // the latest update escalates
    [{ status_impact: 'SERVICE_DISRUPTION', most_recent_update: { status: 'AVAILABLE' } }, 'partial_outage'], // still open: AVAILABLE says nothing
    [{ end: '2026-11-24T11:00:00+00:00' }, 'operational'], // resolved
    [{ end: '' }, 'partial_outage'], // an empty end is not an end
    [{ status_impact: null, most_recent_update: null, severity: 'low' }, 'degraded'],
    [{ status_impact: null, most_recent_update: null, severity: 'medium' }, 'partial_outage'],
    [{ status_impact: 'SERVICE_FOO', most_recent_update: null, severity: 'HIGH' }, 'major_outage'],
  ])('%j → %s', (extra, status) => {
    const o = one(extra);
    expect(o?.status).toBe(status);
    expect(o?.error).toBeUndefined();
  });

  test('an open incident with no known impact and no known severity is unknown with an error', () => {
    const o = one({ status_impact: 'SERVICE_FOO', severity: 'extreme', most_recent_update: { status: 'AVAILABLE' } });
    expect(o?.status).toBe('unknown');
    expect(o?.error).toBe(
      'component "c" (product "Cloud Run"): incident abc123: unrecognised status_impact "SERVICE_FOO" and severity "extreme" in incidents.json of source "vendor"',
    );
  });

  test('open incidents carry their evidence in UTC with an absolute link', () => {
    expect(one({ begin: '2026-11-24T01:00:00-08:00' })).toMatchObject({
      title: 'Cloud Run: elevated errors',
      url: 'https://status.example.com/incidents/abc123',
      upstreamId: 'abc123',
      startedAt: '2026-11-24T09:00:00.000Z',
      updatedAt: '2026-11-24T10:00:00.000Z',
    });
  });

  test.each([
    [{ product: 'Cloud Run', location: 'us-central1' }, 'partial_outage'],
    [{ product: 'Cloud Run', location: 'Iowa (us-central1)' }, 'partial_outage'],
    [{ product: 'Cloud Run', location: 'europe-west1' }, 'operational'],
    [{ product: 'run-id' }, 'partial_outage'],
    [{ product: 'Cloud SQL' }, 'operational'],
  ])('match %j → %s', (match, status) => {
    expect(one({}, match)?.status).toBe(status);
  });

  test('"global" and incidents naming no location match every location', () => {
    expect(one({ currently_affected_locations: [{ title: 'Global', id: 'global' }] }, { product: 'Cloud Run', location: 'asia-east1' })?.status).toBe('partial_outage');
    expect(one({ currently_affected_locations: [] }, { product: 'Cloud Run', location: 'asia-east1' })?.status).toBe('partial_outage');
  });

  test('the worst open incident wins; a resolved one does not count', () => {
    const body = [incident(), incident({ id: 'x2', status_impact: 'SERVICE_OUTAGE', end: '2026-11-24T11:00:00Z' }), incident({ id: 'x3', status_impact: 'SERVICE_INFORMATION', most_recent_update: null })];
    expect(observe('gcp-incidents', body, { c: { product: 'Cloud Run' } }).c).toMatchObject({ status: 'partial_outage', upstreamId: 'abc123' });
  });

  describe('bad payloads throw SOURCE.BAD_PAYLOAD naming the source and the field', () => {
    test('an object instead of the bare array', () => {
      expect(badPayload('gcp-incidents', '{"incidents": []}').message).toMatch(/^source "vendor": incidents\.json does not match the Google Cloud incidents schema at \(root\): /);
    });
    test('an incident without an id', () => {
      const { id: _id, ...noId } = incident();
      expect(badPayload('gcp-incidents', JSON.stringify([incident(), noId])).message).toContain('schema at 1.id:');
    });
    test('truncated JSON', () => {
      expect(badPayload('gcp-incidents', '[{"id": "abc"').message).toMatch(/^source "vendor": incidents\.json is not JSON/);
    });
  });
});
