import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { noMetrics } from '../../shared/app/pipeline-metrics.js';
import { runPollCycle, type CycleReport, type PipelineDeps } from '../../shared/app/poll-cycle.js';
import { cycleSlots, dueInCycle, POLL_GROUPS, sourcesOfGroup, type PollGroup } from '../../shared/app/poll-groups.js';
import { RecheckSchedule } from '../../shared/app/recheck.js';
import { isPolled, type PolledSourceConfig } from '../../shared/config/schema.js';
import { readSource } from '../../shared/sources/read-source.js';
import { awsPipeline, type AwsPipeline } from '../common/aws-deps.js';
import { awsScheduledRuntime, leadOrStandBy, type ScheduledRuntime } from '../common/scheduled.js';

/**
 * EventBridge Scheduler sends its fixed input: the poll group, and the schedule's own time
 * (`<aws.scheduler.scheduled-time>`), which keeps cadence boundaries stable however late the
 * invocation starts. `sourceIds` narrows a run to some sources (a shard, or a manual run).
 * Without a group (an older schedule, a manual invoke) every polled source is read once.
 */
const pollEventSchema = z
  .object({
    group: z.enum(['critical', 'standard']).optional(),
    sourceIds: z.array(z.string()).optional(),
    scheduledTime: z.iso.datetime({ offset: true }).optional(),
  })
  .passthrough();

export interface PollResult {
  at: string;
  group?: PollGroup;
  /** Cycles run by this invocation (critical: up to 4, 15 s apart). */
  cycles: number;
  /** Re-reads that confirmed (or dismissed) a change seconds after it was first read, between the cycles. */
  rechecks: number;
  /** Multi-region: another region holds the lease; nothing was read. */
  standby?: true;
  /** Summed over the cycles. */
  sources: number;
  failedSources: number;
  transitions: number;
  notices: number;
  sent: number;
  failedDeliveries: number;
}

/** What the handler needs beyond the pipeline: injected so tests run on a fake clock, never sleeping. */
export interface PollRuntime extends ScheduledRuntime {
  sleep: (ms: number) => Promise<void>;
}

/** Time kept free at the end of an invocation, on top of the slowest source's timeout. */
export const CYCLE_RESERVE_MS = 10_000;

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const logger = new Logger({ serviceName: 'dialtone-poll' });

