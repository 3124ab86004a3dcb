import 'aws-sdk-client-mock-jest';
import { gzipSync } from 'node:zlib';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { GetSMSAttributesCommand, ListPhoneNumbersOptedOutCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsDeliveryChannels, EventBridgeSink, SnsSmsAccount } from '../../shared/adapters/delivery-channels.js';
import { decodeLogsEvent } from '../../shared/adapters/delivery-status-log.js';
import { LocalDeliveryChannels } from '../../shared/adapters/local-channels.js';
import { LocalDeliveryLog, readDeliveryLog } from '../../shared/adapters/local-sender.js';
import { serviceChanges, topicBodies } from '../../shared/app/deliver.js';
import { readDeliveryEnv } from '../../shared/config/delivery-env.js';
import { SimulatedClock } from '../../shared/domain/clock.js';
import { issueNotice, openIncident } from '../../shared/domain/incident.js';
import type { Delivery } from '../../shared/domain/records.js';
import { testModel } from '../support/config.js';

const model = testModel();
const T0 = new Date('2026-09-29T00:10:00Z');
const notice = issueNotice(openIncident('routing', [{ serviceId: 'hennepin', state: 'Down', since: T0.toISOString(), causes: ['routing'] }], [], T0), 'opened', T0).notice;
const delivery = (channel: 'sms' | 'email', members?: Delivery['members']): Delivery => ({
  incidentId: 'INC-20260929-abcdef',
  seq: 1,
  recipientId: 'ramsey-floor',
  channel,
  phase: 'initial',
  role: 'psap',
  address: channel === 'sms' ? '+16515550198' : 'floor@ramsey.example',
  ...(channel === 'email' ? { subject: '[dialtone] ALERT: x' } : {}),
  text: 'hello',
  status: 'pending',
  attempts: 1,
  leaseUntil: T0.toISOString(),
  createdAt: T0.toISOString(),
  ...(members ? { members } : {}),
});
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:dialtone-incidents';

