import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { sourceSchema, type PolledSourceConfig } from '../../shared/config/schema.js';
import type { SourceState } from '../../shared/domain/records.js';
import { fetchUpstream, redactUrl, type FetchOptions, type FetchOutcome } from '../../shared/sources/http.js';
import { readSource } from '../../shared/sources/read-source.js';

/** Loopback only: every server listens on 127.0.0.0/8 and nothing here sends a packet elsewhere. */
interface Loopback {
  server: http.Server;
  base: string;
  port: number;
  connections: number;
  requests: { url: string; ifNoneMatch?: string }[];
}

async function listen(host: string, handler: http.RequestListener): Promise<Loopback> {
  const server = http.createServer(handler);
  const lb: Loopback = { server, base: '', port: 0, connections: 0, requests: [] };
  server.on('connection', () => lb.connections++);
  server.on('request', (req: http.IncomingMessage) => {
    const ifNoneMatch = req.headers['if-none-match'];
    lb.requests.push({ url: req.url ?? '', ...(ifNoneMatch !== undefined ? { ifNoneMatch } : {}) });
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, resolve));
  lb.port = (server.address() as AddressInfo).port;
  lb.base = `http://${host}:${lb.port}`;
  return lb;
}

async function close(lb: Loopback | undefined): Promise<void> {
  if (!lb) return;
  lb.server.closeAllConnections(); // the hanging response would keep close() waiting
  await new Promise<void>((resolve) => lb.server.close(() => resolve()));
}

const PAYLOAD = '{"hello":"world"}';
/** What /summary.json serves for the readSource sequence; tests change it between reads. */
let summary: { status: number; body: string; etag?: string } = { status: 200, body: '' };

let main: Loopback;
let alias: Loopback | undefined; // 127.0.0.2: loopback, but not in `allow`

beforeAll(async () => {
  main = await listen('127.0.0.1', (req, res) => {
    const route = new URL(req.url ?? '/', 'http://x').pathname;
    switch (route) {
      case '/ok':
        res.writeHead(200, { 'content-type': 'application/json', etag: '"v1"', 'last-modified': 'Tue, 24 Nov 2026 12:00:00 GMT' }).end(PAYLOAD);
        return;
      case '/etag':
        if (req.headers['if-none-match'] === '"v1"') res.writeHead(304).end();
        else res.writeHead(200, { etag: '"v1"' }).end(PAYLOAD);
        return;
      case '/hang':
        res.writeHead(200, { 'content-type': 'application/json' }).write('{"partial":'); // and never ends
        return;
      case '/big': // streamed (chunked), no Content-Length: only counting the bytes can catch it
        for (let i = 0; i < 16; i++) res.write('x'.repeat(1024));
        res.end();
        return;
      case '/big-declared':
        res.writeHead(200, { 'content-length': String(64 * 1024) }).end('x'.repeat(64 * 1024));
        return;
      case '/fail':
        res.writeHead(500).end('oops');
        return;
      case '/redirect':
        res.writeHead(302, { location: '/ok' }).end();
        return;
      case '/loop':
        res.writeHead(307, { location: '/loop' }).end();
        return;
      case '/to-alias':
        res.writeHead(301, { location: `http://127.0.0.2:${alias?.port ?? 9}/ok` }).end();
        return;
      case '/to-metadata':
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/' }).end();
        return;
      case '/to-file':
        res.writeHead(302, { location: 'file:///etc/passwd' }).end();
        return;
      case '/summary.json':
        if (summary.etag !== undefined && req.headers['if-none-match'] === summary.etag) res.writeHead(304).end();
        else res.writeHead(summary.status, summary.etag !== undefined ? { etag: summary.etag } : {}).end(summary.body);
        return;
      default:
        res.writeHead(404).end();
    }
  });
  try {
    alias = await listen('127.0.0.2', (_req, res) => res.end(PAYLOAD));
  } catch {
    alias = undefined; // no 127.0.0.2 on this host: the redirect test then asserts the refusal only
  }
});

afterAll(async () => {
  await Promise.all([close(main), close(alias)]);
});

const opts = (over: Partial<FetchOptions> = {}): FetchOptions => ({ timeoutMs: 2_000, maxBytes: 4_096, allow: ['127.0.0.1'], ...over });

function errorOf(outcome: FetchOutcome) {
  if (outcome.kind !== 'error') throw new Error(`expected an error, got ${outcome.kind}`);
  return outcome.error;
}

