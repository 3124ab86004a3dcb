import { readdirSync } from 'node:fs';
import type { Status } from '../../shared/domain/status.js';
import { decodeM365Graph, parseM365Graph, repairMojibake } from '../../shared/sources/m365.js';
import { AT, badPayload, byComponent, expectRow, fixtureFolder, sourceOf, type Expected } from './feeds-support.js';

/**
 * Microsoft 365 service health through Graph (kind `m365-graph`): the config-free page parser
 * over the captured docs/CLI payloads, then one hand-written issue per mapping row. The reader
 * (token, paging) is tested against a loopback Graph in test/integration/m365-graph.test.ts.
 */

const graph = fixtureFolder('m365-graph');

interface FileTable {
  components: Record<string, Expected>;
  decoded: [key: string, status: Status, name: string][];
}

const EXCHANGE = { service: 'Exchange Online' };

const M365_FILES: Record<string, FileTable> = {
  'graph-docs-list-issues-page-with-nextlink.json': {
    components: {
      exchange: { match: EXCHANGE, status: 'operational', title: undefined }, // EX226792 is resolved (PascalCase "ServiceRestored")
      mailflow: { match: { service: 'exchange online', feature: 'E-Mail timely delivery' }, status: 'operational' },
      teams: { match: { service: 'Microsoft Teams' }, status: 'operational' }, // issues list: no open issue = healthy
    },
    decoded: [['Exchange Online', 'operational', 'EX226792 Incident resolved (ServiceRestored)']],
  },
  'graph-docs-get-issue-advisory-resolved.json': {
    components: { suite: { match: { service: 'Microsoft 365 suite' }, status: 'operational' } },
    decoded: [['Microsoft 365 suite', 'operational', 'MO226784 Advisory resolved (ServiceRestored)']],
  },
  'graph-docs-healthoverviews.json': {
    components: {
      exchange: { match: EXCHANGE, status: 'operational' },
      identity: { match: { service: 'OrgLiveID' }, status: 'operational' }, // by the overview id; ServiceRestored
      teams: { match: { service: 'Microsoft Teams' }, status: 'unknown', error: 'service "Microsoft Teams" is not in the Graph health overview' },
    },
    decoded: [
      ['Exchange Online', 'operational', 'Exchange Online (service health: ServiceOperational)'],
      ['Identity Service', 'operational', 'Identity Service (service health: ServiceRestored)'],
      ['Microsoft 365 suite', 'operational', 'Microsoft 365 suite (service health: ServiceOperational)'],
    ],
  },
  'graph-docs-healthoverviews-expand-issues.json': {
    components: {
      exchange: { match: EXCHANGE, status: 'operational' },
      teams: { match: { service: 'Microsoft Teams' }, status: 'unknown', error: 'not in the Graph health overview' },
    },
    decoded: [
      ['Exchange Online', 'operational', 'Exchange Online (service health: ServiceOperational)'],
      ['Exchange Online', 'operational', 'EX226574 Advisory resolved (ServiceRestored)'], // nested issue
    ],
  },
  'pnp-cli-health-get-exchange-degradation-mojibake.json': {
    components: {
      // The service rollup says serviceDegradation although its one issue is resolved: the rollup counts.
      exchange: { match: EXCHANGE, status: 'degraded', title: 'Exchange Online: serviceDegradation' },
      // A feature filter reads issues only: EX415080 (Sign-in) is resolved.
      signin: { match: { service: 'Exchange Online', feature: 'sign-in' }, status: 'operational' },
    },
    decoded: [
      ['Exchange Online', 'degraded', 'Exchange Online (service health: serviceDegradation)'],
      ['Exchange Online', 'operational', 'EX415080 advisory resolved (serviceRestored)'],
    ],
  },
  'pnp-cli-healthissue-list-unwrapped-array.json': {
    components: { dynamics: { match: { service: 'Dynamics 365 Apps' }, status: 'operational' } },
    decoded: [['Dynamics 365 Apps', 'operational', 'CR384241 advisory resolved (serviceRestored)']],
  },
};

graph.describe('m365-graph conformance over captured payloads', () => {
  test('every file in fixtures/m365-graph is in the table', () => {
    expect(readdirSync(graph.dir).sort()).toEqual(Object.keys(M365_FILES).sort());
  });

  describe.each(Object.entries(M365_FILES))('%s', (file, table) => {
    test.each(Object.entries(table.components))('component %s', (id, expected) => {
      const matches = Object.fromEntries(Object.entries(table.components).map(([c, e]) => [c, e.match]));
      expectRow(byComponent(parseM365Graph(graph.file(file), sourceOf('m365-graph', matches), AT))[id], expected);
    });
    test('decoder', () => {
      expect(decodeM365Graph(graph.file(file)).map((i) => [i.key, i.status, i.name])).toEqual(table.decoded);
    });
  });

  test('mojibake in the CLI capture is repaired in titles', () => {
    const [, issue] = decodeM365Graph(graph.file('pnp-cli-health-get-exchange-degradation-mojibake.json'));
    expect(issue?.title).toBe('Admins\u2019 downloaded CSV mailbox usage reports via Microsoft 365 admin center don\u2019t contain data prior to August 1, 2022');
    expect(repairMojibake('no damage here')).toBe('no damage here');
  });
});

