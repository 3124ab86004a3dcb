import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { configJsonSchema, loadConfigFile } from '../config/load.js';
import { runDemo } from './demo.js';
import { registerAckCommand } from './ack.js';
import { registerCapCommand } from './cap.js';
import { registerParseCommands } from './parse.js';
import { registerReportCommand } from './report.js';
import { registerRosterCommand } from './roster.js';
import { runLive } from './run.js';
import { ScenarioError } from './scenario.js';

export const BUNDLED_SCENARIO = resolve(__dirname, '../scenarios/ng911-vendor-outage/scenario.yaml');

/** Exit codes: 0 ok, 1 the run failed, 2 bad input (config, scenario, arguments). */
export async function main(argv: string[], out: (line: string) => void = (l) => console.log(l)): Promise<number> {
  let code = 0;
  const number = (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number ≥ 0');
    return n;
  };
  const program = new Command('dialtone')
    .description('Watches what 911 depends on and tells the right people, fast, when it breaks.')
    .exitOverride()
    .configureOutput({ writeOut: (s) => out(s.trimEnd()), writeErr: (s) => process.stderr.write(s) });

  program
    .command('demo')
    .description('replay a scenario through the real pipeline on a simulated clock (no AWS, no internet)')
    .option('--scenario <file>', 'scenario YAML', BUNDLED_SCENARIO)
    .option('--speed <n>', 'simulated seconds per real second (0 = as fast as possible)', number, 0)
    .option('--out <file>', 'JSON Lines delivery log', '.dialtone/demo-deliveries.jsonl')
    .option('--data-dir <dir>', 'keep the embedded store here for `dialtone report` (default: in memory)')
    .action(async (o: { scenario: string; speed: number; out: string; dataDir?: string }) => {
      const s = await runDemo({ scenarioFile: o.scenario, speed: o.speed, out: o.out, print: out, ...(o.dataDir !== undefined ? { dataDir: o.dataDir } : {}) });
      if (s.duplicates > 0 || s.missingAllClears.length > 0 || s.expectations.some((e) => !e.ok)) code = 1;
    });

  program
    .command('run')
    .description('poll live on the real clock; the embedded store persists under --data-dir')
    .requiredOption('--config <file>', 'monitoring config YAML')
    .option('--data-dir <dir>', 'where the embedded store keeps its data', '.dialtone/data')
    .option('--out <file>', 'JSON Lines delivery log (local delivery)', '.dialtone/deliveries.jsonl')
    .option('--deliver <mode>', 'local (delivery log) or aws (SNS, default credential chain)', process.env.DIALTONE_DELIVERY ?? 'local')
    .option('--once', 'run one poll cycle and exit', false)
    .action(async (o: { config: string; dataDir: string; out: string; deliver: string; once: boolean }) => {
      const loaded = loadConfigFile(o.config);
      if (!loaded.ok) {
        printProblems(o.config, loaded.problems, out);
        code = 2;
        return;
      }
      if (o.deliver !== 'local' && o.deliver !== 'aws') throw new InvalidArgumentError(`--deliver must be local or aws, not "${o.deliver}"`);
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      await runLive({
        config: loaded.config,
        dataDir: o.dataDir,
        deliveryLogFile: o.out,
        deliver: o.deliver,
        once: o.once,
        print: out,
        signal: stop.signal,
        ...(process.env.SMS_ORIGINATION_NUMBER ? { smsOriginationNumber: process.env.SMS_ORIGINATION_NUMBER } : {}),
      });
    });

  program
    .command('check-config')
    .description('validate a monitoring config; lists every problem with its path (exit 2 if any)')
    .argument('<file>')
    .action((file: string) => {
      const loaded = loadConfigFile(file);
      if (!loaded.ok) {
        printProblems(file, loaded.problems, out);
        code = 2;
        return;
      }
      const c = loaded.config;
      out(`${file}: OK - ${c.sources.length} source(s), ${c.sources.reduce((n, s) => n + s.components.length, 0)} component(s), ${c.services.length} service(s), ${c.recipients.length} recipient(s)`);
    });

  program
    .command('schema')
    .description('print the JSON Schema of the monitoring config (for editors)')
    .action(() => out(JSON.stringify(configJsonSchema(), null, 2)));

  registerReportCommand(program, out, { setExitCode: (c) => (code = c) });
  registerAckCommand(program, out, { setExitCode: (c) => (code = c) });
  registerParseCommands(program, out, { setExitCode: (c) => (code = c) });
  registerRosterCommand(program, out, { setExitCode: (c) => (code = c) });
  registerCapCommand(program, out, { setExitCode: (c) => (code = c) });

  try {
    await program.parseAsync(argv);
  } catch (err) {
    const e = err as { code?: string; exitCode?: number; message: string };
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
    if (e.code?.startsWith('commander.')) return 2;
    if (err instanceof ScenarioError) {
      printProblems(err.file, err.problems, out);
      return 2;
    }
    throw err;
  }
  return code;
}

function printProblems(file: string, problems: ReadonlyArray<{ path: string; message: string }>, out: (l: string) => void) {
  out(`${file}: ${problems.length} problem(s)`);
  for (const p of problems) out(`  ${p.path}: ${p.message}`);
}
