import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Option, type Command } from 'commander';
import { parse } from 'yaml';
import { DynamoStore } from '../adapters/dynamo-store.js';
import { startEmbeddedDynamo } from '../adapters/embedded-dynamo.js';
import { buildReport, toCsv, toJson, toMarkdown, UnknownIncidentError } from '../app/report.js';
import { loadConfigFile, validateConfig, type ConfigResult } from '../config/load.js';
import { buildModel, type Model } from '../domain/model.js';
import { loadScenario } from './scenario.js';

/**
 * `dialtone report INCIDENT_ID`: the after-action report of one incident, read from the embedded
 * store that `dialtone run` (or `dialtone demo --data-dir`) left under --data-dir.
 *
 * --config names things: the store keeps ids, the config has the names, providers, counties and
 * dependencies. It takes the monitoring config the store was written with, or a demo scenario
 * (its config is used). Without it the report shows ids.
 */

export interface ReportCommandEnv {
  setExitCode(code: number): void;
  /** Where errors and warnings go (stderr by default). */
  err?: (line: string) => void;
}

const FORMATS = { md: toMarkdown, json: toJson, csv: toCsv } as const;
type Format = keyof typeof FORMATS;

interface ReportOptions {
  format: Format;
  dataDir: string;
  config?: string;
}

export function registerReportCommand(program: Command, out: (line: string) => void, env: ReportCommandEnv): Command {
  const err = env.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  return program
    .command('report')
    .description('after-action report of one incident: timeline of transitions (with evidence), notices and deliveries (masked)')
    .argument('<incident-id>', 'e.g. INC-20260929-2f9a6c')
    .addOption(new Option('--format <format>', 'md, json or csv (one row per event)').choices(Object.keys(FORMATS)).default('md'))
    .option('--data-dir <dir>', 'the embedded store written by `dialtone run` or `dialtone demo --data-dir`', '.dialtone/data')
    .option('--config <file>', 'the monitoring config (or demo scenario) the store was written with, for names, providers and counties')
    .action(async (incidentId: string, o: ReportOptions) => {
      let model: Model | undefined;
      if (o.config !== undefined) {
        const loaded = loadModelConfig(o.config);
        if (!loaded.ok) {
          err(`${o.config}: ${loaded.problems.length} problem(s)`);
          for (const p of loaded.problems) err(`  ${p.path}: ${p.message}`);
          env.setExitCode(2);
          return;
        }
        model = buildModel(loaded.config);
      } else {
        err('dialtone report: no --config given, so components, services and recipients are shown by id');
      }

      if (!existsSync(join(o.dataDir, 'CURRENT'))) {
        err(`dialtone report: no store under ${o.dataDir} (it is written by \`dialtone run --data-dir DIR\` or \`dialtone demo --data-dir DIR\`)`);
        env.setExitCode(2);
        return;
      }
      const busy = await storeInUse(o.dataDir);
      if (busy) {
        err(`dialtone report: the store under ${o.dataDir} is open in another process (is \`dialtone run\` still running?); stop it and try again`);
        env.setExitCode(2);
        return;
      }

      const db = await startEmbeddedDynamo({ dataDir: o.dataDir });
      try {
        const report = await buildReport(new DynamoStore({ client: db.client, tableName: db.tableName }), model, incidentId);
        out(FORMATS[o.format](report).replace(/\r?\n$/, ''));
      } catch (e) {
        if (!(e instanceof UnknownIncidentError)) throw e;
        err(`dialtone report: ${e.message}`);
        env.setExitCode(2);
      } finally {
        await db.stop();
      }
    });
}

/** A monitoring config, or a demo scenario (a YAML with `upstreams`), whose config is taken. */
function loadModelConfig(file: string): ConfigResult {
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
 * The embedded store is LevelDB (through dynalite), which one process holds at a time; dynalite
 * crashes the process when it cannot open it. So try the lock first, with the same level
 * module dynalite uses, and let go of it at once.
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
