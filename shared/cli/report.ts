import { Option, type Command } from 'commander';
import { buildReport, toCsv, toJson, toMarkdown, UnknownIncidentError } from '../app/report.js';
import { openStore, optionalModel } from './store-access.js';

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
      const named = optionalModel(o.config, { err, setExitCode: (c) => env.setExitCode(c) }, 'dialtone report: no --config given, so components, services and recipients are shown by id');
      if (!named.ok) return;
      const opened = await openStore({ dataDir: o.dataDir });
      if (!opened.ok) {
        err(`dialtone report: ${opened.error}`);
        env.setExitCode(2);
        return;
      }
      try {
        const report = await buildReport(opened.store, named.model, incidentId);
        out(FORMATS[o.format](report).replace(/\r?\n$/, ''));
      } catch (e) {
        if (!(e instanceof UnknownIncidentError)) throw e;
        err(`dialtone report: ${e.message}`);
        env.setExitCode(2);
      } finally {
        await opened.close();
      }
    });
}
