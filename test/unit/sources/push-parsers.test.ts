import { SERVICE_STATES } from '../../../shared/domain/nena.js';
import { DialtoneError } from '../../../shared/domain/errors.js';
import { nenaToStatus, parseAgencyReport } from '../../../shared/sources/push/agency-report.js';
import { parseAwsHealth } from '../../../shared/sources/push/aws-health.js';
import { parseStatuspageWebhook } from '../../../shared/sources/push/statuspage-webhook.js';
import { pushConfig } from '../../support/push.js';

const config = pushConfig();
const sourceOf = <K extends string>(id: string, kind: K) => {
  const s = config.sources.find((x) => x.id === id);
  if (!s || s.kind !== kind) throw new Error(`no ${kind} source ${id}`);
  return s as Extract<typeof s, { kind: K }>;
};
const hook = sourceOf('vendor-hook', 'statuspage-webhook');
const aws = sourceOf('aws', 'aws-health');
const report = sourceOf('maricopa-report', 'agency-report');

function field(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DialtoneError);
    return String((err as DialtoneError).details?.field);
  }
  throw new Error('expected a bad push');
}

describe('Statuspage webhook', () => {
  const page = { id: 'p', status_indicator: 'none' };
  test('component_update: every component status, an unknown value named by field', () => {
    const cu = (new_status: string) => parseStatuspageWebhook({ page, component_update: { id: 'u', component_id: 'sqm6pl84wzjc', new_status } }, hook).updates.find((u) => u.componentId === 'hook-db');
    expect(['operational', 'under_maintenance', 'degraded_performance', 'partial_outage', 'major_outage', 'exploded'].map((s) => cu(s)?.status)).toEqual([
      'operational',
      'maintenance',
      'degraded',
      'partial_outage',
      'major_outage',
      'unknown',
    ]);
    expect(cu('exploded')?.error).toBe('source "vendor-hook": component_update.new_status "exploded" is not a known Statuspage value (operational, under_maintenance, degraded_performance, partial_outage, major_outage)');
  });

  test('incident: the newest update’s affected component, with the incident as evidence; the dedupe key names the update', () => {
    const e = parseStatuspageWebhook(
      {
        page: { id: 'p', status_indicator: 'critical' },
        incident: {
          id: 'inc1',
          name: 'Database down',
          status: 'investigating',
          shortlink: 'https://stspg.io/x',
          incident_updates: [{ id: 'up2', status: 'investigating', affected_components: [{ code: 'sqm6pl84wzjc', name: 'Database component', new_status: 'major_outage' }] }],
        },
      },
      hook,
    );
    expect(e.key).toBe('statuspage:inc:inc1:up2');
    expect(e.updates).toEqual([
      { componentId: 'hook-db', status: 'major_outage', upstreamId: 'inc1', title: 'Database down', url: 'https://stspg.io/x' },
      { componentId: 'hook-page', status: 'major_outage' },
    ]);
  });

  test('a notification about nothing we watch is accepted and ignored; neither shape is a 400 naming the field', () => {
    expect(parseStatuspageWebhook({ page: { id: 'p' }, component_update: { id: 'u', component_id: 'other', new_status: 'major_outage' } }, hook)).toMatchObject({ updates: [], ignored: expect.any(String) });
    expect(field(() => parseStatuspageWebhook({ page: { id: 'p' } }, hook))).toBe('component_update');
    expect(field(() => parseStatuspageWebhook({ component_update: {} }, hook))).toBe('page');
  });
});

