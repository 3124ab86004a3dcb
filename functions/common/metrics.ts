import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRIC, METRICS_NAMESPACE, METRICS_SERVICE, type PipelineMetrics } from '../../shared/app/pipeline-metrics.js';
import type { PollGroup } from '../../shared/app/poll-groups.js';

/**
 * PipelineMetrics on Powertools Metrics (EMF on stdout, no API call). The service name is fixed
 * (not the function's), so the same metric from poll, sweep and deliver is one CloudWatch
 * metric the alarms can read without a metric per function.
 */
export function powertoolsMetrics(): PipelineMetrics {
  const base = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE });
  const byGroup = new Map<PollGroup, Metrics>();
  const group = (g: PollGroup) => {
    let m = byGroup.get(g);
    if (!m) {
      m = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE, defaultDimensions: { group: g } });
      byGroup.set(g, m);
    }
    return m;
  };
  return {
    pollCycle(g, sources) {
      group(g)
        .addMetric(METRIC.pollCycles, MetricUnit.Count, 1)
        .addMetric(METRIC.sourcesPolled, MetricUnit.Count, sources.polled)
        .addMetric(METRIC.sourcesFailed, MetricUnit.Count, sources.failed);
    },
    standby(g) {
      (g ? group(g) : base).addMetric(METRIC.standby, MetricUnit.Count, 1);
    },
    deliveries(r) {
      base.addMetric(METRIC.deliveriesSent, MetricUnit.Count, r.sent).addMetric(METRIC.deliveriesFailed, MetricUnit.Count, r.failed);
    },
    openIncidents(count) {
      base.addMetric(METRIC.openIncidents, MetricUnit.Count, count);
    },
    flush() {
      for (const m of [base, ...byGroup.values()]) if (m.hasStoredMetrics()) m.publishStoredMetrics();
    },
  };
}
