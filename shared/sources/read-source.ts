import { createHash } from 'node:crypto';
import type { PolledSourceConfig } from '../config/schema.js';
import { DialtoneError } from '../domain/errors.js';
import type { Observation } from '../domain/observation.js';
import type { SourceState } from '../domain/records.js';
import { fetchUpstream, parseRetryAfter, type FetchOutcome } from './http.js';
import { feedParsers, feedReaders } from './feeds.js';
import type { BodyParser, BodyParsers, CustomReader, CustomReaders, PolledKind, ReadContext, SourceRead } from './parsers.js';
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

/** The longest we stay away from a throttling upstream: longer, and 911's dependencies go unwatched. */
export const MAX_BACKOFF_MS = 15 * 60_000;

/**
 * Throttling (429, or 503 with a Retry-After): not fetched again until the later of Retry-After
 * and an exponential backoff (everySeconds × 2^(n-1) for the n-th throttled response in a row),
 * capped at MAX_BACKOFF_MS. A 503 without Retry-After is an ordinary failure: a status page that
 * is down is polled at the normal pace.
 */
function throttleUntil(
  source: PolledSourceConfig,
  fetched: Extract<FetchOutcome, { kind: 'error' }>,
  backoffCount: number,
  now: Date,
): string | undefined {
  const status = fetched.error.details?.status;
  const retryAfterMs = parseRetryAfter(fetched.retryAfter, now);
  if (status !== 429 && !(status === 503 && retryAfterMs !== undefined)) return undefined;
  const exponential = source.everySeconds * 1000 * 2 ** Math.max(0, backoffCount - 1);
  return new Date(now.getTime() + Math.min(MAX_BACKOFF_MS, Math.max(retryAfterMs ?? 0, exponential))).toISOString();
}

/** State after a read that was not throttled: nothing owed to a throttle any more. */
function unthrottled(state: Omit<SourceState, 'version'>, resetBackoff: boolean): Omit<SourceState, 'version'> {
  const { retryAfterUntil: _r, backoffCount, ...rest } = state;
  return resetBackoff || backoffCount === undefined ? rest : { ...rest, backoffCount };
}

/**
 * Reads one source: conditional GET, then a body hash so an unchanged payload is neither parsed
 * nor written. Expected failures come back as `failed` naming the source; nothing here throws
 * for bad upstream input. The returned state equals `prev` when nothing changed.
 */
export async function readSource(
  source: PolledSourceConfig,
  prev: SourceState | undefined,
  ctx: ReadContext,
): Promise<SourceRead> {
  // Throttled: no request at all until the upstream's time (the components keep their state).
  if (prev?.retryAfterUntil !== undefined && ctx.now.getTime() < Date.parse(prev.retryAfterUntil)) {
    return { kind: 'skipped', reason: `source "${source.id}": throttled by the upstream, not read before ${prev.retryAfterUntil}`, state: withoutVersion(prev, source.id) };
  }
  const reader = READERS[source.kind] as CustomReader<PolledKind> | undefined;
  if (reader) return reader(source, prev, ctx);
  const base = withoutVersion(prev, source.id);
  const named = (error: DialtoneError, suffix = '') => {
    const message = error.message.startsWith(`source "${source.id}"`) ? error.message : `source "${source.id}": ${error.message}`;
    return message === error.message && suffix === '' ? error : new DialtoneError(error.code, `${message}${suffix}`, error.details);
  };
  const failed = (error: DialtoneError): SourceRead => ({
    kind: 'failed',
    error: named(error),
    state: { ...unthrottled(base, false), consecutiveFailures: base.consecutiveFailures + 1 },
  });
  const recovered = { ...unthrottled(base, true), consecutiveFailures: 0 };

  // After a failed read the components were fed `unknown`: the next success must be parsed, not
  // taken as "unchanged", so it goes out without validators and skips the hash shortcut.
  const conditional = base.consecutiveFailures === 0;
  const validatorsSent = conditional && (prev?.etag !== undefined || prev?.lastModified !== undefined);
  const fetched = await fetchUpstream(source.url, {
    timeoutMs: source.timeoutMs,
    maxBytes: source.maxBytes,
    allow: ctx.allow,
    ...(ctx.onlyAllowed ? { onlyAllowed: true } : {}),
    ...(conditional && prev?.etag !== undefined ? { etag: prev.etag } : {}),
    ...(conditional && prev?.lastModified !== undefined ? { lastModified: prev.lastModified } : {}),
  });
  if (fetched.kind === 'error') {
    const backoffCount = (base.backoffCount ?? 0) + 1;
    const until = throttleUntil(source, fetched, backoffCount, ctx.now);
    if (until === undefined) return failed(fetched.error);
    return {
      kind: 'failed',
      error: named(fetched.error, `; throttled: not read again before ${until}`),
      state: { ...base, consecutiveFailures: base.consecutiveFailures + 1, retryAfterUntil: until, backoffCount },
    };
  }
  if (fetched.kind === 'not-modified') {
    // 304 means "what you have is current": without validators we have nothing, so it says nothing.
    if (!validatorsSent) return failed(new DialtoneError('SOURCE.HTTP_STATUS', 'unexpected 304 Not Modified to a GET without validators: there is no earlier payload to reuse'));
    return { kind: 'unchanged', state: recovered };
  }

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