/** The handler's logic with its dependencies injected: tests pass an embedded store and a fake sender. */
export function createPollHandler(deps: PipelineDeps, runtime: Partial<PollRuntime> = {}) {
  const sleep = runtime.sleep ?? realSleep;
  const metrics = runtime.metrics ?? noMetrics;
  return async (event: unknown, lambdaRemainingMs?: () => number): Promise<PollResult> => {
    const remainingMs = lambdaRemainingMs ?? (() => Number.POSITIVE_INFINITY);
    const input = pollEventSchema.parse(event ?? {});
    const { group } = input;
    const config = deps.model.config;
    let pool = group ? sourcesOfGroup(config, group) : config.sources.filter(isPolled);
    if (input.sourceIds) {
      const wanted = new Set(input.sourceIds);
      const unknown = input.sourceIds.filter((id) => !pool.some((s) => s.id === id));
      if (unknown.length) deps.log.warn('sourceIds not polled by this function (unknown, push, or another group)', { group, unknown });
      pool = pool.filter((s) => wanted.has(s.id));
    }

    const started = deps.clock.now();
    const result: PollResult = {
      at: started.toISOString(),
      ...(group ? { group } : {}),
      cycles: 0,
      rechecks: 0,
      sources: 0,
      failedSources: 0,
      transitions: 0,
      notices: 0,
      sent: 0,
      failedDeliveries: 0,
    };
    if ((await leadOrStandBy(runtime, metrics, started, deps.log, group ?? 'standard')).role === 'standby') return { ...result, standby: true };

    const scheduledAt = input.scheduledTime ? new Date(input.scheduledTime) : started;
    const slots = group ? cycleSlots(group, scheduledAt) : [scheduledAt];
    const intervalMs = (group ? POLL_GROUPS[group].intervalSeconds : 60) * 1000;
    const reserveMs = Math.max(0, ...pool.map((s) => s.timeoutMs)) + CYCLE_RESERVE_MS;
    // Push sources' standing status counts once a minute: in the standard group's cycle only.
    const withPushSources = group !== 'critical';

    const rechecks = new RecheckSchedule(config.thresholds);
    const count = (r: CycleReport, read: readonly PolledSourceConfig[], scheduled: ReadonlySet<string>, context: Record<string, unknown>) => {
      rechecks.afterCycle(deps.clock.now().getTime(), read, scheduled, new Set(r.awaitingConfirmation));
      const failed = r.sources.filter((s) => s.kind === 'failed').length;
      const cycle = {
        sources: r.sources.length,
        failedSources: failed,
        transitions: r.componentTransitions.length + r.serviceTransitions.length,
        notices: r.notices.length,
        sent: r.sent.length,
        failedDeliveries: r.failed.length,
      };
      for (const k of Object.keys(cycle) as Array<keyof typeof cycle>) result[k] += cycle[k];
      metrics.pollCycle(group ?? 'standard', { polled: cycle.sources, failed });
      metrics.deliveries({ sent: cycle.sent, failed: cycle.failedDeliveries });
      metrics.flush();
      deps.log.info('poll cycle', { group, ...context, ...cycle, egressSuspected: r.egressSuspected });
    };

    for (const [i, slot] of slots.entries()) {
      const now = deps.clock.now().getTime();
      // A start so late that the slot's successor is due: the next invocation covers it.
      if (now >= slot.getTime() + intervalMs) continue;
      const wait = slot.getTime() - now;
      // Bounded by the function's timeout: never start a cycle that could not finish.
      if (remainingMs() - Math.max(0, wait) < reserveMs) {
        deps.log.warn('poll cycle skipped: not enough time left in the invocation', { group, cycle: i + 1, remainingMs: remainingMs() });
        break;
      }
      if (wait > 0) await sleep(wait);
      // Inline delivery paces SMS within this cycle's share of the invocation (until the next slot):
      // what does not fit stays pending for the deliver function, and the next cycle keeps its time.
      const next = slots[i + 1];
      runtime.startRun?.(
        lambdaRemainingMs || next ? () => Math.min(remainingMs(), next ? next.getTime() - deps.clock.now().getTime() : Number.POSITIVE_INFINITY) : undefined,
      );
      const due = group ? dueInCycle(pool, group, slot) : pool;
      count(await runPollCycle(deps, due, { withPushSources }), due, new Set(due.map((s) => s.id)), { cycle: i + 1, slot: slot.toISOString() });
      result.cycles++;

      // Fast confirmation: re-read what awaits confirmation before the next slot (or the next
      // invocation), while the function has the time for it.
      const windowEnd = (next ?? new Date(slot.getTime() + intervalMs)).getTime();
      for (let at = rechecks.nextAt(); at !== undefined && at < windowEnd; at = rechecks.nextAt()) {
        const wait = Math.max(0, at - deps.clock.now().getTime());
        if (remainingMs() - wait < reserveMs) break;
        if (wait > 0) await sleep(wait);
        const again = rechecks.takeDue(deps.clock.now().getTime());
        count(await runPollCycle(deps, again, { withPushSources: false }), again, new Set(), { cycle: i + 1, recheck: again.map((s) => s.id) });
        result.rechecks++;
      }
    }
    return result;
  };
}

/** Clients and config are built once per cold start, on first use. */
let coldStart: { pipeline: AwsPipeline; run: ReturnType<typeof createPollHandler> } | undefined;
function aws() {
  if (coldStart) return coldStart;
  const pipeline = awsPipeline(logger, { readSource: (secrets) => (source, prev, ctx) => readSource(source, prev, { ...ctx, secrets }) });
  const run = createPollHandler(pipeline.deps, awsScheduledRuntime(pipeline));
  coldStart = { pipeline, run };
  return coldStart;
}

// The remaining time bounds the cycles, and (through startRun → the delivery channels' deadline)
// lets delivery pace SMS at the origination MPS, leaving what does not fit pending for the next run.
export const handler = middy((event: unknown, context: Context) => aws().run(event, () => context.getRemainingTimeInMillis())).use(injectLambdaContext(logger));
