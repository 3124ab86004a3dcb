import type { Log } from '../app/log.js';
import { redact } from '../domain/mask.js';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
type Level = (typeof LEVELS)[number];

/** The local Log: one line per event on stderr, every line passed through redact() first. */
export function consoleLog(minLevel: Level = 'info', write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Log {
  const at = (level: Level) => (message: string, extra?: Record<string, unknown>) => {
    if (LEVELS.indexOf(level) < LEVELS.indexOf(minLevel)) return;
    write(redact(`${level.toUpperCase().padEnd(5)} ${message}${extra ? ` ${JSON.stringify(extra)}` : ''}`));
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
