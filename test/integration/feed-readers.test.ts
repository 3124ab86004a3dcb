import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sourceSchema, type PolledSourceConfig } from '../../shared/config/schema.js';
import type { SourceState } from '../../shared/domain/records.js';
import type { SourceRead } from '../../shared/sources/parsers.js';
import { readSource } from '../../shared/sources/read-source.js';

/**
 * The time-aware readers of rss / atom / cap / nws-alerts through readSource, on a loopback
 * upstream: the same body must still move a component when time alone changes the reading (a
 * TOE alert expires, an outage post ages out), and an unchanged reading writes nothing.
 */

let server: http.Server;
let base = '';
let body = '';
let status = 200;
let headers: Record<string, string> = {};
let requests: http.IncomingHttpHeaders[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    requests.push(req.headers);
    res.writeHead(status, { etag: '"v1"', 'last-modified': 'Tue, 24 Nov 2026 11:00:00 GMT', ...headers }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  status = 200;
  headers = {};
  requests = [];
});

const T0 = new Date('2026-11-24T12:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const ctx = (now: Date) => ({ now, allow: ['127.0.0.1'] });
const prevOf = (read: SourceRead): SourceState => ({ ...read.state, version: 1 });

function source(kind: 'cap' | 'rss', match: unknown): PolledSourceConfig {
  return sourceSchema.parse({ id: kind, kind, url: `${base}/${kind}`, components: [{ id: 'hennepin', name: 'Hennepin 911', provider: 'Hennepin County', match }] }) as PolledSourceConfig;
}

function statusOf(read: SourceRead): string | undefined {
  return read.kind === 'changed' ? read.observations[0]?.status : read.kind;
}

const TOE = `<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>TOE-1</identifier><sender>ecc@hennepin.example.gov</sender>
<sent>2026-11-24T11:40:00-00:00</sent><status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
<info><category>Safety</category><event>911 Telephone Outage Emergency</event><urgency>Immediate</urgency><severity>Extreme</severity>
<certainty>Observed</certainty><eventCode><valueName>SAME</valueName><value>TOE</value></eventCode>
<expires>2026-11-24T13:00:00-00:00</expires><headline>911 is down in Hennepin County</headline>
<area><areaDesc>Hennepin</areaDesc><geocode><valueName>SAME</valueName><value>027053</value></geocode></area></info></alert>`;

test('cap: an alert at a static URL clears when it expires, without the body changing', async () => {
  body = TOE;
  const s = source('cap', { fips: ['27053'] });
  const first = await readSource(s, undefined, ctx(T0));
  expect(statusOf(first)).toBe('major_outage');
  const same = await readSource(s, prevOf(first), ctx(at(30)));
  expect(same.kind).toBe('unchanged'); // same body, same reading: nothing to write
  const expired = await readSource(s, prevOf(same), ctx(at(61)));
  expect(statusOf(expired)).toBe('operational'); // same body, the clock moved the reading
  // No validators are sent: a 304 would hide the expiry.
  expect(requests.every((h) => h['if-none-match'] === undefined && h['if-modified-since'] === undefined)).toBe(true);
});

test('rss: an outage post nobody closed stops counting after maxAgeHours', async () => {
  body = `<rss version="2.0"><channel><title>Sheriff</title><item><title>911 lines are down</title><guid>1</guid><pubDate>Tue, 24 Nov 2026 05:00:00 CST</pubDate></item></channel></rss>`;
  const s = source('rss', undefined);
  const first = await readSource(s, undefined, ctx(T0));
  expect(statusOf(first)).toBe('major_outage');
  const later = await readSource(s, prevOf(first), ctx(at(72 * 60)));
  expect(statusOf(later)).toBe('operational');
});

test('a bad body is a failed read naming the source; the next good one is read again', async () => {
  body = '<html><body>502 Bad Gateway</body></html>';
  const s = source('cap', { fips: ['27053'] });
  const bad = await readSource(s, undefined, ctx(T0));
  expect(bad.kind).toBe('failed');
  if (bad.kind === 'failed') {
    expect(bad.error.code).toBe('SOURCE.BAD_PAYLOAD');
    expect(bad.error.message).toMatch(/^source "cap": /);
  }
  expect(bad.state.consecutiveFailures).toBe(1);
  body = TOE;
  const good = await readSource(s, prevOf(bad), ctx(at(1)));
  expect(statusOf(good)).toBe('major_outage');
  expect(good.state.consecutiveFailures).toBe(0);
});

test('429 with Retry-After is honoured like every other source', async () => {
  status = 429;
  headers = { 'retry-after': '300' };
  const s = source('cap', { fips: ['27053'] });
  const throttled = await readSource(s, undefined, ctx(T0));
  expect(throttled.kind).toBe('failed');
  expect(throttled.state.retryAfterUntil).toBe('2026-11-24T12:05:00.000Z');
  const skipped = await readSource(s, prevOf(throttled), ctx(at(2)));
  expect(skipped.kind).toBe('skipped');
});
