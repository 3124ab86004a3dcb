import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import * as z from 'zod';
import { ingestPush, type IngestDeps, type PushResponseBody } from '../../shared/app/ingest.js';
import { awsPipeline, type AwsPipeline } from '../common/aws-deps.js';

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

/**
 * Clients and config are built once per cold start, on first use, by the same composition root as
 * the pipeline functions (functions/common/aws-deps.ts): notices go out through
 * AwsDeliveryChannels (SMS with the opt-out check, SES email, the incidents topic, the event bus).
 * The region lease is not consulted: a push is recorded by whichever region receives it (the
 * store makes duplicates idempotent).
 */
let coldStart: { pipeline: AwsPipeline; deps: IngestDeps } | undefined;
function aws() {
  if (coldStart) return coldStart;
  const pipeline = awsPipeline(logger);
  // HMAC signing secrets are read from the function's environment (config auth.hmac.secretEnv).
  coldStart = { pipeline, deps: { ...pipeline.deps, secrets: (name) => process.env[name] } };
  return coldStart;
}

// The remaining time bounds inline delivery (storm pacing); what does not fit stays for deliver.
export const handler = middy((event: unknown, context: Context) => {
  const { pipeline, deps } = aws();
  pipeline.startRun(() => context.getRemainingTimeInMillis());
  return createIngestHandler(deps)(event);
}).use(injectLambdaContext(logger));
