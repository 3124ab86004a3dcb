/**
 * The bad-input corpus: every row is one bad upstream answer (or one forged or
 * replayed push) with what the reader must say about it. Rows are generated from small
 * hand-written valid payloads (truncations, encodings, wrappers) and hand-written where the
 * attack has a shape of its own (entity bombs, redirects, forgeries). bad-input.test.ts plays
 * each row through the real poll cycle / ingest path and checks the four properties.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createGzip } from 'node:zlib';
import type { ErrorCode } from '../../shared/domain/errors.js';
import type { Status } from '../../shared/domain/status.js';
import type { ComponentSpec, Serve, ServeContext } from './bad-input-world.js';

// ── what a row expects ─────────────────────────────────────────────────────────────────────────

export type PollCategory =
  | 'truncated JSON'
  | 'truncated XML'
  | 'invalid JSON'
  | 'HTML error page (200)'
  | 'wrong schema'
  | 'malformed XML'
  | 'XML entities'
  | 'oversized body'
  | 'slow body'
  | 'bad encoding'
  | 'forbidden address'
  | 'bad redirect'
  | 'HTTP error status'
  | 'huge component list';

export type Expectation =
  /** The read fails: SOURCE.<code>, its message names the source and matches `message`. */
  | { read: 'failed'; code: ErrorCode; message: RegExp; /** A throttling answer: the next cycle is `skipped`, naming the source. */ thenSkipped?: true }
  /**
   * The body is readable and the reader reads it (e.g. entities kept literal): each listed bad
   * component reads exactly this status; `errors` are what its observation's error must say
   * (the source and the field), for statuses that are `unknown`.
   */
  | { read: 'changed'; statuses: Record<string, Status>; errors?: Record<string, RegExp> };

export interface PollCase {
  category: PollCategory;
  name: string;
  kind: BadKind;
  /** How the loopback server answers this case's path (the source's URL). */
  serve?: Serve;
  /** A source URL off the loopback server (a forbidden address): nothing is served. */
  url?: (ctx: ServeContext) => string;
  /** Source config overrides (short timeouts for slow bodies, a byte cap for big ones). */
  source?: { timeoutMs?: number; maxBytes?: number };
  /** The bad source's components when not the kind's default. */
  components?: ComponentSpec[];
  expect: Expectation;
  /** Text that must never appear in what the reader returned or the store recorded (expanded entities, file contents, passwords). */
  forbid?: string[];
  /** The canary URL / file must never be touched (XXE, external DTDs). */
  canary?: true;
  /** A product bug this row exposes (kept as test.failing; see the final report). */
  knownBug?: string;
}

// ── serving helpers (all loops bounded, all streams stop when the reader hangs up) ───────────────

const JSON_TYPE = 'application/json; charset=utf-8';
const XML_TYPE = 'application/xml; charset=utf-8';

export function body(payload: string | Buffer | ((ctx: ServeContext) => string | Buffer), opts: { status?: number; type?: string; headers?: Record<string, string> } = {}): Serve {
  return (_req, res, ctx) => {
    res.writeHead(opts.status ?? 200, { 'content-type': opts.type ?? JSON_TYPE, ...(opts.headers ?? {}) });
    res.end(typeof payload === 'function' ? payload(ctx) : payload);
  };
}

function redirect(to: (ctx: ServeContext) => string, status = 302): Serve {
  return (_req, res, ctx) => {
    res.writeHead(status, { location: to(ctx) }).end();
  };
}

export const MB = 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 'x');

/**
 * `total` bytes (50 MB) streamed in 64 KiB chunks from one reused buffer, honouring
 * backpressure; stops as soon as the reader hangs up, so only what the cap lets through is sent.
 */
function streamed(total: number, opts: { declareLength?: boolean; prefix?: string; type?: string } = {}): Serve {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': opts.type ?? JSON_TYPE, ...(opts.declareLength ? { 'content-length': String(total) } : {}) });
    let sent = 0;
    let closed = false;
    res.on('close', () => {
      closed = true;
    });
    if (opts.prefix) {
      res.write(opts.prefix);
      sent += Buffer.byteLength(opts.prefix);
    }
    const pump = () => {
      while (!closed && sent < total) {
        const n = Math.min(CHUNK.length, total - sent);
        sent += n;
        if (!res.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) {
          res.once('drain', pump);
          return;
        }
      }
      if (!closed) res.end();
    };
    pump();
  };
}

/** Headers and a few bytes, then nothing: the reader's one deadline must end it. */
function stall(head: string, type = JSON_TYPE): Serve {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': type });
    res.write(head);
  };
}

/** One byte every `everyMs`, at most `max` bytes (never enough to finish before the deadline). */
function drip(text: string, everyMs: number): Serve {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': JSON_TYPE });
    let i = 0;
    const timer = setInterval(() => {
      if (i >= text.length || res.destroyed) return clearInterval(timer);
      res.write(text[i++]!);
    }, everyMs);
    res.on('close', () => clearInterval(timer));
  };
}

/** Raw bytes on the socket, bypassing node's response writer (half a status line, lying lengths). */
function raw(bytes: string): Serve {
  return (req) => {
    req.socket.write(bytes);
  };
}

let gzipBomb: Promise<Buffer> | undefined;
/** 50 MB of zeros, gzipped once (≈50 KB), built chunk by chunk. */
function gzipped50MB(): Promise<Buffer> {
  gzipBomb ??= new Promise<Buffer>((resolve, reject) => {
    const gz = createGzip({ level: 9 });
    const out: Buffer[] = [];
    gz.on('data', (b: Buffer) => out.push(b));
    gz.on('end', () => resolve(Buffer.concat(out)));
    gz.on('error', reject);
    const zeros = Buffer.alloc(MB);
    for (let i = 0; i < 50; i++) gz.write(zeros);
    gz.end();
  });
  return gzipBomb;
}

function gzipBombServe(): Serve {
  return (_req, res) => {
    void gzipped50MB().then((gz) => {
      res.writeHead(200, { 'content-type': JSON_TYPE, 'content-encoding': 'gzip', 'content-length': String(gz.length) });
      res.end(gz);
    });
  };
}

// ── the kinds under test: a valid payload each, and the components reading it ───────────────────

export type BadKind =
  | 'statuspage'
  | 'statuspage-incidents'
  | 'gcp-incidents'
  | 'azure-service-health'
  | 'aws-currentevents'
  | 'slack-status'
  | 'statusio'
  | 'firehydrant'
  | 'nws-alerts'
  | 'rss'
  | 'atom'
  | 'cap'
  | 'aws-rss'
  | 'azure-status-rss'
  | 'statuspage-history';

export interface KindSpec {
  components: ComponentSpec[];
  /** Extra source fields the kind needs. */
  extra?: Record<string, unknown>;
  /** A valid payload (everything operational) the generators cut and wrap. */
  valid: string;
  /** What the parser calls the document in its errors ("summary.json", "the RSS feed"…). */
  doc: string;
  format: 'json' | 'xml';
}

const AT = '2026-09-28T20:00:00Z';
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Valid Statuspage summary.json; `routing` is the status of the row the config matches by name. */
const summary = (routing = 'operational', extraRows: object[] = []) =>
  JSON.stringify(
    {
      page: { id: 'p1', name: 'Meridian NG911', url: 'https://status.meridian.example', time_zone: 'America/Chicago', updated_at: AT },
      status: { indicator: 'none', description: 'All Systems Operational' },
      components: [
        { id: 'c1', name: 'Routing', status: routing, created_at: AT, updated_at: AT, position: 1, description: 'Call routing (Zürich POP)', group: false, group_id: null },
        { id: 'c2', name: 'ALI', status: 'operational', created_at: AT, updated_at: AT, position: 2, description: null, group: false, group_id: null },
        ...extraRows,
      ],
      incidents: [],
      scheduled_maintenances: [],
    },
    null,
    2,
  );

const CAP = (description = 'Heavy snow and strong winds.') => `<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>NWS-IDP-PROD-1</identifier>
  <sender>w-nws.webmaster@noaa.gov</sender>
  <sent>2026-09-28T15:00:00-05:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <category>Met</category>
    <event>Blizzard Warning</event>
    <urgency>Expected</urgency>
    <severity>Severe</severity>
    <certainty>Likely</certainty>
    <eventCode><valueName>SAME</valueName><value>BZW</value></eventCode>
    <expires>2026-09-30T15:00:00-05:00</expires>
    <headline>Blizzard Warning issued for Hennepin County</headline>
    <description>${description}</description>
    <area><areaDesc>Hennepin, MN</areaDesc><geocode><valueName>SAME</valueName><value>027053</value></geocode></area>
  </info>
</alert>`;

const RSS = (text = 'The library opens later on Saturdays.') => `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
  <channel>
    <title>Hennepin County news</title>
    <link>https://hennepin.example/news</link>
    <description>County news</description>
    <item>
      <title>Library hours change</title>
      <description>${text}</description>
      <pubDate>Mon, 28 Sep 2026 20:00:00 GMT</pubDate>
      <guid>news-1</guid>
    </item>
  </channel>
</rss>`;

const ATOM = (text = 'Main Street is closed for repairs.') => `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>County road news</title>
  <id>urn:county:roads</id>
  <updated>2026-09-28T20:00:00Z</updated>
  <entry>
    <title>Road closure on Main Street</title>
    <id>urn:county:roads:1</id>
    <updated>2026-09-28T20:00:00Z</updated>
    <summary>${text}</summary>
  </entry>
</feed>`;

const AWS_RSS = (text = 'The issue has been resolved.') => `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
  <channel>
    <title>Amazon Elastic Compute Cloud (N. Virginia) Service Status</title>
    <link>http://status.aws.amazon.com/</link>
    <item>
      <title>Service is operating normally: [RESOLVED] Increased API error rates</title>
      <link>http://status.aws.amazon.com/</link>
      <pubDate>Mon, 28 Sep 2026 13:00:00 PDT</pubDate>
      <guid isPermaLink="false">http://status.aws.amazon.com/#ec2-us-east-1_1790000000</guid>
      <description>${text}</description>
    </item>
  </channel>
</rss>`;

const AZURE_RSS = (text = 'Mitigated: customers may have seen errors.') => `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
  <channel>
    <title>Azure Status</title>
    <link>https://azure.status.microsoft/en-us/status/</link>
    <description>Azure Status</description>
    <item>
      <title>Virtual Machines - West Europe - Mitigated</title>
      <category>Virtual Machines</category>
      <category>West Europe</category>
      <description>${text}</description>
      <pubDate>Mon, 28 Sep 2026 20:00:00 Z</pubDate>
      <guid isPermaLink="false">az-1</guid>
    </item>
  </channel>
</rss>`;

const HISTORY = (text = 'This incident has been resolved.') => `<?xml version="1.0" encoding="UTF-8"?>
<feed xml:lang="en-US" xmlns="http://www.w3.org/2005/Atom">
  <id>tag:status.vendor.example,2005:/history</id>
  <title>Vendor Status - Incident History</title>
  <updated>2026-09-28T21:00:00Z</updated>
  <entry>
    <id>tag:status.vendor.example,2005:Incident/1</id>
    <published>2026-09-28T20:00:00Z</published>
    <updated>2026-09-28T21:00:00Z</updated>
    <title>Incident with Actions</title>
    <content type="html">&lt;p&gt;&lt;strong&gt;Resolved&lt;/strong&gt; - ${text}&lt;/p&gt;</content>
  </entry>
</feed>`;

