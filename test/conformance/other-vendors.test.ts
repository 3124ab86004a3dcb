import { decodeFirehydrant } from '../../shared/sources/firehydrant.js';
import { decodeSlackStatus } from '../../shared/sources/slack-status.js';
import { decodeStatusio } from '../../shared/sources/statusio.js';
import { badPayload, conformance, fixtureFolder, observe, type Expected } from './support.js';

// ── Conformance over the real captured payloads (../shared/fixtures/other-vendor-status) ────────

const other = fixtureFolder('other-vendor-status');
const json = (file: string) => JSON.parse(other.file(file).toString('utf8')) as Record<string, unknown>;

const STATUSIO: Record<string, Record<string, Expected>> = {
  // status.gitlab.com: status_overall 100 and every component/container 100.
  'statusio-gitlab-public-status.json': {
    page: { match: { page: true }, status: 'operational', updatedAt: '2026-07-01T14:04:32.481Z' },
    git: { match: { name: 'Git Operations' }, status: 'operational', updatedAt: '2026-06-23T19:52:09.652Z' },
    api: { match: { id: '5b36e05f02d06804c0834a09' }, status: 'operational' },
    'macos-aws': { match: { name: 'CI/CD - Hosted runners on macOS', container: 'AWS' }, status: 'operational' },
    'website-azure': { match: { name: 'Website', container: 'Azure' }, status: 'unknown', error: 'no container "Azure" under "Website"' },
    missing: { match: { name: 'GitLab Dedicated' }, status: 'unknown', error: 'not in the Status.io body of source "vendor"' }, // the body lists every component
  },
};

const SLACK: Record<string, Record<string, Expected>> = {
  // current: status "ok", active_incidents [] (all clear).
  'slack-api-v2-current-ok.json': {
    page: { match: { page: true }, status: 'operational' },
    messaging: { match: { service: 'Messaging' }, status: 'operational' },
    default: { status: 'operational' }, // no match = the page
  },
  // history: three incidents, all resolved.
  'slack-api-v2-history.json': {
    page: { match: { page: true }, status: 'operational', upstreamId: undefined },
    workflows: { match: { service: 'Workflows' }, status: 'operational' },
    sso: { match: { service: 'login/sso' }, status: 'operational' },
  },
};

const FIREHYDRANT: Record<string, Record<string, Expected>> = {
  // status.redis.io: four incidents, every one with timestamps.resolved set (page healthy at capture time).
  'firehydrant-status-page-redis.json': {
    page: { match: { page: true }, status: 'operational' },
    admin: { match: { name: 'Admin Console' }, status: 'operational' }, // named by the resolved MAINTENANCE item only
    langcache: { match: { id: '43ea3816-2e73-454f-8cda-6472ade0744e' }, status: 'operational' },
    missing: { match: { name: 'Redis Cloud' }, status: 'unknown', error: 'not in payload.json of source "vendor"' },
  },
};

other.describe('Other vendor status APIs conformance (other-vendor-status/)', () => {
  conformance('statusio', STATUSIO, other.file);
  conformance('slack-status', SLACK, other.file);
  conformance('firehydrant', FIREHYDRANT, other.file);

  // The captures are all-clear; reopen their real incidents at test time to read them as open.
  const reopened = () => {
    const body = json('firehydrant-status-page-redis.json') as { incidents: Array<{ timestamps: Record<string, string> }> };
    for (const i of body.incidents) delete i.timestamps.resolved;
    return body;
  };

  test('FireHydrant with its incidents reopened: MAINTENANCE → maintenance, SEV2 → partial_outage on the page', () => {
    const o = observe('firehydrant', reopened(), { admin: { name: 'Admin Console' }, langcache: { name: 'LangCache' }, page: { page: true } });
    expect(o.admin).toMatchObject({ status: 'maintenance', title: 'Upcoming status page platform transition', upstreamId: '79a12500-5452-4148-a0e1-d3cbce47dbb1', startedAt: '2026-02-24T04:52:19.000Z' });
    expect(o.langcache?.status).toBe('operational'); // named by no incident
    expect(o.page).toMatchObject({ status: 'partial_outage', title: 'AWS me-central-1 Zone Issue' }); // SEV2 beats SEV4/UNSET (degraded) and maintenance
  });

  test('Slack history with its incidents reopened: incident → partial_outage on the service it names', () => {
    const body = (json('slack-api-v2-history.json') as unknown as Array<{ status: string }>).map((i) => ({ ...i, status: 'active' }));
    const o = observe('slack-status', body, { workflows: { service: 'Workflows' }, messaging: { service: 'Messaging' }, page: { page: true } });
    expect(o.workflows).toMatchObject({ status: 'partial_outage', upstreamId: '1568', url: 'https://slack-status.com/2026-06/83210c13677ffff1', startedAt: '2026-06-16T15:50:09.000Z' });
    expect([o.messaging?.status, o.page?.status]).toEqual(['operational', 'partial_outage']);
  });

  test('decoders list every item', () => {
    expect(decodeStatusio(other.file('statusio-gitlab-public-status.json')).length).toBe(1 + 23 + 24); // page, 23 components, 24 containers
    expect(decodeSlackStatus(other.file('slack-api-v2-current-ok.json'))).toEqual([{ key: 'page', name: 'Slack', status: 'operational' }]);
    expect(decodeSlackStatus(other.file('slack-api-v2-history.json')).map((i) => i.key)).toEqual(['page', 'Workflows', 'Login/SSO']);
    expect(decodeFirehydrant(other.file('firehydrant-status-page-redis.json')).map((i) => i.status)).toEqual(Array(7).fill('operational'));
  });
});

