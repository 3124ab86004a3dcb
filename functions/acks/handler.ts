import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod';
import { DynamoStore } from '../../shared/adapters/dynamo-store.js';
import { acknowledgeLink, answerReply, isRollCallId, rollCallLink, validAckSignature, type AckResult, type RollCallResult } from '../../shared/app/ack.js';
import type { Log } from '../../shared/app/log.js';
import type { Store } from '../../shared/app/ports.js';
import { readLambdaEnv } from '../../shared/config/env.js';
import { systemClock, type Clock } from '../../shared/domain/clock.js';
import { maskPhone } from '../../shared/domain/mask.js';
import { buildModel, type Model } from '../../shared/domain/model.js';
import { loggerLog } from '../common/env.js';

/**
 * Acknowledgements arriving in AWS (shared/app/ack.ts does the work):
 *
 * - `GET /ack/{incidentId}/{recipientId}/{signature}` (a confirmation page: mail scanners open
 *   links on their own) and `POST` (the page's button records it) on the HTTP API (payload 2.0), the
 *   signed link in an email. No API Gateway authorizer: the HMAC signature is the authentication,
 *   checked in constant time before anything is read. 200 with a short page, 401, 404.
 * - SNS notifications from the InboundSms topic: the origination number's two-way SMS channel
 *   publishes each inbound message there (originationNumber, destinationNumber, messageBody, …).
 *   A reply that is not an acknowledgement (or comes from a number not on the roster) is logged,
 *   masked, and ignored; store failures throw, so Lambda retries the notification.
 * - Roll calls (`dialtone roster verify`) are answered the same way: "ACK <code>" with the roll
 *   call's code, or its signed link (the id starts with RC-); the confirmation is recorded on the
 *   recipient's roll call.
 * The roster is the merged one (config + DynamoDB): a recipient added with `roster add` can answer.
 */
export interface AcksDeps {
  store: Store;
  model: Model;
  clock: Clock;
  log: Log;
  /** The link signing key (DIALTONE_ACK_SECRET); without it every link is refused. */
  ackSecret?: string;
}

const httpEventSchema = z.object({
  requestContext: z.object({ http: z.object({ method: z.string() }) }),
  pathParameters: z.object({ incidentId: z.string().min(1), recipientId: z.string().min(1), signature: z.string().min(1) }),
});

const snsEventSchema = z.object({
  Records: z.array(z.object({ EventSource: z.literal('aws:sns'), Sns: z.object({ MessageId: z.string().optional(), Message: z.string() }) })).min(1),
});

/** The message End User Messaging SMS (and SNS two-way SMS) publishes for an inbound SMS; extra fields are ignored. */
export const inboundSmsSchema = z.object({
  originationNumber: z.string().min(1),
  destinationNumber: z.string().min(1),
  messageBody: z.string(),
  inboundMessageId: z.string().optional(),
});

export interface InboundSmsResult {
  messages: number;
  acknowledged: number;
  /** Roll calls confirmed by this reply (a repeat counts as a duplicate). */
  rollCalls: number;
  duplicates: number;
  ignored: number;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function confirmPage(incidentId: string): APIGatewayProxyStructuredResultV2 {
  const rollCall = isRollCallId(incidentId);
  const title = rollCall ? `Roll call ${incidentId}` : `Acknowledge ${incidentId}`;
  const question = rollCall
    ? `Confirm that this address gets dialtone's 911 outage alerts (roll call ${escapeHtml(incidentId)})? This is a test, not an outage.</p><button type="submit">Confirm</button>`
    : `Acknowledge that your agency knows about ${escapeHtml(incidentId)}? We stop asking you to acknowledge; updates and the all-clear still come.</p><button type="submit">Acknowledge</button>`;
  return {
    statusCode: 200,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'x-robots-tag': 'noindex', 'referrer-policy': 'no-referrer' },
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(title)}</title></head><body><form method="post"><p>${question}</form></body></html>\n`,
  };
}

function page(statusCode: number, title: string, text: string): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'x-robots-tag': 'noindex', 'referrer-policy': 'no-referrer' },
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(title)}</title></head><body><p>${escapeHtml(text)}</p></body></html>\n`,
  };
}

