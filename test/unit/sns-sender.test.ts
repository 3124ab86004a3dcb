import 'aws-sdk-client-mock-jest';
import { PublishCommand, SNSClient, SNSServiceException } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import type { Sender } from '../../shared/app/ports.js';
import { ChannelRouterSender, SnsSmsSender } from '../../shared/adapters/sns-sender.js';
import { DialtoneError } from '../../shared/domain/errors.js';
import type { Delivery } from '../../shared/domain/records.js';

const PHONE = '+16125550123';
const EMAIL = 'jane.doe@county.mn.us';
const TEXT = 'DIALTONE 911: Ramsey ECC DOWN (voice). Rollover to Washington ECC.';

function delivery(overrides: Partial<Delivery> = {}): Delivery {
  return {
    incidentId: 'inc-1',
    seq: 1,
    recipientId: 'ramsey-floor',
    channel: 'sms',
    phase: 'initial',
    role: 'psap',
    address: PHONE,
    text: TEXT,
    status: 'pending',
    attempts: 1,
    leaseUntil: '2026-03-01T12:01:00.000Z',
    createdAt: '2026-03-01T12:00:00.000Z',
    ...overrides,
  };
}

const emailDelivery = () =>
  delivery({ channel: 'email', recipientId: 'fcc-desk', role: 'fcc-liaison', address: EMAIL, subject: '[dialtone] ESCALATION' });

const TRANSACTIONAL = { 'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' } };

describe('SnsSmsSender', () => {
  const sns = mockClient(SNSClient);
  const client = new SNSClient({ region: 'us-east-1' });
  beforeEach(() => sns.reset());

  test('publishes the text to the number as a Transactional SMS and returns the MessageId', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'msg-1' });

    await expect(new SnsSmsSender({ client }).send(delivery())).resolves.toEqual({ messageId: 'msg-1' });

    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, { PhoneNumber: PHONE, Message: TEXT, MessageAttributes: TRANSACTIONAL });
    // toHaveReceivedCommandWith matches a subset: also pin the whole input (no TopicArn, Subject, …).
    expect(sns.commandCalls(PublishCommand)[0]?.args[0].input).toStrictEqual({
      PhoneNumber: PHONE,
      Message: TEXT,
      MessageAttributes: TRANSACTIONAL,
    });
  });

  const ORIGINATION = { 'AWS.MM.SMS.OriginationNumber': { DataType: 'String', StringValue: '+18885550100' } };
  const MAX_PRICE = { 'AWS.SNS.SMS.MaxPrice': { DataType: 'Number', StringValue: '0.50' } };
  test.each([
    ['neither', {}, TRANSACTIONAL],
    ['an origination number', { originationNumber: '+18885550100' }, { ...TRANSACTIONAL, ...ORIGINATION }],
    ['a max price', { maxPriceUsd: '0.50' }, { ...TRANSACTIONAL, ...MAX_PRICE }],
    ['both', { originationNumber: '+18885550100', maxPriceUsd: '0.50' }, { ...TRANSACTIONAL, ...ORIGINATION, ...MAX_PRICE }],
  ])('with %s configured, sends exactly those attributes', async (_name, options, attributes) => {
    sns.on(PublishCommand).resolves({ MessageId: 'msg-2' });

    await new SnsSmsSender({ client, ...options }).send(delivery());

    expect(sns.commandCalls(PublishCommand)[0]?.args[0].input).toStrictEqual({
      PhoneNumber: PHONE,
      Message: TEXT,
      MessageAttributes: attributes,
    });
  });

  test('rejects when SNS errors, with the number masked, and sends nothing else', async () => {
    sns.on(PublishCommand).rejects(
      new SNSServiceException({
        name: 'InvalidParameterException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400, requestId: 'req-1' },
        message: `Invalid parameter: PhoneNumber Reason: ${PHONE} is not valid to publish to`,
      }),
    );

    const sent = new SnsSmsSender({ client }).send(delivery());

    await expect(sent).rejects.toBeInstanceOf(DialtoneError);
    const error = (await sent.catch((e: unknown) => e)) as DialtoneError;
    expect(error.code).toBe('DELIVERY.FAILED');
    expect(error.message).toContain('InvalidParameterException');
    expect(error.message).toContain('+1******0123');
    expect(error.message).not.toContain(PHONE);
    expect(error.details).toMatchObject({ incidentId: 'inc-1', seq: 1, recipientId: 'ramsey-floor', httpStatusCode: 400, requestId: 'req-1' });
    expect(JSON.stringify(error.details)).not.toContain(PHONE);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(sns.calls()).toHaveLength(1);
  });

  test('rejects when SNS answers without a MessageId', async () => {
    sns.on(PublishCommand).resolves({});

    await expect(new SnsSmsSender({ client }).send(delivery())).rejects.toThrow(/returned no MessageId/);
  });

  test('rejects an email delivery without calling SNS', async () => {
    const sent = new SnsSmsSender({ client }).send(emailDelivery());

    await expect(sent).rejects.toMatchObject({ code: 'DELIVERY.FAILED', message: expect.stringContaining('SMS only') });
    await expect(sent).rejects.toThrow('j***@county.mn.us');
    expect(sns.calls()).toHaveLength(0);
  });
});

describe('ChannelRouterSender', () => {
  const fake = (messageId: string) => {
    const sent: Delivery[] = [];
    const sender: Sender = {
      send: async (d) => {
        sent.push(d);
        return { messageId };
      },
    };
    return { sender, sent };
  };

  test('dispatches each delivery to the sender for its channel', async () => {
    const sms = fake('sms-1');
    const email = fake('email-1');
    const router = new ChannelRouterSender({ sms: sms.sender, email: email.sender });

    await expect(router.send(delivery())).resolves.toEqual({ messageId: 'sms-1' });
    await expect(router.send(emailDelivery())).resolves.toEqual({ messageId: 'email-1' });

    expect(sms.sent.map((d) => d.channel)).toEqual(['sms']);
    expect(email.sent.map((d) => d.channel)).toEqual(['email']);
  });

  test('rejects a channel with no sender, naming the channel and the masked recipient', async () => {
    const sms = fake('sms-1');
    const sent = new ChannelRouterSender({ sms: sms.sender }).send(emailDelivery());

    await expect(sent).rejects.toMatchObject({ code: 'DELIVERY.FAILED' });
    const { message } = (await sent.catch((e: unknown) => e)) as DialtoneError;
    expect(message).toContain('"email"');
    expect(message).toContain('fcc-desk');
    expect(message).toContain('j***@county.mn.us');
    expect(message).not.toContain(EMAIL);
    expect(sms.sent).toHaveLength(0);
  });

  test('passes a sender rejection through (the delivery is not marked sent)', async () => {
    const failing: Sender = { send: () => Promise.reject(new Error('throttled')) };

    await expect(new ChannelRouterSender({ sms: failing }).send(delivery())).rejects.toThrow('throttled');
  });
});
