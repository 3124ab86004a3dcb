import { createHash } from 'node:crypto';
import type { PolledSourceConfig } from '../config/schema.js';
import { DialtoneError } from '../domain/errors.js';
import type { Observation } from '../domain/observation.js';
import type { SourceState } from '../domain/records.js';
import { fetchUpstream } from './http.js';
import { feedParsers, feedReaders } from './feeds.js';
import type { BodyParser, BodyParsers, CustomReader, CustomReaders, PolledKind, SourceRead } from './parsers.js';
import { probeReaders } from './probe.js';
import { vendorParsers } from './vendors.js';

export type { SourceRead } from './parsers.js';

const PARSERS: BodyParsers = { ...vendorParsers, ...feedParsers };
const READERS: CustomReaders = { ...feedReaders, ...probeReaders };

/** Every polled kind needs a parser or a reader: checked once at load, so a missing one fails fast. */
export function assertEveryKindReadable(kinds: readonly string[]): void {
  const missing = kinds.filter((k) => !(k in PARSERS) && !(k in READERS));
  if (missing.length > 0) throw new Error(`no parser or reader for source kind(s): ${missing.join(', ')}`);
}

function withoutVersion(prev: SourceState | undefined, sourceId: string): Omit<SourceState, 'version'> {
  if (!prev) return { sourceId, consecutiveFailures: 0 };
  const { version: _v, ...rest } = prev;
  return rest;
}

/**
 * Reads one source: conditional GET, then a body hash so an unchanged payload is neither parsed
 * nor written. Expected failures come back as `failed` naming the source; nothing here throws
 * for bad upstream input. The returned state equals `prev` when nothing changed.
 */
export async function readSource(
  source: PolledSourceConfig,
  prev: SourceState | undefined,
  ctx: { now: Date; allow: readonly string[] },
): Promise<SourceRead> {
  const reader = READERS[source.kind] as CustomReader<PolledKind> | undefined;
  if (reader) return reader(source, prev, ctx);
  const base = withoutVersion(prev, source.id);
  const failed = (error: DialtoneError): SourceRead => ({
    kind: 'failed',
    error: error.message.startsWith(`source "${source.id}"`) ? error : new DialtoneError(error.code, `source "${source.id}": ${error.message}`, error.details),
    state: { ...base, consecutiveFailures: base.consecutiveFailures + 1 },
  });
  const recovered = { ...base, consecutiveFailures: 0 };

  // After a failed read the components were fed `unknown`: the next success must be parsed, not
  // taken as "unchanged", so it goes out without validators and skips the hash shortcut.
  const conditional = base.consecutiveFailures === 0;
  const fetched = await fetchUpstream(source.url, {
    timeoutMs: source.timeoutMs,
    maxBytes: source.maxBytes,
    allow: ctx.allow,
    ...(conditional && prev?.etag !== undefined ? { etag: prev.etag } : {}),
    ...(conditional && prev?.lastModified !== undefined ? { lastModified: prev.lastModified } : {}),
  });
  if (fetched.kind === 'error') return failed(fetched.error);
  if (fetched.kind === 'not-modified') return { kind: 'unchanged', state: recovered };

  const bodyHash = `sha256:${createHash('sha256').update(fetched.body).digest('hex')}`;
  const validators = {
    ...(fetched.etag !== undefined ? { etag: fetched.etag } : {}),
    ...(fetched.lastModified !== undefined ? { lastModified: fetched.lastModified } : {}),
  };
  if (conditional && bodyHash === prev?.bodyHash) {
    return { kind: 'unchanged', state: { ...recovered, ...validators } };
  }
  let observations: Observation[];
  try {
    const parse = PARSERS[source.kind] as BodyParser<PolledKind> | undefined;
    if (!parse) throw new DialtoneError('SOURCE.BAD_PAYLOAD', `no parser for source kind "${source.kind}"`);
    observations = parse(fetched.body, source, ctx.now.toISOString());
  } catch (err) {
    if (err instanceof DialtoneError) return failed(err);
    return failed(new DialtoneError('SOURCE.BAD_PAYLOAD', `source "${source.id}": ${(err as Error).message}`));
  }
  const { etag: _e, lastModified: _l, ...rest } = recovered;
  return {
    kind: 'changed',
    observations: observations.map((o) => ({ ...o, payloadHash: bodyHash })),
    state: { ...rest, ...validators, bodyHash, lastChangedAt: ctx.now.toISOString() },
  };
}
