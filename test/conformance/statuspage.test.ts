import { decodeStatuspageIncidents } from '../../shared/sources/statuspage-incidents.js';
import { decodeStatuspageSummary } from '../../shared/sources/statuspage.js';
import { badPayload, conformance, fixtureFolder, observe, type Expected } from './support.js';

// ── Conformance over the real captured payloads (../shared/fixtures/statuspage) ─────────────────
// statuspage-feeds/ (history.atom) belongs to the feeds family and is not read here.

const sp = fixtureFolder('statuspage');

const INSTRUCTURE: Partial<Expected> = {
  title: 'Amazon Web Services (AWS) is currently experiencing an outage that is affecting some Canvas users hosted in the IAD (North American) region.',
  url: 'https://stspg.io/0vf16sb2j8xn',
  upstreamId: 'g1zp3jpycgbz',
  startedAt: '2021-12-07T16:06:43.172Z', // -07:00 in the payload
  updatedAt: '2021-12-07T18:07:15.765Z',
};

/** `statuspage` (summary.json / components.json): the component rows decide, groups read as their worst child. */
const SUMMARY: Record<string, Record<string, Expected>> = {
  'github-components-partial-outage.json': {
    actions: { match: { name: 'GitHub Actions' }, status: 'partial_outage' },
    git: { match: { id: '8l4ygp009s5s' }, status: 'operational' },
    page: { match: { page: true }, status: 'unknown', error: 'no page status' }, // components.json has no page status
  },
  'github-components-all-operational.json': {
    actions: { match: { name: 'GitHub Actions' }, status: 'operational' },
  },
  'linode-components-groups-partial-outage.json': {
    regions: { match: { name: 'Regions' }, status: 'partial_outage' }, // group: 7 of 11 children partial_outage
    newark: { match: { name: 'US-East (Newark)' }, status: 'partial_outage' },
    backups: { match: { name: 'Backups' }, status: 'operational' }, // group, every child operational
  },
  'box-components-degraded.json': {
    'web-app': { match: { id: 'l6vzpnn62cgq' }, status: 'degraded' }, // group with a degraded child
    search: { match: { name: 'Search' }, status: 'unknown', error: 'matches 3 components' }, // three rows named Search
  },
  'instructure-summary-aws-outage-minor.json': {
    page: { match: { page: true }, status: 'degraded', ...INSTRUCTURE }, // indicator minor
    'canvas-group': { match: { id: '41wg86q5vc14' }, status: 'degraded', ...INSTRUCTURE },
    catalog: { match: { name: '— Catalog' }, status: 'operational' },
  },
};

/**
 * `statuspage-incidents` (incidents/unresolved.json, scheduled-maintenances/active.json). The
 * single-incident files are elements of incidents.json: the test puts each back into an
 * `{ incidents: [...] }` body, which is what the endpoint returns.
 */
const INCIDENTS: Record<string, Record<string, Expected>> = {
  'instructure-summary-aws-outage-minor.json': {
    // summary.json carries incidents[] and scheduled_maintenances[] too: one open incident, impact minor, 8 components.
    page: { match: { page: true }, status: 'degraded', ...INSTRUCTURE },
    'canvas-leaf': { match: { id: '9dlvqx1drp3d' }, status: 'degraded', ...INSTRUCTURE },
    'canvas-group': { match: { id: '41wg86q5vc14' }, status: 'degraded' }, // listed through its child's group_id
    portal: { match: { name: 'Portal' }, status: 'degraded' },
    catalog: { match: { name: '— Catalog' }, status: 'operational', url: 'https://status.instructure.com' }, // not listed: nothing posted
  },
  'github-incident-critical-resolved-actions.json': {
    // impact critical but status resolved: it no longer counts (it would have left unresolved.json).
    actions: { match: { id: 'br0l2tvcx85d' }, status: 'operational', upstreamId: undefined },
    page: { match: { page: true }, status: 'operational' },
  },
  'edge-github-incident-investigating-scraped-shape.json': {
    // Top-level status still investigating (updates say resolved): taken at its word, impact minor.
    codespaces: { match: { name: 'Codespaces' }, status: 'degraded', title: 'Incident with Codespaces', upstreamId: 'k8nz2ljtvzv4', startedAt: '2024-05-28T20:17:00.000Z' }, // created_at stands in for the null started_at
    'by-code': { match: { id: 'codespaces' }, status: 'degraded' }, // the scraped shape names the component by `code`
    page: { match: { page: true }, status: 'degraded' },
  },
  'edge-github-incident-impact-maintenance.json': {
    // An incident (not a maintenance) with impact "maintenance" and no components.
    page: { match: { page: true }, status: 'maintenance', title: 'GitHub Enterprise Importer Maintenance', url: 'https://stspg.io/33gh4sqgw547' },
  },
};

