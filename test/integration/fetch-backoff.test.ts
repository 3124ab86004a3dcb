import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sourceSchema, type PolledSourceConfig } from '../../shared/config/schema.js';
import type { SourceState } from '../../shared/domain/records.js';
import { parseRetryAfter } from '../../shared/sources/http.js';
import { MAX_BACKOFF_MS, readSource } from '../../shared/sources/read-source.js';

/** Retry-After on 429/503 and exponential backoff between polls, against a loopback upstream. */
describe('throttling: Retry-After and backoff', () => {
  let server: http.Server;
  let base = '';
  let requests = 0;
  let reply: { status: number; headers?: Record<string, string>; body?: string } = { status: 200 };
  const OK = JSON.stringify({ page: { id: 'p' }, status: { indicator: 'none' }, components: [] });

  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      requests++;
      res.writeHead(reply.status, reply.headers ?? {}).end(reply.body ?? OK);
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
  });

  const source = sourceSchema.parse({ id: 'vendor', kind: 'statuspage', url: 'http://127.0.0.1/', everySeconds: 60, components: [{ id: 'r', name: 'R', provider: 'V', match: { page: true } }] });
  const src = () => ({ ...source, url: `${base}/summary.json` }) as PolledSourceConfig;
  const T0 = Date.parse('2026-09-29T00:00:00Z');
  const at = (seconds: number) => ({ now: new Date(T0 + seconds * 1000), allow: ['127.0.0.1'] });
  const stored = (s: Omit<SourceState, 'version'>): SourceState => ({ ...s, version: 1 });

  test('parseRetryAfter: delay-seconds, HTTP dates, garbage', () => {
    const now = new Date(T0);
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Tue, 29 Sep 2026 00:05:00 GMT', now)).toBe(300_000);
    expect(parseRetryAfter('Tuesday, 29-Sep-26 00:05:00 GMT', now)).toBe(300_000); // RFC 850
    expect(parseRetryAfter('Mon, 28 Sep 2026 23:00:00 GMT', now)).toBe(0); // in the past
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  test('429 with Retry-After: failed, then skipped without a request until then, then read again', async () => {
    reply = { status: 429, headers: { 'retry-after': '300' } };
    requests = 0;
    const first = await readSource(src(), undefined, at(0));
    expect(first).toMatchObject({ kind: 'failed', error: { code: 'SOURCE.HTTP_STATUS' }, state: { consecutiveFailures: 1, backoffCount: 1, retryAfterUntil: '2026-09-29T00:05:00.000Z' } });
    expect(first.kind === 'failed' && first.error.message).toMatch(/HTTP 429 Too Many Requests; throttled: not read again before 2026-09-29T00:05:00.000Z$/);

    const skipped = await readSource(src(), stored(first.state), at(60));
    expect(skipped).toEqual({ kind: 'skipped', reason: 'source "vendor": throttled by the upstream, not read before 2026-09-29T00:05:00.000Z', state: first.state });
    expect(requests).toBe(1); // nothing was fetched

    reply = { status: 200 };
    const back = await readSource(src(), stored(first.state), at(300));
    expect(back.kind).toBe('changed');
    expect(requests).toBe(2);
    expect(back.state.retryAfterUntil).toBeUndefined();
    expect(back.state.backoffCount).toBeUndefined();
  });

  test('429 without Retry-After backs off exponentially (everySeconds × 2^(n-1)), capped', async () => {
    reply = { status: 429 };
    let state: Omit<SourceState, 'version'> | undefined;
    let t = 0;
    const waits: number[] = [];
    for (let i = 0; i < 7; i++) {
      const r = await readSource(src(), state && stored(state), at(t));
      expect(r.kind).toBe('failed');
      state = r.state;
      const wait = (Date.parse(state.retryAfterUntil!) - (T0 + t * 1000)) / 1000;
      waits.push(wait);
      t += wait;
    }
    expect(waits).toEqual([60, 120, 240, 480, 900, 900, 900]); // 15-minute cap: longer and 911 goes unwatched
    expect(state!.backoffCount).toBe(7);
    expect(MAX_BACKOFF_MS).toBe(900_000);
  });

  test('503 with an HTTP-date Retry-After is honoured; a larger exponential backoff wins', async () => {
    reply = { status: 503, headers: { 'retry-after': 'Tue, 29 Sep 2026 00:10:00 GMT' } };
    const r = await readSource(src(), undefined, at(0));
    expect(r.state).toMatchObject({ retryAfterUntil: '2026-09-29T00:10:00.000Z', backoffCount: 1 });
    reply = { status: 503, headers: { 'retry-after': '1' } };
    const again = await readSource(src(), stored({ ...r.state, retryAfterUntil: '2026-09-29T00:00:00.000Z', backoffCount: 3 }), at(0));
    expect(again.state).toMatchObject({ retryAfterUntil: '2026-09-29T00:08:00.000Z', backoffCount: 4 }); // 60 s × 2^(4-1) = 480 s beats Retry-After: 1
  });

  test('a huge Retry-After is capped; a 503 without one is an ordinary failure (polled at the normal pace)', async () => {
    reply = { status: 429, headers: { 'retry-after': '86400' } };
    const capped = await readSource(src(), undefined, at(0));
    expect(capped.state.retryAfterUntil).toBe(new Date(T0 + MAX_BACKOFF_MS).toISOString());

    reply = { status: 503 };
    const plain = await readSource(src(), undefined, at(0));
    expect(plain).toMatchObject({ kind: 'failed', state: { consecutiveFailures: 1 } });
    expect(plain.state.retryAfterUntil).toBeUndefined();
    // A plain failure after throttling keeps the backoff exponent but owes no wait.
    const after = await readSource(src(), stored({ sourceId: 'vendor', consecutiveFailures: 2, backoffCount: 2, retryAfterUntil: '2026-09-28T00:00:00.000Z' }), at(0));
    expect(after.state).toEqual({ sourceId: 'vendor', consecutiveFailures: 3, backoffCount: 2 });
  });
});
