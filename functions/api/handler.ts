import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod';
import { DynamoStore } from '../../shared/adapters/dynamo-store.js';
import type { Log } from '../../shared/app/log.js';
import type { Store } from '../../shared/app/ports.js';
import { incidentCap, incidentDetail, listIncidentSummaries, statusView } from '../../shared/app/read-api.js';
import { buildReport, toCsv, toJson, toMarkdown, UnknownIncidentError } from '../../shared/app/report.js';
import { readLambdaEnv } from '../../shared/config/env.js';
import { systemClock, type Clock } from '../../shared/domain/clock.js';
import type { CapOptions } from '../../shared/domain/cap.js';
import { buildModel, type Model } from '../../shared/domain/model.js';
import { loggerLog, readAwsEnv } from '../common/env.js';

/**
 * The read API (HTTP API, payload format 2.0, IAM-authorized routes: callers sign with SigV4):
 *
 * | route | answer |
 * |---|---|
 * | GET /status | every 911 service and upstream component with its current state, and the open incidents |
 * | GET /incidents?status=open\|all&limit=N | incident summaries, newest first (default all, 100) |
 * | GET /incidents/{id} | the incident, its notices (no bodies) and acknowledgements |
 * | GET /incidents/{id}/report?format=md\|json\|csv | the after-action report (shared/app/report.ts), addresses masked |
 * | GET /incidents/{id}/cap[?seq=N] | a notice as a CAP 1.2 alert (the latest unless seq names one) |
 *
 * Reads only: the function's role can GetItem, BatchGetItem and Query, nothing else.
 */
const eventSchema = z.object({
  routeKey: z.string(),
  pathParameters: z.record(z.string(), z.string()).nullish(),
  queryStringParameters: z.record(z.string(), z.string()).nullish(),
});

const querySchemas = {
  incidents: z.object({ status: z.enum(['open', 'all']).default('all'), limit: z.coerce.number().int().min(1).max(1000).default(100) }),
  report: z.object({ format: z.enum(['md', 'json', 'csv']).default('md') }),
  cap: z.object({ seq: z.coerce.number().int().min(1).optional() }),
};

export interface ApiDeps {
  store: Store;
  model: Model;
  clock: Clock;
  log: Log;
  cap: CapOptions;
}

type Result = APIGatewayProxyStructuredResultV2;

const text = (statusCode: number, body: string, contentType: string): Result => ({
  statusCode,
  headers: { 'content-type': contentType, 'cache-control': 'no-store' },
  body,
});
const json = (statusCode: number, body: unknown): Result => text(statusCode, JSON.stringify(body), 'application/json; charset=utf-8');
const problem = (statusCode: number, error: string, field?: string): Result => json(statusCode, { ok: false, error, ...(field ? { field } : {}) });

function parseQuery<T extends z.ZodType>(schema: T, query: Record<string, string> | null | undefined): { ok: true; value: z.output<T> } | { ok: false; result: Result } {
  const parsed = schema.safeParse(query ?? {});
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  const field = issue?.path.map(String).join('.') || '(query)';
  return { ok: false, result: problem(400, `query: ${field}: ${issue?.message ?? 'invalid'}`, field) };
}

export function createApiHandler(deps: ApiDeps) {
  return async (event: unknown): Promise<Result> => {
    const parsed = eventSchema.safeParse(event);
    if (!parsed.success) return problem(400, 'not an HTTP API (payload 2.0) request');
    const { routeKey, pathParameters, queryStringParameters } = parsed.data;
    const id = pathParameters?.id;
    try {
      switch (routeKey) {
        case 'GET /status':
          return json(200, await statusView(deps.store, deps.model, deps.clock.now()));
        case 'GET /incidents': {
          const q = parseQuery(querySchemas.incidents, queryStringParameters);
          if (!q.ok) return q.result;
          return json(200, { incidents: await listIncidentSummaries(deps.store, q.value.status, q.value.limit) });
        }
        case 'GET /incidents/{id}': {
          const detail = id ? await incidentDetail(deps.store, deps.model.config.escalation, id) : undefined;
          return detail ? json(200, detail) : problem(404, `unknown incident "${id ?? ''}"`);
        }
        case 'GET /incidents/{id}/report': {
          const q = parseQuery(querySchemas.report, queryStringParameters);
          if (!q.ok) return q.result;
          const report = await buildReport(deps.store, deps.model, id ?? '');
          if (q.value.format === 'json') return text(200, toJson(report), 'application/json; charset=utf-8');
          if (q.value.format === 'csv') return text(200, toCsv(report), 'text/csv; charset=utf-8');
          return text(200, toMarkdown(report), 'text/markdown; charset=utf-8');
        }
        case 'GET /incidents/{id}/cap': {
          const q = parseQuery(querySchemas.cap, queryStringParameters);
          if (!q.ok) return q.result;
          const cap = await incidentCap(deps.store, deps.model, id ?? '', q.value.seq, deps.cap);
          return cap.ok ? text(200, cap.xml, 'application/xml; charset=utf-8') : problem(cap.status, cap.error);
        }
        default:
          return problem(404, `no route ${routeKey}`);
      }
    } catch (err) {
      // The message lists the latest incident ids (no personal data): fine for an authorized reader.
      if (err instanceof UnknownIncidentError) return problem(404, err.message);
      deps.log.error('read API failed', { routeKey, error: (err as Error).message });
      return problem(500, 'internal error');
    }
  };
}

const logger = new Logger({ serviceName: 'dialtone-api' });

let coldStart: ReturnType<typeof createApiHandler> | undefined;
function aws() {
  if (coldStart) return coldStart;
  const { env, config } = readLambdaEnv({ ...process.env, DIALTONE_CONFIG_JSON: process.env.DIALTONE_CONFIG_JSON });
  const extra = readAwsEnv(process.env);
  coldStart = createApiHandler({
    store: new DynamoStore({ client: new DynamoDBClient({}), tableName: env.TABLE_NAME }),
    model: buildModel(config),
    clock: systemClock,
    log: loggerLog(logger),
    // The CAP sender is dialtone@<domain>: the configured domain, else the notifier's mail domain.
    cap: { domain: extra.CAP_DOMAIN ?? config.notifier.email.split('@')[1] ?? 'dialtone.invalid' },
  });
  return coldStart;
}

export const handler = middy((event: unknown) => aws()(event)).use(injectLambdaContext(logger));
