import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { ingestHealthEvent, type IngestDeps } from '../../shared/app/ingest.js';
import { awsPipeline, type AwsPipeline } from '../common/aws-deps.js';

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

/**
 * Built once per cold start by the pipeline functions' composition root (functions/common/aws-deps.ts):
 * notices go out through AwsDeliveryChannels (SMS with the opt-out check, SES email, the incidents
 * topic, the event bus). The region lease is not consulted: each region records the event it
 * receives and duplicates are recorded once.
 */
let coldStart: AwsPipeline | undefined;
const aws = () => (coldStart ??= awsPipeline(logger));

export const handler = middy((event: unknown, context: Context) => {
  const pipeline = aws();
  pipeline.startRun(() => context.getRemainingTimeInMillis());
  return createHealthEventsHandler(pipeline.deps)(event);
}).use(injectLambdaContext(logger));
