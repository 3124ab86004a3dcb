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
 * Table access by kind of function. Single-item conditional writes only (no BatchWriteItem: it
 * cannot be conditional), no Scan, no table administration.
 */
export const TABLE_ACCESS = {
  /** the read API: items, batches, Query on the table and gsi1 */
  read: { items: ['dynamodb:GetItem', 'dynamodb:BatchGetItem'], query: true },
  /** poll, sweep, ingest, health-events: state, history, incidents (DeleteItem frees a resolved cause's slot) */
  full: { items: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], query: true },
  /** deliver: claims and outcomes (UpdateItem), message links, dead letters and the region lease (PutItem) */
  deliveries: { items: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], query: true },
  /** acks: the incident (GetItem), the acknowledgement, once (conditional PutItem), open incidents by ack code (Query on gsi1) */
  acks: { items: ['dynamodb:GetItem', 'dynamodb:PutItem'], query: true },
  /** delivery-status: the message-id pointer and the delivery (GetItem), the provider's outcome (UpdateItem) */
  statuses: { items: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], query: false },
} as const;

export type TableAccess = keyof typeof TABLE_ACCESS;

export function grantTable(grantee: IGrantable, table: TableRef, access: TableAccess): void {
  const indexArn = `${table.tableArn}/index/${TABLE_KEYS.gsi1.indexName}`;
  const { items, query } = TABLE_ACCESS[access];
  grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ sid: 'StateTableItems', actions: [...items], resources: [table.tableArn] }));
  if (query) grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ sid: 'StateTableQuery', actions: ['dynamodb:Query'], resources: [table.tableArn, indexArn] }));
  if (table.key) {
    // Only through DynamoDB in this region: the key cannot be used directly by the function.
    const writes = TABLE_ACCESS[access].items.some((a) => a !== 'dynamodb:GetItem' && a !== 'dynamodb:BatchGetItem');
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
 * `account`: the delivery channels' account reads, also resource-less: opt-outs (domain.md §6.5:
 * CheckIfPhoneNumberIsOptedOut, ListPhoneNumbersOptedOut) and the spend limit (GetSMSAttributes).
 */
export function grantSms(grantee: IGrantable, region: string, opts: { account?: boolean } = {}): void {
  const inRegion = { StringEquals: { 'aws:RequestedRegion': region } };
  grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ sid: 'SmsPublish', effect: Effect.ALLOW, actions: ['sns:Publish'], resources: ['*'], conditions: inRegion }));
  if (opts.account ?? true)
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
  grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ sid: 'IncidentTopicPublish', actions: ['sns:Publish'], resources: [topic.topicArn] }));
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      sid: 'IncidentTopicKey',
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: [topic.key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `sns.${Stack.of(topic.key).region}.amazonaws.com` } },
    }),
  );
  grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ sid: 'EventsPut', actions: ['events:PutEvents'], resources: [busArn] }));
}

/** SES v2 SendEmail from the stack's identity only (and its configuration set, when one is named). */
export function grantEmail(grantee: IGrantable, identityArn: string): void {
  grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ sid: 'EmailSend', actions: ['ses:SendEmail'], resources: [identityArn] }));
}

/** Upstream credentials under the configured prefix: SSM SecureString parameters and Secrets Manager secrets. */
export function grantUpstreamSecrets(grantee: IGrantable, stack: Stack, prefix: string): void {
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