const SINGLE_INCIDENTS = new Set(['github-incident-critical-resolved-actions.json', 'edge-github-incident-investigating-scraped-shape.json', 'edge-github-incident-impact-maintenance.json']);
const incidentsBody = (file: string) => (SINGLE_INCIDENTS.has(file) ? JSON.stringify({ incidents: [JSON.parse(sp.file(file).toString('utf8'))] }) : sp.file(file));

sp.describe('Statuspage conformance (statuspage/)', () => {
  conformance('statuspage', SUMMARY, sp.file);
  conformance('statuspage-incidents', INCIDENTS, incidentsBody);

  test.each(['github-components-partial-outage.json', 'linode-components-groups-partial-outage.json', 'box-components-degraded.json', 'github-components-all-operational.json'])(
    'statuspage-incidents refuses %s (a components list, not an incidents list)',
    (file) => {
      expect(badPayload('statuspage-incidents', sp.file(file)).message).toBe(
        'source "vendor": the incidents body has neither incidents[] nor scheduled_maintenances[] (is the URL incidents/unresolved.json?)',
      );
    },
  );

  test('decode: summary rows with group roll-up, and the incident × component list', () => {
    const rows = decodeStatuspageSummary(sp.file('linode-components-groups-partial-outage.json'));
    expect(rows.filter((r) => r.status === 'partial_outage').map((r) => r.name)).toContain('Regions');
    const items = decodeStatuspageIncidents(sp.file('instructure-summary-aws-outage-minor.json'));
    expect(items).toHaveLength(8);
    expect(new Set(items.map((i) => i.status))).toEqual(new Set(['degraded']));
  });
});

// ── Hand-written cases: statuspage-incidents ─────────────────────────────────────────────────────

const page = { id: 'p1', name: 'Vendor', url: 'https://status.example.com' };
const inc = (extra: Record<string, unknown> = {}) => ({
  id: 'i1',
  name: 'Routing degraded',
  status: 'investigating',
  impact: 'minor',
  shortlink: 'https://stspg.io/i1',
  created_at: '2026-11-24T10:00:00-05:00',
  started_at: '2026-11-24T09:55:00-05:00',
  updated_at: '2026-11-24T10:30:00-05:00',
  components: [{ id: 'c1', name: 'Routing', status: 'degraded_performance', group_id: 'g1' }],
  ...extra,
});
const mnt = (extra: Record<string, unknown> = {}) => ({
  ...inc({ id: 'm1', name: 'Database upgrade', status: 'in_progress', impact: 'maintenance', scheduled_for: '2026-11-24T08:00:00Z', started_at: null }),
  ...extra,
});

