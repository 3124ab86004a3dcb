import 'aws-sdk-client-mock-jest';
import { SendEmailCommand, SESv2Client, SESv2ServiceException } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { emailSubject, SesEmailSender } from '../../shared/adapters/ses-sender.js';
import { DialtoneError } from '../../shared/domain/errors.js';
import type { Delivery } from '../../shared/domain/records.js';

const EMAIL = 'jane.doe@county.mn.us';
const FROM = 'dialtone <alerts@dialtone.example>';
const SUBJECT = '[dialtone] ALERT: 911 Hennepin County 911 MN DOWN - INC-20260929-abc123';
const BODY = 'dialtone 911 outage notice - ALERT\n\nFCC 47 CFR 4.9(h) notice fields\n';

function delivery(overrides: Partial<Delivery> = {}): Delivery {
  return {
    incidentId: 'INC-20260929-abc123',
    seq: 2,
    recipientId: 'hennepin-em',
    channel: 'email',
    phase: 'update',
    role: 'county-manager',
    address: EMAIL,
    subject: SUBJECT,
    text: BODY,
    status: 'pending',
    attempts: 1,
    leaseUntil: '2026-09-29T00:11:00.000Z',
    createdAt: '2026-09-29T00:10:00.000Z',
    ...overrides,
  };
}

const simple = (subject: string, body: Record<string, unknown> = { Text: { Data: BODY, Charset: 'UTF-8' } }) => ({
  Simple: { Subject: { Data: subject, Charset: 'UTF-8' }, Body: body },
});

describe('SesEmailSender', () => {
  const ses = mockClient(SESv2Client);
  const client = new SESv2Client({ region: 'us-east-1' });
  beforeEach(() => ses.reset());

  test('sends one SendEmail to the one recipient from the configured identity and returns the MessageId', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'ses-1' });

    await expect(new SesEmailSender({ client, fromEmailAddress: FROM }).send(delivery())).resolves.toEqual({ messageId: 'ses-1' });

    expect(ses).toHaveReceivedCommandTimes(SendEmailCommand, 1);
    expect(ses.commandCalls(SendEmailCommand)[0]?.args[0].input).toStrictEqual({
      FromEmailAddress: FROM,
      Destination: { ToAddresses: [EMAIL] },
      Content: simple(SUBJECT),
    });
  });

  test('with a configuration set: names it and tags the message with the delivery (no address in tags)', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'ses-2' });

    await new SesEmailSender({ client, fromEmailAddress: FROM, configurationSetName: 'dialtone-alerts' }).send(delivery());

    expect(ses.commandCalls(SendEmailCommand)[0]?.args[0].input).toStrictEqual({
      FromEmailAddress: FROM,
      Destination: { ToAddresses: [EMAIL] },
      Content: simple(SUBJECT),
      ConfigurationSetName: 'dialtone-alerts',
      EmailTags: [
        { Name: 'incidentId', Value: 'INC-20260929-abc123' },
        { Name: 'seq', Value: '2' },
        { Name: 'phase', Value: 'update' },
        { Name: 'role', Value: 'county-manager' },
      ],
    });
  });

  test('adds an HTML part when one is rendered for the delivery, keeping the text part', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'ses-3' });
    const html = (d: Delivery) => `<pre>${d.incidentId}</pre>`;

    await new SesEmailSender({ client, fromEmailAddress: FROM, html }).send(delivery());

    expect(ses.commandCalls(SendEmailCommand)[0]?.args[0].input.Content).toStrictEqual(
      simple(SUBJECT, { Text: { Data: BODY, Charset: 'UTF-8' }, Html: { Data: '<pre>INC-20260929-abc123</pre>', Charset: 'UTF-8' } }),
    );
  });

  test.each([
    ['a line break (header injection)', 'ALERT\r\nBcc: evil@example.com', 'ALERT Bcc: evil@example.com'],
    ['tabs and runs of spaces', '  ALERT:\t911   DOWN ', 'ALERT: 911 DOWN'],
    ['no subject at all', undefined, '[dialtone] 911 outage notice'],
    ['only control characters', '\n\r\t', '[dialtone] 911 outage notice'],
    ['a long subject', `ALERT ${'x'.repeat(200)}`, `ALERT ${'x'.repeat(90)}...`],
  ])('the subject is one line under 100 characters: %s', async (_name, subject, expected) => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'ses-4' });

    await new SesEmailSender({ client, fromEmailAddress: FROM }).send(delivery({ subject }));

    const sent = ses.commandCalls(SendEmailCommand)[0]?.args[0].input.Content?.Simple?.Subject?.Data;
    expect(sent).toBe(expected);
    expect(sent!.length).toBeLessThan(100);
    expect(emailSubject(subject)).toBe(expected);
  });

  test('rejects when SES errors, with the addresses redacted', async () => {
    ses.on(SendEmailCommand).rejects(
      new SESv2ServiceException({
        name: 'MessageRejected',
        $fault: 'client',
        $metadata: { httpStatusCode: 400, requestId: 'req-9' },
        message: `Email address is not verified. The following identities failed the check in region US-EAST-1: ${EMAIL}`,
      }),
    );

    const sent = new SesEmailSender({ client, fromEmailAddress: FROM }).send(delivery());

    await expect(sent).rejects.toBeInstanceOf(DialtoneError);
    const error = (await sent.catch((e: unknown) => e)) as DialtoneError;
    expect(error.code).toBe('DELIVERY.FAILED');
    expect(error.message).toContain('MessageRejected');
    expect(error.message).toContain('j***@county.mn.us');
    expect(error.message).not.toContain(EMAIL);
    expect(error.details).toMatchObject({ incidentId: 'INC-20260929-abc123', seq: 2, recipientId: 'hennepin-em', httpStatusCode: 400, requestId: 'req-9', awsError: 'MessageRejected' });
    expect(JSON.stringify(error.details)).not.toContain(EMAIL);
    expect(ses.calls()).toHaveLength(1);
  });

  test('rejects when SES answers without a MessageId', async () => {
    ses.on(SendEmailCommand).resolves({});

    await expect(new SesEmailSender({ client, fromEmailAddress: FROM }).send(delivery())).rejects.toThrow(/returned no MessageId/);
  });

  test('rejects an SMS delivery without calling SES, with the number masked', async () => {
    const sent = new SesEmailSender({ client, fromEmailAddress: FROM }).send(delivery({ channel: 'sms', address: '+16125550123' }));

    await expect(sent).rejects.toMatchObject({ code: 'DELIVERY.FAILED', message: expect.stringContaining('email only') });
    await expect(sent).rejects.toThrow('+1******0123');
    expect(ses.calls()).toHaveLength(0);
  });
});
