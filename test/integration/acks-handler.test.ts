import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createAcksHandler, type InboundSmsResult } from '../../functions/acks/handler.js';
import { ackLink } from '../../shared/app/ack.js';
import { sendRollCall } from '../../shared/app/roster.js';
import type { Log } from '../../shared/app/log.js';
import { runPollCycle } from '../../shared/app/poll-cycle.js';
import { ackCode } from '../../shared/domain/incident.js';
import type { Incident } from '../../shared/domain/records.js';
import { testConfig } from '../support/config.js';
import { startTestPipeline } from '../support/pipeline.js';

type Pipeline = Awaited<ReturnType<typeof startTestPipeline>>;
const minute = 60_000;
const SECRET = 'ack-secret';

/** A Log that keeps every line, to assert what was (and was not) written. */
function recordingLog() {
  const lines: Array<{ level: string; message: string; extra?: Record<string, unknown> }> = [];
  const at = (level: string) => (message: string, extra?: Record<string, unknown>) => void lines.push({ level, message, ...(extra ? { extra } : {}) });
  const log: Log = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { log, lines };
}

const linkEvent = (incidentId: string, recipientId: string, signature: string, method = 'GET') => ({
  version: '2.0',
  routeKey: 'GET /ack/{incidentId}/{recipientId}/{signature}',
  rawPath: `/ack/${encodeURIComponent(incidentId)}/${encodeURIComponent(recipientId)}/${signature}`,
  requestContext: { http: { method, path: '/ack' }, requestId: 'r-1' },
  pathParameters: { incidentId: encodeURIComponent(incidentId), recipientId: encodeURIComponent(recipientId), signature },
  isBase64Encoded: false,
});

/** An SNS notification carrying End User Messaging's inbound-SMS JSON (with fields the handler does not use). */
const smsEvent = (from: string, body: string) => ({
  Records: [
    {
      EventSource: 'aws:sns',
      EventVersion: '1.0',
      Sns: {
        Type: 'Notification',
        MessageId: 'sns-1',
        TopicArn: 'arn:aws:sns:us-east-1:111122223333:InboundSms',
        Message: JSON.stringify({
          originationNumber: from,
          destinationNumber: '+18335550100',
          messageKeyword: 'KEYWORD_111122223333',
          messageBody: body,
          previousPublishedMessageId: 'prev-1',
          inboundMessageId: 'in-1',
        }),
        Timestamp: '2026-09-29T00:03:00.000Z',
      },
    },
  ],
});

