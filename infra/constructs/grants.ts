import { ArnFormat, Stack, Token, Validations } from 'aws-cdk-lib';
import { Effect, PolicyStatement, type IGrantable, type IRole } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { TABLE_KEYS } from '../../shared/adapters/table.js';

/**
 * Least-privilege grants, one helper per kind of access, each statement with a Sid the tests
 * read. The CDK `grant*` helpers are broader than the pipeline needs (Scan, ConditionCheckItem,
 * DescribeTable, …); these name every action.
 */

export interface TableRef {
  tableArn: string;
  /** This region's table key, when the table is encrypted with a customer-managed key. */
  key?: IKey;
}

/**
 * Table access by kind of function: exactly what its code sends (test/infra/permissions.test.ts
 * records every command each handler sends and fails on a grant no path uses). No Scan, no
 * transactions, no table administration. `query`: Query on the table (a partition's items:
 * transitions, notices, deliveries, acks) and/or on gsi1 (open incidents, the outbox, dead
 * letters, a message id).
 */
export const TABLE_ACCESS = {
  /**
   * the read API (shared/app/read-api.ts, report.ts): an incident (GetItem), component and
   * service states (BatchGetItem), an incident's notices and deliveries (Query), the incident lists (Query gsi1)
   */
  read: { items: ['dynamodb:GetItem', 'dynamodb:BatchGetItem'], query: ['table', 'index'] },
  /**
   * poll, sweep, ingest, health-events: evaluate and deliver. States (BatchGetItem; conditional
   * PutItem), transitions, incidents and notices (PutItem), claims and outcomes (UpdateItem), a
   * lost claim or lease read back (GetItem), a resolved cause's slot freed (DeleteItem), and the
   * settled deliveries of a leased notice (DynamoStore.recordDeliveries: BatchWriteItem).
   */
  full: {
    items: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'],
    query: ['table', 'index'],
  },
  /**
   * deliver (shared/app/sweep.ts drainOutbox): the outbox (Query gsi1), histories (Query), leases,
   * claims and outcomes (UpdateItem), a lease held elsewhere read back (GetItem), the settled
   * deliveries (DynamoStore.recordDeliveries: BatchWriteItem). It reads no state and writes no new
   * item; PutItem only for the region lease (see `regionLease`).
   */
  deliveries: { items: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'], query: ['table', 'index'] },
  /**
   * acks (shared/app/ack.ts): the incident (GetItem), the acknowledgement, once (conditional
   * PutItem), open incidents by ack code (Query gsi1); the DynamoDB roster and its roll calls
   * (rosterModel, answerReply: Query on the table) and a roll call's confirmation
   * (DynamoStore.confirmRollCall: conditional UpdateItem, read back by GetItem)
   */
  acks: { items: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], query: ['table', 'index'] },
  /**
   * delivery-status (shared/app/delivery-status.ts): the delivery by message id
   * (DynamoStore.findDeliveryByMessageId: Query gsi1, else an older pointer item and its delivery
   * by GetItem), the incident (GetItem), the provider's outcome (UpdateItem); for a failed SMS
   * (applyDeliveryStatuses → makeGood, deliverOpsItems): the DynamoDB roster and the incident's
   * deliveries (Query on the table), the fallback email's and ops alerts' claims and outcomes
   * (UpdateItem), the ops deliveries recorded (DynamoStore.recordDeliveries: BatchWriteItem)
   */
  statuses: { items: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'], query: ['table', 'index'] },
} as const satisfies Record<string, { items: readonly string[]; query: ReadonlyArray<'table' | 'index'> }>;

export type TableAccess = keyof typeof TABLE_ACCESS;

const READS = new Set(['dynamodb:GetItem', 'dynamodb:BatchGetItem']);

/**
 * `regionLease`: a scheduled function of a multi-region deployment takes the region lease each
 * run (functions/common/region-lease.ts: one conditional PutItem).
 */
export function grantTable(grantee: IGrantable, table: TableRef, access: TableAccess, opts: { regionLease?: boolean } = {}): void {
  const indexArn = `${table.tableArn}/index/${TABLE_KEYS.gsi1.indexName}`;
  const { query } = TABLE_ACCESS[access];
  const items: string[] = [...TABLE_ACCESS[access].items];
  if (opts.regionLease && !items.includes('dynamodb:PutItem')) items.push('dynamodb:PutItem');
  grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ sid: 'StateTableItems', actions: items, resources: [table.tableArn] }));
  const queried = query.map((on) => (on === 'table' ? table.tableArn : indexArn));
  grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ sid: 'StateTableQuery', actions: ['dynamodb:Query'], resources: queried }));
  if (table.key) {
    // DynamoDB asks KMS for the table key on the caller's behalf (kms:ViaService): reads need
    // Decrypt and DescribeKey, writes also the encrypting actions (as TableV2's grants). The key
    // cannot be used directly by the function.
    const writes = items.some((a) => !READS.has(a));
    const actions = writes ? ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'] : ['kms:Decrypt', 'kms:DescribeKey'];
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'StateTableKey',
        actions,
        resources: [table.key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(table.key).region}.amazonaws.com` } },
      }),
    );
  }
}

/** Records a cdk-nag acknowledgement on the role that holds the grant (the finding is on its policy). */
function acknowledgeOn(grantee: IGrantable, id: string, reason: string): void {
  const role = (grantee as { role?: IRole }).role ?? grantee.grantPrincipal;
  if (Construct.isConstruct(role)) Validations.of(role).acknowledge({ id, reason });
}

/**
 * SMS to a phone number: SNS Publish with a PhoneNumber has no resource ARN, so IAM needs
 * Resource "*" (SNS offers no condition key on the destination number). Scoped to this region.
 * `account`: the delivery channels' account reads, also resource-less: opt-outs
 * (CheckIfPhoneNumberIsOptedOut, ListPhoneNumbersOptedOut) and the spend limit (GetSMSAttributes).
 */
export function grantSms(grantee: IGrantable, region: string, opts: { account?: boolean } = {}): void {
  const inRegion = { StringEquals: { 'aws:RequestedRegion': region } };
  // shared/adapters/sns-sender.ts (SnsSmsSender): Publish with PhoneNumber
  grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ sid: 'SmsPublish', effect: Effect.ALLOW, actions: ['sns:Publish'], resources: ['*'], conditions: inRegion }));
  if (opts.account ?? true)
    // shared/adapters/opt-out.ts (SnsOptOutChecker): the listing once per run, a number it did not
    // cover (a listing broken off) checked one by one; delivery-channels.ts (SnsSmsAccount): the spend limit
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'SmsAccountReads',
        actions: ['sns:CheckIfPhoneNumberIsOptedOut', 'sns:ListPhoneNumbersOptedOut', 'sns:GetSMSAttributes'],
        resources: ['*'],
        conditions: inRegion,
      }),
    );
  acknowledgeOn(
    grantee,
    'AwsSolutions-IAM5[Resource::*]',
    'SMS to a phone number (sns:Publish with PhoneNumber) and the SMS account reads (opt-out check and list, GetSMSAttributes) have no resource type in IAM; the statements name only those actions and are limited to the stack region (aws:RequestedRegion)',
  );
}

/**
 * The incidents topic (every notice, for integrations) and the event bus (IncidentOpened.v1 …).
 * The topic is KMS-encrypted: publishing needs the key, through SNS only.
 */
export function grantPublications(grantee: IGrantable, topic: { topicArn: string; key: IKey }, busArn: string): void {
  // shared/adapters/incident-topic.ts (IncidentTopicPublisher): every notice, once
  grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ sid: 'IncidentTopicPublish', actions: ['sns:Publish'], resources: [topic.topicArn] }));
  // SNS encrypts what is published with the topic key on the publisher's behalf
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      sid: 'IncidentTopicKey',
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: [topic.key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `sns.${Stack.of(topic.key).region}.amazonaws.com` } },
    }),
  );
  // shared/adapters/events.ts (EventPublisher): a notice's events and its services' changes
  grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ sid: 'EventsPut', actions: ['events:PutEvents'], resources: [busArn] }));
}

/** SES v2 SendEmail from the stack's identity only (and its configuration set, when one is named). */
export function grantEmail(grantee: IGrantable, identityArn: string): void {
  // shared/adapters/ses-sender.ts (SesEmailSender): SendEmail from SES_FROM_ADDRESS
  grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ sid: 'EmailSend', actions: ['ses:SendEmail'], resources: [identityArn] }));
}

/** Upstream credentials under the configured prefix: SSM SecureString parameters and Secrets Manager secrets. */
export function grantUpstreamSecrets(grantee: IGrantable, stack: Stack, prefix: string): void {
  // shared/adapters/secrets.ts (createAwsSecretResolver): { ssm } → GetParameter, { secretsManager } → GetSecretValue
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      sid: 'UpstreamSecrets',
      actions: ['ssm:GetParameter', 'secretsmanager:GetSecretValue'],
      resources: [
        stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: `${prefix}*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME }),
        // Secrets Manager appends "-" and 6 random characters to a secret's name.
        stack.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${prefix}*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
      ],
    }),
  );
  // The finding names the ARN as nag renders it: unresolved parts as <AWS::…>.
  const part = (v: string, name: string) => (Token.isUnresolved(v) ? `<AWS::${name}>` : v);
  const arn = (service: string, rest: string) => `arn:${part(stack.partition, 'Partition')}:${service}:${part(stack.region, 'Region')}:${part(stack.account, 'AccountId')}:${rest}`;
  const reason = `Upstream credentials (e.g. the Microsoft Graph client secret) are read by name under the configured prefix "${prefix}" (-c secretsPrefix); synth refuses a config that references one outside it`;
  acknowledgeOn(grantee, `AwsSolutions-IAM5[Resource::${arn('ssm', `parameter/${prefix}*`)}]`, reason);
  acknowledgeOn(grantee, `AwsSolutions-IAM5[Resource::${arn('secretsmanager', `secret:${prefix}*`)}]`, reason);
}