describe('AwsDeliveryChannels: the exact SDK commands', () => {
  const sns = mockClient(SNSClient);
  const ses = mockClient(SESv2Client);
  const eb = mockClient(EventBridgeClient);
  beforeEach(() => {
    sns.reset();
    ses.reset();
    eb.reset();
    sns.on(PublishCommand).resolves({ MessageId: 'sns-1' });
    ses.on(SendEmailCommand).resolves({ MessageId: 'ses-1' });
    eb.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({ FailedEntryCount: 0, Entries: input.Entries.map((_, i) => ({ EventId: `ev-${i}` })) }));
  });
  const channels = (env: Record<string, string>) =>
    new AwsDeliveryChannels({
      sns: new SNSClient({ region: 'us-east-1' }),
      ses: new SESv2Client({ region: 'us-east-1' }),
      eventBridge: new EventBridgeClient({ region: 'us-east-1' }),
      env: readDeliveryEnv(env),
      directory: model,
    });

  test('SMS: SNS Publish to the number, Transactional, from the origination number', async () => {
    await channels({ SMS_ORIGINATION_NUMBER: '+18335550100' }).send(delivery('sms'));
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      PhoneNumber: '+16515550198',
      Message: 'hello',
      MessageAttributes: {
        'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
        'AWS.MM.SMS.OriginationNumber': { DataType: 'String', StringValue: '+18335550100' },
      },
    });
  });

  test('email: SES v2 SendEmail from SES_FROM_ADDRESS (EMAIL_FROM is accepted too); without either it fails visibly', async () => {
    await channels({ SES_FROM_ADDRESS: 'dialtone <alerts@dialtone.example>' }).send(delivery('email'));
    await channels({ EMAIL_FROM: 'alerts@dialtone.example' }).send(delivery('email'));
    expect(ses.commandCalls(SendEmailCommand).map((c) => [c.args[0].input.FromEmailAddress, c.args[0].input.Destination])).toEqual([
      ['dialtone <alerts@dialtone.example>', { ToAddresses: ['floor@ramsey.example'] }],
      ['alerts@dialtone.example', { ToAddresses: ['floor@ramsey.example'] }],
    ]);
    await expect(channels({}).send(delivery('email'))).rejects.toThrow(/no sender configured for channel "email"/);
  });

  test('the incident topic: Publish with MessageStructure json and the filter attributes', async () => {
    const c = channels({ INCIDENT_TOPIC_ARN: TOPIC });
    expect(await c.topic!.publish(notice, topicBodies(notice, model))).toEqual({ messageId: 'sns-1' });
    const input = sns.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ TopicArn: TOPIC, MessageStructure: 'json', Subject: expect.stringMatching(/^\[dialtone\] ALERT: 911 Hennepin County 911 MN DOWN - INC-/) });
    const message = JSON.parse(input.Message!);
    expect(Object.keys(message).sort()).toEqual(['default', 'email', 'sms']);
    expect(message.sms).toMatch(/^911 ALERT \(suspected\): Hennepin County 911/);
    expect(input.MessageAttributes).toMatchObject({ state: { DataType: 'String.Array', StringValue: '["MN"]' }, severity: { DataType: 'String', StringValue: 'critical' }, phase: { DataType: 'String', StringValue: 'initial' } });
    expect(channels({}).topic).toBeUndefined();
  });

  test('EventBridge: the notice event and one ServiceStateChanged per changed service, in one PutEvents', async () => {
    const c = channels({ EVENT_BUS_NAME: 'dialtone' });
    const r = await c.events!.publish(notice, serviceChanges(notice, undefined));
    expect(r).toEqual({ messageId: 'ev-0,ev-1' });
    expect(eb).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    const entries = eb.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries!;
    expect(entries.map((e) => [e.EventBusName, e.Source, e.DetailType])).toEqual([
      ['dialtone', 'dialtone', 'IncidentOpened.v1'],
      ['dialtone', 'dialtone', 'ServiceStateChanged.v1'],
    ]);
    expect(JSON.parse(entries[1]!.Detail!)).toMatchObject({ serviceId: 'hennepin', from: 'Normal', to: 'Down', causes: ['routing'], fips: '27053', usState: 'MN' });
  });

  test('EventBridge: a failed entry fails the publication (it is retried whole)', async () => {
    const sink = new EventBridgeSink({ publish: async () => ({ sent: [], failed: [{ detailType: 'IncidentOpened.v1', key: 'k', errorCode: 'AccessDeniedException', errorMessage: 'no', attempts: 1 }] }) }, model);
    await expect(sink.publish(notice, [])).rejects.toThrow(/EventBridge: 1 of 1 events for INC-\S+#1 not put: IncidentOpened.v1 k: AccessDeniedException/);
  });

  test('opt-outs: a fresh checker per run, listing with ListPhoneNumbersOptedOut', async () => {
    sns.on(ListPhoneNumbersOptedOutCommand).resolves({ phoneNumbers: ['+16515550198'] });
    const c = channels({});
    const run = c.optOuts();
    expect(await run.listOptedOut()).toMatchObject({ count: 1, complete: true });
    expect(await run.check('+16515550198')).toEqual({ status: 'opted-out' });
    expect(sns).toHaveReceivedCommandTimes(ListPhoneNumbersOptedOutCommand, 1);
    expect(c.optOuts()).not.toBe(run);
  });

  test('the SMS monthly spend limit: GetSMSAttributes MonthlySpendLimit, read once', async () => {
    sns.on(GetSMSAttributesCommand).resolves({ attributes: { MonthlySpendLimit: '50' } });
    const account = new SnsSmsAccount(new SNSClient({ region: 'us-east-1' }));
    expect(await account.monthlySpendLimitUsd()).toBe('50');
    expect(await account.monthlySpendLimitUsd()).toBe('50');
    expect(sns).toHaveReceivedCommandTimes(GetSMSAttributesCommand, 1);
    expect(sns).toHaveReceivedCommandWith(GetSMSAttributesCommand, { attributes: ['MonthlySpendLimit'] });
  });

  test('the deadline is the invocation\'s remaining time, set per invocation', () => {
    const c = channels({});
    expect(c.remainingMs()).toBeUndefined();
    c.setDeadline(() => 12_345);
    expect(c.remainingMs()).toBe(12_345);
  });

  test('the environment is validated at the boundary', () => {
    expect(() => readDeliveryEnv({ INCIDENT_TOPIC_ARN: 'dialtone-incidents' })).toThrow(/INCIDENT_TOPIC_ARN: an SNS topic ARN/);
    expect(() => readDeliveryEnv({ SMS_ORIGINATION_NUMBER: '833-555-0100' })).toThrow(/SMS_ORIGINATION_NUMBER: E.164/);
  });
});

