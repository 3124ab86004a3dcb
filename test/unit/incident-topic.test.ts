import 'aws-sdk-client-mock-jest';
import { PublishCommand, SNSClient, SNSServiceException } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { incidentSeverity } from '../../shared/domain/severity.js';
import { IncidentTopicPublisher, MAX_MESSAGE_ATTRIBUTES, MAX_SNS_MESSAGE_BYTES, topicMessage, type TopicRendering } from '../../shared/adapters/incident-topic.js';
import { DialtoneError } from '../../shared/domain/errors.js';
import { issueNotice, openIncident, updateIncident, type ServiceView } from '../../shared/domain/incident.js';
import type { Incident } from '../../shared/domain/records.js';
import { fitsOneSms } from '../../shared/domain/text.js';
import { testModel } from '../support/config.js';

const model = testModel();
const TOPIC = 'arn:aws:sns:us-east-1:111122223333:dialtone-incidents';
const T0 = new Date('2026-09-29T00:10:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const view = (serviceId: string, state: ServiceView['state'], since = T0): ServiceView => ({ serviceId, state, since: since.toISOString(), causes: ['routing'] });

function notices() {
  let inc: Incident = openIncident('routing', [view('hennepin', 'Down'), view('hennepin-text', 'Partial'), view('maricopa', 'Down')], [], T0);
  const n1 = issueNotice(inc, 'opened', T0);
  inc = updateIncident(n1.incident, [view('hennepin', 'Normal', at(40)), view('hennepin-text', 'Normal', at(40)), view('maricopa', 'Normal', at(40))], [], at(40)).incident;
  const n2 = issueNotice(inc, 'resolved', at(40));
  return { initial: n1.notice, final: n2.notice };
}
const { initial, final } = notices();

const RENDERED: TopicRendering = {
  subject: '[dialtone] ALERT: 911 Hennepin County 911 MN DOWN +2 more',
  sms: '911 ALERT: Hennepin County 911 (Hennepin County MN) DOWN since 19:10 CDT; 3 services in AZ, MN.',
  email: 'dialtone 911 outage notice - ALERT\n\nFCC 47 CFR 4.9(h) notice fields\n',
};

const ATTRIBUTES = (severity: string, phase: string, reason: string, seq: number) => ({
  incidentId: { DataType: 'String', StringValue: initial.incidentId },
  seq: { DataType: 'Number', StringValue: String(seq) },
  phase: { DataType: 'String', StringValue: phase },
  reason: { DataType: 'String', StringValue: reason },
  severity: { DataType: 'String', StringValue: severity },
  kind: { DataType: 'String', StringValue: 'outage' },
  certainty: { DataType: 'String', StringValue: 'suspected' },
  cause: { DataType: 'String', StringValue: 'routing' },
  state: { DataType: 'String.Array', StringValue: '["AZ","MN"]' },
  fips: { DataType: 'String.Array', StringValue: '["04013","27053"]' },
});

describe('topicMessage', () => {
  test('a JSON message with default, sms and email, the subject, and filterable attributes', () => {
    const m = topicMessage(initial, RENDERED, model.services);

    expect(m).toStrictEqual({
      Subject: RENDERED.subject,
      MessageStructure: 'json',
      Message: JSON.stringify({ default: RENDERED.email, sms: RENDERED.sms, email: RENDERED.email }),
      MessageAttributes: ATTRIBUTES('critical', 'initial', 'opened', 1),
    });
    expect(Object.keys(m.MessageAttributes).length).toBeLessThanOrEqual(MAX_MESSAGE_ATTRIBUTES);
    for (const v of Object.values(m.MessageAttributes)) if (v.DataType === 'String.Array') expect(Array.isArray(JSON.parse(v.StringValue!))).toBe(true);
  });

  test('the all-clear keeps the incident severity and area, so filters that got the alert get it too', () => {
    expect(topicMessage(final, RENDERED, model.services).MessageAttributes).toStrictEqual(ATTRIBUTES('critical', 'final', 'resolved', 2));
  });

  test.each([
    ['a dark PSAP', 'Down', 'critical'],
    ['a degraded path', 'Partial', 'major'],
    ['a major incident in progress', 'MajorIncidentInProgress', 'major'],
  ] as const)('severity for %s (%s) is %s', (_name, state, severity) => {
    expect(incidentSeverity(openIncident('routing', [view('hennepin', state)], [], T0))).toBe(severity);
  });

  test('kind and certainty let integrations skip planned maintenance or wait for confirmation', () => {
    const incident = { ...initial.incident, kind: 'maintenance' as const, certainty: 'confirmed' as const };
    const m = topicMessage({ ...initial, incident }, RENDERED, model.services);
    expect(m.MessageAttributes.kind).toEqual({ DataType: 'String', StringValue: 'maintenance' });
    expect(m.MessageAttributes.certainty).toEqual({ DataType: 'String', StringValue: 'confirmed' });
  });

  test('severity of an incident with no impaired service is minor', () => {
    expect(incidentSeverity({ ...initial.incident, services: {} })).toBe('minor');
  });

  test('a custom default, a multi-line subject and an over-long SMS are made valid', () => {
    const m = topicMessage(initial, { subject: 'ALERT\r\n911 DOWN', sms: `911 ALERT: ${'x'.repeat(300)}`, email: 'body', default: 'for queues' }, model.services);
    const parsed = JSON.parse(m.Message) as Record<string, string>;

    expect(m.Subject).toBe('ALERT 911 DOWN');
    expect(parsed.default).toBe('for queues');
    expect(fitsOneSms(parsed.sms!)).toBe(true);
    expect(parsed.sms!.endsWith('...')).toBe(true);
  });

  test('no empty attribute values: an incident with no known service has no state/fips attributes', () => {
    const m = topicMessage({ ...initial, incident: { ...initial.incident, services: { ghost: initial.incident.services.hennepin! } } }, RENDERED, model.services);
    expect(m.MessageAttributes.state).toBeUndefined();
    expect(m.MessageAttributes.fips).toBeUndefined();
    for (const v of Object.values(m.MessageAttributes)) expect(v.StringValue).not.toBe('');
  });

  test('a message over 256 KiB is cut to fit, with a marker', () => {
    const m = topicMessage(initial, { ...RENDERED, email: `${'é'.repeat(200_000)}\n` }, model.services);
    const attributeBytes = Object.entries(m.MessageAttributes).reduce((n, [k, v]) => n + k.length + v.DataType!.length + Buffer.byteLength(v.StringValue!), 0);

    expect(Buffer.byteLength(m.Message) + Buffer.byteLength(m.Subject) + attributeBytes).toBeLessThanOrEqual(MAX_SNS_MESSAGE_BYTES);
    const parsed = JSON.parse(m.Message) as Record<string, string>;
    expect(parsed.email).toMatch(/\[truncated: the full notice is too long for the topic\]\n$/);
    expect(parsed.default).toMatch(/\[truncated/);
    expect(parsed.sms).toBe(RENDERED.sms);
  });
});

describe('IncidentTopicPublisher', () => {
  const sns = mockClient(SNSClient);
  const client = new SNSClient({ region: 'us-east-1' });
  beforeEach(() => sns.reset());

  test('publishes exactly the topic message to the topic and returns the MessageId', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'topic-1' });

    await expect(new IncidentTopicPublisher({ client, topicArn: TOPIC, services: model.services }).publish(initial, RENDERED)).resolves.toEqual({ messageId: 'topic-1' });

    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input).toStrictEqual({
      TopicArn: TOPIC,
      Subject: RENDERED.subject,
      MessageStructure: 'json',
      Message: JSON.stringify({ default: RENDERED.email, sms: RENDERED.sms, email: RENDERED.email }),
      MessageAttributes: ATTRIBUTES('critical', 'initial', 'opened', 1),
    });
  });

  test('rejects with a redacted DELIVERY.FAILED when SNS errors', async () => {
    sns.on(PublishCommand).rejects(
      new SNSServiceException({ name: 'AuthorizationErrorException', $fault: 'client', $metadata: { httpStatusCode: 403, requestId: 'r-1' }, message: 'not allowed for +16125550123 or jane@county.mn.us' }),
    );

    const sent = new IncidentTopicPublisher({ client, topicArn: TOPIC, services: model.services }).publish(initial, RENDERED);

    const error = (await sent.catch((e: unknown) => e)) as DialtoneError;
    expect(error).toBeInstanceOf(DialtoneError);
    expect(error.code).toBe('DELIVERY.FAILED');
    expect(error.message).toContain('AuthorizationErrorException');
    expect(error.message).not.toContain('+16125550123');
    expect(error.message).not.toContain('jane@county.mn.us');
    expect(error.details).toMatchObject({ incidentId: initial.incidentId, seq: 1, topicArn: TOPIC, httpStatusCode: 403, requestId: 'r-1' });
  });

  test('rejects when SNS answers without a MessageId', async () => {
    sns.on(PublishCommand).resolves({});
    await expect(new IncidentTopicPublisher({ client, topicArn: TOPIC, services: model.services }).publish(initial, RENDERED)).rejects.toThrow(/returned no MessageId/);
  });
});
