import type { PipelineMetrics } from '../../shared/app/pipeline-metrics.js';
import type { Log } from '../../shared/app/log.js';
import type { PollGroup } from '../../shared/app/poll-groups.js';
import { regionRole, type LeaseStore, type RegionRole } from '../../shared/app/region-lease.js';
import type { AwsPipeline } from './aws-deps.js';
import { powertoolsMetrics } from './metrics.js';

/** What a scheduled function (poll, sweep, deliver) needs beyond the pipeline: injected, so tests run without AWS. */
export interface ScheduledRuntime {
  metrics: PipelineMetrics;
  lease?: LeaseStore;
  region: string;
  /** Per run: the time it may spend delivering (storm pacing in the delivery channels). */
  startRun: (remainingMs?: () => number) => void;
}

/** The runtime of a deployed scheduled function, from its cold-start pipeline. */
export function awsScheduledRuntime(pipeline: AwsPipeline): ScheduledRuntime {
  return { metrics: powertoolsMetrics(), ...(pipeline.lease ? { lease: pipeline.lease } : {}), region: pipeline.env.AWS_REGION, startRun: pipeline.startRun };
}

/**
 * This region's role for the invocation (shared/app/region-lease.ts). A standby invocation only
 * says so: the standby metric (which keeps the staleness alarm quiet) and a log line.
 */
export async function leadOrStandBy(runtime: Partial<ScheduledRuntime>, metrics: PipelineMetrics, now: Date, log: Log, group?: PollGroup): Promise<RegionRole> {
  const role = await regionRole({ ...(runtime.lease ? { lease: runtime.lease } : {}), region: runtime.region ?? 'local', now, log });
  if (role.role === 'standby') {
    metrics.standby(group);
    metrics.flush();
    log.info('standby: another region leads', { leader: role.leader, until: role.until });
  }
  return role;
}
