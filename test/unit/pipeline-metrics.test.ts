import { powertoolsMetrics } from '../../functions/common/metrics.js';
import { METRIC, METRICS_NAMESPACE } from '../../shared/app/pipeline-metrics.js';

/**
 * The EMF the functions write is what the alarms in infra/constructs/monitoring.ts read: the
 * namespace, metric names and the exact dimension sets must match, or an alarm watches nothing
 * (and the staleness alarm, which breaches on missing data, would fire forever).
 */
describe('powertoolsMetrics (Embedded Metric Format)', () => {
  let lines: string[];
  let write: jest.SpyInstance;
  const saved = process.env.POWERTOOLS_METRICS_DISABLED;
  beforeEach(() => {
    delete process.env.POWERTOOLS_METRICS_DISABLED;
    lines = [];
    write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
  });
  afterEach(() => {
    write.mockRestore();
    if (saved !== undefined) process.env.POWERTOOLS_METRICS_DISABLED = saved;
  });

  const docs = () =>
    lines
      .join('')
      .split('\n')
      .filter((l) => l.includes('"_aws"'))
      .map((l) => JSON.parse(l) as { _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string }> }> } } & Record<string, unknown>);

  test('poll metrics carry service and group; delivery metrics service only; one document per dimension set', () => {
    const m = powertoolsMetrics();
    m.pollCycle('critical', { polled: 10, failed: 10 });
    m.deliveries({ sent: 3, failed: 1 });
    m.flush();
    const out = docs();
    expect(out).toHaveLength(2);
    const poll = out.find((d) => d.group === 'critical')!;
    expect(poll._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: METRICS_NAMESPACE, Dimensions: [['service', 'group']] });
    expect(poll).toMatchObject({ service: 'dialtone', [METRIC.pollCycles]: 1, [METRIC.sourcesPolled]: 10, [METRIC.sourcesFailed]: 10 });
    const delivery = out.find((d) => d.group === undefined)!;
    expect(delivery._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: METRICS_NAMESPACE, Dimensions: [['service']] });
    expect(delivery).toMatchObject({ service: 'dialtone', [METRIC.deliveriesSent]: 3, [METRIC.deliveriesFailed]: 1 });
  });

  test('standby of a poll group is counted under its group; nothing recorded, nothing written', () => {
    const m = powertoolsMetrics();
    m.flush();
    expect(docs()).toEqual([]);
    m.standby('standard');
    m.flush();
    expect(docs()).toEqual([expect.objectContaining({ group: 'standard', [METRIC.standby]: 1 })]);
  });
});
