import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { decodeLogsEvent } from '../../shared/adapters/delivery-status-log.js';
import { applyDeliveryStatuses, type FallbackDeps, type StatusReport } from '../../shared/app/delivery-status.js';
import type { Log } from '../../shared/app/log.js';
import type { Store } from '../../shared/app/ports.js';
import { redact } from '../../shared/domain/mask.js';
import { awsPipeline } from '../common/aws-deps.js';

/**
 * SNS SMS delivery status → the delivery record. Target of a CloudWatch Logs subscription filter
 * on the SMS delivery status log groups (sns/<region>/<account>/DirectPublishToPhoneNumber and
 * …/Failure): { awslogs: { data } }, gzip + base64 JSON, parsed with zod; each status is matched
 * by SNS message id to its delivery (or bundle and its members) and recorded as delivered or
 * failed with the provider's reason. A failed SMS of a notice is made good on the recipient's
 * email, or ops is told it was not reached (shared/app/delivery-status.ts): so the function has
 * the config, reads the DynamoDB roster, and sends through the pipeline's delivery channels.
 */
const logger = new Logger({ serviceName: 'dialtone-delivery-status' });

export interface DeliveryStatusResult extends Omit<StatusReport, 'undelivered'> {
  undelivered: number;
  /** Log events that were not status lines. */
  skipped: number;
}

export function createDeliveryStatusHandler(deps: { store: Store; log: Log; fallback?: FallbackDeps }) {
  return async (event: unknown): Promise<DeliveryStatusResult> => {
    let decoded;
    try {
      decoded = decodeLogsEvent(event);
    } catch (err) {
      // A payload that is not a subscription event will not parse on a retry either.
      deps.log.error('not a CloudWatch Logs subscription event; dropped', { error: redact((err as Error).message) });
      return { received: 0, updated: 0, unknown: 0, undelivered: 0, skipped: 0 };
    }
    for (const p of decoded.problems) deps.log.warn('log event skipped', { problem: p });
    const report = await applyDeliveryStatuses(deps.store, decoded.statuses, deps.log, deps.fallback);
    const result = { ...report, undelivered: report.undelivered.length, skipped: decoded.problems.length };
    deps.log.info('delivery statuses', { ...result });
    return result;
  };
}

let coldStart: { store: Store; log: Log; fallback: FallbackDeps } | undefined;
function awsDeps() {
  if (coldStart) return coldStart;
  const { deps } = awsPipeline(logger);
  coldStart = { store: deps.store, log: deps.log, fallback: { model: deps.model, sender: deps.sender, clock: deps.clock, leaseMs: deps.leaseMs ?? 60_000 } };
  return coldStart;
}

export const handler = middy((event: unknown) => createDeliveryStatusHandler(awsDeps())(event)).use(injectLambdaContext(logger));
