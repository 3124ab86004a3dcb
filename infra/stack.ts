import * as fs from 'node:fs';
import * as path from 'node:path';
import { CfnElement, CfnOutput, Duration, SecretValue, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key, type IKey } from 'aws-cdk-lib/aws-kms';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { ContextAttribute, Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { FilterPattern, SubscriptionFilter as LogSubscriptionFilter } from 'aws-cdk-lib/aws-logs';
import { LambdaDestination } from 'aws-cdk-lib/aws-logs-destinations';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { EmailIdentity, Identity } from 'aws-cdk-lib/aws-ses';
import { SubscriptionFilter, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription, LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { groupsInUse, POLL_GROUPS, sourcesOfGroup, type PollGroup } from '../shared/app/poll-groups.js';
import type { MonitoringConfig } from '../shared/config/schema.js';
import { addressOf, sourcesWithSecrets, type DeploymentOptions } from './context.js';
import { DialtoneFunction, type DialtoneFunctionProps } from './constructs/dialtone-function.js';
import { grantEmail, grantPublications, grantSms, grantTable, grantUpstreamSecrets, type TableAccess } from './constructs/grants.js';
import { DialtoneHttpApi } from './constructs/http-api.js';
import { Monitoring } from './constructs/monitoring.js';
import { SmsSettings } from './constructs/sms-settings.js';

const PROJECT_ROOT = path.resolve(__dirname, '..');
const entry = (name: string) => path.join(PROJECT_ROOT, 'functions', name, 'handler.ts');

export interface DialtoneStackProps extends StackProps {
  /** The validated monitoring config, inlined into every bundle at build time. */
  readonly config: MonitoringConfig;
  readonly options: DeploymentOptions;
  /** This region's customer-managed table key (tableKey=customer), from the region's state stack. */
  readonly tableKey?: IKey;
  /** Several regions share the table: the functions elect a leader (REGION_LEASE=on). */
  readonly multiRegion?: boolean;
  /**
   * Handlers other work streams add (push ingest, aws.health target): wired when their entry
   * exists. Tests may force either way.
   */
  readonly optionalFunctions?: { ingest?: boolean; healthEvents?: boolean; deliveryStatus?: boolean };
}

/** Timeout of a poll group's function: its last cycle plus the slowest source, and a margin. */
export function pollTimeout(config: MonitoringConfig, group: PollGroup): Duration {
  const slowest = Math.max(0, ...sourcesOfGroup(config, group).map((s) => s.timeoutMs)) / 1000;
  const { intervalSeconds, cyclesPerInvocation } = POLL_GROUPS[group];
  const lastSlot = intervalSeconds * (cyclesPerInvocation - 1);
  // standard: one cycle, under the one-minute schedule unless a source's own timeout forbids it.
  const seconds = group === 'standard' ? Math.max(50, Math.ceil(slowest) + 20) : lastSlot + Math.ceil(slowest) + 15;
  return Duration.seconds(Math.min(900, seconds));
}

/**
 * One region of dialtone: the functions, their schedules, topics, the HTTP API, the event bus
 * and self-monitoring. The state table lives in StateStack (found here by its fixed name).
 */
export class DialtoneStack extends Stack {
  readonly functions: Record<string, NodejsFunction> = {};
  readonly deadLetters: Queue;
  readonly opsTopic: Topic;
  readonly incidentTopic: Topic;
  /** Inbound two-way SMS (the origination number's channel publishes here); the acks function reads it. */
  readonly inboundSmsTopic: Topic;
  /** Signs and verifies the acknowledgement links in emails (DIALTONE_ACK_SECRET). */
  readonly ackSigningKey: Secret;
  readonly eventBus: EventBus;
  readonly api: DialtoneHttpApi;
  readonly monitoring: Monitoring;
  readonly pollGroups: PollGroup[];

  constructor(scope: Construct, id: string, props: DialtoneStackProps) {
    super(scope, id, props);
    const { config, options } = props;
    const table = { tableArn: TableV2.fromTableName(this, 'StateTable', options.tableName).tableArn, ...(props.tableKey ? { key: props.tableKey } : {}) };

    // ── failure paths ────────────────────────────────────────────────────────────────────────
    // Invocations Scheduler could not hand to Lambda, and async invocations that failed for good.
    this.deadLetters = new Queue(this, 'DeadLetters', {
      enforceSSL: true,
      encryption: QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue (EventBridge Scheduler DLQ and Lambda on-failure destination); cdk-nag only recognises SQS redrive targets as DLQs',
    });

    // ── topics ───────────────────────────────────────────────────────────────────────────────
    const messagingKey = new Key(this, 'MessagingKey', {
      description: 'dialtone: encrypts the ops and incident topics',
      enableKeyRotation: true,
    });
    // CloudWatch alarms publish to the (encrypted) ops topic.
    messagingKey.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey');
    this.opsTopic = new Topic(this, 'OpsTopic', { displayName: 'dialtone ops', masterKey: messagingKey, enforceSSL: true });
    for (const email of options.opsEmails) this.opsTopic.addSubscription(new EmailSubscription(email));
    this.incidentTopic = new Topic(this, 'IncidentTopic', { displayName: 'dialtone incidents', masterKey: messagingKey, enforceSSL: true });
    // People who subscribe at the SNS level: each gets the notices that touch its states (the
    // `state` attribute is a String.Array; a filter matches when any of its values does).
    for (const { email, states } of options.incidentTopicEmails) {
      this.incidentTopic.addSubscription(new EmailSubscription(email, { filterPolicy: { state: SubscriptionFilter.stringFilter({ allowlist: states }) } }));
    }

    // Inbound SMS: the origination number's two-way SMS channel (End User Messaging SMS) must name
    // this topic (output InboundSmsTopicArn); replies "ACK <code>" reach the acks function.
    this.inboundSmsTopic = new Topic(this, 'InboundSms', { displayName: 'dialtone inbound SMS', masterKey: messagingKey, enforceSSL: true });
    const smsVoice = new ServicePrincipal('sms-voice.amazonaws.com');
    this.inboundSmsTopic.addToResourcePolicy(
      new PolicyStatement({ sid: 'InboundSmsPublish', principals: [smsVoice], actions: ['sns:Publish'], resources: [this.inboundSmsTopic.topicArn], conditions: { StringEquals: { 'aws:SourceAccount': this.account } } }),
    );
    messagingKey.grant(smsVoice, 'kms:Decrypt', 'kms:GenerateDataKey');

    // ── acknowledgement link signing key ─────────────────────────────────────────────────────
    // Generated once per stack. It reaches the functions as the HMAC push secrets do: a
    // CloudFormation dynamic reference resolved at deploy time into the environment. Trade-off:
    // no GetSecretValue at run time (no grant, no cold-start call), but the value is readable by
    // anyone allowed lambda:GetFunctionConfiguration, and a rotation needs a redeploy (and voids
    // the links already sent). Each region's stack generates its own key: in a multi-region
    // deployment a link verifies only in the region that signed it.
    this.ackSigningKey = new Secret(this, 'AckSigningKey', {
      description: 'dialtone: HMAC key of the acknowledgement links in emails',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    Validations.of(this.ackSigningKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'The ack link signing key is resolved into the functions environment at deploy time; rotating it needs a redeploy and voids every link already emailed, so it is rotated by replacing the secret, not on a schedule',
    });
    const ackSecret = { DIALTONE_ACK_SECRET: this.ackSigningKey.secretValue.unsafeUnwrap() };

    // ── events for other systems ─────────────────────────────────────────────────────────────
    // A generated name (output EventBusName): a second deployment in the account never collides.
    this.eventBus = new EventBus(this, 'EventBus', { description: 'dialtone: incident and service-state events for other systems' });

    // ── email ────────────────────────────────────────────────────────────────────────────────
    let emailIdentityArn: string | undefined;
    if (options.sesFromAddress) {
      const address = addressOf(options.sesFromAddress);
      const identity = new EmailIdentity(this, 'EmailIdentity', {
        identity: options.sesIdentity === 'domain' ? Identity.domain(address.split('@')[1]!) : Identity.email(address),
      });
      emailIdentityArn = identity.emailIdentityArn;
    }

    // ── SMS account settings ─────────────────────────────────────────────────────────────────
    const smsSettings = options.manageSmsSettings
      ? new SmsSettings(this, 'SmsSettings', { smsType: options.smsType, monthlySpendLimit: options.smsMonthlySpendLimit })
      : undefined;

    // ── functions ────────────────────────────────────────────────────────────────────────────
    // Each function gets the variables its code reads, nothing else.
    const sms: Record<string, string> = options.smsOriginationNumber ? { SMS_ORIGINATION_NUMBER: options.smsOriginationNumber } : {};
    /**
     * The pipeline functions (functions/common/aws-deps.ts → AwsDeliveryChannels): SMS with the
     * opt-out check, SES email, the incidents topic, the event bus; the region lease.
     */
    const pipelineEnv: Record<string, string> = {
      TABLE_NAME: options.tableName,
      REGION_LEASE: props.multiRegion ? 'on' : 'off',
      ...sms,
      ...(options.sesFromAddress ? { SES_FROM_ADDRESS: options.sesFromAddress } : {}),
      INCIDENT_TOPIC_ARN: this.incidentTopic.topicArn,
      EVENT_BUS_NAME: this.eventBus.eventBusName,
      // email deliveries carry a signed acknowledgement link (config acks.linkBase)
      ...ackSecret,
    };
    const onFailure = new SqsDestination(this.deadLetters);
    const make = (id: string, name: string, p: Omit<DialtoneFunctionProps, 'inlineConfig' | 'serviceName'>, withConfig = true) => {
      const fn = new DialtoneFunction(this, id, { ...p, serviceName: `dialtone-${name}`, ...(withConfig ? { inlineConfig: config } : {}) }).function;
      this.functions[name] = fn;
      return fn;
    };
    /** Delivers notices through AwsDeliveryChannels: SMS (opt-outs, spend limit), email, topic, events. */
    const delivers = (fn: NodejsFunction, access: TableAccess, opts: { regionLease?: boolean } = {}) => {
      grantTable(fn, table, access, opts);
      grantSms(fn, this.region);
      grantPublications(fn, { topicArn: this.incidentTopic.topicArn, key: messagingKey }, this.eventBus.eventBusArn);
      if (emailIdentityArn) grantEmail(fn, emailIdentityArn);
    };
    // Scheduled functions: Scheduler retries twice within a minute, then dead-letters; a run that
    // fails inside Lambda is not retried (the next tick supersedes it) and lands in the DLQ.
    const scheduled = { retryAttempts: 0, maxEventAge: Duration.minutes(1), onFailure } as const;
    // One role for every schedule of the stack: invoke these functions, dead-letter to this queue.
    const schedulerRole = new Role(this, 'SchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': this.account } } }),
      description: 'EventBridge Scheduler: invokes the dialtone functions on their schedules',
    });
    const schedule = (id: string, fn: NodejsFunction, description: string, input?: ScheduleTargetInput) => {
      const s = new Schedule(this, id, {
        description,
        schedule: ScheduleExpression.rate(Duration.minutes(1)),
        target: new LambdaInvoke(fn, {
          ...(input ? { input } : {}),
          role: schedulerRole,
          retryAttempts: 2,
          maxEventAge: Duration.minutes(1),
          deadLetterQueue: this.deadLetters,
        }),
      });
      Validations.of(schedulerRole).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(fn.node.defaultChild as CfnElement)}.Arn>:*]`,
        reason: 'LambdaInvoke grants lambda:InvokeFunction on this one function and its versions/aliases (ARN:*); no other function',
      });
      return s;
    };

    // poll, one function per group: standard always (it also evaluates push sources' standing
    // status and heartbeats once a minute), critical when a source is in it.
    this.pollGroups = ['standard', ...groupsInUse(config).filter((g) => g !== 'standard')];
    const secretSources = sourcesWithSecrets(config);
    for (const group of this.pollGroups) {
      const label = group === 'critical' ? 'Critical' : 'Standard';
      const fn = make(`Poll${label}`, `poll-${group}`, {
        entry: entry('poll'),
        description: `Polls the ${group} sources (${group === 'critical' ? 'every 15 s, 4 cycles a minute' : 'every minute'}), evaluates, records and delivers`,
        memorySize: 512,
        timeout: pollTimeout(config, group),
        environment: pipelineEnv,
        ...scheduled,
      });
      delivers(fn, 'full', { regionLease: props.multiRegion });
      if (sourcesOfGroup(config, group).some((s) => secretSources.has(s.id))) grantUpstreamSecrets(fn, this, options.secretsPrefix);
      schedule(`Poll${label}Schedule`, fn, `dialtone: poll the ${group} sources`, ScheduleTargetInput.fromObject({ group, scheduledTime: ContextAttribute.scheduledTime }));
    }

    const sweep = make('Sweep', 'sweep', {
      entry: entry('sweep'),
      description: 'Incident clocks without polling: FCC first notice, 2-hour updates, escalation, maintenance windows; then the outbox',
      timeout: Duration.seconds(55),
      environment: pipelineEnv,
      ...scheduled,
    });
    delivers(sweep, 'full', { regionLease: props.multiRegion });
    schedule('SweepSchedule', sweep, 'dialtone: evaluate/escalate sweep every minute');

    const deliver = make('Deliver', 'deliver', {
      entry: entry('deliver'),
      description: 'Drains the outbox: whatever the inline delivery of poll, ingest and sweep left pending',
      // Long enough to finish a storm at the origination number's pace; overlapping drains are safe (claims).
      timeout: Duration.minutes(5),
      environment: pipelineEnv,
      ...scheduled,
    });
    delivers(deliver, 'deliveries', { regionLease: props.multiRegion });
    schedule('DeliverSchedule', deliver, 'dialtone: drain the outbox every minute');

    const read = make('Api', 'api', {
      entry: entry('api'),
      description: 'Read API: status, incidents, after-action report, CAP',
      timeout: Duration.seconds(15),
      environment: { TABLE_NAME: options.tableName, ...(options.capDomain ? { CAP_DOMAIN: options.capDomain } : {}) },
    });
    grantTable(read, table, 'read');

    // push ingest (another work stream's handler): wired when present
    const hasIngest = props.optionalFunctions?.ingest ?? fs.existsSync(entry('ingest'));
    let ingest: NodejsFunction | undefined;
    if (hasIngest) {
      // HMAC signing secrets (auth.hmac.secretEnv) come from Secrets Manager at deploy time.
      const hmac: Record<string, string> = {};
      for (const s of config.sources) {
        const env = (s as { auth?: { hmac?: { secretEnv: string } } }).auth?.hmac?.secretEnv;
        if (env) hmac[env] = SecretValue.secretsManager(`${options.secretsPrefix}push/${env}`).unsafeUnwrap();
      }
      ingest = make('Ingest', 'ingest', {
        entry: entry('ingest'),
        description: 'POST /push/{sourceId}: webhooks, heartbeats, agency reports (per-source authentication)',
        timeout: Duration.seconds(25),
        environment: { ...pipelineEnv, ...hmac },
      });
      // Notices go out through the pipeline's delivery channels (functions/common/aws-deps.ts).
      delivers(ingest, 'full');
    }

    // ── events ───────────────────────────────────────────────────────────────────────────────
    const hasHealthSource = config.sources.some((s) => s.kind === 'aws-health');
    const hasHealthEvents = props.optionalFunctions?.healthEvents ?? fs.existsSync(entry('health-events'));
    if (hasHealthEvents && hasHealthSource) {
      const health = make('HealthEvents', 'health-events', {
        entry: entry('health-events'),
        description: 'AWS Health events (EventBridge rule on the default bus) into the evaluation path',
        timeout: Duration.seconds(30),
        // EventBridge invokes asynchronously: two retries, then the DLQ.
        retryAttempts: 2,
        maxEventAge: Duration.hours(1),
        onFailure,
        environment: pipelineEnv,
      });
      // Notices go out through the pipeline's delivery channels (functions/common/aws-deps.ts).
      delivers(health, 'full');
      // AWS service events arrive on the default bus only.
      new Rule(this, 'AwsHealthRule', {
        description: 'dialtone: AWS Health events for the aws-health sources',
        eventPattern: { source: ['aws.health'] },
        targets: [new LambdaFunction(health, { retryAttempts: 2, maxEventAge: Duration.hours(1), deadLetterQueue: this.deadLetters })],
      });
    }

    // SMS delivery status (another work stream's handler): SNS writes it to the delivery-status log
    // groups SmsSettings creates; a subscription filter feeds each status back to its delivery.
    const hasDeliveryStatus = props.optionalFunctions?.deliveryStatus ?? fs.existsSync(entry('delivery-status'));
    if (hasDeliveryStatus && smsSettings) {
      const statuses = make('DeliveryStatus', 'delivery-status', {
        entry: entry('delivery-status'),
        description: 'SNS SMS delivery status (CloudWatch Logs subscription) onto the delivery record; a failed SMS is made good by email or reported to ops',
        timeout: Duration.seconds(30),
        // The config and the channels: a failed SMS of a notice goes to the recipient's email, or
        // ops hears it reached nobody (shared/app/delivery-status.ts). No topic, no bus, no lease.
        environment: {
          TABLE_NAME: options.tableName,
          ...sms,
          ...(options.sesFromAddress ? { SES_FROM_ADDRESS: options.sesFromAddress } : {}),
        },
        // CloudWatch Logs invokes asynchronously: two retries, then the DLQ.
        retryAttempts: 2,
        maxEventAge: Duration.hours(1),
        onFailure,
      });
      grantTable(statuses, table, 'statuses');
      // ops alerts by SMS (and their opt-out check), the fallback email to the recipient and ops
      grantSms(statuses, this.region);
      if (emailIdentityArn) grantEmail(statuses, emailIdentityArn);
      for (const [id, group] of [['Delivered', smsSettings.successLogs], ['Failed', smsSettings.failureLogs]] as const)
        new LogSubscriptionFilter(this, `SmsStatus${id}`, { logGroup: group, destination: new LambdaDestination(statuses), filterPattern: FilterPattern.allEvents() });
    }

    // ── acknowledgements ─────────────────────────────────────────────────────────────────────
    // GET /ack/… (signed links, synchronous) and the InboundSms topic (SMS replies, asynchronous).
    const acks = make('Acks', 'acks', {
      entry: entry('acks'),
      description: 'Acknowledgements: GET /ack/{incidentId}/{recipientId}/{signature} (signed email links) and SMS replies "ACK <code>" (InboundSms topic)',
      timeout: Duration.seconds(15),
      environment: { TABLE_NAME: options.tableName, ...ackSecret },
      // SNS invokes asynchronously: two retries, then the DLQ.
      retryAttempts: 2,
      maxEventAge: Duration.hours(1),
      onFailure,
    });
    grantTable(acks, table, 'acks');
    this.inboundSmsTopic.addSubscription(new LambdaSubscription(acks));

    // ── HTTP API ─────────────────────────────────────────────────────────────────────────────
    this.api = new DialtoneHttpApi(this, 'Http', {
      read,
      ...(ingest ? { ingest } : {}),
      acks,
      rateLimit: options.apiRateLimit,
      burstLimit: options.apiBurstLimit,
    });

    // ── self-monitoring ──────────────────────────────────────────────────────────────────────
    this.monitoring = new Monitoring(this, 'Monitoring', {
      opsTopic: this.opsTopic,
      functions: this.functions,
      deadLetterQueue: this.deadLetters,
      pollGroups: this.pollGroups,
      ...(options.manageSmsSettings ? { smsMonthlySpendLimit: options.smsMonthlySpendLimit } : {}),
      dashboardName: this.stackName.replace(/[^A-Za-z0-9_-]/g, '-'),
    });

    // ── outputs ──────────────────────────────────────────────────────────────────────────────
    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'HTTP API: GET /status, /incidents… (IAM, SigV4); POST /push/{sourceId}; GET /ack/… (signed email links)' });
    new CfnOutput(this, 'OpsTopicArn', { value: this.opsTopic.topicArn, description: 'Alarms: subscribe your pager (email with -c opsEmail=…)' });
    new CfnOutput(this, 'IncidentTopicArn', { value: this.incidentTopic.topicArn, description: 'Incident updates for integrations' });
    new CfnOutput(this, 'InboundSmsTopicArn', { value: this.inboundSmsTopic.topicArn, description: 'Point the origination number two-way SMS channel here: ACK replies' });
    new CfnOutput(this, 'EventBusName', { value: this.eventBus.eventBusName, description: 'Custom event bus for dialtone events' });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.deadLetters.queueUrl, description: 'Failed scheduled/event invocations' });
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName, description: 'CloudWatch dashboard' });
    for (const [name, fn] of Object.entries(this.functions))
      new CfnOutput(this, `${name.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase())}FunctionName`, { value: fn.functionName, description: `${name} function` });
  }
}