describe('the local topic and bus: lines in the delivery log', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'dialtone-local-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('a topic line and event lines next to the deliveries; readDeliveryLog still reads only deliveries', async () => {
    const file = join(dir, 'log.jsonl');
    const printed: string[] = [];
    const clock = new SimulatedClock(T0);
    const options = { clock, file, print: (l: string) => printed.push(l), publicContacts: model.publicContacts };
    const local = new LocalDeliveryChannels(new LocalDeliveryLog(options), { ...options, directory: model });
    await local.topic.publish(notice, topicBodies(notice, model));
    await local.events.publish(notice, serviceChanges(notice, undefined));
    await local.send(delivery('sms', [{ incidentId: 'INC-a', seq: 1 }, { incidentId: 'INC-b', seq: 2 }]));
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.kind ?? 'delivery')).toEqual(['topic', 'event', 'event', 'delivery']);
    expect(lines[0]).toMatchObject({ incidentId: notice.incidentId, seq: 1, phase: 'initial', attributes: { severity: 'critical', state: '["MN"]' } });
    expect(lines[1]).toMatchObject({ detailType: 'IncidentOpened.v1', key: `${notice.incidentId}#1` });
    expect(lines[2]).toMatchObject({ detailType: 'ServiceStateChanged.v1', detail: { serviceId: 'hennepin', from: 'Normal', to: 'Down' } });
    expect(readDeliveryLog(file)).toEqual([expect.objectContaining({ recipientId: 'ramsey-floor', address: '+1******0198', members: [{ incidentId: 'INC-a', seq: 1 }, { incidentId: 'INC-b', seq: 2 }] })]);
    expect(printed[0]).toMatch(/^ {2}→ TOPIC incidents {2}initial #1 {2}severity=critical state=\["MN"\] {2}"\[dialtone\] ALERT: /);
    expect(printed[1]).toMatch(/^ {2}→ EVENT IncidentOpened\.v1 {2}INC-\S+ #1 opened$/);
    expect(printed[2]).toBe('  → EVENT ServiceStateChanged.v1  hennepin: Normal -> Down');
  });
});

describe('SMS delivery status log lines (CloudWatch Logs subscription)', () => {
  const event = (data: unknown) => ({ awslogs: { data: gzipSync(JSON.stringify(data)).toString('base64') } });
  const line = (over: object = {}) =>
    JSON.stringify({
      notification: { messageId: '34d9b400-c6dd-5444-820d-fbeb0f1f54cf', timestamp: '2016-06-28 00:40:34.558' },
      delivery: { phoneCarrier: 'My Phone Carrier', mnc: 270, numberOfMessageParts: 1, destination: '+1XXX5550100', priceInUSD: 0.00645, smsType: 'Transactional', mcc: 310, providerResponse: 'Message has been accepted by phone carrier', dwellTimeMs: 599, dwellTimeMsUntilDeviceAck: 1344 },
      status: 'SUCCESS',
      ...over,
    });

  test.each<[string, string, object]>([
    ['success', line(), { messageId: '34d9b400-c6dd-5444-820d-fbeb0f1f54cf', status: 'delivered', reason: 'Message has been accepted by phone carrier', at: '2016-06-28T00:40:34.558Z', priceUsd: 0.00645, parts: 1 }],
    ['failure', line({ status: 'FAILURE', delivery: { providerResponse: 'Unknown error attempting to reach phone', destination: '+1XXX5550100' } }), { status: 'failed', reason: 'Unknown error attempting to reach phone' }],
    ['no timestamp: the log event time', line({ notification: { messageId: 'm' } }), { messageId: 'm', at: '2016-06-28T00:40:40.000Z' }],
  ])('%s', (_n, message, expected) => {
    const decoded = decodeLogsEvent(event({ messageType: 'DATA_MESSAGE', logEvents: [{ id: '1', timestamp: Date.parse('2016-06-28T00:40:40Z'), message }] }));
    expect(decoded.problems).toEqual([]);
    expect(decoded.statuses[0]).toMatchObject(expected);
  });

  test('a line that is not a status is reported by id, without its content; control messages carry none', () => {
    const decoded = decodeLogsEvent(event({ messageType: 'DATA_MESSAGE', logEvents: [{ id: 'e1', timestamp: 0, message: '+16515550198 said hi' }, { id: 'e2', timestamp: 0, message: '{"status":"MAYBE"}' }] }));
    expect(decoded.statuses).toEqual([]);
    expect(decoded.problems[0]).toBe('log event e1: not JSON');
    expect(decoded.problems[1]).toMatch(/^log event e2: not an SMS delivery status \(notification: /);
    expect(decoded.problems.join()).not.toMatch(/6515550198/);
    expect(decodeLogsEvent(event({ messageType: 'CONTROL_MESSAGE', logEvents: [] }))).toEqual({ statuses: [], problems: [], control: true });
  });

  test.each([
    ['not an awslogs event', { hello: 1 }, /awslogs/],
    ['not gzip', { awslogs: { data: 'aGVsbG8=' } }, /not gzip-compressed base64 JSON/],
  ])('%s: a clear error', (_n, input, expected) => {
    expect(() => decodeLogsEvent(input)).toThrow(expected);
  });
});
