import { Duration, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  SingleValueWidget,
  TextWidget,
  TreatMissingData,
  type IAlarm,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC, METRICS_NAMESPACE, METRICS_SERVICE } from '../../shared/app/pipeline-metrics.js';
import type { PollGroup } from '../../shared/app/poll-groups.js';

export interface MonitoringProps {
  /** Every alarm notifies this topic, on ALARM and on OK (send-on-resolved). */
  readonly opsTopic: ITopic;
  /** Functions watched for errors and throttles, by a short name used in alarm names. */
  readonly functions: Record<string, IFunction>;
  readonly deadLetterQueue: IQueue;
  readonly pollGroups: readonly PollGroup[];
  /** The SMS spend limit (USD): an alarm fires at `smsSpendAlarmRatio` of it. */
  readonly smsMonthlySpendLimit?: number;
  /** @default 0.8 */
  readonly smsSpendAlarmRatio?: number;
  /** Dashboard name. */
  readonly dashboardName: string;
}

/**
 * Self-monitoring (a blind monitor alerts ops): alarms to the ops topic, which
 * reach people without going through the pipeline they watch, and one dashboard.
 *
 * | alarm | fires when |
 * |---|---|
 * | `<fn>-errors` | the function failed at least once in 5 minutes (poll: 2 of 3 minutes) |
 * | `<fn>-throttles` | an invocation was throttled in 5 minutes |
 * | dlq-depth | a message is waiting in the dead-letter queue (an invocation failed for good) |
 * | poll-<group>-stale | no poll cycle of the group completed (or stood by) for 3 minutes; missing data breaches |
 * | poll-<group>-blind | every source the group read failed, 3 minutes running (our egress, most likely) |
 * | delivery-failure-rate | over 20 % of delivery attempts failed in 15 minutes (at least 3 attempts) |
 * | sms-spend | the month's SMS spend passed 80 % of the spend limit |
 */
