import http from 'node:http';
import https from 'node:https';
import { DialtoneError, type ErrorCode } from '../domain/errors.js';
import { guardedLookup, literalRefusal } from './ssrf.js';

export interface FetchOptions {
  /** One budget for the whole fetch: every redirect hop, connect, headers and body. */
  timeoutMs: number;
  maxBytes: number;
  /** Exact private/loopback addresses the SSRF guard lets through (config `network.allow`). */
  allow: readonly string[];
  /** Refuse everything not in `allow`, public addresses and every host name too (config `network.onlyAllowed`). */
  onlyAllowed?: boolean;
  etag?: string;
  lastModified?: string;
  /** Default 3. */
  maxRedirects?: number;
  userAgent?: string;
  /**
   * Every HTTP status comes back as `ok` with its body (probes judge the status themselves), and
   * a redirect that would exceed `maxRedirects` is returned as it is instead of failing.
   */
  anyStatus?: boolean;
  /**
   * HTTP method (default GET), e.g. POST to an OAuth token endpoint. A POST is not re-sent on a
   * redirect: 301/302/303 continue as a GET without body, only 307/308 keep method and body.
   */
  method?: 'GET' | 'POST';
  /** Request body (with `method: 'POST'`); Content-Length is set from it. */
  body?: string | Buffer;
  /**
   * Extra request headers (names case-insensitive), e.g. `authorization`, `content-type`,
   * `accept`. They go to the first URL's origin only: a redirect to another origin drops them,
   * so a bearer token never follows a redirect off-site.
   */
  headers?: Readonly<Record<string, string>>;
}

export type FetchOutcome =
  | { kind: 'ok'; status: number; body: Buffer; etag?: string; lastModified?: string; contentType?: string; finalUrl: string }
  | { kind: 'not-modified' }
  /** `retryAfter`: the raw Retry-After header of a 429 or 503 (seconds or an HTTP date). */
  | { kind: 'error'; error: DialtoneError; retryAfter?: string };

type Hop = FetchOutcome | { kind: 'redirect'; location: URL; status: number };

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const DEFAULT_USER_AGENT = 'dialtone/0.1 (911 dependency monitor)';

/** Longest URL a message quotes (a data: URL can be the size of a payload). */
const URL_IN_MESSAGES = 200;

/** A URL fit for messages and logs: no user info, query values masked (tokens often ride there), not too long. */
export function redactUrl(url: URL): string {
  const safe = new URL(url.href);
  safe.username = '';
  safe.password = '';
  for (const key of new Set(safe.searchParams.keys())) safe.searchParams.set(key, '***');
  return safe.href.length > URL_IN_MESSAGES ? `${safe.href.slice(0, URL_IN_MESSAGES)}… (${safe.href.length} characters)` : safe.href;
}

/** What a socket error code means, in the words an operator reads. */
function networkReason(err: NodeJS.ErrnoException): string {
  const code = err.code ?? err.message;
  if (code.startsWith('HPE_')) return `${code}: the upstream sent a malformed HTTP response`;
  const words: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset by the upstream',
    EPROTO: 'TLS handshake failed: is it an https server?',
    ETIMEDOUT: 'connection timed out',
    EHOSTUNREACH: 'host unreachable',
  };
  return words[code] ? `${code}: ${words[code]}` : code;
}

/**
 * GET an upstream payload with a conditional request, one overall timeout, a byte cap, bounded
 * redirects and the SSRF guard on every hop. Expected failures come back as `kind: 'error'`.
 */
export async function fetchUpstream(url: string, opts: FetchOptions): Promise<FetchOutcome> {
  let current: URL;
  try {
    current = new URL(url);
  } catch {
    // Not echoed: an unparsable URL cannot be redacted and may hold credentials.
    return failure('SOURCE.UNREACHABLE', 'the source URL is not a valid absolute URL');
  }
  const maxRedirects = opts.maxRedirects ?? 3;
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), opts.timeoutMs);
  const origin = current.origin;
  let hopOpts = opts;
  try {
    for (let redirects = 0; ; redirects++) {
      const hop = await requestOnce(current, hopOpts, deadline.signal, redirects < maxRedirects);
      if (hop.kind !== 'redirect') return hop;
      if (redirects >= maxRedirects) {
        const where = redactUrl(new URL(url));
        return failure('SOURCE.HTTP_STATUS', `${where}: more than ${maxRedirects} redirects (last to ${redactUrl(hop.location)})`, where);
      }
      current = hop.location;
      hopOpts = afterRedirect(hopOpts, hop.status, current.origin === origin);
    }
  } finally {
    clearTimeout(timer);
  }
}

/** Options for the next hop: a POST becomes a GET (except 307/308); extra headers stay on the first origin. */
function afterRedirect(opts: FetchOptions, status: number, sameOrigin: boolean): FetchOptions {
  let next = opts;
  if ((opts.method ?? 'GET') !== 'GET' && status !== 307 && status !== 308) {
    const { body: _b, ...rest } = next;
    next = { ...rest, method: 'GET' };
  }
  if (!sameOrigin && next.headers !== undefined) {
    const { headers: _h, ...rest } = next;
    next = rest;
  }
  return next;
}

function failure(code: ErrorCode, message: string, where?: string): FetchOutcome {
  return { kind: 'error', error: new DialtoneError(code, message, where === undefined ? undefined : { url: where }) };
}

