import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { statuspageSource } from '../../../shared/config/sources-polled.js';
import type { SourceOf } from '../../../shared/config/schema.js';
import { DialtoneError } from '../../../shared/domain/errors.js';
import type { Observation } from '../../../shared/domain/observation.js';
import { parseStatuspageSummary } from '../../../shared/sources/statuspage.js';

const AT = '2026-11-24T12:00:00.000Z';

type Match = { id: string } | { name: string } | { page: true };

function source(matches: Record<string, Match>, id = 'vendor'): SourceOf<'statuspage'> {
  return statuspageSource.parse({
    id,
    kind: 'statuspage',
    url: 'https://status.example.com/api/v2/summary.json',
    components: Object.entries(matches).map(([cid, match]) => ({ id: cid, name: cid, provider: 'Vendor', match })),
  });
}

function parse(body: Buffer | string | object, matches: Record<string, Match>, id?: string): Record<string, Observation> {
  const raw = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  return Object.fromEntries(parseStatuspageSummary(raw, source(matches, id), AT).map((o) => [o.componentId, o]));
}

function badPayload(body: Buffer | string): DialtoneError {
  try {
    parse(body, { x: { page: true } });
  } catch (err) {
    expect(err).toBeInstanceOf(DialtoneError);
    expect((err as DialtoneError).code).toBe('SOURCE.BAD_PAYLOAD');
    return err as DialtoneError;
  }
  throw new Error('expected SOURCE.BAD_PAYLOAD');
}

// ── Conformance over the real captured payloads beside the checkout ─────────────────────────────

const FIXTURES = path.resolve(__dirname, '../../../../shared/fixtures/statuspage');
const haveFixtures = existsSync(FIXTURES);
if (!haveFixtures) console.warn(`statuspage fixture tests skipped: ${FIXTURES} not found (the reference folder beside the checkout)`);
const describeFixtures = haveFixtures ? describe : describe.skip;
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name));
const fixtureJson = (name: string) => JSON.parse(fixture(name).toString('utf8')) as Record<string, unknown>;

interface Expected {
  match: Match;
  status: Observation['status'];
  title?: string;
  url?: string;
  upstreamId?: string;
  startedAt?: string;
  updatedAt?: string;
  /** Substring of the error (only for unknown). */
  error?: string;
}

const INSTRUCTURE_INCIDENT = {
  title:
    'Amazon Web Services (AWS) is currently experiencing an outage that is affecting some Canvas users hosted in the IAD (North American) region.',
  url: 'https://stspg.io/0vf16sb2j8xn',
  upstreamId: 'g1zp3jpycgbz',
  // -07:00 in the payload, normalised to UTC.
  startedAt: '2021-12-07T16:06:43.172Z',
  updatedAt: '2021-12-07T18:07:15.765Z',
};