// ── Hand-written cases: Status.io ────────────────────────────────────────────────────────────────

const statusio = (code: unknown, containers: unknown[] = []) => ({
  result: {
    status_overall: { updated: '2026-11-24T11:00:00Z', status: 'Words', status_code: code },
    status: [
      { id: 'a1', name: 'Git', status: 'Words', status_code: code, updated: '2026-11-24T11:00:00Z', containers },
      { id: 'a2', name: 'Dup', status_code: 100 },
      { id: 'a3', name: 'dup', status_code: 100 },
    ],
    incidents: [],
    maintenance: { active: [], upcoming: [] },
  },
});

describe('statusio', () => {
  test.each([
    [100, 'operational'],
    [200, 'maintenance'],
    [300, 'degraded'],
    [400, 'partial_outage'],
    [500, 'major_outage'],
    [600, 'major_outage'],
    ['400', 'partial_outage'],
  ])('status_code %j → %s', (code, status) => {
    const o = observe('statusio', statusio(code), { git: { name: 'Git' }, page: { page: true } });
    expect([o.git?.status, o.page?.status]).toEqual([status, status]);
    if (status !== 'operational') expect(o.git?.title).toBe('Words');
  });

  test('an unrecognised code is unknown with an error naming the field', () => {
    const o = observe('statusio', statusio(150), { git: { id: 'a1' } }).git;
    expect(o?.status).toBe('unknown');
    expect(o?.error).toBe('component "git" (match id "a1"): unrecognised status_code "150" at result.status.0.status_code in the Status.io body of source "vendor"');
  });

  test('a container reads its own code; a name shared by two components is refused', () => {
    const o = observe('statusio', statusio(400, [{ id: 'k1', name: 'AWS', status_code: 100 }, { id: 'k2', name: 'GCP', status_code: 500 }]), { aws: { name: 'Git', container: 'aws' }, gcp: { id: 'a1', container: 'k2' }, dup: { name: 'DUP' } });
    expect([o.aws?.status, o.gcp?.status, o.dup?.status]).toEqual(['operational', 'major_outage', 'unknown']);
    expect(o.dup?.error).toContain('matches 2 components');
  });

  test('bad payloads throw SOURCE.BAD_PAYLOAD naming the field', () => {
    expect(badPayload('statusio', '{"status": {"error": "yes", "message": "Page not found"}}').message).toContain('at result:');
    expect(badPayload('statusio', JSON.stringify(statusio(100, [{ name: 'x' }]))).message).toContain('at result.status.0.containers.0.status_code:');
  });
});

// ── Hand-written cases: Slack ────────────────────────────────────────────────────────────────────

const slackIncident = (type: string, status = 'active', services = ['Messaging']) => ({
  id: 77,
  title: 'Trouble sending messages',
  type,
  status,
  url: 'https://slack-status.com/2026-11/abc',
  date_created: '2026-11-24T02:00:00-08:00',
  date_updated: '2026-11-24T03:00:00-08:00',
  services,
  notes: [],
});
const current = (status: string, incidents: unknown[]) => ({ status, date_created: '2026-11-24T02:00:00-08:00', date_updated: '2026-11-24T03:00:00-08:00', active_incidents: incidents });

