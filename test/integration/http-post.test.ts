import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetchUpstream, type FetchOptions } from '../../shared/sources/http.js';

/**
 * fetchUpstream's method / body / headers options (added for OAuth token endpoints): loopback
 * only (127.0.0.1 and 127.0.0.2, both in `allow`).
 */

interface Seen {
  host: string;
  method: string;
  path: string;
  body: string;
  headers: http.IncomingHttpHeaders;
}

let seen: Seen[] = [];
let a: http.Server;
let b: http.Server;
let A = '';
let B = '';

function serve(host: string, name: 'a' | 'b'): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const path = req.url ?? '/';
      seen.push({ host: name, method: req.method ?? '', path, body, headers: req.headers });
      const redirect = /^\/(30[1-8])(?:-to-b)?$/.exec(path);
      if (redirect) return res.writeHead(Number(redirect[1]), { location: path.endsWith('-to-b') ? `${B}/landing` : '/landing' }).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ method: req.method, body }));
    });
  });
  return new Promise((resolve) => server.listen(0, host, () => resolve(server)));
}

beforeAll(async () => {
  a = await serve('127.0.0.1', 'a');
  b = await serve('127.0.0.2', 'b');
  A = `http://127.0.0.1:${(a.address() as AddressInfo).port}`;
  B = `http://127.0.0.2:${(b.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const s of [a, b]) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

beforeEach(() => {
  seen = [];
});

const base: FetchOptions = { timeoutMs: 2000, maxBytes: 4096, allow: ['127.0.0.1', '127.0.0.2'] };
const post: FetchOptions = {
  ...base,
  method: 'POST',
  body: 'grant_type=client_credentials&client_secret=s3cr%C3%A9t',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: 'Bearer abc' },
};

test('POST sends the body, its byte length and the extra headers (names lower-cased)', async () => {
  const out = await fetchUpstream(`${A}/token`, post);
  expect(out.kind).toBe('ok');
  expect(seen[0]).toMatchObject({ method: 'POST', body: post.body });
  expect(seen[0]?.headers).toMatchObject({ 'content-type': 'application/x-www-form-urlencoded', authorization: 'Bearer abc', 'content-length': String(Buffer.byteLength(post.body as string)) });
});

test('GET stays the default and sends no body', async () => {
  await fetchUpstream(`${A}/plain`, base);
  expect(seen[0]).toMatchObject({ method: 'GET', body: '' });
  expect(seen[0]?.headers['content-length']).toBeUndefined();
});

test.each([
  ['301', 'GET', ''],
  ['302', 'GET', ''],
  ['303', 'GET', ''],
  ['307', 'POST', post.body],
  ['308', 'POST', post.body],
])('a POST answered %s continues as %s', async (code, method, body) => {
  const out = await fetchUpstream(`${A}/${code}`, post);
  expect(out.kind).toBe('ok');
  expect(seen.map((s) => s.path)).toEqual([`/${code}`, '/landing']);
  expect(seen[1]).toMatchObject({ method, body });
  expect(seen[1]?.headers.authorization).toBe('Bearer abc'); // same origin: headers kept
});

test('a redirect to another origin drops the extra headers (no bearer token off-site)', async () => {
  const out = await fetchUpstream(`${A}/302-to-b`, { ...base, headers: { authorization: 'Bearer abc', accept: 'application/json' } });
  expect(out.kind).toBe('ok');
  expect(seen.map((s) => s.host)).toEqual(['a', 'b']);
  expect(seen[0]?.headers.authorization).toBe('Bearer abc');
  expect(seen[1]?.headers.authorization).toBeUndefined();
  expect(seen[1]?.headers.accept).toBe('*/*');
});

test('the SSRF guard still applies to a POST', async () => {
  const out = await fetchUpstream(`${A}/token`, { ...post, allow: [] });
  expect(out.kind === 'error' && out.error.code).toBe('SOURCE.FORBIDDEN_ADDRESS');
  expect(seen).toHaveLength(0);
});