describe('statuspage-incidents', () => {
  test.each([
    ['none', 'operational'],
    ['maintenance', 'maintenance'],
    ['minor', 'degraded'],
    ['major', 'partial_outage'],
    ['critical', 'major_outage'],
  ])('open incident impact %s → %s', (impact, status) => {
    const o = observe('statuspage-incidents', { page, incidents: [inc({ impact })] }, { r: { id: 'c1' } }).r;
    expect(o).toMatchObject({ status, title: 'Routing degraded', url: 'https://stspg.io/i1', upstreamId: 'i1', startedAt: '2026-11-24T14:55:00.000Z', updatedAt: '2026-11-24T15:30:00.000Z' });
    expect(o?.error).toBeUndefined();
  });

  test('an unrecognised impact is unknown with an error naming source, component and incident', () => {
    const o = observe('statuspage-incidents', { page, incidents: [inc({ impact: 'catastrophic' })] }, { r: { name: 'Routing' } }).r;
    expect(o?.status).toBe('unknown');
    expect(o?.error).toBe('component "r" (match name "Routing"): unrecognised impact "catastrophic" on open incident "Routing degraded" (i1) in the incidents of source "vendor"');
  });

  test.each(['resolved', 'postmortem', 'completed'])('a %s incident no longer counts', (status) => {
    expect(observe('statuspage-incidents', { page, incidents: [inc({ status, impact: 'critical' })] }, { r: { id: 'c1' } }).r?.status).toBe('operational');
  });

  test.each([
    ['in_progress', 'maintenance'],
    ['verifying', 'maintenance'],
    ['scheduled', 'operational'],
    ['completed', 'operational'],
    ['postponed', 'unknown'],
  ])('scheduled maintenance %s → %s', (status, expected) => {
    const o = observe('statuspage-incidents', { page, scheduled_maintenances: [mnt({ status })] }, { r: { id: 'c1' } }).r;
    expect(o?.status).toBe(expected);
    if (expected === 'maintenance') expect(o?.startedAt).toBe('2026-11-24T08:00:00.000Z'); // scheduled_for
  });

  test('the worst open item wins; the page counts every open item; a group id matches its children', () => {
    const body = { page, incidents: [inc(), inc({ id: 'i2', name: 'ALI down', impact: 'critical', components: [{ id: 'c2', name: 'ALI', group_id: 'g1' }] })], scheduled_maintenances: [mnt()] };
    const o = observe('statuspage-incidents', body, { routing: { id: 'c1' }, group: { id: 'g1' }, page: { page: true }, other: { name: 'CAD' } });
    expect([o.routing?.status, o.group?.status, o.page?.status, o.other?.status]).toEqual(['degraded', 'major_outage', 'major_outage', 'operational']);
    expect(o.group?.upstreamId).toBe('i2');
  });

  test('without a match the component is found by its configured name; a bare array is an incidents list', () => {
    expect(observe('statuspage-incidents', [inc()], { routing: undefined }).routing?.status).toBe('degraded');
  });

  test('an empty list is operational (nothing posted): an incident that ends resolves by disappearance', () => {
    const o = observe('statuspage-incidents', { page, incidents: [] }, { r: { id: 'c1' } }).r;
    expect(o).toEqual({ sourceId: 'vendor', componentId: 'r', status: 'operational', observedAt: '2026-11-24T12:00:00.000Z', url: 'https://status.example.com' });
  });

  describe('bad payloads throw SOURCE.BAD_PAYLOAD naming the source and the field', () => {
    test('a schema violation names the path', () => {
      expect(badPayload('statuspage-incidents', JSON.stringify({ page, incidents: [inc(), inc({ status: 3 })] })).message).toContain('at incidents.1.status:');
    });
    test('not JSON', () => {
      expect(badPayload('statuspage-incidents', '<!DOCTYPE html><html></html>').message).toMatch(/^source "vendor": the incidents body is not JSON/);
    });
    test('neither list', () => {
      expect(badPayload('statuspage-incidents', JSON.stringify({ page })).message).toContain('has neither incidents[] nor scheduled_maintenances[]');
    });
  });
});

// ── Hand-written cases: summary.json scheduled maintenances ──────────────────────────────────────

describe('statuspage summary.json with scheduled maintenances', () => {
  const row = (id: string, name: string, status: string) => ({ id, name, status, group: false, group_id: null });
  const summary = (maintenanceStatus: string, rowStatus = 'operational', indicator = 'none') => ({
    page,
    status: { indicator, description: 'x' },
    components: [row('c1', 'Routing', rowStatus), row('c2', 'ALI', 'operational')],
    incidents: [],
    scheduled_maintenances: [mnt({ status: maintenanceStatus })],
  });

  test('a maintenance in progress turns an operational row it lists into maintenance, with its evidence', () => {
    const o = observe('statuspage', summary('in_progress'), { r: { id: 'c1' }, a: { id: 'c2' }, p: { page: true } });
    expect(o.r).toMatchObject({ status: 'maintenance', title: 'Database upgrade', upstreamId: 'm1', startedAt: '2026-11-24T08:00:00.000Z' });
    expect(o.a?.status).toBe('operational');
    expect(o.p?.status).toBe('maintenance');
  });

  test('it never lowers a worse row, and a scheduled (not started) maintenance changes nothing', () => {
    expect(observe('statuspage', summary('in_progress', 'major_outage'), { r: { id: 'c1' } }).r?.status).toBe('major_outage');
    expect(observe('statuspage', summary('scheduled'), { r: { id: 'c1' } }).r).toMatchObject({ status: 'operational' });
    expect(observe('statuspage', summary('scheduled'), { r: { id: 'c1' } }).r?.upstreamId).toBeUndefined();
  });
});
