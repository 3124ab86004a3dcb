import { createHash } from 'node:crypto';
import { DialtoneError } from '../domain/errors.js';
import type { Observation } from '../domain/observation.js';
import type { SourceState } from '../domain/records.js';
import { fetchUpstream, parseRetryAfter } from './http.js';
import type { BodyParser, CustomReader, PolledKind, SourceRead } from './parsers.js';

/**
 * A reader for kinds whose reading depends on the time as well as the body: a CAP alert that
 * expires, an outage post that stops holding after `holdHours`. The plain path (read-source.ts) skips
 * an unchanged body (304 or same hash) and repeats the last status, so an expired TOE alert at a
 * static URL would keep a component "down" until the file changed — a lost all-clear. Here the
 * body is fetched without validators and parsed on every poll; "unchanged" means the same body
 * *and* the same reading, so time alone can still move a component. Throttling (429, 503 with
 * Retry-After) is honoured the same way as read-source.ts.
 */

const MAX_BACKOFF_MS = 15 * 60_000;

function withoutVersion(prev: SourceState | undefined, sourceId: string): Omit<SourceState, 'version'> {
  if (!prev) return { sourceId, consecutiveFailures: 0 };
  const { version: _v, ...rest } = prev;
  return rest;
}

/** What an observation says, without when it was made (so the hash moves only when the reading does). */
function reading(observations: Observation[]): string {
  return JSON.stringify(observations.map(({ observedAt: _o, payloadHash: _p, ...rest }) => rest));
}

export function timeAware<K extends PolledKind>(parse: BodyParser<K>): CustomReader<K> {
  return async (source, prev, ctx): Promise<SourceRead> => {
    const polled = source as unknown as { id: string; url: string; timeoutMs: number; maxBytes: number; everySeconds: number };
    const base = withoutVersion(prev, polled.id);
    const { retryAfterUntil: _r, backoffCount: _b, ...steady } = base;
    const named = (error: DialtoneError) =>
      error.message.startsWith(`source "${polled.id}"`) ? error : new DialtoneError(error.code, `source "${polled.id}": ${error.message}`, error.details);
    const failed = (error: DialtoneError, extra: Partial<SourceState> = {}): SourceRead => ({
      kind: 'failed',
      error: named(error),
      state: { ...steady, consecutiveFailures: base.consecutiveFailures + 1, ...extra },
    });

    const fetched = await fetchUpstream(polled.url, { timeoutMs: polled.timeoutMs, maxBytes: polled.maxBytes, allow: ctx.allow, ...(ctx.onlyAllowed ? { onlyAllowed: true } : {}) });
    if (fetched.kind === 'error') {
      const status = fetched.error.details?.status;
      const retryAfterMs = parseRetryAfter(fetched.retryAfter, ctx.now);
      if (status === 429 || (status === 503 && retryAfterMs !== undefined)) {
        const backoffCount = (base.backoffCount ?? 0) + 1;
        const waitMs = Math.min(MAX_BACKOFF_MS, Math.max(retryAfterMs ?? 0, polled.everySeconds * 1000 * 2 ** (backoffCount - 1)));
        const until = new Date(ctx.now.getTime() + waitMs).toISOString();
        return failed(new DialtoneError(fetched.error.code, `${named(fetched.error).message}; throttled: not read again before ${until}`, fetched.error.details), {
          retryAfterUntil: until,
          backoffCount,
        });
      }
      return failed(fetched.error);
    }
    // No validators were sent, so a 304 is the server's mistake: read it as a failure, not as news.
    if (fetched.kind === 'not-modified') return failed(new DialtoneError('SOURCE.HTTP_STATUS', 'unexpected 304 Not Modified to an unconditional GET'));

    let observations: Observation[];
    try {
      observations = parse(fetched.body, source, ctx.now.toISOString());
    } catch (err) {
      return failed(err instanceof DialtoneError ? err : new DialtoneError('SOURCE.BAD_PAYLOAD', (err as Error).message));
    }
    const bodyHash = `sha256:${createHash('sha256').update(fetched.body).digest('hex')}`;
    const stateHash = `${bodyHash}+${createHash('sha256').update(reading(observations)).digest('hex').slice(0, 16)}`;
    const recovered = { ...steady, consecutiveFailures: 0 };
    if (base.consecutiveFailures === 0 && stateHash === prev?.bodyHash) return { kind: 'unchanged', state: recovered };
    const { etag: _e, lastModified: _l, ...rest } = recovered;
    return {
      kind: 'changed',
      observations: observations.map((o) => ({ ...o, payloadHash: bodyHash })),
      state: { ...rest, bodyHash: stateHash, lastChangedAt: ctx.now.toISOString() },
    };
  };
}