const CONFORMANCE: Record<string, Record<string, Expected>> = {
  'github-components-partial-outage.json': {
    actions: { match: { name: 'GitHub Actions' }, status: 'partial_outage', url: 'https://www.githubstatus.com' },
    git: { match: { id: '8l4ygp009s5s' }, status: 'operational' },
    codespaces: { match: { name: '  codespaces ' }, status: 'operational' },
    page: { match: { page: true }, status: 'unknown', error: 'no page status' }, // components.json has no page status
  },
  'github-components-all-operational.json': {
    actions: { match: { name: 'GitHub Actions' }, status: 'operational' },
    packages: { match: { id: 'st3j38cctv9l' }, status: 'operational' },
  },
  'linode-components-groups-partial-outage.json': {
    regions: { match: { name: 'Regions' }, status: 'partial_outage' }, // group: 7 of 11 child regions partial_outage
    backups: { match: { name: 'Backups' }, status: 'operational' }, // group: every child operational
    newark: { match: { name: 'US-East (Newark)' }, status: 'partial_outage' },
    tokyo: { match: { id: '94q3fkblbvs3' }, status: 'partial_outage' },
    atlanta: { match: { name: 'US-Southeast (Atlanta)' }, status: 'operational' },
    dns: { match: { name: 'Hosted DNS Service' }, status: 'operational' },
    'frankfurt-nb': { match: { name: 'eu-central (frankfurt)  nodebalancers' }, status: 'operational' }, // upstream name has a double space
  },
  'box-components-degraded.json': {
    'web-app': { match: { id: 'l6vzpnn62cgq' }, status: 'degraded' }, // group "Box Web Application": Admin Console child degraded
    admin: { match: { name: 'Admin Console & Functionality' }, status: 'degraded' },
    platform: { match: { name: 'Box Platform / API' }, status: 'operational' },
    search: { match: { name: 'Search' }, status: 'unknown', error: 'matches 3 components' }, // three rows named Search
    'box-sign': { match: { id: 'rfmqz1x1xnjm' }, status: 'operational' },
  },
  'instructure-summary-aws-outage-minor.json': {
    page: { match: { page: true }, status: 'degraded', ...INSTRUCTURE_INCIDENT }, // indicator minor
    'canvas-leaf': { match: { id: '9dlvqx1drp3d' }, status: 'degraded', ...INSTRUCTURE_INCIDENT },
    'canvas-group': { match: { id: '41wg86q5vc14' }, status: 'degraded', ...INSTRUCTURE_INCIDENT }, // the incident lists its child Canvas
    canvas: { match: { name: 'Canvas' }, status: 'unknown', error: 'matches 2 components' }, // a group and its child share the name
    mastery: { match: { name: 'MasteryConnect' }, status: 'degraded', ...INSTRUCTURE_INCIDENT },
    portal: { match: { name: 'Portal' }, status: 'degraded', ...INSTRUCTURE_INCIDENT },
    catalog: { match: { name: '— Catalog' }, status: 'operational', url: 'https://status.instructure.com' }, // not in the incident
  },
};

describeFixtures('Statuspage conformance over captured payloads', () => {
  describe.each(Object.entries(CONFORMANCE))('%s', (file, table) => {
    // Read in beforeAll, not here: jest runs skipped describe bodies too, and the folder may be absent.
    let observed: Record<string, Observation> = {};
    beforeAll(() => {
      observed = parse(fixture(file), Object.fromEntries(Object.entries(table).map(([id, e]) => [id, e.match])));
    });

    test.each(Object.entries(table))('%s', (id, expected) => {
      const o = observed[id];
      expect(o).toBeDefined();
      expect(o?.status).toBe(expected.status);
      expect(o?.observedAt).toBe(AT);
      expect(o?.sourceId).toBe('vendor');
      if (expected.error) expect(o?.error).toContain(expected.error);
      else expect(o?.error).toBeUndefined();
      for (const key of ['title', 'url', 'upstreamId', 'startedAt', 'updatedAt'] as const) if (key in expected) expect(o?.[key]).toBe(expected[key]);
      if (!expected.title && expected.status !== 'unknown') expect(o?.upstreamId).toBeUndefined();
    });
  });

  test('instructure summary: exactly the 11 degraded rows read degraded, the other 13 operational', () => {
    const rows = fixtureJson('instructure-summary-aws-outage-minor.json').components as { id: string }[];
    const observed = Object.values(parse(fixture('instructure-summary-aws-outage-minor.json'), Object.fromEntries(rows.map((r) => [r.id, { id: r.id }]))));
    const count = (s: string) => observed.filter((o) => o.status === s).length;
    expect([observed.length, count('degraded'), count('operational')]).toEqual([24, 11, 13]);
  });

  // incidents.json elements, put into a components.json body at test time (the files are not summaries).
  const withIncident = (incidentFile: string) => ({ ...fixtureJson('github-components-all-operational.json'), incidents: [fixtureJson(incidentFile)] });

  test('scraped incident shape (no component id, started_at null) still labels the component it names', () => {
    const o = parse(withIncident('edge-github-incident-investigating-scraped-shape.json'), { cs: { id: 'h2ftsgbw7kmk' }, actions: { name: 'GitHub Actions' } });
    expect(o.cs).toMatchObject({
      status: 'operational', // the component row decides the status; the incident is evidence
      title: 'Incident with Codespaces',
      url: 'https://stspg.io/k8nz2ljtvzv4',
      upstreamId: 'k8nz2ljtvzv4',
      startedAt: '2024-05-28T20:17:00.000Z', // created_at stands in for the null started_at
      updatedAt: '2024-05-28T21:24:00.000Z',
    });
    expect(o.actions?.upstreamId).toBeUndefined();
  });

  test('a resolved incident does not label the component it lists', () => {
    const o = parse(withIncident('github-incident-critical-resolved-actions.json'), { actions: { id: 'br0l2tvcx85d' } });
    expect(o.actions).toEqual({ sourceId: 'vendor', componentId: 'actions', status: 'operational', observedAt: AT, url: 'https://www.githubstatus.com' });
  });

  test('an incident with impact "maintenance" and no components is tolerated and labels nothing', () => {
    const o = parse(withIncident('edge-github-incident-impact-maintenance.json'), { actions: { name: 'GitHub Actions' } });
    expect(o.actions?.status).toBe('operational');
    expect(o.actions?.title).toBeUndefined();
  });
});

