import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import * as z from 'zod';
import { decodeLogsEvent } from '../../shared/adapters/delivery-status-log.js';
import { DynamoStore } from '../../shared/adapters/dynamo-store.js';
import { applyDeliveryStatuses, type StatusReport } from '../../shared/app/delivery-status.js';
import type { Log } from '../../shared/app/log.js';
import type { Store } from '../../shared/app/ports.js';
import { redact } from '../../shared/domain/mask.js';

/**
 * SNS SMS delivery status → the delivery record. Target of a CloudWatch Logs subscription filter
 * on the SMS delivery status log groups (sns/<region>/<account>/DirectPublishToPhoneNumber and
 * …/Failure): { awslogs: { data } }, gzip + base64 JSON, parsed with zod; each status is matched
 * by SNS message id to its delivery (or bundle and its members) and recorded as delivered or
 * failed with the provider's reason. Needs TABLE_NAME and GetItem/UpdateItem on the table.
 */

const envSchema = z.object({ TABLE_NAME: z.string().min(1) });
const logger = new Logger({ serviceName: 'dialtone-delivery-status' });

export interface DeliveryStatusResult extends Omit<StatusReport, 'undelivered'> {
  undelivered: number;
  /** Log events that were not status lines. */
  skipped: number;
}

export function createDeliveryStatusHandler(deps: { store: Store; log: Log }) {
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
    const report = await applyDeliveryStatuses(deps.store, decoded.statuses, deps.log);
    const result = { ...report, undelivered: report.undelivered.length, skipped: decoded.problems.length };
    deps.log.info('delivery statuses', { ...result });
    return result;
  };
}

let coldStart: { store: Store; log: Log } | undefined;
function awsDeps() {
  if (coldStart) return coldStart;
  const env = envSchema.parse(process.env);
  const log: Log = {
    debug: (m, e) => logger.debug(redact(m), e ?? {}),
    info: (m, e) => logger.info(redact(m), e ?? {}),
    warn: (m, e) => logger.warn(redact(m), e ?? {}),
    error: (m, e) => logger.error(redact(m), e ?? {}),
  };
  coldStart = { store: new DynamoStore({ client: new DynamoDBClient({}), tableName: env.TABLE_NAME }), log };
  return coldStart;
}

export const handler = middy((event: unknown) => createDeliveryStatusHandler(awsDeps())(event)).use(injectLambdaContext(logger));
