import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sourceSchema, type SourceOf } from '../../shared/config/schema.js';
import type { SourceState } from '../../shared/domain/records.js';
import { clearM365TokenCache, readM365Graph } from '../../shared/sources/m365.js';
import type { ReadContext, SecretRef, SourceRead } from '../../shared/sources/parsers.js';
import { readSource } from '../../shared/sources/read-source.js';

/**
 * The m365-graph reader against a loopback server posing as both the Entra token endpoint and
 * Microsoft Graph (127.0.0.1 only, allowed in `allow`; nothing leaves the machine).
 */

const SECRET = 'client-secret-value-never-logged';
const NOW = new Date('2026-11-24T12:00:00.000Z');

interface Seen {
  method: string;
  path: string;
  authorization?: string;
  form?: URLSearchParams;
}

let server: http.Server;
let base = '';
let seen: Seen[] = [];
/** Per-test behaviour of the fake Graph. */
let graph: {
  pages: Record<string, { value: unknown[]; next?: string }>;
  tokenStatus?: number;
  /** Answer 401 to this many Graph requests first. */
  unauthorized?: number;
  throttle?: string;
};
let issued = 0;

function issue(id: string, status: string, extra: Record<string, unknown> = {}) {
  return { id, title: `Issue ${id}`, service: 'Exchange Online', feature: 'Mail flow', featureGroup: 'E-Mail', classification: 'incident', status, isResolved: false, lastModifiedDateTime: '2026-11-24T11:00:00Z', ...extra };
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const entry: Seen = { method: req.method ?? '', path: url.pathname + url.search };
      if (req.headers.authorization) entry.authorization = req.headers.authorization;
      if (url.pathname === '/tenant/oauth2/v2.0/token') {
        entry.form = new URLSearchParams(body);
        seen.push(entry);
        if (graph.tokenStatus) return res.writeHead(graph.tokenStatus, { 'content-type': 'application/json' }).end('{"error":"invalid_client"}');
        issued++;
        return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token_type: 'Bearer', expires_in: 3599, access_token: `token-${issued}` }));
      }
      seen.push(entry);
      if (graph.throttle) return res.writeHead(429, { 'retry-after': graph.throttle }).end();
      if ((graph.unauthorized ?? 0) > 0) {
        graph.unauthorized! -= 1;
        return res.writeHead(401).end('{"error":{"code":"InvalidAuthenticationToken"}}');
      }
      if (req.headers.authorization !== `Bearer token-${issued}`) return res.writeHead(401).end();
      const page = graph.pages[url.pathname + url.search];
      if (!page) return res.writeHead(404).end();
      const out: Record<string, unknown> = { '@odata.context': 'x', value: page.value };
      if (page.next) out['@odata.nextLink'] = page.next.startsWith('http') ? page.next : `${base}${page.next}`;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const FIRST = '/v1.0/admin/serviceAnnouncement/issues?$filter=isResolved%20eq%20false';

beforeEach(() => {
  clearM365TokenCache();
  seen = [];
  issued = 0;
  graph = {
    pages: {
      [FIRST]: { value: [issue('EX1', 'investigating')], next: '/v1.0/admin/serviceAnnouncement/issues?$filter=isResolved%20eq%20false&$skip=1' },
      '/v1.0/admin/serviceAnnouncement/issues?$filter=isResolved%20eq%20false&$skip=1': { value: [issue('EX2', 'ServiceInterruption'), issue('TM1', 'serviceDegradation', { service: 'Microsoft Teams' })] },
    },
  };
});

function source(extra: Record<string, unknown> = {}): SourceOf<'m365-graph'> {
  return sourceSchema.parse({
    id: 'm365',
    kind: 'm365-graph',
    url: `${base}/v1.0`,
    tokenUrl: `${base}/tenant/oauth2/v2.0/token`,
    tenantId: 'contoso.onmicrosoft.com',
    clientId: 'app-123',
    clientSecret: { ssm: '/dialtone/m365/client-secret' },
    components: [
      { id: 'exchange', name: 'Exchange Online', provider: 'Microsoft', match: { service: 'Exchange Online' } },
      { id: 'teams', name: 'Teams', provider: 'Microsoft', match: { service: 'microsoft teams' } },
      { id: 'sharepoint', name: 'SharePoint', provider: 'Microsoft', match: { service: 'SharePoint Online' } },
    ],
    ...extra,
  }) as SourceOf<'m365-graph'>;
}

const refs: SecretRef[] = [];
const ctx = (now = NOW, secrets: ReadContext['secrets'] = async (ref) => (refs.push(ref), SECRET)): ReadContext => ({ now, allow: ['127.0.0.1'], secrets });

function statuses(read: SourceRead): Record<string, string> {
  expect(read.kind).toBe('changed');
  return read.kind === 'changed' ? Object.fromEntries(read.observations.map((o) => [o.componentId, o.status])) : {};
}

function asPrev(read: SourceRead): SourceState {
  return { ...read.state, version: 1 };
}

function expectNoSecrets(read: SourceRead): void {
  const text = JSON.stringify(read, (_k, v: unknown) => (v instanceof Error ? { message: v.message, details: (v as { details?: unknown }).details } : v));
  expect(text).not.toContain(SECRET);
  expect(text).not.toMatch(/token-\d/);
}