describe('fetchUpstream', () => {
  test('200: body, validators and content type', async () => {
    const outcome = await fetchUpstream(`${main.base}/ok`, opts());
    expect(outcome).toEqual({
      kind: 'ok',
      status: 200,
      body: Buffer.from(PAYLOAD),
      etag: '"v1"',
      lastModified: 'Tue, 24 Nov 2026 12:00:00 GMT',
      contentType: 'application/json',
      finalUrl: `${main.base}/ok`,
    });
  });

  test('304 when If-None-Match matches', async () => {
    expect(await fetchUpstream(`${main.base}/etag`, opts({ etag: '"v1"' }))).toEqual({ kind: 'not-modified' });
    expect(main.requests.at(-1)).toEqual({ url: '/etag', ifNoneMatch: '"v1"' });
  });

  test('a body that never finishes times out within the one overall budget', async () => {
    const started = performance.now();
    const error = errorOf(await fetchUpstream(`${main.base}/hang`, opts({ timeoutMs: 200 })));
    expect(error.code).toBe('SOURCE.TIMEOUT');
    expect(error.message).toBe(`${main.base}/hang: no complete response within 200 ms`);
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  test('a streamed body over maxBytes is cut off: TOO_LARGE', async () => {
    const error = errorOf(await fetchUpstream(`${main.base}/big`, opts()));
    expect(error.code).toBe('SOURCE.TOO_LARGE');
    expect(error.message).toBe(`${main.base}/big: body exceeds the 4096-byte limit`);
  });

  test('a Content-Length over maxBytes is refused before reading', async () => {
    const error = errorOf(await fetchUpstream(`${main.base}/big-declared`, opts()));
    expect(error.code).toBe('SOURCE.TOO_LARGE');
    expect(error.message).toContain('Content-Length 65536 exceeds the 4096-byte limit');
  });

  test('500: HTTP_STATUS with the code, and no credentials or query secrets in the message', async () => {
    const error = errorOf(await fetchUpstream(`http://user:hunter2@127.0.0.1:${main.port}/fail?token=s3cr3t`, opts()));
    expect(error.code).toBe('SOURCE.HTTP_STATUS');
    expect(error.message).toBe(`http://127.0.0.1:${main.port}/fail?token=***: HTTP 500 Internal Server Error`);
  });

  test('a redirect is followed; finalUrl is where the body came from', async () => {
    const outcome = await fetchUpstream(`${main.base}/redirect`, opts());
    expect(outcome).toMatchObject({ kind: 'ok', status: 200, finalUrl: `${main.base}/ok` });
  });

  test('more redirects than maxRedirects: HTTP_STATUS', async () => {
    const before = main.requests.filter((r) => r.url === '/loop').length;
    const error = errorOf(await fetchUpstream(`${main.base}/loop`, opts({ maxRedirects: 2 })));
    expect(error.code).toBe('SOURCE.HTTP_STATUS');
    expect(error.message).toContain('more than 2 redirects');
    expect(main.requests.filter((r) => r.url === '/loop').length - before).toBe(3);
  });

  describe('SSRF guard', () => {
    let connect: jest.SpyInstance;
    beforeEach(() => {
      connect = jest.spyOn(net.Socket.prototype, 'connect');
    });
    afterEach(() => connect.mockRestore());

    test('a redirect to a loopback alias not in allow is refused before connecting', async () => {
      const before = alias?.connections ?? 0;
      const error = errorOf(await fetchUpstream(`${main.base}/to-alias`, opts()));
      expect(error.code).toBe('SOURCE.FORBIDDEN_ADDRESS');
      expect(error.message).toContain('refused to connect to 127.0.0.2 (loopback address');
      expect(connect).toHaveBeenCalledTimes(1); // the first hop only
      if (alias) expect(alias.connections).toBe(before);
    });

    test('a redirect to the metadata address is refused before connecting', async () => {
      const error = errorOf(await fetchUpstream(`${main.base}/to-metadata`, opts()));
      expect(error.code).toBe('SOURCE.FORBIDDEN_ADDRESS');
      expect(connect).toHaveBeenCalledTimes(1);
    });

    test.each(['http://169.254.169.254/latest/meta-data', 'http://10.0.0.1/', 'http://[::ffff:a9fe:a9fe]/', 'http://[fd00::1]:8080/'])(
      '%s is refused without opening a socket',
      async (url) => {
        const error = errorOf(await fetchUpstream(url, opts({ timeoutMs: 100 })));
        expect(error.code).toBe('SOURCE.FORBIDDEN_ADDRESS');
        expect(error.message).toMatch(/refused to connect to .* \((link-local|private) address/);
        expect(connect).not.toHaveBeenCalled();
      },
    );

    test.each(['http://93.184.216.34/', 'https://login.microsoftonline.com/contoso/oauth2/v2.0/token', 'http://graph.microsoft.com/v1.0/admin/serviceAnnouncement/issues'])(
      'with onlyAllowed (a replay), %s is refused before any socket is opened',
      async (url) => {
        const error = errorOf(await fetchUpstream(url, opts({ timeoutMs: 100, onlyAllowed: true })));
        expect(error.code).toBe('SOURCE.FORBIDDEN_ADDRESS');
        expect(error.message).toMatch(/refused to (connect to \S+ \(public address; |look up \S+ \()this run reaches only network\.allow\)/);
        expect(connect).not.toHaveBeenCalled();
      },
    );

    test('with onlyAllowed, a listed loopback address is still reached', async () => {
      const outcome = await fetchUpstream(`${main.base}/ok`, opts({ onlyAllowed: true }));
      expect(outcome.kind === 'error' ? outcome.error.message : 'fetched').toBe('fetched');
    });

    test('a host name that resolves to loopback is refused by the lookup: no connection reaches the server', async () => {
      const before = main.connections;
      const error = errorOf(await fetchUpstream(`http://localhost:${main.port}/ok`, opts({ allow: [] })));
      expect(error.code).toBe('SOURCE.FORBIDDEN_ADDRESS');
      expect(error.message).toContain(`http://localhost:${main.port}/ok: refused to connect to`);
      expect(main.connections).toBe(before);
    });

    test('the same host name connects when its addresses are allowed', async () => {
      expect(await fetchUpstream(`http://localhost:${main.port}/ok`, opts({ allow: ['127.0.0.1', '::1'] }))).toMatchObject({ kind: 'ok' });
    });

    test.each(['file:///etc/passwd', 'ftp://127.0.0.1/pub'])('%s is refused (only http and https)', async (url) => {
      const error = errorOf(await fetchUpstream(url, opts()));
      expect(error.code).toBe('SOURCE.FORBIDDEN_ADDRESS');
      expect(error.message).toContain('only http: and https: URLs are fetched');
      expect(connect).not.toHaveBeenCalled();
    });

    test('a redirect to file: is refused', async () => {
      const error = errorOf(await fetchUpstream(`${main.base}/to-file`, opts()));
      expect(error.code).toBe('SOURCE.FORBIDDEN_ADDRESS');
      expect(error.message).toBe('file:///etc/passwd: only http: and https: URLs are fetched, not file:');
    });
  });
});

describe('redactUrl: a URL fit for messages', () => {
  test.each([
    ['user info dropped, query values masked', 'https://user:pw@status.example/api?token=abc&page=2', 'https://status.example/api?token=***&page=***'],
    ['a short URL as it is', 'http://127.0.0.1:8080/summary.json', 'http://127.0.0.1:8080/summary.json'],
    ['a data: URL cut to 200 characters, its length said', `data:application/json,${'x'.repeat(5_000)}`, `data:application/json,${'x'.repeat(178)}… (5022 characters)`],
  ])('%s', (_name, url, shown) => {
    expect(redactUrl(new URL(url))).toBe(shown);
  });
});

describe('readSource', () => {
  const OPERATIONAL = JSON.stringify({ page: { id: 'p' }, status: { indicator: 'none' }, components: [{ id: 'c1', name: 'Routing', status: 'operational' }] });
  const OUTAGE = OPERATIONAL.replace('"operational"', '"major_outage"');
  const source = () =>
    sourceSchema.parse({
      id: 'vendor',
      kind: 'statuspage',
      url: `${main.base}/summary.json`,
      components: [{ id: 'routing', name: 'Routing', provider: 'Vendor' }],
    }) as PolledSourceConfig;
  const at = (minute: number) => ({ now: new Date(Date.UTC(2026, 10, 24, 12, minute)), allow: ['127.0.0.1'] });
  const stored = (state: Omit<SourceState, 'version'>, version: number): SourceState => ({ ...state, version });
  const lastRequest = () => main.requests.filter((r) => r.url === '/summary.json').at(-1);

  test('changed → unchanged by hash → unchanged by 304 → failed (counting) → changed again', async () => {
    summary = { status: 200, body: OPERATIONAL };
    const first = await readSource(source(), undefined, at(0));
    if (first.kind !== 'changed') throw new Error(`expected changed, got ${first.kind}`);
    const hash = first.state.bodyHash;
    expect(hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(first.observations).toEqual([
      { sourceId: 'vendor', componentId: 'routing', status: 'operational', observedAt: '2026-11-24T12:00:00.000Z', payloadHash: hash },
    ]);
    expect(first.state).toEqual({ sourceId: 'vendor', bodyHash: hash, consecutiveFailures: 0, lastChangedAt: '2026-11-24T12:00:00.000Z' });

    // Same bytes, no validators: the hash says unchanged and the state is exactly the stored one (no write).
    const second = await readSource(source(), stored(first.state, 1), at(1));
    expect(second).toStrictEqual({ kind: 'unchanged', state: first.state });

    // Same bytes, now with an ETag: still unchanged, and the ETag is kept for next time.
    summary = { status: 200, body: OPERATIONAL, etag: '"e1"' };
    const third = await readSource(source(), stored(second.state, 2), at(2));
    expect(third).toStrictEqual({ kind: 'unchanged', state: { ...first.state, etag: '"e1"' } });

    const fourth = await readSource(source(), stored(third.state, 3), at(3));
    expect(lastRequest()?.ifNoneMatch).toBe('"e1"');
    expect(fourth).toStrictEqual({ kind: 'unchanged', state: third.state });

    summary = { status: 503, body: 'busy' };
    const fifth = await readSource(source(), stored(fourth.state, 4), at(4));
    if (fifth.kind !== 'failed') throw new Error(`expected failed, got ${fifth.kind}`);
    expect(fifth.error.code).toBe('SOURCE.HTTP_STATUS');
    expect(fifth.error.message).toBe(`source "vendor": ${main.base}/summary.json: HTTP 503 Service Unavailable`);
    expect(fifth.state).toStrictEqual({ ...fourth.state, consecutiveFailures: 1 });

    const sixth = await readSource(source(), stored(fifth.state, 5), at(5));
    expect(sixth.state.consecutiveFailures).toBe(2);

    // After failures the components were fed unknown, so the recovery read is unconditional and parsed.
    summary = { status: 200, body: OUTAGE, etag: '"e1"' };
    const seventh = await readSource(source(), stored(sixth.state, 6), at(7));
    expect(lastRequest()?.ifNoneMatch).toBeUndefined();
    if (seventh.kind !== 'changed') throw new Error(`expected changed, got ${seventh.kind}`);
    expect(seventh.observations[0]?.status).toBe('major_outage');
    expect(seventh.state).toMatchObject({ consecutiveFailures: 0, etag: '"e1"', lastChangedAt: '2026-11-24T12:07:00.000Z' });
    expect(seventh.state.bodyHash).not.toBe(hash);

    // A changed body that is not a Statuspage payload fails and keeps what the last good read left.
    summary = { status: 200, body: '<html><body>Service Unavailable</body></html>' };
    const eighth = await readSource(source(), stored(seventh.state, 7), at(8));
    if (eighth.kind !== 'failed') throw new Error(`expected failed, got ${eighth.kind}`);
    expect(eighth.error.code).toBe('SOURCE.BAD_PAYLOAD');
    expect(eighth.error.message).toMatch(/^source "vendor": summary\.json is not JSON/);
    expect(eighth.state).toStrictEqual({ ...seventh.state, consecutiveFailures: 1 });
  });

  test('a 304 to a GET without validators is a failure, not "unchanged": there is nothing to reuse', async () => {
    summary = { status: 304, body: '' };
    const first = await readSource(source(), undefined, at(0));
    expect(lastRequest()?.ifNoneMatch).toBeUndefined();
    expect(first).toMatchObject({ kind: 'failed', error: { code: 'SOURCE.HTTP_STATUS' }, state: { consecutiveFailures: 1 } });
    if (first.kind === 'failed') expect(first.error.message).toMatch(/^source "vendor": unexpected 304 Not Modified to a GET without validators/);
    // Still failing (and counting towards blind) on the next read: the failure cleared the validators.
    const second = await readSource(source(), stored(first.state, 1), at(1));
    expect(second).toMatchObject({ kind: 'failed', state: { consecutiveFailures: 2 } });
  });

  test('a forbidden source address comes back as failed, not thrown', async () => {
    const read = await readSource(source(), undefined, { now: new Date(0), allow: [] });
    expect(read).toMatchObject({ kind: 'failed', error: { code: 'SOURCE.FORBIDDEN_ADDRESS' }, state: { sourceId: 'vendor', consecutiveFailures: 1 } });
  });
});
