import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { AttributeType, Billing, CfnGlobalTable, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { TABLE_KEYS } from '../../shared/adapters/table.js';

/** The alias of the customer-managed table key in every region (replicas find their key by it). */
export const TABLE_KEY_ALIAS = 'alias/dialtone-state';

/** A customer-managed KMS key for the table (one per region), rotated yearly, kept on stack delete. */
export function tableKey(scope: Construct, id: string): Key {
  return new Key(scope, id, {
    alias: TABLE_KEY_ALIAS,
    description: 'dialtone: encrypts the state table (incidents, notices, deliveries) at rest',
    enableKeyRotation: true,
    // The table is retained; a deleted key would make it unreadable.
    removalPolicy: RemovalPolicy.RETAIN,
    pendingWindow: Duration.days(30),
  });
}

export interface StateTableProps {
  /** Fixed name: every region's functions find the table (or its replica) by it. */
  readonly tableName: string;
  /** Other regions holding a replica (multi-region); the stack's region holds the primary. */
  readonly replicaRegions?: readonly string[];
  /** Customer-managed encryption: this region's key; replicas use the key aliased TABLE_KEY_ALIAS in their region. */
  readonly key?: IKey;
}

/**
 * The one DynamoDB table holding every transition, incident, notice and delivery.
 * Keys come from TABLE_KEYS so the stack, the store adapter and the embedded store agree.
 * TableV2 (AWS::DynamoDB::GlobalTable) so a second-region replica is a prop away, not a migration.
 */
export class StateTable extends Construct {
  readonly table: TableV2;

  constructor(scope: Construct, id: string, props: StateTableProps) {
    super(scope, id);
    const replicaRegions = props.replicaRegions ?? [];
    const region = Stack.of(this).region;
    const regionKnown = !Token.isUnresolved(region);
    const account = Stack.of(this).account;
    const partition = Stack.of(this).partition;

    this.table = new TableV2(this, 'Table', {
      tableName: props.tableName,
      partitionKey: { name: TABLE_KEYS.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sortKey, type: AttributeType.STRING },
      globalSecondaryIndexes: [
        {
          indexName: TABLE_KEYS.gsi1.indexName,
          partitionKey: { name: TABLE_KEYS.gsi1.partitionKey, type: AttributeType.STRING },
          sortKey: { name: TABLE_KEYS.gsi1.sortKey, type: AttributeType.STRING },
        },
      ],
      billing: Billing.onDemand(),
      // Only raw observation items carry this attribute; state and history never expire.
      timeToLiveAttribute: TABLE_KEYS.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // The record is the audit trail of 911 outages: neither a console click nor a stack
      // delete may remove it (every replica inherits both settings).
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      replicas: replicaRegions.map((r) => ({ region: r })),
      encryption:
        props.key && regionKnown
          ? TableEncryptionV2.customerManagedKey(
              props.key,
              Object.fromEntries(replicaRegions.map((r) => [r, `arn:${partition}:kms:${r}:${account}:${TABLE_KEY_ALIAS}`])),
            )
          : TableEncryptionV2.awsManagedKey(),
    });

    // A region-agnostic single-region stack: CDK renders replica keys only for a known region, so
    // the (only) replica's key is set directly. Same template a known region would produce.
    if (props.key && !regionKnown) {
      const cfn = this.table.node.defaultChild as CfnGlobalTable;
      cfn.addPropertyOverride('Replicas.0.SSESpecification.KMSMasterKeyId', props.key.keyArn);
    }
  }
}
