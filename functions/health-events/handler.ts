import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { DynamoStore } from '../../shared/adapters/dynamo-store.js';
import { ChannelRouterSender, SnsSmsSender } from '../../shared/adapters/sns-sender.js';
import { ingestHealthEvent, type IngestDeps } from '../../shared/app/ingest.js';
import { readLambdaEnv } from '../../shared/config/env.js';
import { systemClock } from '../../shared/domain/clock.js';
import { redact } from '../../shared/domain/mask.js';
import { buildModel } from '../../shared/domain/model.js';

/**
 * Target of the EventBridge rule `{"source": ["aws.health"]}` (deploy it in the affected
 * region and the backup region: duplicates are recorded once). The event is validated in
 * shared/sources/push/aws-health.ts; a malformed event is logged and answered, not thrown, so
 * EventBridge does not retry it forever. Store or delivery failures do throw (and are retried).
 */
export interface HealthEventsResult {
  sources: number;
  accepted: number;
  duplicates: number;
  rejected: Array<{ sourceId: string; error: string }>;
  observations: number;
  transitions: number;
  notices: number;
}

const logger = new Logger({ serviceName: 'dialtone-health-events' });

export function createHealthEventsHandler(deps: IngestDeps) {
  return async (event: unknown): Promise<HealthEventsResult> => {
    const results = await ingestHealthEvent(deps, event, deps.clock.now());
    const out: HealthEventsResult = { sources: results.length, accepted: 0, duplicates: 0, rejected: [], observations: 0, transitions: 0, notices: 0 };
    for (const { body } of results) {
      if (!body.ok) {
        out.rejected.push({ sourceId: body.sourceId, error: body.error });
        continue;
      }
      if (body.duplicate) out.duplicates++;
      else out.accepted++;
      out.observations += body.observations;
      out.transitions += body.componentTransitions + body.serviceTransitions;
      out.notices += body.notices;
    }
    if (out.rejected.length > 0) deps.log.warn('AWS Health event rejected', { rejected: out.rejected });
    deps.log.info('AWS Health event', { ...out, rejected: out.rejected.length });
    return out;
  };
}

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
  coldStart = { store, sender: new ChannelRouterSender({ sms }), clock: systemClock, model: buildModel(config), log };
  return coldStart;
}

export const handler = middy((event: unknown) => createHealthEventsHandler(awsDeps())(event)).use(injectLambdaContext(logger));