export class Monitoring extends Construct {
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const action = new SnsAction(props.opsTopic);
    const add = (alarm: Alarm) => {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      this.alarms.push(alarm);
      return alarm;
    };
    const prefix = Stack.of(this).stackName;
    const dialtone = (metricName: string, dimensions: Record<string, string> = {}, statistic = 'Sum', period = Duration.minutes(1)) =>
      new Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: METRICS_SERVICE, ...dimensions }, statistic, period });

    // ── functions ────────────────────────────────────────────────────────────────────────────
    for (const [name, fn] of Object.entries(props.functions)) {
      const poll = name.startsWith('poll-');
      add(
        new Alarm(this, `${name}Errors`, {
          alarmName: `${prefix}-${name}-errors`,
          alarmDescription: `dialtone ${name}: the function failed (see its log group; a failed scheduled run also lands in the DLQ)`,
          metric: fn.metricErrors({ period: Duration.minutes(poll ? 1 : 5), statistic: 'Sum' }),
          threshold: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          // A poll that fails once is superseded a minute later; twice in three minutes is a fault.
          evaluationPeriods: poll ? 3 : 1,
          datapointsToAlarm: poll ? 2 : 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
      add(
        new Alarm(this, `${name}Throttles`, {
          alarmName: `${prefix}-${name}-throttles`,
          alarmDescription: `dialtone ${name}: invocations throttled (account concurrency exhausted?)`,
          metric: fn.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }),
          threshold: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    // ── dead letters ─────────────────────────────────────────────────────────────────────────
    add(
      new Alarm(this, 'DeadLetters', {
        alarmName: `${prefix}-dlq-depth`,
        alarmDescription: 'dialtone: a scheduled or event-driven invocation failed for good and is in the dead-letter queue',
        metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );

    // ── pollers ──────────────────────────────────────────────────────────────────────────────
    for (const group of props.pollGroups) {
      const cycles = dialtone(METRIC.pollCycles, { group });
      const standby = dialtone(METRIC.standby, { group });
      // Alive = a completed cycle, or a healthy standby in the other region of a pair.
      add(
        new Alarm(this, `Poll${group}Stale`, {
          alarmName: `${prefix}-poll-${group}-stale`,
          alarmDescription: `dialtone poll (${group}): no poll cycle completed in 3 minutes: nothing is watching the ${group} sources`,
          metric: new MathExpression({ expression: 'FILL(c, 0) + FILL(s, 0)', usingMetrics: { c: cycles, s: standby }, period: Duration.minutes(1), label: `${group} cycles` }),
          threshold: 1,
          comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
          evaluationPeriods: 3,
          datapointsToAlarm: 3,
          // No data at all is the failure we are looking for.
          treatMissingData: TreatMissingData.BREACHING,
        }),
      );
      const polled = dialtone(METRIC.sourcesPolled, { group });
      const failed = dialtone(METRIC.sourcesFailed, { group });
      add(
        new Alarm(this, `Poll${group}Blind`, {
          alarmName: `${prefix}-poll-${group}-blind`,
          alarmDescription: `dialtone poll (${group}): every source read failed for 3 minutes: suspect our own egress (DNS, NAT, firewall) before N upstreams`,
          metric: new MathExpression({ expression: 'IF(p > 0, f / p, 0)', usingMetrics: { p: polled, f: failed }, period: Duration.minutes(1), label: `${group} failed / read` }),
          threshold: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 3,
          datapointsToAlarm: 3,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    // ── deliveries ───────────────────────────────────────────────────────────────────────────
    const sent = dialtone(METRIC.deliveriesSent, {}, 'Sum', Duration.minutes(15));
    const failedDeliveries = dialtone(METRIC.deliveriesFailed, {}, 'Sum', Duration.minutes(15));
    add(
      new Alarm(this, 'DeliveryFailureRate', {
        alarmName: `${prefix}-delivery-failure-rate`,
        alarmDescription: 'dialtone: more than 20% of delivery attempts failed in 15 minutes (SMS spend limit reached? sandbox? SES identity not verified? opted-out numbers?)',
        metric: new MathExpression({
          expression: 'IF((FILL(s, 0) + FILL(f, 0)) >= 3, 100 * FILL(f, 0) / (FILL(s, 0) + FILL(f, 0)), 0)',
          usingMetrics: { s: sent, f: failedDeliveries },
          period: Duration.minutes(15),
          label: 'failed deliveries (%)',
        }),
        threshold: 20,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );

    // ── SMS spend ────────────────────────────────────────────────────────────────────────────
    const spend = new Metric({ namespace: 'AWS/SNS', metricName: 'SMSMonthToDateSpentUSD', statistic: 'Maximum', period: Duration.minutes(15) });
    if (props.smsMonthlySpendLimit !== undefined && props.smsMonthlySpendLimit > 0) {
      const ratio = props.smsSpendAlarmRatio ?? 0.8;
      add(
        new Alarm(this, 'SmsSpend', {
          alarmName: `${prefix}-sms-spend`,
          alarmDescription: `dialtone: SMS spend this month passed ${Math.round(ratio * 100)}% of the $${props.smsMonthlySpendLimit} limit; at the limit SNS stops sending SMS (raise it: -c smsMonthlySpendLimit, after a quota increase)`,
          metric: spend,
          threshold: Math.round(props.smsMonthlySpendLimit * ratio * 100) / 100,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    // ── dashboard ────────────────────────────────────────────────────────────────────────────
    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: props.dashboardName, defaultInterval: Duration.hours(6) });
    const fns = Object.entries(props.functions);
    const byFunction = (f: (fn: IFunction) => Metric) => fns.map(([name, fn]) => f(fn).with({ label: name }));
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: '## dialtone\nPoll cycles per group, sources read vs failed, deliveries, function health, dead letters, SMS spend. Alarms go to the ops topic.',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms as IAlarm[], width: 24, height: 4 }));
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Poll cycles (per minute)',
        left: props.pollGroups.flatMap((g) => [dialtone(METRIC.pollCycles, { group: g }).with({ label: `${g} cycles` }), dialtone(METRIC.standby, { group: g }).with({ label: `${g} standby` })]),
        width: 12,
      }),
      new GraphWidget({
        title: 'Sources read / failed',
        left: props.pollGroups.flatMap((g) => [dialtone(METRIC.sourcesPolled, { group: g }).with({ label: `${g} read` }), dialtone(METRIC.sourcesFailed, { group: g }).with({ label: `${g} failed` })]),
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'Deliveries (15 min)', left: [sent.with({ label: 'sent' }), failedDeliveries.with({ label: 'failed' })], width: 8 }),
      new GraphWidget({ title: 'Open incidents', left: [dialtone(METRIC.openIncidents, {}, 'Maximum').with({ label: 'open' })], width: 8 }),
      new SingleValueWidget({ title: 'SMS spend this month (USD)', metrics: [spend], width: 8 }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'Errors', left: byFunction((fn) => fn.metricErrors({ period: Duration.minutes(5) })), width: 8 }),
      new GraphWidget({ title: 'Duration p99 (ms)', left: byFunction((fn) => fn.metricDuration({ period: Duration.minutes(5), statistic: 'p99' })), width: 8 }),
      new GraphWidget({
        title: 'Throttles / dead letters',
        left: byFunction((fn) => fn.metricThrottles({ period: Duration.minutes(5) })),
        right: [props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ label: 'DLQ depth' })],
        width: 8,
      }),
    );
  }
}
