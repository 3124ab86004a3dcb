import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sourceSchema, type SourceOf } from '../../shared/config/schema.js';
import type { SourceState } from '../../shared/domain/records.js';
import { createHttpProbeReader, statusExpected } from '../../shared/sources/probe.js';
import { readSource } from '../../shared/sources/read-source.js';

/** The http-probe reader against loopback servers: status, body, latency (with an injected stopwatch), failures. */
describe('http-probe', () => {
  let server: http.Server;
  let base = '';
  const requests: string[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const route = new URL(req.url ?? '/', 'http://x').pathname;
      requests.push(route);
      switch (route) {
        case '/health':
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok","db":"up"}');
          return;
        case '/sick':
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"degraded","db":"down"}');
          return;
        case '/down':
          res.writeHead(503, { 'retry-after': '120' }).end('maintenance');
          return;
        case '/moved':
          res.writeHead(302, { location: '/health' }).end();
          return;
        case '/hang':
          res.writeHead(200).write('{'); // never ends
          return;
        default:
          res.writeHead(404).end();
      }
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
  });

  const probe = (path: string, extra: Record<string, unknown> = {}) =>
    sourceSchema.parse({ id: 'cad-api', kind: 'http-probe', url: `${base}${path}`, timeoutMs: 500, components: [{ id: 'cad', name: 'CAD API', provider: 'Vendor' }], ...extra }) as SourceOf<'http-probe'>;
  const ctx = { now: new Date('2026-09-29T00:00:00Z'), allow: ['127.0.0.1'] };
  const fixed = (ms: number) => () => () => ms;
  const read = (source: SourceOf<'http-probe'>, prev?: SourceState, ms = 5) => createHttpProbeReader({ stopwatch: fixed(ms) })(source, prev, ctx);
  const verdict = async (source: SourceOf<'http-probe'>, ms?: number) => {
    const r = await read(source, undefined, ms);
    if (r.kind !== 'changed') throw new Error(`expected changed, got ${r.kind}`);
    return { status: r.observations[0]!.status, title: r.observations[0]!.title };
  };

  test('expected status ranges and codes', () => {
    expect(statusExpected(204, ['200-399'])).toBe(true);
    expect(statusExpected(302, ['200-399'])).toBe(true);
    expect(statusExpected(404, ['200-399'])).toBe(false);
    expect(statusExpected(404, [200, '400-404'])).toBe(true);
  });

  test('200 within the latency budget → operational (registered: readSource dispatches to it)', async () => {
    expect(await verdict(probe('/health', { maxLatencyMs: 100 }))).toEqual({ status: 'operational', title: 'HTTP 200 in 5 ms' });
    const viaReadSource = await readSource(probe('/health'), undefined, ctx);
    expect(viaReadSource).toMatchObject({ kind: 'changed', observations: [{ componentId: 'cad', status: 'operational' }], state: { sourceId: 'cad-api', consecutiveFailures: 0 } });
  });

  test('an unexpected status → major_outage (and a probe judges a 503 itself, it is not throttled)', async () => {
    expect(await verdict(probe('/down'))).toEqual({ status: 'major_outage', title: 'HTTP 503, expected 200-399' });
    expect(await verdict(probe('/health', { expectStatus: [204] }))).toMatchObject({ status: 'major_outage' });
    const viaReadSource = await readSource(probe('/down'), undefined, ctx);
    expect(viaReadSource.state.retryAfterUntil).toBeUndefined();
  });

  test('slower than maxLatencyMs → degraded', async () => {
    expect(await verdict(probe('/health', { maxLatencyMs: 250 }), 900)).toEqual({ status: 'degraded', title: 'HTTP 200 in 900 ms, over the 250 ms limit' });
  });

  test('body check: substring or bounded regex; a mismatch → partial_outage', async () => {
    expect(await verdict(probe('/health', { body: { contains: '"status":"ok"' } }))).toMatchObject({ status: 'operational' });
    expect(await verdict(probe('/sick', { body: { contains: '"status":"ok"' } }))).toEqual({ status: 'partial_outage', title: 'HTTP 200 but body does not contain ""status":"ok""' });
    expect(await verdict(probe('/health', { body: { regex: '"db":\\s*"up"' } }))).toMatchObject({ status: 'operational' });
    expect(await verdict(probe('/sick', { body: { regex: '"db":\\s*"up"' } }))).toMatchObject({ status: 'partial_outage' });
    expect(() => probe('/health', { body: { regex: '(' } })).toThrow(/not a valid regular expression/);
    expect(() => probe('/health', { body: { regex: 'x'.repeat(201) } })).toThrow();
  });

  test('redirects: judged as they are by default, followed when asked', async () => {
    expect(await verdict(probe('/moved'))).toMatchObject({ status: 'operational', title: 'HTTP 302 in 5 ms' });
    expect(await verdict(probe('/moved', { expectStatus: ['200-299'] }))).toMatchObject({ status: 'major_outage' });
    expect(await verdict(probe('/moved', { expectStatus: ['200-299'], followRedirects: true, body: { contains: 'ok' } }))).toMatchObject({ status: 'operational', title: 'HTTP 200 in 5 ms' });
  });

  test('no answer in time, or nobody listening → a failed read that still says major_outage', async () => {
    const hang = await read(probe('/hang', { timeoutMs: 150 }));
    expect(hang).toMatchObject({ kind: 'failed', error: { code: 'SOURCE.TIMEOUT' }, state: { consecutiveFailures: 1 }, observations: [{ status: 'major_outage' }] });
    const refused = await read(sourceSchema.parse({ id: 'gone', kind: 'http-probe', url: 'http://127.0.0.1:1/', timeoutMs: 500, components: [{ id: 'x', name: 'X', provider: 'V' }] }) as SourceOf<'http-probe'>);
    expect(refused).toMatchObject({ kind: 'failed', error: { code: 'SOURCE.UNREACHABLE', message: expect.stringMatching(/^source "gone": /) }, observations: [{ status: 'major_outage', title: expect.stringMatching(/^probe failed: /) }] });
  });

  test('an address the SSRF guard refuses → a plain failed read (unknown: we cannot judge)', async () => {
    const r = await createHttpProbeReader()(probe('/health'), undefined, { ...ctx, allow: [] });
    expect(r).toMatchObject({ kind: 'failed', error: { code: 'SOURCE.FORBIDDEN_ADDRESS' } });
    expect((r as { observations?: unknown }).observations).toBeUndefined();
  });

  test('a steady probe leaves its state alone (no write per poll); a success resets failures', async () => {
    const prev: SourceState = { sourceId: 'cad-api', consecutiveFailures: 0, version: 3 };
    expect((await read(probe('/health'), prev)).state).toEqual({ sourceId: 'cad-api', consecutiveFailures: 0 });
    expect((await read(probe('/health'), { ...prev, consecutiveFailures: 2 })).state).toEqual({ sourceId: 'cad-api', consecutiveFailures: 0 });
  });
});
