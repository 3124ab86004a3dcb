import type { PollGroup } from './poll-groups.js';

/**
 * The pipeline's own health as CloudWatch metrics (Embedded Metric Format via Powertools in
 * Lambda): the contract between the functions that emit them and the alarms in infra/.
 *
 * Every metric has the dimension `service` = METRICS_SERVICE; poll metrics add `group`.
 */
export const METRICS_NAMESPACE = 'Dialtone';
export const METRICS_SERVICE = 'dialtone';

export const METRIC = {
  /** A poll cycle ran to the end (whatever its sources said). Its absence for 3 minutes = stale poller. */
  pollCycles: 'PollCycles',
  /** This region is standby (multi-region): the poller is healthy and another region leads. */
  standby: 'Standby',
  /** Polled sources read in the cycle, and those whose read failed (blind). */
  sourcesPolled: 'SourcesPolled',
  sourcesFailed: 'SourcesFailed',
  /** Deliveries sent / failed (each failed attempt), from every path that delivers. */
  deliveriesSent: 'DeliveriesSent',
  deliveriesFailed: 'DeliveriesFailed',
  /** Open incidents, as the sweep saw them. */
  openIncidents: 'OpenIncidents',
} as const;

/** The port the handlers emit through; a no-op in tests. */
export interface PipelineMetrics {
  pollCycle(group: PollGroup, sources: { polled: number; failed: number }): void;
  standby(group?: PollGroup): void;
  deliveries(report: { sent: number; failed: number }): void;
  openIncidents(count: number): void;
  /** Writes what was recorded (one EMF document per dimension set). */
  flush(): void;
}

export const noMetrics: PipelineMetrics = { pollCycle() {}, standby() {}, deliveries() {}, openIncidents() {}, flush() {} };
