import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parse } from 'yaml';
import { DynamoStore } from '../adapters/dynamo-store.js';
import { startEmbeddedDynamo } from '../adapters/embedded-dynamo.js';
import { loadConfigFile, validateConfig, type ConfigResult } from '../config/load.js';
import { buildModel, type Model } from '../domain/model.js';
import { loadScenario } from './scenario.js';

/**
 * What the record commands (`roster`, `cap`, `report`) share: the store, embedded under --data-dir or the
 * DynamoDB table with --aws, and the monitoring config (or a demo scenario's config).
 */

export type Opened = { ok: true; store: DynamoStore; close: () => Promise<void>; where: string } | { ok: false; error: string };

export interface StoreOptions {
  dataDir: string;
  aws?: boolean;
  table?: string;
  /** Create the embedded store when missing (roster add), instead of reporting it. */
  create?: boolean;
}

export async function openStore(o: StoreOptions, aws: { dynamo?: DynamoDBClient } = {}): Promise<Opened> {
  if (o.aws) {
    const table = o.table ?? process.env.TABLE_NAME ?? process.env.DIALTONE_TABLE;
    if (!table) return { ok: false, error: '--aws needs the table: --table NAME, or TABLE_NAME in the environment' };
    return { ok: true, store: new DynamoStore({ client: aws.dynamo ?? new DynamoDBClient({}), tableName: table }), close: async () => undefined, where: `DynamoDB table ${table}` };
  }
  if (!o.create && !existsSync(join(o.dataDir, 'CURRENT')))
    return { ok: false, error: `no store under ${o.dataDir} (it is written by \`dialtone run --data-dir DIR\` or \`dialtone demo --data-dir DIR\`)` };
  if (existsSync(join(o.dataDir, 'CURRENT')) && (await storeInUse(o.dataDir)))
    return { ok: false, error: `the store under ${o.dataDir} is open in another process (is \`dialtone run\` still running?); stop it and try again` };
  const db = await startEmbeddedDynamo({ dataDir: o.dataDir });
  return { ok: true, store: new DynamoStore({ client: db.client, tableName: db.tableName }), close: () => db.stop(), where: `the embedded store under ${o.dataDir}` };
}

/** A monitoring config, or a demo scenario (a YAML with `upstreams`), whose config is taken. */
export function loadModelConfig(file: string): ConfigResult {
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch {
    return loadConfigFile(file); // reports the read or syntax error with its position
  }
  if (raw !== null && typeof raw === 'object' && 'upstreams' in raw && 'config' in raw) return validateConfig(loadScenario(file).config);
  return loadConfigFile(file);
}

/**
 * An optional --config for naming things: its model; `ok: false` after printing its problems
 * (exit 2); without one, no model and `whenMissing` said.
 */
export function optionalModel(file: string | undefined, cli: { err: (line: string) => void; setExitCode(code: number): void }, whenMissing: string): { ok: true; model?: Model } | { ok: false } {
  if (file === undefined) {
    cli.err(whenMissing);
    return { ok: true };
  }
  const loaded = loadModelConfig(file);
  if (!loaded.ok) {
    cli.err(`${file}: ${loaded.problems.length} problem(s)`);
    for (const p of loaded.problems) cli.err(`  ${p.path}: ${p.message}`);
    cli.setExitCode(2);
    return { ok: false };
  }
  return { ok: true, model: buildModel(loaded.config) };
}

/**
 * The embedded store is LevelDB (through dynalite), which one process holds at a time; dynalite
 * crashes the process when it cannot open it. So try the lock first and let go of it at once.
 */
async function storeInUse(dataDir: string): Promise<boolean> {
  const { Level } = require(require.resolve('level', { paths: [dirname(require.resolve('dynalite'))] })) as {
    Level: new (path: string, options: { createIfMissing: boolean }) => { open(): Promise<void>; close(): Promise<void> };
  };
  const db = new Level(dataDir, { createIfMissing: false });
  try {
    await db.open();
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause;
    if (cause?.code === 'LEVEL_LOCKED') return true;
    throw e;
  }
  await db.close();
  return false;
}
