import * as path from 'node:path';
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { TABLE_KEYS } from '../shared/adapters/table.js';
import type { MonitoringConfig } from '../shared/config/schema.js';
import { DialtoneFunction } from './constructs/dialtone-function.js';
import { StateTable } from './constructs/state-table.js';

const PROJECT_ROOT = path.resolve(__dirname, '..');

export interface DialtoneStackProps extends StackProps {
  /** The validated monitoring config, inlined into the poll bundle at build time. */
  readonly config: MonitoringConfig;
  /** E.164 origination number (toll-free / 10DLC) for SMS; omitted = the account default. */
  readonly smsOriginationNumber?: string;
}

export class DialtoneStack extends Stack {
  constructor(scope: Construct, id: string, props: DialtoneStackProps) {
    super(scope, id, props);

    const { table } = new StateTable(this, 'State');

    const poll = new DialtoneFunction(this, 'Poll', {
      entry: path.join(PROJECT_ROOT, 'functions/poll/handler.ts'),
      description: 'Polls upstream sources, evaluates, records transitions and delivers notices',
      serviceName: 'dialtone-poll',
      memorySize: 512,
      // Under the 1-minute schedule so one poll normally ends before the next begins.
      timeout: Duration.seconds(50),
      inlineConfig: props.config,
      // Scheduler invokes Lambda asynchronously. A failed poll is superseded by the next tick a
      // minute later; Lambda's default async retries would only overlap with it.
      retryAttempts: 0,
      maxEventAge: Duration.minutes(1),
      environment: {
        TABLE_NAME: table.tableName,
        DELIVERY_MODE: 'aws',
        ...(props.smsOriginationNumber ? { SMS_ORIGINATION_NUMBER: props.smsOriginationNumber } : {}),
      },
    }).function;

    // Least privilege on the table: single-item reads and conditional writes, plus Query on the
    // table and gsi1. No Scan, no BatchWriteItem (unconditional), no table-level admin actions.
    const indexArn = `${table.tableArn}/index/${TABLE_KEYS.gsi1.indexName}`;
    poll.addToRolePolicy(
      new PolicyStatement({
        sid: 'StateTableItems',
        actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        resources: [table.tableArn],
      }),
    );
    poll.addToRolePolicy(
      new PolicyStatement({
        sid: 'StateTableQuery',
        actions: ['dynamodb:Query'],
        resources: [table.tableArn, indexArn],
      }),
    );

    // SNS Publish straight to a phone number has no resource ARN, so IAM needs Resource "*"
    // (SNS offers no condition key on the destination number). Scope what we can: this region
    // only. Topic publishes (incident feed) get their own grant on the topic when it is added.
    poll.addToRolePolicy(
      new PolicyStatement({
        sid: 'SmsPublish',
        effect: Effect.ALLOW,
        actions: ['sns:Publish'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:RequestedRegion': this.region } },
      }),
    );

    // Invocations Scheduler could not hand to Lambda (throttled, deleted, no permission) land here.
    const pollDeadLetters = new Queue(this, 'PollDeadLetters', {
      enforceSSL: true,
      encryption: QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
    });

    new Schedule(this, 'PollSchedule', {
      description: 'Invoke the poll function every minute',
      schedule: ScheduleExpression.rate(Duration.minutes(1)),
      target: new LambdaInvoke(poll, {
        // A tick older than a minute is replaced by the next one: retry briefly, then dead-letter.
        retryAttempts: 2,
        maxEventAge: Duration.minutes(1),
        deadLetterQueue: pollDeadLetters,
      }),
    });

    new CfnOutput(this, 'TableName', { value: table.tableName, description: 'DynamoDB state table' });
    new CfnOutput(this, 'PollFunctionName', { value: poll.functionName, description: 'Poll Lambda function' });
  }
}