export const KINDS: Record<BadKind, KindSpec> = {
  statuspage: {
    components: [
      { id: 'sp-routing', match: { name: 'Routing' } },
      { id: 'sp-ali', match: { id: 'c2' } },
    ],
    valid: summary(),
    doc: 'summary.json',
    format: 'json',
  },
  'statuspage-incidents': {
    components: [
      { id: 'spi-routing', match: { name: 'Routing' } },
      { id: 'spi-page', match: { page: true } },
    ],
    valid: JSON.stringify(
      {
        page: { id: 'p1', url: 'https://status.meridian.example' },
        incidents: [{ id: 'inc1', name: 'Routing delays', status: 'resolved', impact: 'major', created_at: AT, updated_at: AT, components: [{ id: 'c1', name: 'Routing' }] }],
        scheduled_maintenances: [],
      },
      null,
      1,
    ),
    doc: 'the incidents body',
    format: 'json',
  },
  'gcp-incidents': {
    components: [{ id: 'gcp-run', match: { product: 'Cloud Run' } }],
    valid: JSON.stringify([
      {
        id: 'g1',
        begin: '2026-09-28T20:00:00+00:00',
        end: '2026-09-28T21:00:00+00:00',
        external_desc: 'Cloud Run deployments failing',
        status_impact: 'SERVICE_OUTAGE',
        severity: 'high',
        affected_products: [{ title: 'Cloud Run', id: 'run' }],
        most_recent_update: { status: 'AVAILABLE', when: '2026-09-28T21:00:00+00:00' },
      },
    ]),
    doc: 'incidents.json',
    format: 'json',
  },
  'azure-service-health': {
    components: [{ id: 'az-app', match: { service: 'App Service', region: 'East US' } }],
    extra: { unlisted: 'operational' },
    valid: JSON.stringify({
      value: [
        {
          id: '/subscriptions/0000/providers/Microsoft.ResourceHealth/events/TRK-1',
          name: 'TRK-1',
          properties: { eventType: 'ServiceIssue', status: 'Resolved', level: 'Warning', title: 'App Service errors', impact: [{ impactedService: 'App Service', impactedRegions: [{ impactedRegion: 'East US', status: 'Resolved' }] }] },
        },
      ],
    }),
    doc: 'the events body',
    format: 'json',
  },
  'aws-currentevents': {
    components: [{ id: 'aws-ec2', match: { service: 'ec2', region: 'us-east-1' } }],
    valid: JSON.stringify([
      { arn: 'arn:aws:health:us-east-1::event/EC2/1', date: '1790000000', status: '0', service: 'ec2-us-east-1', service_name: 'Amazon EC2', summary: '[RESOLVED] Increased API error rates', event_log: [{ summary: 'resolved', status: 0, timestamp: 1790000000 }] },
    ]),
    doc: 'currentevents',
    format: 'json',
  },
  'slack-status': {
    components: [
      { id: 'slack-msg', match: { service: 'Messaging' } },
      { id: 'slack-page', match: { page: true } },
    ],
    valid: JSON.stringify({ status: 'ok', date_created: AT, date_updated: AT, active_incidents: [] }),
    doc: 'the Slack status body',
    format: 'json',
  },
  statusio: {
    components: [
      { id: 'sio-web', match: { id: 's1' } },
      { id: 'sio-page', match: { page: true } },
    ],
    valid: JSON.stringify({
      result: {
        status_overall: { status: 'Operational', status_code: 100, updated: AT },
        status: [{ id: 's1', name: 'Website', status: 'Operational', status_code: 100, updated: AT, containers: [{ id: 'k1', name: 'US East', status: 'Operational', status_code: 100 }] }],
      },
    }),
    doc: 'the status body',
    format: 'json',
  },
  firehydrant: {
    components: [
      { id: 'fh-api', match: { id: 'f1' } },
      { id: 'fh-page', match: { page: true } },
    ],
    valid: JSON.stringify({ conditions: { OPERATIONAL: 'Operational' }, components: [{ id: 'f1', name: 'API' }], incidents: [] }),
    doc: 'payload.json',
    format: 'json',
  },
  'nws-alerts': {
    components: [{ id: 'nws-hennepin', match: { fips: ['27053'] } }],
    valid: JSON.stringify({ '@context': ['https://geojson.org/geojson-ld/geojson-context.jsonld'], type: 'FeatureCollection', features: [], title: 'Current watches, warnings, and advisories', updated: AT }),
    doc: 'NWS alerts',
    format: 'json',
  },
  rss: { components: [{ id: 'rss-county' }], valid: RSS(), doc: 'feed', format: 'xml' },
  atom: { components: [{ id: 'atom-county' }], valid: ATOM(), doc: 'feed', format: 'xml' },
  cap: { components: [{ id: 'cap-hennepin', match: { fips: ['27053'] } }], valid: CAP(), doc: 'CAP document', format: 'xml' },
  'aws-rss': { components: [{ id: 'awsrss-ec2', match: { service: 'ec2', region: 'us-east-1' } }], valid: AWS_RSS(), doc: 'the RSS feed', format: 'xml' },
  'azure-status-rss': { components: [{ id: 'azrss-fd', match: { service: 'Azure Front Door' } }], valid: AZURE_RSS(), doc: 'the RSS feed', format: 'xml' },
  'statuspage-history': { components: [{ id: 'sph-actions', match: { keywords: ['Actions'] } }], valid: HISTORY(), doc: 'feed', format: 'xml' },
};

export const JSON_KINDS = (Object.keys(KINDS) as BadKind[]).filter((k) => KINDS[k].format === 'json');
export const XML_KINDS = (Object.keys(KINDS) as BadKind[]).filter((k) => KINDS[k].format === 'xml');

/** A valid document of an XML kind with `text` inside a text node the reader looks at (for entity references). */
const XML_WITH: Partial<Record<BadKind, (text: string) => string>> = {
  rss: RSS,
  atom: ATOM,
  cap: CAP,
  'aws-rss': AWS_RSS,
  'azure-status-rss': AZURE_RSS,
  'statuspage-history': HISTORY,
};

/** The valid document with a DOCTYPE (internal subset `subset`) inserted after the XML declaration. */
function withDoctype(kind: BadKind, subset: string, text: string, root?: string): string {
  const doc = XML_WITH[kind]!(text);
  const rootName = root ?? /<([A-Za-z][\w:.-]*)[\s>]/.exec(doc.replace(/^<\?xml[^>]*\?>/, ''))?.[1] ?? 'x';
  return doc.replace(/^(<\?xml[^>]*\?>)?/, (decl) => `${decl}\n<!DOCTYPE ${rootName} ${subset}>`);
}

const notJson = (kind: BadKind) => new RegExp(`${esc(KINDS[kind].doc)} is not (JSON|valid utf-8 text)`);
const notXml = (kind: BadKind) => new RegExp(`${esc(KINDS[kind].doc)} (is not well-formed XML|is empty, not XML|is not valid utf-8 text)`);
const unreadable = (kind: BadKind) => (KINDS[kind].format === 'json' ? notJson(kind) : notXml(kind));
const failed = (message: RegExp, code: ErrorCode = 'SOURCE.BAD_PAYLOAD'): Expectation => ({ read: 'failed', code, message });
/** Every default component of the kind reads `status`. */
const allRead = (kind: BadKind, status: Status): Expectation => ({ read: 'changed', statuses: Object.fromEntries(KINDS[kind].components.map((c) => [c.id, status])) });

// ── 1. truncated JSON (and XML): a valid payload cut at many offsets ──────────────────────────────

/** `count` offsets spread over [0, length): 0 (empty body) and the last byte included. */
function offsets(length: number, count: number): number[] {
  const out = new Set<number>([0, length - 1]);
  for (let i = 1; out.size < count && i < count * 4; i++) out.add(Math.floor((i * length) / count));
  return [...out].filter((o) => o >= 0 && o < length).sort((a, b) => a - b);
}

function truncations(kind: BadKind, count: number, bytes = Buffer.from(KINDS[kind].valid, 'utf8'), label = `${kind} ${KINDS[kind].doc}`): PollCase[] {
  // Cut before the trailing whitespace: dropping only a final newline leaves the document whole.
  const end = Buffer.from(bytes.toString('latin1').trimEnd(), 'latin1').length;
  return offsets(end, count).map((at) => ({
    category: KINDS[kind].format === 'json' ? 'truncated JSON' : 'truncated XML',
    name: `${label} truncated at byte ${at} of ${bytes.length}`,
    kind,
    serve: body(bytes.subarray(0, at), { type: KINDS[kind].format === 'json' ? JSON_TYPE : XML_TYPE }),
    expect: failed(unreadable(kind)),
  }));
}

/** Real captured summary.json payloads (../shared/fixtures beside the checkout), cut at a dozen offsets each; none when the folder is absent. */
export const FIXTURE_DIR = path.resolve(__dirname, '../../../shared/fixtures/statuspage');
export const HAVE_FIXTURES = existsSync(FIXTURE_DIR);
function fixtureTruncations(): PollCase[] {
  if (!HAVE_FIXTURES) return [];
  const files = readdirSync(FIXTURE_DIR).filter((f) => /^github-components-all-operational\.json$|^linode-components-groups/.test(f));
  return files.flatMap((file) => truncations('statuspage', 6, readFileSync(path.join(FIXTURE_DIR, file)), `fixture statuspage/${file}`));
}

// ── 2. invalid JSON, HTML error pages, the wrong document ───────────────────────────────────────

/**
 * `n` of `items` for the `index`-th kind, rotating, so each variant still meets several kinds
 * while the corpus stays fast (the first kind of each family gets every variant).
 */
function rotate<T>(items: readonly T[], index: number, n: number): T[] {
  if (index === 0 || n >= items.length) return [...items];
  return Array.from({ length: n }, (_, i) => items[(index * n + i) % items.length]!);
}

const JSON_GARBAGE: Array<[string, string]> = [
  ['empty body', ''],
  ['whitespace only', ' \r\n\t '],
  ['a lone "{"', '{'],
  ['a trailing comma', '{"page":{"id":"p"},}'],
  ['single-quoted keys', "{'page': {'id': 'p'}}"],
  ['NaN', 'NaN'],
  ['two documents back to back', '{"a":1}{"b":2}'],
  ['an XML error document', '<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>'],
];

/** The valid payload, wrapped the way broken proxies and CDNs serve it. */
const JSON_WRAPPERS: Array<[string, (valid: string) => string]> = [
  ['JSONP-wrapped', (v) => `callback(${v});`],
  ['behind an XSSI prefix', (v) => `)]}'\n${v}`],
  ['with trailing garbage', (v) => `${v}\n<!-- served by cache-7 -->`],
];

const HTML_503 = `<!DOCTYPE html>
<html><head><title>503 Service Temporarily Unavailable</title></head>
<body><center><h1>503 Service Temporarily Unavailable</h1></center><hr><center>nginx</center>
<p>911 routing status: major outage</p></body></html>`;
const HTML_LOGIN = `<html><head><meta http-equiv="refresh" content="0;url=/login"></head><body>Please sign in<br>
<form action="/login" method="post"><input name="user"><input type="password" name="pass"></form></body></html>`;
const XHTML = `<?xml version="1.0" encoding="UTF-8"?>
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Maintenance</title></head><body><h1>Down for maintenance</h1><p>911 is down</p></body></html>`;
const CLOUDFLARE = `<!DOCTYPE html><!--[if lt IE 7]> <html class="no-js ie6 oldie" lang="en-US"> <![endif]--><html><head><title>Just a moment...</title></head>
<body><div id="cf-wrapper"><h1>Checking your browser before accessing status.vendor.example.</h1></div></body></html>`;

function htmlPages(kind: BadKind, index: number): PollCase[] {
  const spec = KINDS[kind];
  const pages: Array<[string, string, string]> = [
    ['an nginx 503 page', HTML_503, 'text/html'],
    ['a login redirect page', HTML_LOGIN, spec.format === 'json' ? 'application/json' : 'application/rss+xml'],
    ['a CDN browser check', CLOUDFLARE, 'text/html; charset=UTF-8'],
  ];
  if (spec.format === 'xml') pages.push(['a well-formed XHTML maintenance page', XHTML, 'application/xml']);
  return rotate(pages, index, 2).map(([what, html, type]) => ({
    category: 'HTML error page (200)',
    name: `${kind} served ${what} with 200 (${type.split(';')[0]})`,
    kind,
    serve: body(html, { type }),
    expect: failed(spec.format === 'json' ? notJson(kind) : /is not well-formed XML|is not RSS or Atom \(root element <html>\)|has no <rss><channel> \(root element: <html>\)|not a CAP alert or Atom index of CAP entries \(root element <html>\)/),
  }));
}