/** A path parameter as sent (ackLink encodes each part); a malformed escape is kept as is. */
function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** The handler's logic with its dependencies injected: tests pass the embedded store. */
export function createAcksHandler(deps: AcksDeps) {
  const onLink = async (event: z.infer<typeof httpEventSchema>): Promise<APIGatewayProxyStructuredResultV2> => {
    const method = event.requestContext.http.method.toUpperCase();
    if (method !== 'GET' && method !== 'POST') return page(405, 'Not allowed', 'Only GET and POST are accepted.');
    if (!deps.ackSecret) {
      deps.log.error('ack link: DIALTONE_ACK_SECRET is not set; links cannot be verified');
      return page(503, 'Unavailable', 'Acknowledgement links are not available right now. Reply to the SMS or call the desk.');
    }
    const link = { incidentId: decoded(event.pathParameters.incidentId), recipientId: decoded(event.pathParameters.recipientId), signature: event.pathParameters.signature };
    // Mail scanners open links by themselves: GET only shows a button; the POST it sends records.
    if (method === 'GET') {
      if (!validAckSignature(deps.ackSecret, link)) return page(401, 'Not recognised', 'This acknowledgement link is not valid.');
      return confirmPage(link.incidentId);
    }
    if (isRollCallId(link.incidentId)) return onRollCallLink(deps.ackSecret, link);
    let r: AckResult;
    try {
      r = await acknowledgeLink(deps.store, deps.model, deps.ackSecret, link, deps.clock.now());
    } catch (err) {
      deps.log.error('ack link failed', { incidentId: link.incidentId, error: (err as Error).message });
      return page(500, 'Try again', 'The acknowledgement could not be recorded. Please try again in a minute.');
    }
    if (!r.ok) {
      deps.log.warn('ack link refused', { status: r.status, error: r.error });
      return r.status === 401 ? page(401, 'Not recognised', 'This acknowledgement link is not valid.') : page(404, 'Not found', 'This incident or recipient is not known.');
    }
    deps.log.info('acknowledged by link', { incidentId: r.ack.incidentId, recipientId: r.ack.recipientId, duplicate: r.duplicate });
    return page(200, 'Acknowledged', `Acknowledged: ${r.ack.incidentId} for ${r.recipientName}. We stop asking you to acknowledge; updates and the all-clear still come.`);
  };

  const onRollCallLink = async (secret: string, link: { incidentId: string; recipientId: string; signature: string }): Promise<APIGatewayProxyStructuredResultV2> => {
    let r: RollCallResult;
    try {
      r = await rollCallLink(deps.store, secret, { id: link.incidentId, recipientId: link.recipientId, signature: link.signature }, deps.clock.now());
    } catch (err) {
      deps.log.error('roll call link failed', { rollCallId: link.incidentId, error: (err as Error).message });
      return page(500, 'Try again', 'The confirmation could not be recorded. Please try again in a minute.');
    }
    if (!r.ok) {
      deps.log.warn('roll call link refused', { status: r.status, error: r.error });
      return r.status === 401 ? page(401, 'Not recognised', 'This link is not valid.') : page(404, 'Not found', 'This roll call is not the latest one sent to you.');
    }
    deps.log.info('roll call confirmed by link', { rollCallId: r.rollCallId, recipientId: r.recipientId, duplicate: r.duplicate });
    return page(200, 'Confirmed', `Confirmed: roll call ${r.rollCallId}. This address gets dialtone's 911 outage alerts.`);
  };

  const onSms = async (event: z.infer<typeof snsEventSchema>): Promise<InboundSmsResult> => {
    const out: InboundSmsResult = { messages: 0, acknowledged: 0, rollCalls: 0, duplicates: 0, ignored: 0 };
    for (const record of event.Records) {
      out.messages++;
      let json: unknown;
      try {
        json = JSON.parse(record.Sns.Message);
      } catch {
        json = undefined;
      }
      const sms = inboundSmsSchema.safeParse(json);
      if (!sms.success) {
        out.ignored++;
        deps.log.warn('inbound SMS: not an inbound SMS message; ignored', { messageId: record.Sns.MessageId, issue: sms.error.issues[0]?.message });
        continue;
      }
      const from = maskPhone(sms.data.originationNumber);
      // Store failures throw: the notification is retried (a recorded ack is kept once).
      const answer = await answerReply(deps.store, deps.model, { from: sms.data.originationNumber, text: sms.data.messageBody }, deps.clock.now());
      const r = answer.result;
      if (!r.ok) {
        out.ignored++;
        // Never the body: it is free text from a phone (and the number only masked).
        deps.log.info('inbound SMS: not an acknowledgement; ignored', { from, status: r.status, reason: r.error });
        continue;
      }
      if (r.duplicate) out.duplicates++;
      else if (answer.kind === 'incident') out.acknowledged++;
      else out.rollCalls++;
      if (answer.kind === 'incident' && answer.result.ok)
        deps.log.info('acknowledged by SMS reply', { from, incidentId: answer.result.ack.incidentId, recipientId: answer.result.ack.recipientId, duplicate: r.duplicate });
      else if (answer.kind === 'roll-call' && answer.result.ok)
        deps.log.info('roll call confirmed by SMS reply', { from, rollCallId: answer.result.rollCallId, recipientId: answer.result.recipientId, duplicate: r.duplicate });
    }
    return out;
  };

  return async (event: unknown): Promise<APIGatewayProxyStructuredResultV2 | InboundSmsResult> => {
    const sns = snsEventSchema.safeParse(event);
    if (sns.success) return onSms(sns.data);
    const http = httpEventSchema.safeParse(event);
    if (http.success) return onLink(http.data);
    if (typeof event === 'object' && event !== null && 'requestContext' in event) return page(400, 'Bad request', 'This is not an acknowledgement link.');
    // Neither shape: nothing to retry.
    deps.log.warn('acks: unrecognised event; ignored');
    return { messages: 0, acknowledged: 0, rollCalls: 0, duplicates: 0, ignored: 0 };
  };
}

const logger = new Logger({ serviceName: 'dialtone-acks' });

/** Built once per cold start: the table and the config (the DynamoDB roster is read per answer); acknowledging sends nothing. */
let coldStart: AcksDeps | undefined;
function awsDeps(): AcksDeps {
  if (coldStart) return coldStart;
  // Written as process.env.DIALTONE_CONFIG_JSON so esbuild's define inlines the synth-time config.
  const { env, config } = readLambdaEnv({ ...process.env, DIALTONE_CONFIG_JSON: process.env.DIALTONE_CONFIG_JSON });
  const ackSecret = process.env.DIALTONE_ACK_SECRET;
  coldStart = {
    store: new DynamoStore({ client: new DynamoDBClient({}), tableName: env.TABLE_NAME }),
    model: buildModel(config),
    clock: systemClock,
    log: loggerLog(logger),
    ...(ackSecret ? { ackSecret } : {}),
  };
  return coldStart;
}

export const handler = middy((event: unknown) => createAcksHandler(awsDeps())(event)).use(injectLambdaContext(logger));