describe('AWS Health', () => {
  const detail = (d: Record<string, unknown>) => ({ eventArn: 'arn:aws:health:us-east-1::event/EC2/X/1', service: 'EC2', eventRegion: 'us-east-1', communicationId: 'c', ...d });
  const status = (d: Record<string, unknown>) => parseAwsHealth({ source: 'aws.health', detail: detail(d) }, aws)[0]!.updates[0]?.status;

  test.each([
    [{ eventTypeCategory: 'issue', statusCode: 'open' }, 'partial_outage'],
    [{ eventTypeCategory: 'issue' }, 'partial_outage'], // older events have no statusCode
    [{ eventTypeCategory: 'ISSUE', statusCode: 'OPEN', affectedEntities: [{ entityValue: 'i-1', status: 'IMPAIRED' }] }, 'major_outage'],
    [{ eventTypeCategory: 'issue', statusCode: 'open', affectedEntities: [{ entityValue: 'i-1', status: 'UNIMPAIRED' }] }, 'partial_outage'],
    [{ eventTypeCategory: 'issue', statusCode: 'upcoming' }, 'degraded'],
    [{ eventTypeCategory: 'issue', statusCode: 'closed' }, 'operational'],
    [{ eventTypeCategory: 'accountNotification', statusCode: 'open' }, 'degraded'],
    [{ eventTypeCategory: 'accountnotification', statusCode: 'upcoming' }, 'degraded'],
    [{ eventTypeCategory: 'investigation', statusCode: 'open' }, 'degraded'],
    [{ eventTypeCategory: 'scheduledChange', statusCode: 'upcoming' }, 'maintenance'],
    [{ eventTypeCategory: 'plannedChange', statusCode: 'upcoming' }, 'maintenance'],
    [{ eventTypeCategory: 'category' }, 'unknown'],
    [{ statusCode: 'open' }, 'unknown'],
    [{ eventTypeCategory: 'issue', statusCode: 'paused' }, 'unknown'],
  ])('%j → %s', (d, expected) => {
    expect(status(d)).toBe(expected);
  });

  test('dedupe key: eventArn + communicationId + account + page; a hash of the detail without a communicationId', () => {
    const [e] = parseAwsHealth({ source: 'aws.health', account: '123456789012', detail: detail({ eventTypeCategory: 'issue', page: '2' }) }, aws);
    expect(e!.key).toBe('aws-health:arn:aws:health:us-east-1::event/EC2/X/1#c#123456789012#p2');
    const [a] = parseAwsHealth(detail({ eventTypeCategory: 'issue', communicationId: undefined }), aws);
    const [b] = parseAwsHealth(detail({ eventTypeCategory: 'issue', communicationId: undefined, statusCode: 'closed' }), aws);
    expect(a!.key).toMatch(/#sha256:[0-9a-f]{32}#/);
    expect(a!.key).not.toBe(b!.key);
  });

  test('shapes that are not an AWS Health event name the field', () => {
    expect(field(() => parseAwsHealth([], aws))).toBe('(body)');
    expect(field(() => parseAwsHealth('x', aws))).toBe('(body)');
    expect(field(() => parseAwsHealth({ source: 'aws.health', detail: { service: 'EC2' } }, aws))).toBe('detail.eventArn');
    expect(field(() => parseAwsHealth([{ Source: 'aws.health', Detail: '{"service":"EC2"}' }], aws))).toBe('[0].Detail.eventArn');
  });
});

describe('agency report', () => {
  test('NENA ServiceState → status, every state', () => {
    expect(Object.fromEntries(SERVICE_STATES.map((s) => [s, nenaToStatus(s)]))).toEqual({
      Normal: 'operational',
      ScheduledMaintenanceAvailable: 'maintenance',
      Unknown: 'unknown',
      Partial: 'degraded',
      MajorIncidentInProgress: 'degraded',
      ScheduledMaintenanceDown: 'maintenance',
      Overloaded: 'partial_outage',
      GoingDown: 'major_outage',
      Unreachable: 'unknown',
      Unstaffed: 'major_outage',
      Down: 'major_outage',
    });
  });

  test('older spellings are read; Unreachable (an observer’s word) reads unknown with a reason', () => {
    expect(parseAgencyReport({ state: 'PartialService' }, report).updates[0]).toMatchObject({ status: 'degraded', title: 'Maricopa self-report reports Partial' });
    expect(parseAgencyReport({ serviceState: { state: 'Unreachable' } }, report).updates[0]).toMatchObject({ status: 'unknown', error: expect.stringMatching(/serviceState\.state "Unreachable" is set by an observer/) });
    expect(field(() => parseAgencyReport({ state: 'down' }, report))).toBe('state');
    expect(field(() => parseAgencyReport({}, report))).toBe('state');
  });
});
