import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { DialtoneError } from '../domain/errors.js';
import { classifyText } from '../sources/classifier.js';
import { decodePayload, parsableKinds } from '../sources/decode.js';

/**
 * `dialtone parse --kind KIND FILE`: what dialtone reads in a payload, as JSON (one entry per
 * upstream item). `dialtone classify "TEXT"`: the agency-post classifier's verdict, as JSON.
 */
export function registerParseCommands(program: Command, out: (line: string) => void, env: { setExitCode(code: number): void }): void {
  program
    .command('parse')
    .description('print the normalized observations of one upstream payload as JSON (exit 2 on bad input)')
    .requiredOption('--kind <kind>', `source kind: ${parsableKinds().join(', ')}`)
    .argument('<file>')
    .action((file: string, o: { kind: string }) => {
      let body: Buffer;
      try {
        body = readFileSync(file);
      } catch (err) {
        out(`dialtone parse: cannot read ${file}: ${(err as Error).message}`);
        env.setExitCode(2);
        return;
      }
      try {
        const items = decodePayload(o.kind, body).map((i) => ({
          component: i.key,
          name: i.name,
          status: i.status,
          ...(i.title !== undefined ? { title: i.title } : {}),
          ...(i.url !== undefined ? { url: i.url } : {}),
          ...(i.upstreamId !== undefined ? { upstreamId: i.upstreamId } : {}),
          ...(i.startedAt !== undefined ? { startedAt: i.startedAt } : {}),
          ...(i.updatedAt !== undefined ? { updatedAt: i.updatedAt } : {}),
          ...(i.error !== undefined ? { error: i.error } : {}),
        }));
        out(JSON.stringify(items, null, 2));
      } catch (err) {
        if (!(err instanceof DialtoneError)) throw err;
        out(`dialtone parse: ${file} (${o.kind}): ${err.message}`);
        env.setExitCode(2);
      }
    });

  program
    .command('classify')
    .description('classify an agency post as down, degraded, restored or none, with the deciding phrases (JSON)')
    .argument('<text>')
    .action((text: string) => out(JSON.stringify(classifyText(text), null, 2)));
}