function invalidJson(kind: BadKind, index: number): PollCase[] {
  return [
    ...rotate(JSON_GARBAGE, index, 3).map(([what, text]): PollCase => ({ category: 'invalid JSON', name: `${kind} ${what}`, kind, serve: body(text), expect: failed(notJson(kind)) })),
    ...rotate(JSON_WRAPPERS, index, 1).map(([what, wrap]): PollCase => ({ category: 'invalid JSON', name: `${kind} ${KINDS[kind].doc} ${what}`, kind, serve: body(wrap(KINDS[kind].valid)), expect: failed(notJson(kind)) })),
  ];
}

// ── 3. wrong schemas, per kind: the error names the field ───────────────────────────────────────

const SCHEMA = (kind: BadKind, name: string, at: string) =>
  new RegExp(`${esc(KINDS[kind].doc)} does not match the ${esc(name)} schema at ${esc(at)}`);

/** [what, body, expectation] per kind. */
function wrongSchemas(): PollCase[] {
  const sp = (what: string, value: unknown, at: string): PollCase => ({
    category: 'wrong schema',
    name: `statuspage ${what}`,
    kind: 'statuspage',
    serve: body(JSON.stringify(value)),
    expect: failed(new RegExp(`summary\\.json does not match the Statuspage schema at ${esc(at)}`)),
  });
  const valid = JSON.parse(KINDS.statuspage.valid) as { components: Array<Record<string, unknown>> } & Record<string, unknown>;
  const row = (patch: Record<string, unknown>) => ({ ...valid, components: [{ ...valid.components[0], ...patch }, valid.components[1]] });
  const { components: _c, ...noComponents } = valid;
  const rows: PollCase[] = [
    sp('null', null, '(root)'),
    sp('a number', 42, '(root)'),
    sp('an array instead of the summary object', [valid], '(root)'),
    sp('an empty object', {}, 'page'),
    sp('without components', noComponents, 'components'),
    sp('components as an object keyed by id', { ...valid, components: { c1: valid.components[0] } }, 'components'),
    sp('a number where a status string goes', row({ status: 4 }), 'components.0.status'),
    sp('a boolean where a status string goes', row({ status: true }), 'components.0.status'),
    sp('a number where a component id goes', row({ id: 17 }), 'components.0.id'),
    sp('a null component name', row({ name: null }), 'components.0.name'),
    sp('a status nested one level deeper', row({ status: { value: 'major_outage' } }), 'components.0.status'),
    sp('the whole summary nested under "data"', { data: valid }, 'page'),
    sp('incidents as a string', { ...valid, incidents: 'none' }, 'incidents'),
    sp('a null component row', { ...valid, components: [null] }, 'components.0'),
    sp('page.id as a number', { ...valid, page: { id: 1 } }, 'page.id'),
    sp('a prototype-polluting "__proto__" instead of components', JSON.parse(`{"page":{"id":"p"},"__proto__":{"components":[]}}`), 'components'),
    // enum values outside the Statuspage scale: read as unknown (blind), never as an outage
    ...['on_fire', 'MAJOR_OUTAGE', ' major_outage', 'down', '', 'null', 'toString', '__proto__'].map(
      (status): PollCase => ({
        category: 'wrong schema',
        name: `statuspage status ${JSON.stringify(status)} is not in the enum`,
        kind: 'statuspage',
        serve: body(summary(status)),
        expect: {
          read: 'changed',
          statuses: { 'sp-routing': 'unknown', 'sp-ali': 'operational' },
          errors: { 'sp-routing': new RegExp(`unrecognised status "${esc(status)}" on upstream component "Routing" in summary\\.json of source "bad-statuspage"`) },
        },
      }),
    ),
  ];

  const json = (kind: BadKind, what: string, value: unknown, message: RegExp): PollCase => ({ category: 'wrong schema', name: `${kind} ${what}`, kind, serve: body(JSON.stringify(value)), expect: failed(message) });
  const unknownRead = (kind: BadKind, what: string, value: unknown, statuses: Record<string, Status>, errors: Record<string, RegExp>): PollCase => ({
    category: 'wrong schema',
    name: `${kind} ${what}`,
    kind,
    serve: body(JSON.stringify(value)),
    expect: { read: 'changed', statuses, errors },
  });
  const openIncident = (impact: unknown) => ({ id: 'inc9', name: 'Routing trouble', status: 'investigating', impact, created_at: AT, components: [{ id: 'c1', name: 'Routing' }] });

  rows.push(
    json('statuspage-incidents', 'an empty object', {}, /the incidents body has neither incidents\[\] nor scheduled_maintenances\[\]/),
    json('statuspage-incidents', 'null lists', { incidents: null, scheduled_maintenances: null }, /has neither incidents\[\] nor scheduled_maintenances\[\]/),
    json('statuspage-incidents', 'incidents as an object', { incidents: { inc1: openIncident('major') } }, SCHEMA('statuspage-incidents', 'Statuspage incidents', 'incidents')),
    json('statuspage-incidents', 'an incident without an id', { incidents: [{ name: 'x', status: 'investigating' }] }, SCHEMA('statuspage-incidents', 'Statuspage incidents', 'incidents.0.id')),
    json('statuspage-incidents', 'a number where impact goes', { incidents: [openIncident(3)] }, SCHEMA('statuspage-incidents', 'Statuspage incidents', 'incidents.0.impact')),
    json('statuspage-incidents', 'a bare array of numbers', [1, 2], SCHEMA('statuspage-incidents', 'Statuspage incidents', '0')),
    json('statuspage-incidents', 'null', null, SCHEMA('statuspage-incidents', 'Statuspage incidents', '(root)')),
    unknownRead('statuspage-incidents', 'an open incident with impact "catastrophic"', { incidents: [openIncident('catastrophic')] }, { 'spi-routing': 'unknown', 'spi-page': 'unknown' }, {
      'spi-routing': /unrecognised impact "catastrophic" on open incident "Routing trouble" \(inc9\) in the incidents of source "bad-statuspage-incidents"/,
      'spi-page': /unrecognised impact "catastrophic".*source "bad-statuspage-incidents"/,
    }),

    json('gcp-incidents', 'an object instead of the incidents array', { incidents: [] }, SCHEMA('gcp-incidents', 'Google Cloud incidents', '(root)')),
    json('gcp-incidents', 'null', null, SCHEMA('gcp-incidents', 'Google Cloud incidents', '(root)')),
    json('gcp-incidents', 'an incident without an id', [{ begin: AT }], SCHEMA('gcp-incidents', 'Google Cloud incidents', '0.id')),
    json('gcp-incidents', 'a number where the id goes', [{ id: 7 }], SCHEMA('gcp-incidents', 'Google Cloud incidents', '0.id')),
    json('gcp-incidents', 'affected_products as an object', [{ id: 'g2', affected_products: { title: 'Cloud Run' } }], SCHEMA('gcp-incidents', 'Google Cloud incidents', '0.affected_products')),
    json('gcp-incidents', 'a nested array of incidents', [[JSON.parse(KINDS['gcp-incidents'].valid)[0]]], SCHEMA('gcp-incidents', 'Google Cloud incidents', '0')),
    unknownRead('gcp-incidents', 'an open incident with status_impact "SERVICE_MELTDOWN"', [{ id: 'g3', begin: AT, status_impact: 'SERVICE_MELTDOWN', affected_products: [{ title: 'Cloud Run', id: 'run' }] }], { 'gcp-run': 'unknown' }, {
      'gcp-run': /unrecognised status_impact "SERVICE_MELTDOWN" and severity "\(none\)" in incidents\.json of source "bad-gcp-incidents"/,
    }),

    json('azure-service-health', 'an empty object', {}, /event \(root\) is not an Azure Service Health event/),
    json('azure-service-health', 'null', null, /the events body does not match the Azure Service Health events schema/),
    json('azure-service-health', 'an ARM error body', { error: { code: 'InvalidAuthenticationToken', message: 'The access token is invalid.' } }, /the events body is an ARM error: InvalidAuthenticationToken: The access token is invalid\./),
    json('azure-service-health', 'properties as a string', { value: [{ id: 'x', properties: 'ServiceIssue' }] }, /event value\.0 does not match the Azure Service Health event schema at properties/),
    json('azure-service-health', 'a number where eventType goes', { value: [{ id: 'x', eventType: 5 }] }, /event value\.0 does not match the Azure Service Health event schema at eventType/),
    json('azure-service-health', 'value as an object', { value: {} }, /is not an Azure Service Health event/),
    unknownRead('azure-service-health', 'an active event with eventType "Outage"', { value: [{ name: 'TRK-9', properties: { eventType: 'Outage', status: 'Active', impact: [{ impactedService: 'App Service', impactedRegions: [{ impactedRegion: 'East US' }] }] } }] }, { 'az-app': 'unknown' }, {
      'az-app': /unrecognised eventType "Outage" in the Service Health events of source "bad-azure-service-health"/,
    }),

    json('aws-currentevents', 'an object instead of the events array', { events: [] }, SCHEMA('aws-currentevents', 'AWS currentevents', '(root)')),
    json('aws-currentevents', 'an event with only an arn', [{ arn: 'a' }], SCHEMA('aws-currentevents', 'AWS currentevents', '0.status')),
    json('aws-currentevents', 'an object where the status code goes', [{ arn: 'a', status: {}, service: 'ec2-us-east-1' }], SCHEMA('aws-currentevents', 'AWS currentevents', '0.status')),
    json('aws-currentevents', 'a null event', [null], SCHEMA('aws-currentevents', 'AWS currentevents', '0')),
    unknownRead('aws-currentevents', 'status code "7"', [{ arn: 'a', status: '7', service: 'ec2-us-east-1', date: '1790000000' }], { 'aws-ec2': 'unknown' }, {
      'aws-ec2': /unrecognised status "7" at \[0\]\.status in currentevents of source "bad-aws-currentevents"/,
    }),

    json('slack-status', 'an empty object', {}, SCHEMA('slack-status', 'Slack status API v2 current', 'status')),
    json('slack-status', 'without active_incidents', { status: 'ok' }, SCHEMA('slack-status', 'Slack status API v2 current', 'active_incidents')),
    json('slack-status', 'a number where status goes', { status: 1, active_incidents: [] }, SCHEMA('slack-status', 'Slack status API v2 current', 'status')),
    json('slack-status', 'active_incidents as an object', { status: 'ok', active_incidents: {} }, SCHEMA('slack-status', 'Slack status API v2 current', 'active_incidents')),
    unknownRead('slack-status', 'an active incident of type "apocalypse"', { status: 'active', active_incidents: [{ id: 9, title: 'Trouble', type: 'apocalypse', status: 'active', services: ['Messaging'] }] }, { 'slack-msg': 'unknown', 'slack-page': 'unknown' }, {
      'slack-msg': /component "slack-msg" \(service "Messaging"\): incident 9: unrecognised type "apocalypse" in the Slack status of source "bad-slack-status"/,
      'slack-page': /unrecognised type "apocalypse".*source "bad-slack-status"/,
    }),
    unknownRead('slack-status', 'page status "broken" with no incident', { status: 'broken', active_incidents: [] }, { 'slack-msg': 'operational', 'slack-page': 'unknown' }, {
      'slack-page': /unrecognised page status "broken" with no active incident in the Slack status of source "bad-slack-status"/,
    }),

    json('statusio', 'an empty object', {}, SCHEMA('statusio', 'Status.io', 'result')),
    json('statusio', 'an empty result', { result: {} }, SCHEMA('statusio', 'Status.io', 'result.status_overall')),
    json('statusio', 'a boolean status_code', { result: { status_overall: { status_code: 100 }, status: [{ id: 's1', name: 'Website', status_code: true }] } }, SCHEMA('statusio', 'Status.io', 'result.status.0.status_code')),
    json('statusio', 'status as an object', { result: { status_overall: { status_code: 100 }, status: {} } }, SCHEMA('statusio', 'Status.io', 'result.status')),
    unknownRead('statusio', 'status_code 999', { result: { status_overall: { status_code: 100 }, status: [{ id: 's1', name: 'Website', status_code: 999 }] } }, { 'sio-web': 'unknown', 'sio-page': 'operational' }, {
      'sio-web': /unrecognised status_code "999" at result\.status\.0\.status_code in the Status\.io body of source "bad-statusio"/,
    }),

    json('firehydrant', 'an empty object', {}, SCHEMA('firehydrant', 'FireHydrant status page', 'components')),
    json('firehydrant', 'null components', { components: null }, SCHEMA('firehydrant', 'FireHydrant status page', 'components')),
    json('firehydrant', 'a component without a name', { components: [{ id: 'f1' }] }, SCHEMA('firehydrant', 'FireHydrant status page', 'components.0.name')),
    json('firehydrant', 'incidents as an object', { components: [{ id: 'f1', name: 'API' }], incidents: {} }, SCHEMA('firehydrant', 'FireHydrant status page', 'incidents')),
    unknownRead('firehydrant', 'an open incident with condition "ON_FIRE"', { components: [{ id: 'f1', name: 'API' }], incidents: [{ id: 'i9', title: 'API trouble', components: [{ id: 'f1', name: 'API', condition: 'ON_FIRE' }] }] }, { 'fh-api': 'unknown', 'fh-page': 'unknown' }, {
      'fh-api': /incident i9: unrecognised condition "ON_FIRE" in payload\.json of source "bad-firehydrant"/,
      'fh-page': /unrecognised condition "ON_FIRE" in payload\.json of source "bad-firehydrant"/,
    }),

    json('nws-alerts', 'an empty object', {}, /NWS alerts has no features\[\] \(GeoJSON\), @graph\[\] \(JSON-LD\) or properties \(one alert\)/),
    json('nws-alerts', 'null', null, /NWS alerts has no features\[\]/),
    json('nws-alerts', 'the /alerts/active/count document', { total: 3, land: 3, marine: 0, regions: {}, areas: { MN: 3 } }, /this is \/alerts\/active\/count/),
    json('nws-alerts', 'features as an object', { type: 'FeatureCollection', features: {} }, /NWS alerts does not match the api\.weather\.gov alert schema at features/),
    json('nws-alerts', 'a number where the alert id goes', { type: 'FeatureCollection', features: [{ properties: { id: 5 } }] }, /NWS alerts does not match the api\.weather\.gov alert schema at features\.0\.properties\.id/),
    json('nws-alerts', 'a null feature', { type: 'FeatureCollection', features: [null] }, /NWS alerts does not match the api\.weather\.gov alert schema at features\.0/),
    json('nws-alerts', '@graph as a string', { '@graph': 'none' }, /NWS alerts does not match the api\.weather\.gov alert schema at @graph/),
  );
  return rows;
}