// ── One hand-written issue per mapping row ───────────────────────────────────────────────────

function issue(status: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'EX900001',
    title: 'Users may be unable to send or receive email',
    service: 'Exchange Online',
    feature: 'Mail flow',
    featureGroup: 'E-Mail and calendar access',
    classification: 'incident',
    origin: 'microsoft',
    status,
    isResolved: false,
    startDateTime: '2026-11-24T09:00:00Z',
    endDateTime: null,
    lastModifiedDateTime: '2026-11-24T11:30:00Z',
    details: [],
    posts: [],
    ...extra,
  };
}

const exchange = (...issues: Record<string, unknown>[]) =>
  byComponent(parseM365Graph(Buffer.from(JSON.stringify({ value: issues })), sourceOf('m365-graph', { exchange: EXCHANGE, teams: { service: 'Microsoft Teams' } }), AT));

const ROWS: [string, Status][] = [
  ['serviceOperational', 'operational'],
  ['serviceRestored', 'operational'],
  ['postIncidentReviewPublished', 'operational'],
  ['falsePositive', 'operational'],
  ['resolved', 'operational'],
  ['resolvedExternal', 'operational'],
  ['mitigated', 'operational'],
  ['mitigatedExternal', 'operational'],
  ['investigating', 'degraded'],
  ['reported', 'degraded'],
  ['confirmed', 'degraded'],
  ['verifyingService', 'degraded'],
  ['serviceDegradation', 'degraded'],
  ['restoringService', 'partial_outage'],
  ['extendedRecovery', 'partial_outage'],
  ['serviceInterruption', 'major_outage'],
  ['investigationSuspended', 'unknown'],
  ['unknownFutureValue', 'unknown'],
  ['somethingNew', 'unknown'],
];

describe('m365-graph: serviceHealthStatus rows (unresolved incident)', () => {
  test.each(ROWS)('%s → %s', (status, expected) => {
    for (const spelling of [status, status[0]!.toUpperCase() + status.slice(1), status.toUpperCase()]) {
      const o = exchange(issue(spelling)).exchange;
      expect(o?.status).toBe(expected);
      if (expected === 'unknown') expect(o?.error).toContain(`unrecognised Graph status "${spelling}"`);
      else expect(o?.error).toBeUndefined();
    }
  });

  test('isResolved: true is operational whatever the status says', () => {
    expect(exchange(issue('serviceInterruption', { isResolved: true })).exchange?.status).toBe('operational');
  });

  test('an advisory is capped at degraded', () => {
    expect(exchange(issue('serviceInterruption', { classification: 'Advisory' })).exchange?.status).toBe('degraded');
    expect(exchange(issue('investigating', { classification: 'advisory' })).exchange?.status).toBe('degraded');
  });

  test('the worst open issue decides and is the evidence; other services are untouched', () => {
    const o = exchange(issue('investigating', { id: 'EX1' }), issue('serviceInterruption', { id: 'EX2', title: 'Mailbox access outage' }), issue('serviceRestored', { id: 'EX3', isResolved: true }));
    expect(o.exchange).toMatchObject({ status: 'major_outage', title: 'Mailbox access outage', upstreamId: 'EX2', startedAt: '2026-11-24T09:00:00.000Z', updatedAt: '2026-11-24T11:30:00.000Z' });
    expect(o.teams?.status).toBe('operational');
  });

  test('feature matches feature or featureGroup, any case', () => {
    const body = Buffer.from(JSON.stringify({ value: [issue('serviceInterruption')] }));
    const o = byComponent(parseM365Graph(body, sourceOf('m365-graph', { a: { service: 'Exchange Online', feature: 'mail FLOW' }, b: { service: 'Exchange Online', feature: 'e-mail and calendar access' }, c: { service: 'Exchange Online', feature: 'Calendar' } }), AT));
    expect([o.a?.status, o.b?.status, o.c?.status]).toEqual(['major_outage', 'major_outage', 'operational']);
  });

  test('an empty issues page is healthy; bad shapes are clear errors naming the field', () => {
    expect(exchange().exchange?.status).toBe('operational');
    const s = sourceOf('m365-graph', { exchange: EXCHANGE });
    expect(badPayload(() => parseM365Graph(Buffer.from('<html>'), s, AT)).message).toContain('source "feed": Graph response is not JSON');
    expect(badPayload(() => parseM365Graph(Buffer.from(JSON.stringify({ value: [issue('x', { id: 7 })] })), s, AT)).message).toContain('value[0] does not match the serviceHealthIssue schema at id');
    expect(badPayload(() => parseM365Graph(Buffer.from('{"error":{"code":"InvalidAuthenticationToken"}}'), s, AT)).message).toContain('serviceHealth schema');
  });
});
