import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { noMetrics, type PipelineMetrics } from '../../shared/app/pipeline-metrics.js';
import type { EvaluateDeps } from '../../shared/app/poll-cycle.js';
import { regionRole, type LeaseStore } from '../../shared/app/region-lease.js';
import { drainOutbox } from '../../shared/app/sweep.js';
import { awsPipeline } from '../common/aws-deps.js';
import { powertoolsMetrics } from '../common/metrics.js';

/**
 * The outbox drain, on a one-minute schedule. The path that issues a notice (poll, push ingest,
 * sweep) delivers it at once, inline; this function is the independent second path: it sends
 * what an invocation left pending (a timeout mid-storm, a crash between claim and send, a send
 * that failed and waits out its lease, up to 5 attempts), with a longer timeout than the
 * one-minute functions, and it keeps draining even when every other function is failing.
 * Concurrent drains are safe: each delivery is claimed with a conditional write before sending.
 */
export interface DeliverResult {
  at: string;
  standby?: true;
  sent: number;
  failedDeliveries: number;
}

export interface DeliverRuntime {
  metrics: PipelineMetrics;
  lease?: LeaseStore;
  region: string;
  /** Per invocation: the time left (storm pacing in the delivery channels). */
  startRun: (remainingMs?: () => number) => void;
}

const logger = new Logger({ serviceName: 'dialtone-deliver' });

export function createDeliverHandler(deps: EvaluateDeps, runtime: Partial<DeliverRuntime> = {}) {
  const metrics = runtime.metrics ?? noMetrics;
  return async (_event?: unknown, remainingMs?: () => number): Promise<DeliverResult> => {
    runtime.startRun?.(remainingMs);
    const now = deps.clock.now();
    const role = await regionRole({ ...(runtime.lease ? { lease: runtime.lease } : {}), region: runtime.region ?? 'local', now, log: deps.log });
    if (role.role === 'standby') {
      metrics.standby();
      metrics.flush();
      return { at: now.toISOString(), standby: true, sent: 0, failedDeliveries: 0 };
    }
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
  coldStart = createDeliverHandler(pipeline.deps, {
    metrics: powertoolsMetrics(),
    ...(pipeline.lease ? { lease: pipeline.lease } : {}),
    region: pipeline.env.AWS_REGION,
    startRun: pipeline.startRun,
  });
  return coldStart;
}

export const handler = middy((event: unknown, context: Context) => aws()(event, () => context.getRemainingTimeInMillis())).use(injectLambdaContext(logger));
