import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { noMetrics } from '../../shared/app/pipeline-metrics.js';
import type { EvaluateDeps } from '../../shared/app/poll-cycle.js';
import { drainOutbox } from '../../shared/app/sweep.js';
import { awsPipeline } from '../common/aws-deps.js';
import { awsScheduledRuntime, leadOrStandBy, type ScheduledRuntime } from '../common/scheduled.js';

/**
 * The outbox drain, on a one-minute schedule. The path that issues a notice (poll, push ingest,
 * sweep) delivers it at once, inline; this function is the independent second path: it sends
 * what an invocation left pending (a timeout mid-storm, a crash between lease and record, a send
 * that failed and waits out its backoff, up to 5 attempts), with a longer timeout than the
 * one-minute functions, and it keeps draining even when every other function is failing.
 * Concurrent drains are safe: each notice is leased with a conditional write before delivering.
 */
export interface DeliverResult {
  at: string;
  standby?: true;
  sent: number;
  failedDeliveries: number;
}

const logger = new Logger({ serviceName: 'dialtone-deliver' });

export function createDeliverHandler(deps: EvaluateDeps, runtime: Partial<ScheduledRuntime> = {}) {
  const metrics = runtime.metrics ?? noMetrics;
  return async (_event?: unknown, remainingMs?: () => number): Promise<DeliverResult> => {
    runtime.startRun?.(remainingMs);
    const now = deps.clock.now();
    if ((await leadOrStandBy(runtime, metrics, now, deps.log)).role === 'standby') return { at: now.toISOString(), standby: true, sent: 0, failedDeliveries: 0 };
    const r = await drainOutbox(deps);
    const result: DeliverResult = { at: r.at, sent: r.sent.length, failedDeliveries: r.failed.length };
    metrics.deliveries({ sent: result.sent, failed: result.failedDeliveries });
    metrics.flush();
    if (result.sent || result.failedDeliveries) deps.log.info('outbox drained', { ...result });
    return result;
  };
}

let coldStart: ReturnType<typeof createDeliverHandler> | undefined;
function aws() {
  if (coldStart) return coldStart;
  const pipeline = awsPipeline(logger);
  coldStart = createDeliverHandler(pipeline.deps, awsScheduledRuntime(pipeline));
  return coldStart;
}

export const handler = middy((event: unknown, context: Context) => aws()(event, () => context.getRemainingTimeInMillis())).use(injectLambdaContext(logger));
