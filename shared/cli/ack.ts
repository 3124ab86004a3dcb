import type { Command } from 'commander';
import { DynamoStore } from '../adapters/dynamo-store.js';
import { startEmbeddedDynamo } from '../adapters/embedded-dynamo.js';
import { acknowledgeByOperator } from '../app/ack.js';
import { loadConfigFile } from '../config/load.js';
import { systemClock } from '../domain/clock.js';
import { buildModel } from '../domain/model.js';

/**
 * `dialtone ack INCIDENT_ID --recipient ID --config FILE [--data-dir DIR]`: an operator records
 * that an agency acknowledged (e.g. by phone). Its later texts stop asking for one (its updates
 * go on), and it counts against the no-ack escalation, exactly like a reply code or a signed link.
 */
export function registerAckCommand(program: Command, out: (line: string) => void, env: { setExitCode(code: number): void }): Command {
  return program
    .command('ack')
    .description('record that a recipient acknowledged an incident (its texts stop asking for one, its updates go on; counts against no-ack escalation)')
    .argument('<incidentId>')
    .requiredOption('--recipient <id>', 'the recipient who acknowledged')
    .requiredOption('--config <file>', 'monitoring config (for the roster)')
    .option('--data-dir <dir>', 'the embedded store `dialtone run` keeps', '.dialtone/data')
    .action(async (incidentId: string, o: { recipient: string; config: string; dataDir: string }) => {
      const loaded = loadConfigFile(o.config);
      if (!loaded.ok) {
        out(`${o.config}: ${loaded.problems.length} problem(s)`);
        for (const p of loaded.problems) out(`  ${p.path}: ${p.message}`);
        env.setExitCode(2);
        return;
      }
      const db = await startEmbeddedDynamo({ dataDir: o.dataDir });
      try {
        const r = await acknowledgeByOperator(new DynamoStore({ client: db.client, tableName: db.tableName }), buildModel(loaded.config), incidentId, o.recipient, systemClock.now());
        if (!r.ok) {
          out(`dialtone ack: ${r.error}`);
          env.setExitCode(2);
          return;
        }
        out(r.duplicate ? `${o.recipient} had already acknowledged ${incidentId}` : `${o.recipient} acknowledged ${incidentId} at ${r.ack.at}`);
      } finally {
        await db.stop();
      }
    });
}