// ── 4. malformed XML and the wrong documents for the feed kinds ─────────────────────────────────

function malformedXml(kind: BadKind, index: number): PollCase[] {
  const doc = KINDS[kind].doc;
  const cases: Array<[string, string, RegExp]> = [
    ['an empty body', '', new RegExp(`${esc(doc)} is empty, not XML`)],
    ['plain text', '911 service restored', new RegExp(`${esc(doc)} is not well-formed XML`)],
    ['a JSON body', '{"items":[]}', new RegExp(`${esc(doc)} is not well-formed XML \\(line 1: .*starts with "\\{"items":\\[\\]\\}"\\)`)],
    ['mismatched tags', XML_WITH[kind]!('x').replace(/<\/(channel|feed|alert)>/, '</oops>'), new RegExp(`${esc(doc)} is not well-formed XML`)],
    ['an unclosed CDATA section', XML_WITH[kind]!('<![CDATA[911 is down'), new RegExp(`${esc(doc)} is not well-formed XML`)],
    ['an undeclared encoding "x-klingon"', XML_WITH[kind]!('x').replace('encoding="UTF-8"', 'encoding="x-klingon"').replace('encoding="utf-8"', 'encoding="x-klingon"'), new RegExp(`${esc(doc)} declares an unsupported character encoding "x-klingon"`)],
  ];
  const wrongRoot: Record<string, [string, string, RegExp]> = {
    rss: ['a CAP alert instead of a feed', CAP(), /feed is not RSS or Atom \(root element <alert>\)/],
    atom: ['an RSS document with no channel', '<rss version="2.0"/>', /RSS feed has no <channel>/],
    cap: ['an RSS feed instead of CAP', RSS(), /not a CAP alert or Atom index of CAP entries \(root element <rss>\)/],
    'aws-rss': ['an Atom feed instead of RSS', ATOM(), /the RSS feed has no <rss><channel> \(root element: <feed>\)/],
    'azure-status-rss': ['an RSS root without a channel', '<rss version="2.0"><item><title>x</title></item></rss>', /the RSS feed has no <rss><channel> \(root element: <rss>\)/],
    'statuspage-history': ['a CAP alert instead of the history feed', CAP(), /feed is not RSS or Atom \(root element <alert>\)/],
  };
  const extra = wrongRoot[kind];
  const picked = [...rotate(cases, index, 3), ...(extra ? [extra] : [])];
  if (kind === 'cap') {
    picked.push(['an alert missing <scope>', CAP().replace('<scope>Public</scope>', ''), /CAP alert NWS-IDP-PROD-1 is missing required <scope>/]);
    picked.push(['an alert with an empty <event>', CAP().replace('<event>Blizzard Warning</event>', '<event></event>'), /CAP alert NWS-IDP-PROD-1: info\[0\]\.event is empty \(required by CAP\)/]);
  }
  return picked.map(([what, text, message]) => ({ category: 'malformed XML', name: `${kind} ${what}`, kind, serve: body(text, { type: XML_TYPE }), expect: failed(message) }));
}

// ── 5. XML entity bombs and external entities ───────────────────────────────────────────────────

const LOL = ['<!ENTITY lol0 "lol">', ...Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i};`.repeat(10)}">`)].join('\n  ');
const QUADRATIC_ENTITY = `<!ENTITY a "${'a'.repeat(40_000)}">`;

function xmlAttacks(kind: BadKind): PollCase[] {
  const xxe = (what: string, subset: string, ref: string): PollCase => ({
    category: 'XML entities',
    name: `${kind} with ${what}: refused, never resolved`,
    kind,
    serve: body((ctx) => withDoctype(kind, subset.replace('CANARY', ctx.canary), ref), { type: XML_TYPE }),
    expect: failed(/could not be read as XML \(External entities are not supported\)|External entities are not supported/),
    forbid: ['root:x:0:0'],
    canary: true,
  });
  return [
    {
      category: 'XML entities',
      name: `${kind} billion-laughs bomb (10^9 "lol"s if expanded): entities stay literal`,
      kind,
      serve: body(withDoctype(kind, `[\n  ${LOL}\n]`, 'Notice &lol9;'), { type: XML_TYPE }),
      expect: allRead(kind, 'operational'),
      forbid: ['lollol'],
    },
    {
      category: 'XML entities',
      name: `${kind} quadratic blowup (a 40 KB entity referenced 2,000 times): not expanded`,
      kind,
      serve: body(withDoctype(kind, `[ ${QUADRATIC_ENTITY} ]`, `Notice ${'&a;'.repeat(2000)}`), { type: XML_TYPE }),
      expect: allRead(kind, 'operational'),
      forbid: ['aaaaaaaaaaaaaaaa'],
    },
    xxe('an external entity on file:///etc/passwd', '[ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]', 'Notice &xxe;'),
    xxe('an external entity on the metadata service', '[ <!ENTITY xxe SYSTEM "http://169.254.169.254/latest/meta-data/iam/security-credentials/"> ]', 'Notice &xxe;'),
    xxe('an external entity on a loopback canary URL', '[ <!ENTITY xxe SYSTEM "CANARY"> ]', 'Notice &xxe;'),
    {
      category: 'XML entities',
      name: `${kind} with a parameter entity fetching a remote DTD: refused, never fetched`,
      kind,
      serve: body((ctx) => withDoctype(kind, `[ <!ENTITY % remote SYSTEM "${ctx.canary}"> %remote; ]`, 'Notice'), { type: XML_TYPE }),
      expect: failed(/could not be read as XML \(Invalid entity name %\)|Invalid entity name %/),
      canary: true,
    },
    {
      category: 'XML entities',
      name: `${kind} with an external DTD on a loopback canary URL: DTD ignored, never fetched`,
      kind,
      serve: body((ctx) => withDoctype(kind, `SYSTEM "${ctx.canary}"`, 'Notice'), { type: XML_TYPE }),
      expect: allRead(kind, 'operational'),
      canary: true,
    },
  ];
}

// ── 6. 50 MB bodies, slow bodies, bad encodings ─────────────────────────────────────────────────

const FIFTY_MB = 50 * MB;
const SLOW_MS = 300;

