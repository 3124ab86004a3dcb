import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { StateTable, tableKey } from './constructs/state-table.js';

export interface StateStackProps extends StackProps {
  readonly tableName: string;
  /** The primary region's stack holds the global table; the others only their replica's key. */
  readonly primary: boolean;
  /** Replica regions (primary only). */
  readonly replicaRegions?: readonly string[];
  /** `customer`: a customer-managed KMS key in this region. */
  readonly tableKey: 'aws' | 'customer';
}

/**
 * What outlives every deploy: the state table (retained, deletion-protected) and its key. Kept
 * apart from the functions so a stateless change can never replace or delete it.
 */
export class StateStack extends Stack {
  readonly table?: TableV2;
  readonly key?: Key;

  constructor(scope: Construct, id: string, props: StateStackProps) {
    super(scope, id, props);
    if (props.tableKey === 'customer') this.key = tableKey(this, 'TableKey');
    if (props.primary) {
      this.table = new StateTable(this, 'State', {
        tableName: props.tableName,
        ...(props.replicaRegions ? { replicaRegions: props.replicaRegions } : {}),
        ...(this.key ? { key: this.key } : {}),
      }).table;
      new CfnOutput(this, 'TableName', { value: this.table.tableName, description: 'DynamoDB state table (global table when several regions)' });
    }
    if (this.key) new CfnOutput(this, 'TableKeyArn', { value: this.key.keyArn, description: 'KMS key encrypting this region’s replica of the state table' });
  }
}