describe('functions/acks handler on the embedded store', () => {
  let p: Pipeline;
  let incident: Incident;
  let rec: ReturnType<typeof recordingLog>;
  let handler: ReturnType<typeof createAcksHandler>;

  beforeEach(async () => {
    p = await startTestPipeline(testConfig());
    await runPollCycle(p.deps);
    p.upstream.set('routing', 'major_outage');
    for (let i = 0; i < 2; i++) {
      p.clock.advance(minute);
      await runPollCycle(p.deps);
    }
    incident = (await p.store.listOpenIncidents())[0]!;
    expect(incident).toBeDefined();
    rec = recordingLog();
    handler = createAcksHandler({ store: p.store, model: p.deps.model, clock: p.clock, log: rec.log, ackSecret: SECRET });
  });
  afterEach(() => p.stop());

  const follow = async (link: string, method = 'GET') => {
    const [, , id, recipient, signature] = new URL(link).pathname.split('/').map(decodeURIComponent);
    return (await handler(linkEvent(id!, recipient!, signature!, method))) as APIGatewayProxyStructuredResultV2;
  };

  test('opening a signed link only shows a button (mail scanners open links): nothing is recorded', async () => {
    const r = await follow(ackLink('https://ack.example', SECRET, incident.id, 'ramsey-floor'));
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('<form method="post">');
    expect(r.body).toContain(`Acknowledge that your agency knows about ${incident.id}?`);
    expect(await p.store.listAcks(incident.id)).toEqual([]);
    expect((await follow(ackLink('https://ack.example', 'not-the-secret', incident.id, 'ramsey-floor'))).statusCode).toBe(401);
  });

  test('the button (POST): 200 with a short page, and the ack is recorded', async () => {
    const r = await follow(ackLink('https://ack.example', SECRET, incident.id, 'ramsey-floor'), 'POST');
    expect(r.statusCode).toBe(200);
    expect(r.headers).toMatchObject({ 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    expect(r.body).toContain(`Acknowledged: ${incident.id} for Ramsey floor. We stop asking you to acknowledge; updates and the all-clear still come.`);
    expect(await p.store.listAcks(incident.id)).toEqual([expect.objectContaining({ incidentId: incident.id, recipientId: 'ramsey-floor', via: 'link' })]);
    // a second click is answered the same way, and recorded once
    expect((await follow(ackLink('https://ack.example', SECRET, incident.id, 'ramsey-floor'), 'POST')).statusCode).toBe(200);
    expect(await p.store.listAcks(incident.id)).toHaveLength(1);
  });

  test('a forged signature: 401, nothing recorded', async () => {
    const r = await follow(ackLink('https://ack.example', 'not-the-secret', incident.id, 'ramsey-floor'), 'POST');
    expect(r.statusCode).toBe(401);
    expect(await p.store.listAcks(incident.id)).toEqual([]);
  });

  test('an unknown incident or recipient, correctly signed: 404', async () => {
    expect((await follow(ackLink('https://ack.example', SECRET, 'INC-nope', 'ramsey-floor'), 'POST')).statusCode).toBe(404);
    expect((await follow(ackLink('https://ack.example', SECRET, incident.id, 'nobody'), 'POST')).statusCode).toBe(404);
  });

  test('a link without a configured secret is refused (503), not accepted', async () => {
    const bare = createAcksHandler({ store: p.store, model: p.deps.model, clock: p.clock, log: rec.log });
    const [, , id, recipient, signature] = new URL(ackLink('https://ack.example', SECRET, incident.id, 'ramsey-floor')).pathname.split('/').map(decodeURIComponent);
    expect(((await bare(linkEvent(id!, recipient!, signature!))) as APIGatewayProxyStructuredResultV2).statusCode).toBe(503);
    expect(await p.store.listAcks(incident.id)).toEqual([]);
  });

  test('an inbound SMS "ACK <code>" from a roster number is recorded', async () => {
    const r = (await handler(smsEvent('+16515550198', `ACK ${ackCode(incident.id)}`))) as InboundSmsResult;
    expect(r).toEqual({ messages: 1, acknowledged: 1, rollCalls: 0, duplicates: 0, ignored: 0 });
    expect(await p.store.listAcks(incident.id)).toEqual([expect.objectContaining({ incidentId: incident.id, recipientId: 'ramsey-floor', via: 'reply' })]);
  });

  test('an inbound SMS from an unknown number is ignored with a masked log line, no throw', async () => {
    const r = (await handler(smsEvent('+19995550000', `ACK ${ackCode(incident.id)}`))) as InboundSmsResult;
    expect(r).toEqual({ messages: 1, acknowledged: 0, rollCalls: 0, duplicates: 0, ignored: 1 });
    expect(await p.store.listAcks(incident.id)).toEqual([]);
    const line = rec.lines.find((l) => l.message.includes('not an acknowledgement'))!;
    expect(line.extra).toMatchObject({ status: 404, reason: expect.stringMatching(/not on the roster/) });
    expect(JSON.stringify(rec.lines)).not.toContain('9995550000');
  });

  test('a reply that is not an ACK, and a message that is not an inbound SMS, are ignored', async () => {
    expect(await handler(smsEvent('+16515550198', 'who is this?'))).toMatchObject({ ignored: 1, acknowledged: 0 });
    const junk = { Records: [{ EventSource: 'aws:sns', Sns: { MessageId: 'x', Message: 'not json' } }] };
    expect(await handler(junk)).toMatchObject({ messages: 1, ignored: 1 });
    expect(JSON.stringify(rec.lines)).not.toContain('who is this');
    expect(await p.store.listAcks(incident.id)).toEqual([]);
  });
});

describe('functions/acks handler: a recipient added with `roster add` (DynamoDB roster) answers like a config one', () => {
  let p: Pipeline;
  let incident: Incident;
  let handler: ReturnType<typeof createAcksHandler>;
  const SUPERVISOR = { id: 'ramsey-sup', name: 'Ramsey supervisor', role: 'psap', psap: 'ramsey', jurisdictions: { fips: [], states: [] }, channels: { sms: '+16515550177', email: 'sup@ramsey.example' } };

  beforeEach(async () => {
    p = await startTestPipeline(testConfig());
    await p.store.putRosterEntry({ id: SUPERVISOR.id, recipient: SUPERVISOR, updatedAt: p.clock.now().toISOString() });
    await runPollCycle(p.deps);
    p.upstream.set('routing', 'major_outage');
    for (let i = 0; i < 2; i++) {
      p.clock.advance(minute);
      await runPollCycle(p.deps);
    }
    incident = (await p.store.listOpenIncidents())[0]!;
    // The config-only model, as the Lambda builds it: the roster is read from the store.
    handler = createAcksHandler({ store: p.store, model: p.deps.model, clock: p.clock, log: recordingLog().log, ackSecret: SECRET });
  });
  afterEach(() => p.stop());

  const post = async (link: string, method = 'POST') => {
    const [, , id, recipient, signature] = new URL(link).pathname.split('/').map(decodeURIComponent);
    return (await handler(linkEvent(id!, recipient!, signature!, method))) as APIGatewayProxyStructuredResultV2;
  };

  test('it was alerted, and acknowledges by SMS reply', async () => {
    expect(p.sender.sent.filter((d) => d.recipientId === SUPERVISOR.id && d.incidentId === incident.id).map((d) => d.channel).sort()).toEqual(['email', 'sms']);
    const r = (await handler(smsEvent('+1 651 555 0177', `ACK ${ackCode(incident.id)}`))) as InboundSmsResult;
    expect(r).toEqual({ messages: 1, acknowledged: 1, rollCalls: 0, duplicates: 0, ignored: 0 });
    expect(await p.store.listAcks(incident.id)).toEqual([{ incidentId: incident.id, recipientId: SUPERVISOR.id, at: p.clock.now().toISOString(), via: 'reply' }]);
  });

  test('it acknowledges by the signed link in its email', async () => {
    const r = await post(ackLink('https://ack.example', SECRET, incident.id, SUPERVISOR.id));
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain(`Acknowledged: ${incident.id} for Ramsey supervisor.`);
    expect(await p.store.listAcks(incident.id)).toEqual([expect.objectContaining({ recipientId: SUPERVISOR.id, via: 'link' })]);
  });

  test('its roll call is confirmed by an SMS reply, and recorded once', async () => {
    const { rollCall } = await sendRollCall({ store: p.store, sender: p.sender, clock: p.clock, log: recordingLog().log }, SUPERVISOR as never);
    p.clock.advance(minute);
    const r = (await handler(smsEvent('+16515550177', `ack ${rollCall.code}`))) as InboundSmsResult;
    expect(r).toEqual({ messages: 1, acknowledged: 0, rollCalls: 1, duplicates: 0, ignored: 0 });
    expect(await handler(smsEvent('+16515550177', `ACK ${rollCall.code}`))).toMatchObject({ rollCalls: 0, duplicates: 1 });
    expect((await p.store.listRollCalls()).find((rc) => rc.recipientId === SUPERVISOR.id)).toMatchObject({ id: rollCall.id, confirmedAt: p.clock.now().toISOString(), via: 'reply' });
    // a roll-call reply is not an acknowledgement of the outage
    expect(await p.store.listAcks(incident.id)).toEqual([]);
  });

  test('its roll call is confirmed by the signed link (GET shows a button, POST records)', async () => {
    const { rollCall } = await sendRollCall({ store: p.store, sender: p.sender, clock: p.clock, log: recordingLog().log, linkBase: 'https://ack.example', ackSecret: SECRET }, SUPERVISOR as never);
    const email = p.sender.sent.find((d) => d.incidentId === rollCall.id && d.channel === 'email')!;
    const link = /https:\/\/ack\.example\/ack\/\S+/.exec(email.text)![0];
    const page = await post(link, 'GET');
    expect(page.body).toContain(`roll call ${rollCall.id}`);
    expect((await p.store.listRollCalls())[0]!.confirmedAt).toBeUndefined();
    const r = await post(link);
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain(`Confirmed: roll call ${rollCall.id}`);
    expect((await p.store.listRollCalls()).find((rc) => rc.recipientId === SUPERVISOR.id)).toMatchObject({ confirmedAt: p.clock.now().toISOString(), via: 'link' });
    expect((await post(ackLink('https://ack.example', 'wrong', rollCall.id, SUPERVISOR.id))).statusCode).toBe(401);
  });
});