describe('m365-graph reader on a loopback Graph', () => {
  test('client credentials, then every page through @odata.nextLink', async () => {
    const read = await readM365Graph(source(), undefined, ctx());
    expect(statuses(read)).toEqual({ exchange: 'major_outage', teams: 'degraded', sharepoint: 'operational' });
    const [token, page1, page2] = seen;
    expect(token).toMatchObject({ method: 'POST', path: '/tenant/oauth2/v2.0/token' });
    expect(Object.fromEntries(token!.form!)).toEqual({ grant_type: 'client_credentials', client_id: 'app-123', client_secret: SECRET, scope: `${base}/.default` });
    expect(page1).toMatchObject({ method: 'GET', path: FIRST, authorization: 'Bearer token-1' });
    expect(page2).toMatchObject({ method: 'GET', authorization: 'Bearer token-1' });
    expect(seen).toHaveLength(3);
    if (read.kind === 'changed') {
      expect(read.observations.find((o) => o.componentId === 'exchange')).toMatchObject({ title: 'Issue EX2', upstreamId: 'EX2', updatedAt: '2026-11-24T11:00:00.000Z' });
      expect(read.observations[0]?.payloadHash).toMatch(/^sha256:/);
    }
    expect(refs.at(-1)).toEqual({ ssm: '/dialtone/m365/client-secret' });
    expectNoSecrets(read);
  });

  test('the token is cached until shortly before it expires; the same issues read as unchanged', async () => {
    const first = await readM365Graph(source(), undefined, ctx());
    const second = await readM365Graph(source(), asPrev(first), ctx(new Date(NOW.getTime() + 30 * 60_000)));
    expect(second.kind).toBe('unchanged');
    expect(seen.filter((s) => s.method === 'POST')).toHaveLength(1);
    await readM365Graph(source(), asPrev(second), ctx(new Date(NOW.getTime() + 56 * 60_000))); // < 5 min of life left
    expect(seen.filter((s) => s.method === 'POST')).toHaveLength(2);
  });

  test('readSource dispatches the kind to the reader, with the secret resolver from the context', async () => {
    const context = ctx();
    const read = await readSource(source(), undefined, context);
    expect(statuses(read).exchange).toBe('major_outage');
  });

  test('a 401 from Graph (revoked token) gets one fresh token and the same page again', async () => {
    graph.unauthorized = 1;
    const read = await readM365Graph(source(), undefined, ctx());
    expect(statuses(read).exchange).toBe('major_outage');
    expect(seen.filter((s) => s.method === 'POST')).toHaveLength(2);
  });

  test('a refused token is a failed read naming the token endpoint, never the secret', async () => {
    graph.tokenStatus = 401;
    const read = await readM365Graph(source(), undefined, ctx());
    expect(read.kind).toBe('failed');
    if (read.kind === 'failed') {
      expect(read.error.code).toBe('SOURCE.HTTP_STATUS');
      expect(read.error.message).toMatch(/^source "m365": token request: http:\/\/127\.0\.0\.1:\d+\/tenant\/oauth2\/v2\.0\/token: HTTP 401 Unauthorized$/);
      expect(read.state.consecutiveFailures).toBe(1);
    }
    expectNoSecrets(read);
  });

  test('a secret that cannot be read, or no resolver at all, is a failed read naming the reference', async () => {
    const noSecret = await readM365Graph(source(), undefined, ctx(NOW, async () => Promise.reject(new Error('ParameterNotFound'))));
    expect(noSecret.kind === 'failed' && noSecret.error.message).toBe(
      'source "m365": cannot read the client secret from SSM parameter "/dialtone/m365/client-secret": ParameterNotFound',
    );
    const noResolver = await readM365Graph(source(), undefined, { now: NOW, allow: ['127.0.0.1'] });
    expect(noResolver.kind === 'failed' && noResolver.error.message).toContain('no secret resolver');
    expect(seen).toHaveLength(0);
  });

  test('a nextLink to another origin is refused: the bearer token stays with Graph', async () => {
    graph.pages[FIRST]!.next = 'http://127.0.0.2:9/v1.0/admin/serviceAnnouncement/issues?$skip=1';
    const read = await readM365Graph(source(), undefined, ctx());
    expect(read.kind === 'failed' && read.error.message).toContain('@odata.nextLink points to another origin');
    expect(seen).toHaveLength(2); // token + first page, nothing else
  });

  test('paging is bounded by maxPages', async () => {
    graph.pages[FIRST]!.next = FIRST; // a server that never stops
    const read = await readM365Graph(source({ maxPages: 3 }), undefined, ctx());
    expect(read.kind === 'failed' && read.error.message).toContain('more than 3 pages');
    expect(seen.filter((s) => s.method === 'GET')).toHaveLength(3);
  });

  test('429 with Retry-After: failed, and not read again before the upstream says', async () => {
    graph.throttle = '120';
    const read = await readM365Graph(source(), undefined, ctx());
    expect(read.kind).toBe('failed');
    expect(read.state.retryAfterUntil).toBe('2026-11-24T12:02:00.000Z');
    expect(read.state.backoffCount).toBe(1);
    const skipped = await readSource(source(), asPrev(read), ctx(new Date(NOW.getTime() + 60_000)));
    expect(skipped.kind).toBe('skipped');
  });

  test('the SSRF guard applies: Graph on loopback without `allow` is refused', async () => {
    const read = await readM365Graph(source(), undefined, { ...ctx(), allow: [] });
    expect(read.kind === 'failed' && read.error.code).toBe('SOURCE.FORBIDDEN_ADDRESS');
    expect(seen).toHaveLength(0);
  });
});
