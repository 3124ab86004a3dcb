import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { noMetrics } from '../../shared/app/pipeline-metrics.js';
import type { EvaluateDeps } from '../../shared/app/poll-cycle.js';
import { runSweep } from '../../shared/app/sweep.js';
import { awsPipeline } from '../common/aws-deps.js';
import { awsScheduledRuntime, leadOrStandBy, type ScheduledRuntime } from '../common/scheduled.js';

/**
 * The evaluate/escalate sweep, every minute on its own schedule (shared/app/sweep.ts): FCC
 * clocks, reminders, escalations and maintenance windows from the record, then the outbox. It
 * reads no source, so it keeps the clocks running while polls fail. The schedule's input is
 * ignored: every run does the same thing, and a repeated run is harmless.
 */
export interface SweepResult {
  at: string;
  standby?: true;
  notices: number;
  sent: number;
  failedDeliveries: number;
  openIncidents: number;
}

const logger = new Logger({ serviceName: 'dialtone-sweep' });

export function createSweepHandler(deps: EvaluateDeps, runtime: Partial<ScheduledRuntime> = {}) {
  const metrics = runtime.metrics ?? noMetrics;
  return async (_event?: unknown, remainingMs?: () => number): Promise<SweepResult> => {
    runtime.startRun?.(remainingMs);
    const now = deps.clock.now();
    if ((await leadOrStandBy(runtime, metrics, now, deps.log)).role === 'standby') return { at: now.toISOString(), standby: true, notices: 0, sent: 0, failedDeliveries: 0, openIncidents: 0 };
    const r = await runSweep(deps);
    const result: SweepResult = { at: r.at, notices: r.notices.length, sent: r.sent.length, failedDeliveries: r.failed.length, openIncidents: r.openIncidents };
    metrics.deliveries({ sent: result.sent, failed: result.failedDeliveries });
    metrics.openIncidents(result.openIncidents);
    metrics.flush();
    deps.log.info('sweep', { ...result });
    return result;
  };
}

let coldStart: ReturnType<typeof createSweepHandler> | undefined;
function aws() {
  if (coldStart) return coldStart;
  const pipeline = awsPipeline(logger);
  coldStart = createSweepHandler(pipeline.deps, awsScheduledRuntime(pipeline));
  return coldStart;
}

export const handler = middy((event: unknown, context: Context) => aws()(event, () => context.getRemainingTimeInMillis())).use(injectLambdaContext(logger));
