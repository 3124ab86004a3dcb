import { ConditionalCheckFailedException, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LeaseStore } from '../../shared/app/region-lease.js';
import { TABLE_KEYS } from '../../shared/adapters/table.js';

/**
 * The region lease (shared/app/region-lease.ts) on the state table: one item, one conditional
 * PutItem per invocation. Evaluated against the local replica of the global table, by design:
 * the lease only has to outlast replication lag, not replace it.
 */
export class DynamoLeaseStore implements LeaseStore {
  constructor(private readonly opts: { client: DynamoDBClient; tableName: string }) {}

  async acquire(name: string, holder: string, now: Date, until: Date): Promise<{ acquired: boolean; holder?: string; until?: string }> {
    try {
      await this.opts.client.send(
        new PutItemCommand({
          TableName: this.opts.tableName,
          Item: {
            [TABLE_KEYS.partitionKey]: { S: `LEASE#${name}` },
            [TABLE_KEYS.sortKey]: { S: 'LEASE' },
            holder: { S: holder },
            // Not the table's TTL attribute: an expired lease must stay readable as expired.
            leaseUntilMs: { N: String(until.getTime()) },
            leaseUntil: { S: until.toISOString() },
          },
          ConditionExpression: 'attribute_not_exists(#pk) OR #holder = :me OR #until < :now',
          ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey, '#holder': 'holder', '#until': 'leaseUntilMs' },
          ExpressionAttributeValues: { ':me': { S: holder }, ':now': { N: String(now.getTime()) } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { acquired: true, holder, until: until.toISOString() };
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException) && (err as Error).name !== 'ConditionalCheckFailedException') throw err;
      const item = (err as ConditionalCheckFailedException).Item;
      return {
        acquired: false,
        ...(item?.holder?.S !== undefined ? { holder: item.holder.S } : {}),
        ...(item?.leaseUntil?.S !== undefined ? { until: item.leaseUntil.S } : {}),
      };
    }
  }
}