// ── Hand-written cases ───────────────────────────────────────────────────────────────────────────

const page = { id: 'p1', name: 'Vendor', url: 'https://status.example.com' };
const row = (id: string, name: string, status: string, extra: object = {}) => ({ id, name, status, group: false, group_id: null, ...extra });

describe('parseStatuspageSummary', () => {
  test.each([
    ['operational', 'operational'],
    ['under_maintenance', 'maintenance'],
    ['degraded_performance', 'degraded'],
    ['partial_outage', 'partial_outage'],
    ['major_outage', 'major_outage'],
    ['flaky', 'unknown'],
    ['constructor', 'unknown'], // not fooled by Object.prototype keys
  ])('component status %s → %s', (upstream, status) => {
    expect(parse({ page, components: [row('a', 'Routing', upstream)] }, { r: { name: 'Routing' } }).r?.status).toBe(status);
  });

  test('an unrecognised component status is unknown with an error naming source, component and value', () => {
    const o = parse({ page, components: [row('a', 'Routing', 'flaky')] }, { r: { name: 'Routing' } });
    expect(o.r?.error).toBe('component "r" (match name "Routing"): unrecognised status "flaky" on upstream component "Routing" in summary.json of source "vendor"');
  });

  test.each([
    ['none', 'operational'],
    ['minor', 'degraded'],
    ['major', 'partial_outage'],
    ['critical', 'major_outage'],
    ['maintenance', 'maintenance'],
    ['catastrophic', 'unknown'],
  ])('page indicator %s → %s', (indicator, status) => {
    const o = parse({ page, status: { indicator, description: 'Words' }, components: [] }, { p: { page: true } });
    expect(o.p?.status).toBe(status);
    if (status === 'unknown') expect(o.p?.error).toContain(`"${indicator}"`);
    else expect(o.p?.title).toBe('Words');
  });

  test('a configured component missing from the payload is unknown with an error', () => {
    const o = parse({ page, components: [row('a', 'ALI', 'operational')] }, { x: { name: 'NG911 Routing' }, y: { id: 'zzz' } });
    expect(o.x).toEqual({
      sourceId: 'vendor',
      componentId: 'x',
      status: 'unknown',
      observedAt: AT,
      error: 'component "x" (match name "NG911 Routing") not in summary.json of source "vendor"',
    });
    expect(o.y?.error).toBe('component "y" (match id "zzz") not in summary.json of source "vendor"');
  });

  test('without a match the component is found by its configured name', () => {
    const vendor = statuspageSource.parse({ id: 'vendor', kind: 'statuspage', url: 'https://status.example.com/', components: [{ id: 'r', name: 'Routing', provider: 'Vendor' }] });
    const [o] = parseStatuspageSummary(JSON.stringify({ page, components: [row('a', ' routing ', 'major_outage')] }), vendor, AT);
    expect(o?.status).toBe('major_outage');
  });

  describe('component groups', () => {
    const group = (status: string, children: string[]) => row('g', 'Core', status, { group: true, components: children });
    test('a group reads as its worst child, whatever the group row says', () => {
      const body = { page, components: [group('operational', ['c1', 'c2']), row('c1', 'Routing', 'operational', { group_id: 'g' }), row('c2', 'ALI', 'major_outage', { group_id: 'g' })] };
      expect(parse(body, { core: { name: 'Core' } }).core?.status).toBe('major_outage');
    });
    test('children found by group_id count too', () => {
      const body = { page, components: [group('operational', []), row('c1', 'Routing', 'partial_outage', { group_id: 'g' })] };
      expect(parse(body, { core: { id: 'g' } }).core?.status).toBe('partial_outage');
    });
    test('an unreadable child with nothing worse makes the group unknown', () => {
      const body = { page, components: [group('operational', ['c1', 'c2']), row('c1', 'Routing', 'operational'), row('c2', 'ALI', 'sideways')] };
      const o = parse(body, { core: { id: 'g' } }).core;
      expect(o?.status).toBe('unknown');
      expect(o?.error).toContain('"sideways" on upstream component "ALI"');
    });
    test('a group with no child rows present falls back to its own status', () => {
      expect(parse({ page, components: [group('degraded_performance', ['gone'])] }, { core: { id: 'g' } }).core?.status).toBe('degraded');
    });
    test('an open incident on a child labels the group', () => {
      const body = {
        page,
        components: [group('operational', ['c1']), row('c1', 'Routing', 'major_outage')],
        incidents: [{ id: 'i1', name: 'Routing down', status: 'investigating', impact: 'critical', shortlink: 'https://stspg.io/i1', started_at: '2026-11-24T11:00:00Z', updated_at: '2026-11-24T11:30:00+01:00', components: [{ id: 'c1', name: 'Routing' }] }],
      };
      expect(parse(body, { core: { id: 'g' } }).core).toMatchObject({ status: 'major_outage', title: 'Routing down', url: 'https://stspg.io/i1', upstreamId: 'i1', startedAt: '2026-11-24T11:00:00.000Z', updatedAt: '2026-11-24T10:30:00.000Z' });
    });
  });

  test('the most recently updated open incident wins', () => {
    const inc = (id: string, updated_at: string, status = 'identified') => ({ id, name: id, status, impact: 'minor', updated_at, components: [{ id: 'a', name: 'Routing' }] });
    const body = { page, components: [row('a', 'Routing', 'degraded_performance')], incidents: [inc('old', '2026-11-24T10:00:00Z'), inc('new', '2026-11-24T11:00:00Z'), inc('done', '2026-11-24T12:00:00Z', 'resolved')] };
    expect(parse(body, { r: { name: 'Routing' } }).r?.upstreamId).toBe('new');
  });

  describe('bad payloads throw SOURCE.BAD_PAYLOAD naming the source', () => {
    test('invalid JSON', () => {
      expect(badPayload('{"page": {').message).toMatch(/^source "vendor": summary\.json is not JSON/);
    });
    test('an HTML error page', () => {
      const err = badPayload('<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head></html>');
      expect(err.message).toContain('source "vendor"');
      expect(err.message).toContain('starts with "<!DOCTYPE html> <html>');
    });
    test('a schema violation names the zod path of the field', () => {
      const err = badPayload(JSON.stringify({ page, components: [row('a', 'A', 'operational'), row('b', 'B', 3 as unknown as string)] }));
      expect(err.message).toMatch(/^source "vendor": summary\.json does not match the Statuspage schema at components\.1\.status: /);
    });
    test('JSON that is not a Statuspage body', () => {
      expect(badPayload('{"error": "rate limited"}').message).toContain('at page:');
    });
    test('bytes that are not UTF-8', () => {
      expect(badPayload(Buffer.from([0x7b, 0xc3, 0x28, 0x7d])).message).toBe('source "vendor": summary.json is not valid utf-8 text');
    });
  });

  describe('decoding by BOM', () => {
    const text = JSON.stringify({ page, components: [row('a', 'Routage – Zürich', 'partial_outage')] });
    const swap = (b: Buffer) => Buffer.from(b).swap16();
    test.each([
      ['utf-8 with BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')])],
      ['utf-16le', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])],
      ['utf-16be', swap(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]))],
      ['a string with a BOM', `\uFEFF${text}`],
    ])('%s', (_label, body) => {
      expect(parse(body, { r: { name: 'routage – zürich' } }).r?.status).toBe('partial_outage');
    });
  });
});
