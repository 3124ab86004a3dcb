/**
 * The one DynamoDB table's key design, shared by the store adapter, the embedded store and the
 * CDK stack so the three can never disagree. Item layout and access patterns: dynamo-store.ts.
 */
export const TABLE_KEYS = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Sparse index for "list" access patterns (open incidents, pending notices, all incidents). */
  gsi1: { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  /** TTL attribute: set only on raw observation items (epoch seconds). */
  ttlAttribute: 'expiresAt',
} as const;

/** CreateTable input used by the embedded store and tests (the CDK stack declares the same keys). */
export function createTableInput(tableName: string) {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [
      { AttributeName: TABLE_KEYS.partitionKey, AttributeType: 'S' as const },
      { AttributeName: TABLE_KEYS.sortKey, AttributeType: 'S' as const },
      { AttributeName: TABLE_KEYS.gsi1.partitionKey, AttributeType: 'S' as const },
      { AttributeName: TABLE_KEYS.gsi1.sortKey, AttributeType: 'S' as const },
    ],
    KeySchema: [
      { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' as const },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: TABLE_KEYS.gsi1.indexName,
        KeySchema: [
          { AttributeName: TABLE_KEYS.gsi1.partitionKey, KeyType: 'HASH' as const },
          { AttributeName: TABLE_KEYS.gsi1.sortKey, KeyType: 'RANGE' as const },
        ],
        Projection: { ProjectionType: 'ALL' as const },
      },
    ],
  };
}
