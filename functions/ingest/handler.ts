import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod';
import { DynamoStore } from '../../shared/adapters/dynamo-store.js';
import { ChannelRouterSender, SnsSmsSender } from '../../shared/adapters/sns-sender.js';
import { ingestPush, type IngestDeps, type PushResponseBody } from '../../shared/app/ingest.js';
import { readLambdaEnv } from '../../shared/config/env.js';
import { systemClock } from '../../shared/domain/clock.js';
import { redact } from '../../shared/domain/mask.js';
import { buildModel } from '../../shared/domain/model.js';

/**
 * POST /push/{sourceId} and POST /push/{sourceId}/{token} on the HTTP API (payload format 2.0):
 * webhooks, heartbeats and agency reports. The event is validated here; everything else is
 * shared/app/ingest.ts. The token may also come as ?token=… (Statuspage can only be given a URL).
 */
const httpEventSchema = z.object({
  requestContext: z.object({ http: z.object({ method: z.string() }) }),
  pathParameters: z.object({ sourceId: z.string().min(1), token: z.string().min(1).optional() }),
  queryStringParameters: z.record(z.string(), z.string()).nullish(),
  headers: z.record(z.string(), z.string()).nullish(),
  body: z.string().nullish(),
  isBase64Encoded: z.boolean().default(false),
});

const logger = new Logger({ serviceName: 'dialtone-ingest' });

const json = (statusCode: number, body: PushResponseBody | { ok: false; error: string; field?: string }): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  body: JSON.stringify(body),
});

/** The handler's logic with its dependencies injected: tests pass an embedded store and a fake sender. */
export function createIngestHandler(deps: IngestDeps) {
  return async (event: unknown): Promise<APIGatewayProxyStructuredResultV2> => {
    const parsed = httpEventSchema.safeParse(event);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.map(String).join('.') || '(event)';
      return json(400, { ok: false, error: `request: ${field}: ${issue?.message ?? 'invalid'}`, field });
    }
    const e = parsed.data;
    if (e.requestContext.http.method.toUpperCase() !== 'POST') return json(405, { ok: false, error: 'only POST is accepted' });
    // The size cap (413) is ingestPush's; API Gateway itself caps a request at 10 MB.
    const body = e.isBase64Encoded ? Buffer.from(e.body ?? '', 'base64').toString('utf8') : (e.body ?? '');
    const urlToken = e.pathParameters.token ?? e.queryStringParameters?.token;
    try {
      const r = await ingestPush(deps, e.pathParameters.sourceId, {
        headers: e.headers ?? {},
        body,
        receivedAt: deps.clock.now(),
        ...(urlToken !== undefined ? { urlToken } : {}),
      });
      return json(r.status, r.body);
    } catch (err) {
      deps.log.error('push ingest failed', { sourceId: e.pathParameters.sourceId, error: (err as Error).message });
      // 5xx: senders retry (Statuspage does); the push was not recorded, or recorded idempotently.
      return json(500, { ok: false, error: 'internal error; retry later' });
    }
  };
}

/** Clients and config are built once per cold start, on first use. */
let coldStart: IngestDeps | undefined;
function awsDeps(): IngestDeps {
  if (coldStart) return coldStart;
  const { env, config } = readLambdaEnv({ ...process.env, DIALTONE_CONFIG_JSON: process.env.DIALTONE_CONFIG_JSON });
  const store = new DynamoStore({ client: new DynamoDBClient({}), tableName: env.TABLE_NAME });
  const sms = new SnsSmsSender({ client: new SNSClient({}), ...(env.SMS_ORIGINATION_NUMBER ? { originationNumber: env.SMS_ORIGINATION_NUMBER } : {}) });
  const log = {
    debug: (m: string, x?: Record<string, unknown>) => logger.debug(redact(m), x ?? {}),
    info: (m: string, x?: Record<string, unknown>) => logger.info(redact(m), x ?? {}),
    warn: (m: string, x?: Record<string, unknown>) => logger.warn(redact(m), x ?? {}),
    error: (m: string, x?: Record<string, unknown>) => logger.error(redact(m), x ?? {}),
  };
  // HMAC signing secrets are read from the function's environment (config auth.hmac.secretEnv).
  coldStart = { store, sender: new ChannelRouterSender({ sms }), clock: systemClock, model: buildModel(config), log, secrets: (name) => process.env[name] };
  return coldStart;
}

export const handler = middy((event: unknown) => createIngestHandler(awsDeps())(event)).use(injectLambdaContext(logger));
