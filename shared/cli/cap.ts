import { Option, type Command } from 'commander';
import { capXml, type CapStatus } from '../domain/cap.js';
import { escalationSchema } from '../config/schema.js';
import { nextUpdateBy } from '../domain/incident.js';
import type { Notice } from '../domain/records.js';
import { openStore, optionalModel } from './store-access.js';

/**
 * `dialtone cap INCIDENT_ID [--data-dir DIR] [--config FILE] [--all]`: the incident's latest
 * notice as an OASIS CAP 1.2 alert (domain/cap.ts), from the embedded store; `--all` prints every
 * notice, oldest first, each a complete XML document, separated by a blank line. Updates and the
 * Cancel reference the earlier notices. --config (or the demo scenario) names the services and
 * gives the counties their SAME geocodes; without it the alert lists no area.
 */
export function registerCapCommand(program: Command, out: (line: string) => void, env: { setExitCode(code: number): void; err?: (line: string) => void }): Command {
  const err = env.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  return program
    .command('cap')
    .description('print the CAP 1.2 XML of an incident\'s latest notice (--all: every notice), from the embedded store')
    .argument('<incident-id>')
    .option('--data-dir <dir>', 'the embedded store written by `dialtone run` or `dialtone demo --data-dir`', '.dialtone/data')
    .option('--config <file>', 'the monitoring config (or demo scenario) the store was written with: names, counties, the notifier')
    .option('--all', 'every notice of the incident, oldest first')
    .addOption(new Option('--status <status>', 'CAP status').choices(['Actual', 'Exercise', 'System', 'Test', 'Draft']).default('Actual'))
    .option('--domain <domain>', 'sender domain: dialtone@<domain> (default: CAP_DOMAIN, else the notifier\'s email domain)')
    .action(async (incidentId: string, o: { dataDir: string; config?: string; all?: boolean; status: CapStatus; domain?: string }) => {
      const named = optionalModel(o.config, { err, setExitCode: (c) => env.setExitCode(c) }, 'dialtone cap: no --config given, so services are unnamed and the alert lists no area (SAME geocodes need the config)');
      if (!named.ok) return;
      const { model } = named;

      const opened = await openStore({ dataDir: o.dataDir });
      if (!opened.ok) {
        err(`dialtone cap: ${opened.error}`);
        env.setExitCode(2);
        return;
      }
      try {
        const notices = (await opened.store.listNotices(incidentId)).sort((a, b) => a.seq - b.seq);
        if (notices.length === 0) {
          err((await opened.store.getIncident(incidentId)) ? `dialtone cap: incident "${incidentId}" has no notice yet` : `dialtone cap: unknown incident "${incidentId}"`);
          env.setExitCode(2);
          return;
        }
        const domain = o.domain ?? process.env.CAP_DOMAIN ?? model?.config.notifier.email.split('@')[1] ?? 'dialtone.invalid';
        const policy = model?.config.escalation ?? escalationSchema.parse({});
        const xml = (notice: Notice) => {
          const expires = notice.phase === 'final' ? undefined : nextUpdateBy(notice.incident, policy);
          return capXml(
            {
              notice,
              previous: notices.filter((n) => n.seq < notice.seq),
              services: model?.services ?? new Map(),
              ...(model ? { components: model.components, notifier: model.config.notifier } : {}),
              ...(expires !== undefined ? { expires } : {}),
            },
            { domain, status: o.status },
          ).trimEnd();
        };
        const chosen = o.all ? notices : notices.slice(-1);
        out(chosen.map(xml).join('\n\n'));
      } finally {
        await opened.close();
      }
    });
}