function bigAndSlow(): PollCase[] {
  const tooLarge = (message: RegExp): Expectation => failed(message, 'SOURCE.TOO_LARGE');
  const timeout: Expectation = failed(new RegExp(`no complete response within ${SLOW_MS} ms`), 'SOURCE.TIMEOUT');
  return [
    { category: 'oversized body', name: 'statuspage 50 MB streamed without Content-Length → cut off at the 1 MiB cap', kind: 'statuspage', source: { maxBytes: MB }, serve: streamed(FIFTY_MB, { prefix: '{"page":{"id":"p"},"components":[' }), expect: tooLarge(/body exceeds the 1048576-byte limit/) },
    { category: 'oversized body', name: 'statuspage 50 MB with Content-Length → refused on the header', kind: 'statuspage', source: { maxBytes: MB }, serve: streamed(FIFTY_MB, { declareLength: true }), expect: tooLarge(/Content-Length 52428800 exceeds the 1048576-byte limit/) },
    { category: 'oversized body', name: 'statuspage 50 MB without Content-Length at the default 2 MiB cap', kind: 'statuspage', serve: streamed(FIFTY_MB), expect: tooLarge(/body exceeds the 2097152-byte limit/) },
    { category: 'oversized body', name: 'gcp-incidents 50 MB streamed at a 4 MiB cap', kind: 'gcp-incidents', source: { maxBytes: 4 * MB }, serve: streamed(FIFTY_MB, { prefix: '[' }), expect: tooLarge(/body exceeds the 4194304-byte limit/) },
    { category: 'oversized body', name: 'rss 50 MB streamed (time-aware reader)', kind: 'rss', source: { maxBytes: MB }, serve: streamed(FIFTY_MB, { prefix: '<rss version="2.0"><channel><title>', type: XML_TYPE }), expect: tooLarge(/body exceeds the 1048576-byte limit/) },
    { category: 'oversized body', name: 'cap 50 MB with Content-Length (time-aware reader)', kind: 'cap', source: { maxBytes: MB }, serve: streamed(FIFTY_MB, { declareLength: true, type: XML_TYPE }), expect: tooLarge(/Content-Length 52428800 exceeds the 1048576-byte limit/) },
    { category: 'oversized body', name: 'nws-alerts 50 MB streamed', kind: 'nws-alerts', source: { maxBytes: MB }, serve: streamed(FIFTY_MB, { prefix: '{"features":[' }), expect: tooLarge(/body exceeds the 1048576-byte limit/) },
    { category: 'oversized body', name: 'statuspage gzip bomb (50 MB of zeros, Content-Encoding: gzip) is never inflated', kind: 'statuspage', source: { maxBytes: MB }, serve: gzipBombServe(), expect: failed(notJson('statuspage')) },
    {
      category: 'oversized body',
      name: 'statuspage Content-Length understating the body (more bytes follow it) → the response is refused',
      kind: 'statuspage',
      serve: raw(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 40\r\nconnection: close\r\n\r\n${summary()}`),
      // node's HTTP parser refuses the bytes beyond the declared length: the whole read fails
      expect: failed(/request failed \(HPE_[A-Z_]+: the upstream sent a malformed HTTP response\)/, 'SOURCE.UNREACHABLE'),
    },

    { category: 'slow body', name: 'statuspage headers and a few bytes, then a stall past the timeout', kind: 'statuspage', source: { timeoutMs: SLOW_MS }, serve: stall('{"page":'), expect: timeout },
    { category: 'slow body', name: 'statuspage connection accepted, no response at all', kind: 'statuspage', source: { timeoutMs: SLOW_MS }, serve: () => undefined, expect: timeout },
    { category: 'slow body', name: 'statuspage half a status line, then nothing', kind: 'statuspage', source: { timeoutMs: SLOW_MS }, serve: raw('HTTP/1.1 200 O'), expect: timeout },
    { category: 'slow body', name: 'statuspage one byte every 40 ms (each byte on time, the whole too late)', kind: 'statuspage', source: { timeoutMs: SLOW_MS }, serve: drip(summary(), 40), expect: timeout },
    { category: 'slow body', name: 'statuspage redirect whose target stalls (one deadline for every hop)', kind: 'statuspage', source: { timeoutMs: SLOW_MS }, serve: redirect((ctx) => `${ctx.base}/stall`), expect: timeout },
    { category: 'slow body', name: 'rss feed stalls mid-document (time-aware reader)', kind: 'rss', source: { timeoutMs: SLOW_MS }, serve: stall('<rss version="2.0"><channel>', XML_TYPE), expect: timeout },
    { category: 'slow body', name: 'cap document stalls mid-document (time-aware reader)', kind: 'cap', source: { timeoutMs: SLOW_MS }, serve: stall('<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">', XML_TYPE), expect: timeout },
    { category: 'slow body', name: 'gcp-incidents stalls after the opening bracket', kind: 'gcp-incidents', source: { timeoutMs: SLOW_MS }, serve: stall('['), expect: timeout },
    {
      category: 'slow body',
      name: 'statuspage connection reset mid-body',
      kind: 'statuspage',
      serve: (req, res) => {
        res.writeHead(200, { 'content-type': JSON_TYPE, 'content-length': '5000' });
        res.write('{"page":{"id":"p"},');
        setTimeout(() => req.socket.destroy(), 20);
      },
      expect: failed(/response failed \((ECONNRESET: connection reset by the upstream|aborted)\)|connection closed before the body was complete/, 'SOURCE.UNREACHABLE'),
    },
  ];
}

/** A valid document of `kind` with raw bytes spliced in where its first `marker` text is. */
function splice(kind: BadKind, marker: string, bytes: number[]): Buffer {
  const text = KINDS[kind].valid;
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`corpus: no "${marker}" in the ${kind} payload`);
  return Buffer.concat([Buffer.from(text.slice(0, at), 'utf8'), Buffer.from(bytes), Buffer.from(text.slice(at), 'utf8')]);
}

function utf16(text: string, order: 'le' | 'be'): Buffer {
  const le = Buffer.from(text, 'utf16le');
  return order === 'le' ? le : Buffer.from(le).swap16();
}

function badEncodings(): PollCase[] {
  const INVALID_UTF8: Array<[string, number[]]> = [
    ['a lone continuation byte (0x80)', [0x80]],
    ['an overlong "/" (C0 AF)', [0xc0, 0xaf]],
    ['a truncated 3-byte sequence (E2 82)', [0xe2, 0x82]],
    ['a UTF-16 surrogate encoded in UTF-8 (ED A0 80)', [0xed, 0xa0, 0x80]],
    ['a code point above U+10FFFF (F4 90 80 80)', [0xf4, 0x90, 0x80, 0x80]],
    ['a 0xFF byte', [0xff]],
    ['Latin-1 "é" (0xE9) in a name', [0xe9]],
  ];
  const rows: PollCase[] = [];
  for (const [what, bytes] of INVALID_UTF8) {
    rows.push({ category: 'bad encoding', name: `statuspage invalid UTF-8: ${what}`, kind: 'statuspage', serve: body(splice('statuspage', 'Routing"', bytes)), expect: failed(/summary\.json is not valid utf-8 text/) });
  }
  for (const kind of ['gcp-incidents', 'slack-status', 'nws-alerts'] as const) {
    rows.push({ category: 'bad encoding', name: `${kind} invalid UTF-8: a lone continuation byte`, kind, serve: body(Buffer.concat([Buffer.from(KINDS[kind].valid.slice(0, 12)), Buffer.from([0x80]), Buffer.from(KINDS[kind].valid.slice(12))])), expect: failed(new RegExp(`${esc(KINDS[kind].doc)} is not valid utf-8 text`)) });
  }
  for (const kind of ['rss', 'cap', 'aws-rss'] as const) {
    rows.push({ category: 'bad encoding', name: `${kind} invalid UTF-8: ${INVALID_UTF8[2]![0]}`, kind, serve: body(Buffer.concat([Buffer.from(KINDS[kind].valid.slice(0, 60)), Buffer.from(INVALID_UTF8[2]![1]), Buffer.from(KINDS[kind].valid.slice(60))]), { type: XML_TYPE }), expect: failed(new RegExp(`${esc(KINDS[kind].doc)} is not valid utf-8 text`)) });
  }
  rows.push(
    { category: 'bad encoding', name: 'statuspage UTF-16LE without a BOM', kind: 'statuspage', serve: body(utf16(KINDS.statuspage.valid, 'le')), expect: failed(notJson('statuspage')) },
    { category: 'bad encoding', name: 'statuspage UTF-16BE without a BOM', kind: 'statuspage', serve: body(utf16(KINDS.statuspage.valid, 'be')), expect: failed(notJson('statuspage')) },
    { category: 'bad encoding', name: 'aws-currentevents UTF-16LE without a BOM', kind: 'aws-currentevents', serve: body(utf16(KINDS['aws-currentevents'].valid, 'le')), expect: failed(notJson('aws-currentevents')) },
    { category: 'bad encoding', name: 'gcp-incidents UTF-16BE without a BOM', kind: 'gcp-incidents', serve: body(utf16(KINDS['gcp-incidents'].valid, 'be')), expect: failed(notJson('gcp-incidents')) },
    { category: 'bad encoding', name: 'statuspage a UTF-16LE BOM in front of UTF-8 bytes', kind: 'statuspage', serve: body(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(KINDS.statuspage.valid)])), expect: failed(notJson('statuspage')) },
    { category: 'bad encoding', name: 'statuspage a UTF-8 BOM and nothing else', kind: 'statuspage', serve: body(Buffer.from([0xef, 0xbb, 0xbf])), expect: failed(notJson('statuspage')) },
    { category: 'bad encoding', name: 'statuspage NUL bytes between tokens', kind: 'statuspage', serve: body(KINDS.statuspage.valid.replace('"components"', '\u0000"components"')), expect: failed(notJson('statuspage')) },
    { category: 'bad encoding', name: 'statuspage a raw NUL inside a string', kind: 'statuspage', serve: body(KINDS.statuspage.valid.replace('"Routing"', '"Rout\u0000ing"')), expect: failed(notJson('statuspage')) },
    { category: 'bad encoding', name: 'statusio a body of NUL bytes', kind: 'statusio', serve: body(Buffer.alloc(4096)), expect: failed(notJson('statusio')) },
    { category: 'bad encoding', name: 'firehydrant UTF-32LE without a BOM', kind: 'firehydrant', serve: body(Buffer.from(KINDS.firehydrant.valid.split('').flatMap((c) => [c.charCodeAt(0), 0, 0, 0]))), expect: failed(notJson('firehydrant')) },
    { category: 'bad encoding', name: 'rss NUL bytes in the markup', kind: 'rss', serve: body(RSS().replace('<channel>', '<chan\u0000nel>'), { type: XML_TYPE }), expect: failed(notXml('rss')) },
    { category: 'bad encoding', name: 'atom random binary served as XML', kind: 'atom', serve: body(Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 131 + 7) % 256)), { type: XML_TYPE }), expect: failed(notXml('atom')) },
  );
  return rows;
}

// ── 7. forbidden addresses: the guard refuses before any connection is opened ─────────────────────

const FORBIDDEN: Array<[url: string, address: string, cls: string]> = [
  ['http://169.254.169.254/latest/meta-data/iam/security-credentials/', '169.254.169.254', 'link-local'],
  ['http://169.254.170.2/v2/credentials', '169.254.170.2', 'link-local'],
  ['http://[fd00:ec2::254]/latest/meta-data/', 'fd00:ec2::254', 'private'],
  ['http://10.0.0.1/status.json', '10.0.0.1', 'private'],
  ['http://10.255.255.254:8080/summary.json', '10.255.255.254', 'private'],
  ['http://172.16.0.1/', '172.16.0.1', 'private'],
  ['http://172.31.255.254/', '172.31.255.254', 'private'],
  ['http://192.168.1.1/', '192.168.1.1', 'private'],
  ['http://100.64.0.1/', '100.64.0.1', 'private'],
  ['http://[fd00::1]:8080/', 'fd00::1', 'private'],
  ['http://[fe80::1]/', 'fe80::1', 'link-local'],
  ['http://[::ffff:169.254.169.254]/latest/meta-data/', '::ffff:a9fe:a9fe', 'link-local'],
  ['http://[::ffff:10.0.0.1]/', '::ffff:a00:1', 'private'],
  ['http://[64:ff9b::a9fe:a9fe]/', '64:ff9b::a9fe:a9fe', 'link-local'],
  ['http://2852039166/latest/meta-data/', '169.254.169.254', 'link-local'],
  ['http://0xA9FEA9FE/latest/meta-data/', '169.254.169.254', 'link-local'],
  ['http://0xa9.0xfe.0xa9.0xfe/', '169.254.169.254', 'link-local'],
  ['http://0251.0376.0251.0376/', '169.254.169.254', 'link-local'],
  ['http://169.254.43518/', '169.254.169.254', 'link-local'],
  ['http://0.0.0.0/', '0.0.0.0', 'unspecified'],
  ['http://0/', '0.0.0.0', 'unspecified'],
  ['http://[::]/', '::', 'unspecified'],
  ['http://224.0.0.1/', '224.0.0.1', 'multicast'],
  ['http://255.255.255.255/', '255.255.255.255', 'reserved'],
];

const refusal = (address: string, cls: string) => new RegExp(`refused to connect to ${esc(address)} \\(${esc(cls)} address; add it to network\\.allow`);

function forbiddenAddresses(): PollCase[] {
  const kinds: BadKind[] = ['statuspage', 'rss', 'gcp-incidents', 'cap'];
  const direct = FORBIDDEN.map(([url, address, cls], i): PollCase => ({
    category: 'forbidden address',
    name: `${kinds[i % kinds.length]} source URL ${url} → refused before connecting`,
    kind: kinds[i % kinds.length]!,
    url: () => url,
    expect: failed(refusal(address, cls), 'SOURCE.FORBIDDEN_ADDRESS'),
  }));
  const aliasDirect: PollCase = {
    category: 'forbidden address',
    name: 'statuspage source URL on the loopback alias 127.0.0.2 (not in network.allow) → refused',
    kind: 'statuspage',
    url: (ctx) => `${ctx.alias}/summary.json`,
    expect: failed(refusal('127.0.0.2', 'loopback'), 'SOURCE.FORBIDDEN_ADDRESS'),
  };
  const v6Loopback: PollCase = {
    category: 'forbidden address',
    name: 'statuspage source URL on [::1] (loopback, not in network.allow) → refused',
    kind: 'statuspage',
    url: (ctx) => ctx.base.replace('127.0.0.1', '[::1]'),
    expect: failed(refusal('::1', 'loopback'), 'SOURCE.FORBIDDEN_ADDRESS'),
  };
  const redirects = FORBIDDEN.filter((_, i) => i % 2 === 0).map(([url, address, cls]): PollCase => ({
    category: 'forbidden address',
    name: `statuspage 302 redirect to ${url} → refused before connecting`,
    kind: 'statuspage',
    serve: redirect(() => url),
    expect: failed(refusal(address, cls), 'SOURCE.FORBIDDEN_ADDRESS'),
  }));
  return [...direct, aliasDirect, v6Loopback, ...redirects];
}

// ── 8. bad redirects: the live alias, loops, other schemes ──────────────────────────────────────

function badRedirects(): PollCase[] {
  const r = (name: string, serve: Serve, expect: Expectation, extra: Partial<PollCase> = {}): PollCase => ({ category: 'bad redirect', name, kind: 'statuspage', serve, expect, ...extra });
  const scheme = (location: string, protocol: string) =>
    r(`statuspage redirect to ${location.slice(0, 40)} → only http(s) is fetched`, redirect(() => location), failed(new RegExp(`only http: and https: URLs are fetched, not ${esc(protocol)}`), 'SOURCE.FORBIDDEN_ADDRESS'));
  return [
    r('statuspage LIVE 301 redirect to the loopback alias 127.0.0.2 (not in network.allow) → refused before connecting', redirect((ctx) => `${ctx.alias}/summary.json`, 301), failed(refusal('127.0.0.2', 'loopback'), 'SOURCE.FORBIDDEN_ADDRESS')),
    r('statuspage LIVE 307 redirect to the loopback alias 127.0.0.2 → refused before connecting', redirect((ctx) => `${ctx.alias}/`, 307), failed(refusal('127.0.0.2', 'loopback'), 'SOURCE.FORBIDDEN_ADDRESS')),
    r('rss LIVE 308 redirect to the loopback alias 127.0.0.2 (time-aware reader) → refused', redirect((ctx) => `${ctx.alias}/feed.xml`, 308), failed(refusal('127.0.0.2', 'loopback'), 'SOURCE.FORBIDDEN_ADDRESS'), { kind: 'rss' }),
    r('statuspage redirect chain ending on the loopback alias → refused at the last hop', redirect((ctx) => `${ctx.base}/hop/alias`), failed(refusal('127.0.0.2', 'loopback'), 'SOURCE.FORBIDDEN_ADDRESS')),
    r('statuspage protocol-relative redirect //169.254.169.254/ → refused', redirect(() => '//169.254.169.254/latest/meta-data/'), failed(refusal('169.254.169.254', 'link-local'), 'SOURCE.FORBIDDEN_ADDRESS')),
    r(
      'statuspage redirect to http://admin:hunter2@10.0.0.1/ → refused, the password never echoed',
      redirect(() => 'http://admin:hunter2@10.0.0.1/status?token=s3cr3t'),
      failed(refusal('10.0.0.1', 'private'), 'SOURCE.FORBIDDEN_ADDRESS'),
      { forbid: ['hunter2', 's3cr3t'] },
    ),
    r('statuspage redirect loop (307 to itself)', redirect((ctx) => `${ctx.base}/loop`, 307), failed(/more than 3 redirects/, 'SOURCE.HTTP_STATUS')),
    r('statuspage four redirects in a row (the limit is 3)', redirect((ctx) => `${ctx.base}/hop/1`), failed(/more than 3 redirects/, 'SOURCE.HTTP_STATUS')),
    r('statuspage redirect without a Location header', (_req, res) => void res.writeHead(302).end(), failed(/HTTP 302 redirect without a Location header/, 'SOURCE.HTTP_STATUS')),
    r('statuspage redirect to an unparsable Location', redirect(() => 'http://[::1'), failed(/HTTP 302 redirect to an invalid Location/, 'SOURCE.HTTP_STATUS')),
    r('statuspage redirect to https on a plain-HTTP port (TLS handshake fails)', redirect((ctx) => ctx.base.replace('http:', 'https:')), failed(/request failed/, 'SOURCE.UNREACHABLE')),
    scheme('file:///etc/passwd', 'file:'),
    scheme('data:application/json,{"page":{"id":"p"},"components":[]}', 'data:'),
    scheme('ftp://127.0.0.1/pub/summary.json', 'ftp:'),
    scheme('gopher://127.0.0.1:6379/_FLUSHALL', 'gopher:'),
    scheme('javascript:alert(1)', 'javascript:'),
    scheme('ws://127.0.0.1/socket', 'ws:'),
  ];
}

// ── 9. HTTP error statuses (with bodies that would read as an outage if parsed) ──────────────────

function errorStatuses(): PollCase[] {
  const outageBody = summary('major_outage');
  const s = (status: number, kind: BadKind = 'statuspage', headers: Record<string, string> = {}): PollCase => ({
    category: 'HTTP error status',
    name: `${kind} HTTP ${status}${headers['retry-after'] ? ' with Retry-After' : ''} carrying an "outage" body`,
    kind,
    serve: body(outageBody, { status, headers }),
    expect: { read: 'failed', code: 'SOURCE.HTTP_STATUS', message: new RegExp(`HTTP ${status}`), ...(status === 429 || headers['retry-after'] ? { thenSkipped: true as const } : {}) },
  });
  return [
    s(500),
    s(502),
    s(503),
    s(404),
    s(403),
    s(401),
    s(500, 'rss'),
    s(429, 'statuspage', { 'retry-after': '120' }),
    s(503, 'statuspage', { 'retry-after': '120' }),
    s(429, 'cap', { 'retry-after': '120' }),
    { category: 'HTTP error status', name: 'statuspage HTTP 204 No Content (empty body)', kind: 'statuspage', serve: (_req, res) => void res.writeHead(204).end(), expect: failed(notJson('statuspage')) },
    {
      category: 'HTTP error status',
      name: 'statuspage 304 Not Modified to a first, unconditional GET',
      kind: 'statuspage',
      serve: (_req, res) => void res.writeHead(304).end(),
      expect: failed(/304/, 'SOURCE.HTTP_STATUS'),
    },
  ];
}

// ── 10. huge component lists, duplicate names ───────────────────────────────────────────────────

function bigSummary(count: number, patch: (i: number) => Record<string, unknown> = () => ({})): string {
  const rows: string[] = [];
  for (let i = 0; i < count; i++) rows.push(JSON.stringify({ id: `h${i}`, name: `Component ${i}`, status: 'operational', group: false, group_id: null, ...patch(i) }));
  return `{"page":{"id":"huge","url":"https://status.huge.example"},"status":{"indicator":"none"},"components":[${rows.join(',')}],"incidents":[]}`;
}

/** Built on first request and kept: the same multi-MB payload serves a case's every cycle. */
function lazy(build: () => string): Serve {
  let cached: Buffer | undefined;
  return (_req, res) => {
    cached ??= Buffer.from(build(), 'utf8');
    res.writeHead(200, { 'content-type': JSON_TYPE, 'content-length': String(cached.length) }).end(cached);
  };
}

function hugeLists(): PollCase[] {
  const notIn = (id: string, match: string, sourceId = 'bad-statuspage') => new RegExp(`component "${esc(id)}" \\(${esc(match)}\\) not in summary\\.json of source "${esc(sourceId)}"`);
  return [
    {
      category: 'huge component list',
      name: 'statuspage summary with 50,000 components: the 3 configured ones read correctly, the unmatched one is unknown',
      kind: 'statuspage',
      source: { maxBytes: 16 * MB },
      components: [
        { id: 'hc-a', match: { id: 'h12345' } },
        { id: 'hc-b', match: { name: 'Component 49999' } },
        { id: 'hc-c', match: { id: 'h0' } },
        { id: 'hc-missing', match: { id: 'no-such-component' } },
      ],
      serve: lazy(() => bigSummary(50_000, (i) => (i === 12345 ? { status: 'under_maintenance' } : {}))),
      expect: {
        read: 'changed',
        statuses: { 'hc-a': 'maintenance', 'hc-b': 'operational', 'hc-c': 'operational', 'hc-missing': 'unknown' },
        errors: { 'hc-missing': notIn('hc-missing', 'match id "no-such-component"') },
      },
    },
    {
      category: 'huge component list',
      name: 'statuspage summary with 50,000 components where the configured name appears twice → unknown, "match by id"',
      kind: 'statuspage',
      source: { maxBytes: 16 * MB },
      components: [{ id: 'hc-dup', match: { name: 'Component 7' } }, { id: 'hc-ok', match: { id: 'h8' } }],
      serve: lazy(() => bigSummary(50_000, (i) => (i === 40_007 ? { name: 'Component 7', status: 'major_outage' } : {}))),
      expect: { read: 'changed', statuses: { 'hc-dup': 'unknown', 'hc-ok': 'operational' }, errors: { 'hc-dup': /matches 2 components in summary\.json of source "bad-statuspage" \(ids h7, h40007\): match by id instead/ } },
    },
    {
      category: 'huge component list',
      name: 'statuspage 50,000 components, every one with an unrecognised status → the configured ones unknown',
      kind: 'statuspage',
      source: { maxBytes: 16 * MB },
      components: [{ id: 'hc-odd', match: { id: 'h3' } }],
      serve: lazy(() => bigSummary(50_000, () => ({ status: 'exploding' }))),
      expect: { read: 'changed', statuses: { 'hc-odd': 'unknown' }, errors: { 'hc-odd': /unrecognised status "exploding" on upstream component "Component 3"/ } },
    },
    {
      category: 'huge component list',
      name: 'statuspage duplicate component names (the same name in two groups) → unknown, never a guess',
      kind: 'statuspage',
      serve: body(summary('operational', [{ id: 'c9', name: 'Routing', status: 'major_outage', group_id: 'g2' }])),
      expect: { read: 'changed', statuses: { 'sp-routing': 'unknown', 'sp-ali': 'operational' }, errors: { 'sp-routing': /matches 2 components in summary\.json of source "bad-statuspage" \(ids c1, c9\): match by id instead/ } },
    },
    {
      category: 'huge component list',
      name: 'statuspage duplicate component ids → unknown',
      kind: 'statuspage',
      serve: body(summary('operational', [{ id: 'c2', name: 'ALI (backup)', status: 'major_outage' }])),
      expect: { read: 'changed', statuses: { 'sp-routing': 'operational', 'sp-ali': 'unknown' }, errors: { 'sp-ali': /component "sp-ali" \(match id "c2"\) matches 2 components/ } },
    },
    {
      category: 'huge component list',
      name: 'statusio duplicate component names → unknown',
      kind: 'statusio',
      components: [{ id: 'sio-web', match: { name: 'Website' } }],
      serve: body(JSON.stringify({ result: { status_overall: { status_code: 100 }, status: [{ id: 's1', name: 'Website', status_code: 100 }, { id: 's2', name: 'website', status_code: 500 }] } })),
      expect: { read: 'changed', statuses: { 'sio-web': 'unknown' }, errors: { 'sio-web': /matches 2 components in the Status\.io body of source "bad-statusio" \(ids s1, s2\): match by id instead/ } },
    },
    {
      category: 'huge component list',
      name: 'firehydrant duplicate component names → unknown',
      kind: 'firehydrant',
      components: [{ id: 'fh-api', match: { name: 'API' } }],
      serve: body(JSON.stringify({ components: [{ id: 'f1', name: 'API' }, { id: 'f2', name: 'API' }], incidents: [{ id: 'i1', components: [{ id: 'f2', condition: 'OFFLINE' }] }] })),
      expect: { read: 'changed', statuses: { 'fh-api': 'unknown' }, errors: { 'fh-api': /matches 2 components in payload\.json of source "bad-firehydrant": match by id instead/ } },
    },
    {
      category: 'huge component list',
      name: 'statusio 50,000 components, the configured one found',
      kind: 'statusio',
      source: { maxBytes: 16 * MB },
      components: [{ id: 'sio-far', match: { id: 's49000' } }],
      serve: lazy(() => JSON.stringify({ result: { status_overall: { status_code: 100 }, status: Array.from({ length: 50_000 }, (_, i) => ({ id: `s${i}`, name: `Service ${i}`, status_code: 100 })) } })),
      expect: { read: 'changed', statuses: { 'sio-far': 'operational' } },
    },
    {
      category: 'huge component list',
      name: 'gcp-incidents 20,000 resolved incidents for the product → operational',
      kind: 'gcp-incidents',
      source: { maxBytes: 16 * MB },
      serve: lazy(() => JSON.stringify(Array.from({ length: 20_000 }, (_, i) => ({ id: `g${i}`, begin: AT, end: AT, status_impact: 'SERVICE_OUTAGE', affected_products: [{ title: 'Cloud Run', id: 'run' }] })))),
      expect: allRead('gcp-incidents', 'operational'),
    },
    {
      category: 'huge component list',
      name: 'statuspage components nested 100,000 arrays deep',
      kind: 'statuspage',
      serve: lazy(() => `{"page":{"id":"p"},"components":${'['.repeat(100_000)}${']'.repeat(100_000)}}`),
      expect: failed(/summary\.json (does not match the Statuspage schema at components\.0|is not JSON)/),
    },
  ];
}

// ── the poll corpus ─────────────────────────────────────────────────────────────────────────────

export function pollCorpus(): PollCase[] {
  const nonStatuspageJson = JSON_KINDS.filter((k) => k !== 'statuspage');
  return [
    ...truncations('statuspage', 32),
    ...nonStatuspageJson.flatMap((k) => truncations(k, 3)),
    ...XML_KINDS.flatMap((k) => truncations(k, 3)),
    ...fixtureTruncations(),
    ...JSON_KINDS.flatMap(invalidJson),
    ...JSON_KINDS.flatMap(htmlPages),
    ...XML_KINDS.flatMap(htmlPages),
    ...wrongSchemas(),
    ...XML_KINDS.flatMap(malformedXml),
    ...XML_KINDS.flatMap(xmlAttacks),
    ...bigAndSlow(),
    ...badEncodings(),
    ...forbiddenAddresses(),
    ...badRedirects(),
    ...errorStatuses(),
    ...hugeLists(),
  ];
}

/** Routes every poll case shares (redirect chains and the stalled target). */
export const SHARED_ROUTES: Array<[string, Serve]> = [
  ['/stall', stall('{"page":')],
  ['/loop', redirect((ctx) => `${ctx.base}/loop`, 307)],
  ['/hop/1', redirect((ctx) => `${ctx.base}/hop/2`)],
  ['/hop/2', redirect((ctx) => `${ctx.base}/hop/3`)],
  ['/hop/3', redirect((ctx) => `${ctx.base}/hop/4`)],
  ['/hop/4', body(summary())],
  ['/hop/alias', redirect((ctx) => `${ctx.base}/hop/alias2`, 301)],
  ['/hop/alias2', redirect((ctx) => `${ctx.alias}/summary.json`, 308)],
];

// ── webhook forgeries and replays ───────────────────────────────────────────────────────────────

export type PushCategory = 'webhook forgery' | 'webhook replay' | 'webhook malformed';

export interface PushDelivery {
  sourceId: string;
  body: string;
  headers?: Record<string, string>;
  token?: string;
  query?: Record<string, string>;
  method?: string;
  base64?: boolean;
  /** Seconds after the case's start the delivery arrives. */
  atSeconds?: number;
}

export interface PushCase {
  category: PushCategory;
  name: string;
  /** Deliveries made first (a genuine push the replay copies); each must be accepted (202). */
  before?: PushDelivery[];
  delivery: PushDelivery;
  /** How many times `delivery` is sent (a replay sends it more than once); the answer is checked on the last. */
  times?: number;
  expect: { status: number; error?: RegExp; field?: string; duplicate?: true };
  /** The push components a genuine `before` push really reported as down (their single transition is legitimate). */
  genuineDown?: string[];
  knownBug?: string;
}

export const TOKENS = {
  hook: 'hook-token-0123456789',
  signed: 'signed-token-0123456789',
  aws: 'aws-token-0123456789',
  heartbeat: 'hb-token-0123456789',
  report: 'report-token-0123456789',
  signedReport: 'signed-report-token-0123456789',
};
export const SIGNING_ENV = 'DIALTONE_BAD_INPUT_SIGNING_SECRET';
export const SIGNING_SECRET = 'whsec-bad-input-secret';

export const PUSH_COMPONENTS = ['hook-db', 'hook-page', 'signed-db', 'aws-ec2', 'hb-cad', 'report-self', 'signed-report-self'];

/** Push sources of every kind (only the sha256 of each token is in the config). */
export function pushSources(sha256: (t: string) => string): Record<string, unknown>[] {
  const hmac = { secretEnv: SIGNING_ENV, toleranceSeconds: 300 };
  return [
    {
      id: 'vendor-hook',
      kind: 'statuspage-webhook',
      auth: { tokenSha256: sha256(TOKENS.hook) },
      components: [
        { id: 'hook-db', name: 'Vendor database', provider: 'Vendor', match: { id: 'sqm6pl84wzjc' } },
        { id: 'hook-page', name: 'Vendor page', provider: 'Vendor', match: { page: true } },
      ],
    },
    { id: 'signed-hook', kind: 'statuspage-webhook', auth: { tokenSha256: sha256(TOKENS.signed), hmac }, components: [{ id: 'signed-db', name: 'Signed database', provider: 'Vendor', match: { id: 'sqm6pl84wzjc' } }] },
    { id: 'aws', kind: 'aws-health', auth: { tokenSha256: sha256(TOKENS.aws) }, components: [{ id: 'aws-ec2', name: 'EC2 us-east-1', provider: 'AWS', match: { service: 'EC2', region: 'us-east-1' } }] },
    { id: 'hb', kind: 'heartbeat', auth: { tokenSha256: sha256(TOKENS.heartbeat) }, graceSeconds: 600, components: [{ id: 'hb-cad', name: 'Maricopa CAD heartbeat', provider: 'Maricopa' }] },
    { id: 'report', kind: 'agency-report', auth: { tokenSha256: sha256(TOKENS.report) }, components: [{ id: 'report-self', name: 'Maricopa self-report', provider: 'Maricopa' }] },
    { id: 'signed-report', kind: 'agency-report', auth: { tokenSha256: sha256(TOKENS.signedReport), hmac }, components: [{ id: 'signed-report-self', name: 'Maricopa signed report', provider: 'Maricopa' }] },
  ];
}

/** A Statuspage component_update for the watched component. */
export function componentUpdate(newStatus: string, updateId: string, indicator = 'major'): string {
  return JSON.stringify({
    meta: { unsubscribe: 'https://status.vendor.example/?unsubscribe=x', generated_at: '2026-09-29T00:00:00Z' },
    page: { id: 'jb7j80lkgqvb', status_indicator: indicator, status_description: 'Partial System Outage' },
    component: { id: 'sqm6pl84wzjc', name: 'Database', status: newStatus },
    component_update: { id: updateId, component_id: 'sqm6pl84wzjc', old_status: 'operational', new_status: newStatus, created_at: '2026-09-29T00:00:00Z' },
  });
}

const AWS_EVENT = JSON.stringify({
  version: '0',
  id: 'e-1',
  'detail-type': 'AWS Health Event',
  source: 'aws.health',
  account: '123456789012',
  time: '2026-09-29T00:00:00Z',
  region: 'us-east-1',
  detail: {
    eventArn: 'arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/AWS_EC2_OPERATIONAL_ISSUE_1',
    service: 'EC2',
    eventTypeCode: 'AWS_EC2_OPERATIONAL_ISSUE',
    eventTypeCategory: 'issue',
    communicationId: 'c-1',
    statusCode: 'open',
    eventRegion: 'us-east-1',
    startTime: 'Tue, 29 Sep 2026 00:00:00 GMT',
    eventDescription: [{ language: 'en_US', latestDescription: 'Increased API error rates' }],
  },
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export function pushCorpus(sign: (body: string, timestamp: number, secret?: string) => string, startSeconds: number): PushCase[] {
  const down = componentUpdate('major_outage', 'cu-1');
  const signedHeaders = (b: string, ts: number, secret = SIGNING_SECRET) => ({ ...bearer(TOKENS.signed), 'x-dialtone-signature': sign(b, ts, secret), 'x-dialtone-timestamp': String(ts) });
  const refused = (status: number, error: RegExp): PushCase['expect'] => ({ status, error });
  const forgery = (name: string, delivery: PushDelivery, expect: PushCase['expect']): PushCase => ({ category: 'webhook forgery', name, delivery, expect });
  const malformed = (name: string, delivery: PushDelivery, expect: PushCase['expect']): PushCase => ({ category: 'webhook malformed', name, delivery, expect });
  const t0 = startSeconds;
  const reportDown = JSON.stringify({ state: 'Down', reason: 'CAD failure' });

  return [
    // ── forged: the token is missing, wrong, in the wrong place, or another source's ─────────────
    forgery('statuspage-webhook without any token → 401', { sourceId: 'vendor-hook', body: down }, refused(401, /missing token/)),
    forgery('statuspage-webhook with a wrong bearer token → 401', { sourceId: 'vendor-hook', body: down, headers: bearer('not-the-token') }, refused(401, /token not accepted/)),
    forgery("statuspage-webhook with another source's token (aws) → 401", { sourceId: 'vendor-hook', body: down, headers: bearer(TOKENS.aws) }, refused(401, /token not accepted/)),
    forgery('statuspage-webhook with the token inside the JSON body → 401', { sourceId: 'vendor-hook', body: JSON.stringify({ ...JSON.parse(down), token: TOKENS.hook }) }, refused(401, /missing token/)),
    forgery('statuspage-webhook with the token in a cookie → 401', { sourceId: 'vendor-hook', body: down, headers: { cookie: `token=${TOKENS.hook}` } }, refused(401, /missing token/)),
    forgery('statuspage-webhook with the token under Basic auth → 401', { sourceId: 'vendor-hook', body: down, headers: { authorization: `Basic ${Buffer.from(`x:${TOKENS.hook}`).toString('base64')}` } }, refused(401, /missing token/)),
    forgery('statuspage-webhook with the token as ?access_token= → 401', { sourceId: 'vendor-hook', body: down, query: { access_token: TOKENS.hook } }, refused(401, /missing token/)),
    forgery('statuspage-webhook with the token plus one character → 401', { sourceId: 'vendor-hook', body: down, headers: bearer(`${TOKENS.hook}x`) }, refused(401, /token not accepted/)),
    forgery('statuspage-webhook with the token cut short → 401', { sourceId: 'vendor-hook', body: down, headers: bearer(TOKENS.hook.slice(0, -1)) }, refused(401, /token not accepted/)),
    forgery("statuspage-webhook presenting the config's sha256 as the token → 401", { sourceId: 'vendor-hook', body: down, headers: bearer(createHash('sha256').update(TOKENS.hook).digest('hex')) }, refused(401, /token not accepted/)),
    forgery('statuspage-webhook with an empty bearer → 401', { sourceId: 'vendor-hook', body: down, headers: { authorization: 'Bearer ' } }, refused(401, /missing token/)),
    forgery('statuspage-webhook with a wrong token in the URL path → 401', { sourceId: 'vendor-hook', body: down, token: 'guessed-token' }, refused(401, /token not accepted/)),
    forgery('aws-health with a wrong token → 401', { sourceId: 'aws', body: AWS_EVENT, headers: bearer('nope') }, refused(401, /token not accepted/)),
    forgery('heartbeat without a token → 401 (a dead PSAP cannot be faked alive)', { sourceId: 'hb', body: '' }, refused(401, /missing token/)),
    forgery("heartbeat with the agency report's token → 401", { sourceId: 'hb', body: '', headers: bearer(TOKENS.report) }, refused(401, /token not accepted/)),
    forgery('agency-report "Down" with a wrong token → 401', { sourceId: 'report', body: reportDown, headers: bearer('nope') }, refused(401, /token not accepted/)),
    forgery('agency-report "Down" with the heartbeat token → 401', { sourceId: 'report', body: reportDown, headers: bearer(TOKENS.heartbeat) }, refused(401, /token not accepted/)),
    // ── signed sources: signature, timestamp, body bound together ──────────────────────────────
    forgery('signed webhook with the right token but no signature → 401', { sourceId: 'signed-hook', body: down, headers: bearer(TOKENS.signed) }, refused(401, /missing x-dialtone-signature or x-dialtone-timestamp header/)),
    forgery('signed webhook signed with another secret → 401', { sourceId: 'signed-hook', body: down, headers: signedHeaders(down, t0, 'whsec-attacker') }, refused(401, /signature does not match the body/)),
    forgery('signed webhook whose body was changed after signing → 401', { sourceId: 'signed-hook', body: down, headers: signedHeaders(componentUpdate('operational', 'cu-1'), t0) }, refused(401, /signature does not match the body/)),
    forgery('signed webhook with the signature and timestamp headers swapped → 401', { sourceId: 'signed-hook', body: down, headers: { ...bearer(TOKENS.signed), 'x-dialtone-signature': String(t0), 'x-dialtone-timestamp': sign(down, t0) } }, refused(401, /x-dialtone-timestamp is not Unix time in seconds/)),
    forgery('signed webhook with a bare "sha256=" signature → 401', { sourceId: 'signed-hook', body: down, headers: { ...bearer(TOKENS.signed), 'x-dialtone-signature': 'sha256=', 'x-dialtone-timestamp': String(t0) } }, refused(401, /signature does not match the body/)),
    forgery('signed webhook with a millisecond timestamp → 401', { sourceId: 'signed-hook', body: down, headers: { ...signedHeaders(down, t0 * 1000) } }, refused(401, /x-dialtone-timestamp is not Unix time in seconds/)),
    forgery('signed webhook whose timestamp is 10 minutes old (stale) → 409', { sourceId: 'signed-hook', body: down, headers: signedHeaders(down, t0 - 600) }, refused(409, /replay refused: signed 600 s from now, outside the ±300 s window/)),
    forgery('signed webhook whose timestamp is 10 minutes ahead → 409', { sourceId: 'signed-hook', body: down, headers: signedHeaders(down, t0 + 600) }, refused(409, /replay refused: signed -600 s from now, outside the ±300 s window/)),
    forgery('a signed-hook delivery sent to vendor-hook (signed for another source) → 401', { sourceId: 'vendor-hook', body: down, headers: signedHeaders(down, t0) }, refused(401, /token not accepted/)),
    forgery("a signed-hook body signed for signed-hook but sent with vendor-hook's token to signed-hook → 401", { sourceId: 'signed-hook', body: down, headers: { ...signedHeaders(down, t0), ...bearer(TOKENS.hook) } }, refused(401, /token not accepted/)),
    forgery('signed agency report signed with another secret → 401', { sourceId: 'signed-report', body: reportDown, headers: { ...bearer(TOKENS.signedReport), 'x-dialtone-signature': sign(reportDown, t0, 'whsec-attacker'), 'x-dialtone-timestamp': String(t0) } }, refused(401, /signature does not match the body/)),
    // ── not a push at all ─────────────────────────────────────────────────────────────────────────
    forgery('a push to an unknown source id → 404', { sourceId: 'no-such-source', body: down, headers: bearer(TOKENS.hook) }, refused(404, /no push source "no-such-source"/)),
    forgery('a push to a polled source (good-outage) → 404', { sourceId: 'good-outage', body: down, headers: bearer(TOKENS.hook) }, refused(404, /no push source "good-outage"/)),
    forgery('a GET instead of a POST → 405', { sourceId: 'vendor-hook', body: down, headers: bearer(TOKENS.hook), method: 'GET' }, refused(405, /only POST is accepted/)),

    // ── malformed bodies with a valid token: 400 naming the field, 413 over the cap ───────────────
    malformed('statuspage-webhook body over 256 KiB → 413 (before any parsing)', { sourceId: 'vendor-hook', body: `{"pad":"${'x'.repeat(256 * 1024)}"}`, headers: bearer(TOKENS.hook) }, refused(413, /over the 262144-byte limit/)),
    malformed('heartbeat body over 256 KiB → 413', { sourceId: 'hb', body: 'x'.repeat(300 * 1024), headers: bearer(TOKENS.heartbeat) }, refused(413, /over the 262144-byte limit/)),
    malformed('statuspage-webhook base64 body over 256 KiB once decoded → 413', { sourceId: 'vendor-hook', body: 'y'.repeat(270 * 1024), headers: bearer(TOKENS.hook), base64: true }, refused(413, /over the 262144-byte limit/)),
    malformed('statuspage-webhook form-encoded (wrong content type) → 400', { sourceId: 'vendor-hook', body: 'component%5Bstatus%5D=major_outage', headers: { ...bearer(TOKENS.hook), 'content-type': 'application/x-www-form-urlencoded' } }, { status: 400, error: /source "vendor-hook": body is not JSON/, field: '(body)' }),
    malformed('statuspage-webhook multipart (wrong content type) → 400', { sourceId: 'vendor-hook', body: '--b\r\nContent-Disposition: form-data; name="status"\r\n\r\nmajor_outage\r\n--b--', headers: { ...bearer(TOKENS.hook), 'content-type': 'multipart/form-data; boundary=b' } }, { status: 400, error: /body is not JSON/, field: '(body)' }),
    malformed('agency-report XML (wrong content type) → 400', { sourceId: 'report', body: '<serviceState><state>Down</state></serviceState>', headers: { ...bearer(TOKENS.report), 'content-type': 'application/xml' } }, { status: 400, error: /source "report": body is not JSON/, field: '(body)' }),
    malformed('statuspage-webhook empty body → 400', { sourceId: 'vendor-hook', body: '', headers: bearer(TOKENS.hook) }, { status: 400, error: /body is not JSON/, field: '(body)' }),
    malformed('statuspage-webhook truncated JSON → 400', { sourceId: 'vendor-hook', body: down.slice(0, 80), headers: bearer(TOKENS.hook) }, { status: 400, error: /body is not JSON/, field: '(body)' }),
    malformed('statuspage-webhook JSON null → 400', { sourceId: 'vendor-hook', body: 'null', headers: bearer(TOKENS.hook) }, { status: 400, error: /source "vendor-hook": /, field: '(body)' }),
    malformed('statuspage-webhook with neither component_update nor incident → 400', { sourceId: 'vendor-hook', body: JSON.stringify({ page: { id: 'p' } }), headers: bearer(TOKENS.hook) }, { status: 400, error: /carries component_update or incident/, field: 'component_update' }),
    malformed('statuspage-webhook with a number where new_status goes → 400', { sourceId: 'vendor-hook', body: down.replace('"new_status":"major_outage"', '"new_status":4'), headers: bearer(TOKENS.hook) }, { status: 400, error: /source "vendor-hook": component_update\.new_status/, field: 'component_update.new_status' }),
    malformed('an agency-report body sent to the agency report with a statuspage payload → 400', { sourceId: 'report', body: down, headers: bearer(TOKENS.report) }, { status: 400, error: /source "report": state/, field: 'state' }),
    malformed('agency-report with a state that is not a NENA ServiceState → 400', { sourceId: 'report', body: JSON.stringify({ state: 'Exploded' }), headers: bearer(TOKENS.report) }, { status: 400, error: /source "report": state: "Exploded" is not a NENA ServiceState/, field: 'state' }),
    malformed('agency-report with a prototype-polluting body → 400', { sourceId: 'report', body: '{"__proto__":{"state":"Down"}}', headers: bearer(TOKENS.report) }, { status: 400, error: /source "report": state/, field: 'state' }),
    malformed('aws-health test event (source is not aws.health) → 400', { sourceId: 'aws', body: AWS_EVENT.replace('"source":"aws.health"', '"source":"my.test"'), headers: bearer(TOKENS.aws) }, { status: 400, error: /source "aws": source: "my\.test" is not aws\.health/, field: 'source' }),
    malformed('aws-health empty array → 400', { sourceId: 'aws', body: '[]', headers: bearer(TOKENS.aws) }, { status: 400, error: /source "aws": \(body\): an empty array holds no AWS Health event/, field: '(body)' }),
    malformed('aws-health detail is a string that is not JSON → 400', { sourceId: 'aws', body: JSON.stringify({ source: 'aws.health', detail: '{"eventArn": ' }), headers: bearer(TOKENS.aws) }, { status: 400, error: /source "aws": detail: is a string but not JSON/, field: 'detail' }),
    malformed('statuspage-webhook new_status "on_fire" → accepted as unknown, never down', { sourceId: 'vendor-hook', body: componentUpdate('on_fire', 'cu-odd', 'none'), headers: bearer(TOKENS.hook) }, { status: 202 }),
    malformed('agency-report state "Unknown" (an observer\'s state) → accepted as unknown', { sourceId: 'report', body: JSON.stringify({ state: 'Unknown' }), headers: bearer(TOKENS.report) }, { status: 202 }),

    // ── replays: an identical second delivery is a no-op ─────────────────────────────────────────
    {
      category: 'webhook replay',
      name: 'statuspage-webhook component_update replayed 3 times → 200 duplicate, no second read',
      before: [{ sourceId: 'vendor-hook', body: down, headers: bearer(TOKENS.hook) }],
      delivery: { sourceId: 'vendor-hook', body: down, headers: bearer(TOKENS.hook), atSeconds: 5 },
      times: 3,
      expect: { status: 200, duplicate: true },
      genuineDown: ['hook-db', 'hook-page'],
    },
    {
      category: 'webhook replay',
      name: 'statuspage-webhook replayed with the token moved to the URL → still a duplicate',
      before: [{ sourceId: 'vendor-hook', body: down, headers: bearer(TOKENS.hook) }],
      delivery: { sourceId: 'vendor-hook', body: down, token: TOKENS.hook, atSeconds: 5 },
      expect: { status: 200, duplicate: true },
      genuineDown: ['hook-db', 'hook-page'],
    },
    {
      category: 'webhook replay',
      name: 'signed webhook replayed inside its time window → 409 (signature seen before)',
      before: [{ sourceId: 'signed-hook', body: down, headers: signedHeaders(down, t0) }],
      delivery: { sourceId: 'signed-hook', body: down, headers: signedHeaders(down, t0), atSeconds: 30 },
      expect: { status: 409, error: /replay refused: this signed push was accepted before/ },
      genuineDown: ['signed-db'],
    },
    {
      category: 'webhook replay',
      name: 'signed webhook re-signed with a fresh timestamp (same update id) → 200 duplicate',
      before: [{ sourceId: 'signed-hook', body: down, headers: signedHeaders(down, t0) }],
      delivery: { sourceId: 'signed-hook', body: down, headers: signedHeaders(down, t0 + 60), atSeconds: 60 },
      expect: { status: 200, duplicate: true },
      genuineDown: ['signed-db'],
    },
    {
      category: 'webhook replay',
      name: 'aws-health event replayed (same eventArn + communicationId) → 200 duplicate',
      before: [{ sourceId: 'aws', body: AWS_EVENT, headers: bearer(TOKENS.aws) }],
      delivery: { sourceId: 'aws', body: AWS_EVENT, headers: bearer(TOKENS.aws), atSeconds: 5 },
      times: 2,
      expect: { status: 200, duplicate: true },
      genuineDown: ['aws-ec2'],
    },
    {
      category: 'webhook replay',
      name: 'signed agency report "Down" replayed → 409',
      before: [{ sourceId: 'signed-report', body: reportDown, headers: { ...bearer(TOKENS.signedReport), 'x-dialtone-signature': sign(reportDown, t0), 'x-dialtone-timestamp': String(t0) } }],
      delivery: { sourceId: 'signed-report', body: reportDown, headers: { ...bearer(TOKENS.signedReport), 'x-dialtone-signature': sign(reportDown, t0), 'x-dialtone-timestamp': String(t0) }, atSeconds: 5 },
      expect: { status: 409, error: /replay refused: this signed push was accepted before/ },
      genuineDown: ['signed-report-self'],
    },
    {
      category: 'webhook replay',
      name: 'heartbeat replayed → accepted as a ping again, no transition, no notice',
      before: [{ sourceId: 'hb', body: '', headers: bearer(TOKENS.heartbeat) }],
      delivery: { sourceId: 'hb', body: '', headers: bearer(TOKENS.heartbeat), atSeconds: 5 },
      times: 2,
      expect: { status: 202 },
      genuineDown: [],
    },
    {
      category: 'webhook replay',
      name: 'token-only agency report "Down" replayed → must be a no-op',
      before: [{ sourceId: 'report', body: reportDown, headers: bearer(TOKENS.report) }],
      delivery: { sourceId: 'report', body: reportDown, headers: bearer(TOKENS.report), atSeconds: 5 },
      expect: { status: 200, duplicate: true },
      genuineDown: ['report-self'],
    },
  ];
}