function header(res: http.IncomingMessage, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function requestOnce(url: URL, opts: FetchOptions, deadline: AbortSignal, canFollow = true): Promise<Hop> {
  const where = redactUrl(url);
  // The guard runs before anything is opened, on the first URL and on every redirect target.
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return Promise.resolve(failure('SOURCE.FORBIDDEN_ADDRESS', `${where}: only http: and https: URLs are fetched, not ${url.protocol}`, where));
  const refused = literalRefusal(url.hostname, opts.allow, where, opts.onlyAllowed);
  if (refused) return Promise.resolve({ kind: 'error', error: refused });
  if (deadline.aborted) return Promise.resolve(failure('SOURCE.TIMEOUT', `${where}: no complete response within ${opts.timeoutMs} ms`, where));

  const headers: Record<string, string> = { 'user-agent': opts.userAgent ?? DEFAULT_USER_AGENT, accept: '*/*' };
  if (opts.etag !== undefined) headers['if-none-match'] = opts.etag;
  if (opts.lastModified !== undefined) headers['if-modified-since'] = opts.lastModified;
  for (const [name, value] of Object.entries(opts.headers ?? {})) headers[name.toLowerCase()] = value;
  if (opts.body !== undefined) headers['content-length'] = String(Buffer.byteLength(opts.body));

  return new Promise<Hop>((resolve) => {
    let settled = false;
    const settle = (hop: Hop) => {
      if (settled) return;
      settled = true;
      deadline.removeEventListener('abort', onTimeout);
      req.destroy();
      resolve(hop);
    };
    const fail = (code: ErrorCode, what: string) => settle(failure(code, `${where}: ${what}`, where));
    const onTimeout = () => fail('SOURCE.TIMEOUT', `no complete response within ${opts.timeoutMs} ms`);

    // agent: false = a fresh socket per fetch, never one pooled by code that skipped the guard.
    const req = (url.protocol === 'https:' ? https : http).request(url, {
      method: opts.method ?? 'GET',
      headers,
      agent: false,
      lookup: guardedLookup(opts.allow, where, opts.onlyAllowed),
    });
    deadline.addEventListener('abort', onTimeout, { once: true });

    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err instanceof DialtoneError) return settle({ kind: 'error', error: err });
      const reason = err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN' ? `cannot resolve ${url.hostname}` : networkReason(err);
      fail('SOURCE.UNREACHABLE', `request failed (${reason})`);
    });

    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status === 304) return settle({ kind: 'not-modified' });
      if (REDIRECTS.has(status) && !(opts.anyStatus && !canFollow)) {
        const location = header(res, 'location');
        if (location === undefined) return fail('SOURCE.HTTP_STATUS', `HTTP ${status} redirect without a Location header`);
        let next: URL;
        try {
          next = new URL(location, url);
        } catch {
          return fail('SOURCE.HTTP_STATUS', `HTTP ${status} redirect to an invalid Location`);
        }
        // A downgrade would let anyone on the path forge the status we alert on.
        if (url.protocol === 'https:' && next.protocol === 'http:')
          return fail('SOURCE.HTTP_STATUS', `HTTP ${status} redirect from https to insecure ${redactUrl(next)} refused`);
        return settle({ kind: 'redirect', location: next, status });
      }
      if ((status < 200 || status > 299) && !opts.anyStatus) {
        const message = `${where}: HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`;
        const retryAfter = status === 429 || status === 503 ? header(res, 'retry-after')?.trim() : undefined;
        return settle({ kind: 'error', error: new DialtoneError('SOURCE.HTTP_STATUS', message, { url: where, status }), ...(retryAfter ? { retryAfter } : {}) });
      }

      const declared = Number(header(res, 'content-length'));
      if (declared > opts.maxBytes) return fail('SOURCE.TOO_LARGE', `Content-Length ${declared} exceeds the ${opts.maxBytes}-byte limit`);
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > opts.maxBytes) return fail('SOURCE.TOO_LARGE', `body exceeds the ${opts.maxBytes}-byte limit`);
        chunks.push(chunk);
      });
      res.on('error', (err: NodeJS.ErrnoException) => fail('SOURCE.UNREACHABLE', `response failed (${networkReason(err)})`));
      res.on('close', () => {
        if (!res.complete) fail('SOURCE.UNREACHABLE', 'connection closed before the body was complete');
      });
      res.on('end', () => {
        const outcome: FetchOutcome = { kind: 'ok', status, body: Buffer.concat(chunks), finalUrl: url.href };
        const etag = header(res, 'etag');
        const lastModified = header(res, 'last-modified');
        const contentType = header(res, 'content-type');
        if (etag !== undefined) outcome.etag = etag;
        if (lastModified !== undefined) outcome.lastModified = lastModified;
        if (contentType !== undefined) outcome.contentType = contentType;
        settle(outcome);
      });
    });
    if (opts.body !== undefined) req.end(opts.body);
    else req.end();
  });
}

/**
 * Retry-After (RFC 9110 §10.2.3) as a delay from `now` in ms: delay-seconds or an HTTP date.
 * Undefined when absent or unreadable; a date in the past is 0.
 */
export function parseRetryAfter(value: string | undefined, now: Date): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // Only the HTTP-date shapes (IMF-fixdate, RFC 850, asctime) are dates; anything else is unreadable.
  if (!/[a-z]{3}/i.test(v)) return undefined;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}
