import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { createTableInput } from './table.js';

/**
 * DynamoDB on the laptop: dynalite in-process on loopback, speaking the real DynamoDB API, with
 * the project's table created. In memory unless `dataDir` is given (then LevelDB under it, so
 * the record survives a restart).
 */
export interface EmbeddedDynamo {
  client: DynamoDBClient;
  tableName: string;
  endpoint: string;
  /** Destroys the client and closes the server and its database. Safe to call twice. */
  stop(): Promise<void>;
}

export const DEFAULT_TABLE_NAME = 'dialtone';

const TABLE_ACTIVE_TIMEOUT_MS = 5_000;
const TABLE_POLL_MS = 10;

export async function startEmbeddedDynamo(opts: { dataDir?: string; tableName?: string } = {}): Promise<EmbeddedDynamo> {
  const tableName = opts.tableName ?? DEFAULT_TABLE_NAME;
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(opts.dataDir === undefined ? {} : { path: opts.dataDir }),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    // Static and fake: dynalite checks nothing, and this must never reach for real credentials.
    credentials: { accessKeyId: 'embedded', secretAccessKey: 'embedded' },
    maxAttempts: 2,
  });
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= close(server, client));
  try {
    await ensureTable(client, tableName);
  } catch (err) {
    await stop();
    throw err;
  }
  return { client, tableName, endpoint, stop };
}

/** Creates the table unless a persisted data directory already has it, then waits until ACTIVE. */
async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName)));
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  }
  const deadline = Date.now() + TABLE_ACTIVE_TIMEOUT_MS;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`table ${tableName} is still ${Table?.TableStatus} after ${TABLE_ACTIVE_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, TABLE_POLL_MS));
  }
}

async function close(server: Server, client: DynamoDBClient): Promise<void> {
  client.destroy();
  await new Promise<void>((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    // Keep-alive sockets would otherwise hold the server (and the test process) open.
    server.closeAllConnections();
  });
}
