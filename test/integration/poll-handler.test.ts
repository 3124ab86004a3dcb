import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context } from 'aws-lambda';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { startEmbeddedDynamo } from '../../shared/adapters/embedded-dynamo.js';
import { testConfig } from '../support/config.js';

/**
 * The deployed poll handler, as Lambda runs it: middy + Powertools logger, config from the
 * bundle, DynamoDB (here the embedded store through the SDK's endpoint variable), SNS (mocked),
 * and a Statuspage served on loopback.
 */
describe('functions/poll handler', () => {
  let db: Awaited<ReturnType<typeof startEmbeddedDynamo>>;
  let server: Server;
  let indicator = 'none';
  const sns = mockClient(SNSClient);
  const context = { functionName: 'dialtone-poll', awsRequestId: 'req-1', invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:dialtone-poll', memoryLimitInMB: '512', functionVersion: '$LATEST', getRemainingTimeInMillis: () => 50_000 } as unknown as Context;
  const saved = { ...process.env };

  beforeAll(async () => {
    db = await startEmbeddedDynamo();
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({ page: { id: 'p', name: 'Vendor', url: 'https://status.vendor.example', updated_at: '2026-09-29T00:00:00Z' }, status: { indicator, description: '' }, components: [], incidents: [] }),
      );
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v2/summary.json`;
    const base = testConfig();
    const config = {
      ...base,
      network: { allow: ['127.0.0.1'] },
      sources: [{ id: 'vendor', kind: 'statuspage', url, everySeconds: 60, recheckSeconds: 1, timeoutMs: 2000, maxBytes: 65536, components: [{ id: 'routing', name: 'NG911 routing', provider: 'Meridian NG911 Inc.', match: { page: true } }] }],
      services: base.services.map((s) => ({ ...s, dependsOn: s.dependsOn.filter((d) => d.component === 'routing') })),
      recipients: base.recipients.filter((r) => r.channels.sms).map((r) => ({ ...r, channels: { sms: r.channels.sms } })),
    };
    Object.assign(process.env, {
      TABLE_NAME: db.tableName,
      DIALTONE_CONFIG_JSON: JSON.stringify(config),
      AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
    sns.on(PublishCommand).resolves({ MessageId: 'sns-1' });
  });
  afterAll(async () => {
    process.env = saved;
    sns.restore();
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
    await db.stop();
  });

  test('polls, records, and sends SMS through SNS as Transactional exactly once', async () => {
    const { handler } = await import('../../functions/poll/handler.js');
    const event = { 'detail-type': 'Scheduled Event' };
    expect(await handler(event, context)).toMatchObject({ sources: 1, failedSources: 0, transitions: 0, notices: 0, sent: 0 });

    // Page-level major outage: the first bad read is confirmed by a re-read a second later,
    // in the same invocation, not at the next minute.
    indicator = 'critical';
    const confirmed = await handler(event, context);
    expect(confirmed).toMatchObject({ failedSources: 0, rechecks: 1, notices: 1, failedDeliveries: 0 });
    expect(confirmed.transitions).toBeGreaterThanOrEqual(3); // the component and its dependent services

    // neighbours of Hennepin (Ramsey, Anoka) and Maricopa (Pinal); Hennepin's own floor is not paged
    const numbers = sns.commandCalls(PublishCommand).map((c) => c.args[0].input.PhoneNumber).sort();
    expect(numbers).toEqual(['+15205550166', '+16515550198', '+17635550187']);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      PhoneNumber: '+16515550198',
      Message: expect.stringMatching(/^911 ALERT \(suspected\): neighbor PSAP Hennepin County 911 MN DOWN/),
      MessageAttributes: { 'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' } },
    });

    // The same schedule tick delivered again (Scheduler retries): nothing new is sent.
    const again = await handler(event, context);
    expect(again).toMatchObject({ notices: 0, sent: 0 });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 3);
  });

  test('a malformed event is rejected with a clear error naming the field', async () => {
    const { handler } = await import('../../functions/poll/handler.js');
    await expect(handler({ sourceIds: 'vendor' }, context)).rejects.toThrow(/sourceIds/);
  });
});