describe('slack-status', () => {
  test.each([
    ['outage', 'major_outage'],
    ['incident', 'partial_outage'],
    ['notice', 'degraded'],
  ])('an active %s → %s', (type, status) => {
    const o = observe('slack-status', current('active', [slackIncident(type)]), { m: { service: 'messaging' }, f: { service: 'Files' }, p: { page: true } });
    expect(o.m).toMatchObject({ status, upstreamId: '77', startedAt: '2026-11-24T10:00:00.000Z', updatedAt: '2026-11-24T11:00:00.000Z' });
    expect([o.f?.status, o.p?.status]).toEqual(['operational', status]);
  });

  test.each(['resolved', 'completed', 'scheduled'])('a %s incident does not count', (status) => {
    expect(observe('slack-status', [slackIncident('outage', status)], { m: { service: 'Messaging' } }).m?.status).toBe('operational');
  });

  test('unrecognised type, incident status or page status → unknown with an error', () => {
    expect(observe('slack-status', current('active', [slackIncident('meltdown')]), { m: { service: 'Messaging' } }).m?.error).toBe(
      'component "m" (service "Messaging"): incident 77: unrecognised type "meltdown" in the Slack status of source "vendor"',
    );
    expect(observe('slack-status', [slackIncident('outage', 'pending')], { m: { service: 'Messaging' } }).m?.status).toBe('unknown');
    const p = observe('slack-status', current('broken', []), { p: { page: true } }).p;
    expect([p?.status, p?.error]).toEqual(['unknown', 'component "p" (page): unrecognised page status "broken" with no active incident in the Slack status of source "vendor"']);
  });

  test('bad payloads throw SOURCE.BAD_PAYLOAD naming the field', () => {
    expect(badPayload('slack-status', JSON.stringify({ status: 'ok' })).message).toBe(
      'source "vendor": the Slack status body does not match the Slack status API v2 current schema at active_incidents: Invalid input: expected array, received undefined',
    );
    expect(badPayload('slack-status', JSON.stringify([{ title: 'x' }])).message).toContain('history schema at 0.id:');
    expect(badPayload('slack-status', 'Service Unavailable').message).toMatch(/is not JSON/);
  });
});

// ── Hand-written cases: FireHydrant ──────────────────────────────────────────────────────────────

const fh = (incidents: unknown[]) => ({
  config: { title: 'Vendor' },
  conditions: { Degraded: 'DEGRADED', Operational: 'OPERATIONAL', Unavailable: 'OFFLINE', Maintenance: 'DEGRADED' },
  components: [{ name: 'API', id: 'api-1' }, { name: 'Console', id: 'con-1' }],
  incidents,
});
const fhIncident = (extra: Record<string, unknown> = {}) => ({ id: 'i1', title: 'API trouble', timestamps: { started: '2026-11-24T10:00:00Z', detected: '2026-11-24T10:00:00Z' }, severitySlug: 'SEV3', ...extra });

describe('firehydrant', () => {
  test.each([
    ['Operational', 'operational'],
    ['Degraded', 'degraded'],
    ['Unavailable', 'major_outage'],
    ['OFFLINE', 'major_outage'], // a label that already is an internal value
  ])('condition %s → %s', (label, status) => {
    const o = observe('firehydrant', fh([fhIncident({ components: [{ id: 'api-1', name: 'API', condition: label }] })]), { api: { name: 'API' }, console: { id: 'con-1' } });
    expect(o.api).toMatchObject({ status, title: 'API trouble', upstreamId: 'i1', startedAt: '2026-11-24T10:00:00.000Z' });
    expect(o.console?.status).toBe('operational');
  });

  test('componentConditions (by name) count too; MAINTENANCE reads maintenance whatever the condition', () => {
    const o = observe('firehydrant', fh([fhIncident({ severitySlug: 'MAINTENANCE', componentConditions: { Console: 'Degraded' } })]), { console: { name: 'Console' } });
    expect(o.console?.status).toBe('maintenance');
  });

  test.each([
    ['SEV1', 'major_outage'],
    ['SEV2', 'partial_outage'],
    ['SEV3', 'degraded'],
    ['SEV4', 'degraded'],
    ['UNSET', 'degraded'],
    ['MAINTENANCE', 'maintenance'],
    ['SEV9', 'unknown'],
  ])('page: an open incident without components, severity %s → %s', (severitySlug, status) => {
    expect(observe('firehydrant', fh([fhIncident({ severitySlug })]), { p: { page: true } }).p?.status).toBe(status);
  });

  test('an unrecognised condition is unknown with an error; a resolved incident does not count', () => {
    const odd = observe('firehydrant', fh([fhIncident({ components: [{ id: 'api-1', condition: 'Wobbly' }] })]), { api: { id: 'api-1' } }).api;
    expect([odd?.status, odd?.error]).toEqual(['unknown', 'component "api" (match id "api-1"): incident i1: unrecognised condition "Wobbly" in payload.json of source "vendor"']);
    const done = fhIncident({ timestamps: { started: '2026-11-24T10:00:00Z', resolved: '2026-11-24T11:00:00Z' }, components: [{ id: 'api-1', condition: 'Unavailable' }] });
    expect(observe('firehydrant', fh([done]), { api: { id: 'api-1' } }).api?.status).toBe('operational');
  });

  test('bad payloads throw SOURCE.BAD_PAYLOAD naming the field', () => {
    expect(badPayload('firehydrant', JSON.stringify({ config: {} })).message).toContain('at components:');
    expect(badPayload('firehydrant', JSON.stringify(fh([{ title: 'no id' }]))).message).toContain('at incidents.0.id:');
  });
});
