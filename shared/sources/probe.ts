import type { SourceOf } from '../config/schema.js';
import { DialtoneError } from '../domain/errors.js';
import type { Observation } from '../domain/observation.js';
import type { SourceState } from '../domain/records.js';
import type { Status } from '../domain/status.js';
import { fetchUpstream } from './http.js';
import type { CustomReader, CustomReaders } from './parsers.js';

type Probe = SourceOf<'http-probe'>;

/** The part of the body a `body` check looks at: bounded, so a large page or a slow regex costs little. */
export const PROBE_BODY_SCAN_BYTES = 64 * 1024;

/** Starts timing; calling the result gives the elapsed milliseconds. Injected in tests. */
export type Stopwatch = () => () => number;

const wallStopwatch: Stopwatch = () => {
  const start = performance.now();
  return () => performance.now() - start;
};

export function statusExpected(status: number, expect: Probe['expectStatus']): boolean {
  return expect.some((spec) => {
    if (typeof spec === 'number') return spec === status;
    const [lo, hi] = spec.split('-').map(Number) as [number, number];
    return status >= lo && status <= hi;
  });
}

function bodyMismatch(body: Buffer, check: NonNullable<Probe['body']>): string | undefined {
  const text = body.subarray(0, PROBE_BODY_SCAN_BYTES).toString('utf8');
  if ('contains' in check) return text.includes(check.contains) ? undefined : `body does not contain "${check.contains}"`;
  return new RegExp(check.regex).test(text) ? undefined : `body does not match /${check.regex}/`;
}

/**
 * The http-probe reader (config: shared/config/sources-probe.ts). Every component of the probe
 * gets the same verdict:
 * - the status is not in `expectStatus` → major_outage;
 * - the body check fails → partial_outage (it answers, but not what it should);
 * - slower than `maxLatencyMs` → degraded; otherwise operational.
 * Cannot connect, or no complete answer within `timeoutMs` → the read fails *with* a verdict,
 * major_outage: the target is down as far as anyone can tell, and the failure still counts for
 * the egress check (every source failing at once points at us). An address the SSRF guard
 * refuses, a body over `maxBytes` or too many redirects → a plain failed read (unknown: we
 * cannot judge the target).
 */
export function createHttpProbeReader(opts: { stopwatch?: Stopwatch } = {}): CustomReader<'http-probe'> {
  const stopwatch = opts.stopwatch ?? wallStopwatch;
  return async (source, prev, ctx) => {
    const base: Omit<SourceState, 'version'> = prev ? (({ version: _v, ...rest }) => rest)(prev) : { sourceId: source.id, consecutiveFailures: 0 };
    const at = ctx.now.toISOString();
    const verdict = (status: Status, title: string): Observation[] =>
      source.components.map((c) => ({ sourceId: source.id, componentId: c.id, status, observedAt: at, title }));

    const elapsed = stopwatch();
    const fetched = await fetchUpstream(source.url, {
      timeoutMs: source.timeoutMs,
      maxBytes: source.maxBytes,
      allow: ctx.allow,
    ...(ctx.onlyAllowed ? { onlyAllowed: true } : {}),
      anyStatus: true,
      maxRedirects: source.followRedirects ? 3 : 0,
    });
    const ms = Math.round(elapsed());

    if (fetched.kind === 'error') {
      const error = new DialtoneError(fetched.error.code, `source "${source.id}": ${fetched.error.message}`, fetched.error.details);
      const state = { ...base, consecutiveFailures: base.consecutiveFailures + 1 };
      const down = fetched.error.code === 'SOURCE.TIMEOUT' || fetched.error.code === 'SOURCE.UNREACHABLE';
      return down ? { kind: 'failed', error, state, observations: verdict('major_outage', `probe failed: ${fetched.error.message}`) } : { kind: 'failed', error, state };
    }
    const state = base.consecutiveFailures === 0 ? base : { ...base, consecutiveFailures: 0 };
    // No validators are sent, so a 304 is the target's own answer: judged like any status.
    const status = fetched.kind === 'not-modified' ? 304 : fetched.status;
    const body = fetched.kind === 'ok' ? fetched.body : Buffer.alloc(0);
    if (!statusExpected(status, source.expectStatus))
      return { kind: 'changed', state, observations: verdict('major_outage', `HTTP ${status}, expected ${source.expectStatus.join(', ')}`) };
    const mismatch = source.body ? bodyMismatch(body, source.body) : undefined;
    if (mismatch) return { kind: 'changed', state, observations: verdict('partial_outage', `HTTP ${status} but ${mismatch}`) };
    if (source.maxLatencyMs !== undefined && ms > source.maxLatencyMs)
      return { kind: 'changed', state, observations: verdict('degraded', `HTTP ${status} in ${ms} ms, over the ${source.maxLatencyMs} ms limit`) };
    return { kind: 'changed', state, observations: verdict('operational', `HTTP ${status} in ${ms} ms`) };
  };
}

/** Readers of the probe family (see shared/config/sources-probe.ts). */
export const probeReaders = {
  'http-probe': createHttpProbeReader(),
} satisfies CustomReaders;
