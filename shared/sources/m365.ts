import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { SourceOf } from '../config/schema.js';
import { DialtoneError } from '../domain/errors.js';
import type { Observation } from '../domain/observation.js';
import type { SourceState } from '../domain/records.js';
import { worstStatus, type Status } from '../domain/status.js';
import { fetchUpstream, parseRetryAfter, redactUrl, type FetchOutcome } from './http.js';
import type { CustomReader, ReadContext, SecretRef, SourceRead, UpstreamItem } from './parsers.js';
import { badPayload, describeIssue } from './vendor-util.js';
import { decodeText } from './text.js';

/**
 * Microsoft 365 service health through Microsoft Graph (kind `m365-graph`).
 *
 * Reading (a CustomReader): client-credentials token (POST to the tenant's token endpoint with
 * the client secret from the SecretResolver port, scope `<graph origin>/.default`, cached until
 * 5 minutes before it expires), then `GET <url>/admin/serviceAnnouncement/issues?$filter=isResolved
 * eq false`, following `@odata.nextLink` (same origin only: the bearer token never leaves Graph)
 * for at most `maxPages` pages. A 401 from Graph drops the cached token and retries once; a 429
 * honours Retry-After like every other source. Nothing here logs the secret or the token.
 *
 * Mapping (enums compared case-insensitively: the docs write
 * `ServiceRestored`, live responses `serviceRestored`):
 *   serviceOperational, serviceRestored, postIncidentReviewPublished, falsePositive, resolved,
 *   resolvedExternal, mitigated, mitigatedExternal                          → operational
 *   investigating, reported, confirmed, verifyingService, serviceDegradation → degraded
 *   restoringService, extendedRecovery                                       → partial_outage
 *   serviceInterruption                                                      → major_outage
 *   investigationSuspended, unknownFutureValue, anything else                → unknown
 * An issue with `isResolved: true` is operational whatever its status. An *advisory* (not an
 * incident) is capped at degraded: Microsoft uses advisories for limited impact, so an
 * advisory alerts, but at a lower tier. A component (match: service, optional feature or
 * featureGroup) takes the worst of its unresolved issues; none → operational. A healthOverviews
 * payload (`/healthOverviews`, `?$expand=issues`, or one serviceHealth object) also carries the
 * service's own rollup status, which counts too (and when `feature` is not set it is the whole
 * story: a service missing from an overview list is unknown, not healthy).
 *
 * The body parser and the config-free decoder accept every shape the API or the PnP CLI writes:
 * an OData page (`{ value: [...] }`), one entity, or a bare array; issues or health overviews.
 */

type M365Source = SourceOf<'m365-graph'>;

const text = z.string().nullish();

const issueSchema = z.object({
  id: z.string().min(1),
  title: text,
  service: text,
  feature: text,
  featureGroup: text,
  classification: text,
  status: text,
  isResolved: z.boolean().nullish(),
  startDateTime: text,
  endDateTime: text,
  lastModifiedDateTime: text,
});

const healthSchema = z.object({
  id: text,
  service: z.string().min(1),
  status: z.string(),
  issues: z.array(issueSchema).nullish(),
});

type Issue = z.infer<typeof issueSchema>;
type Health = z.infer<typeof healthSchema>;

interface Payload {
  issues: Issue[];
  /** Present only for healthOverviews / serviceHealth shapes. */
  overviews?: Health[];
}

const STATUS = new Map<string, Status>([
  ['serviceoperational', 'operational'],
  ['servicerestored', 'operational'],
  ['postincidentreviewpublished', 'operational'],
  ['falsepositive', 'operational'],
  ['resolved', 'operational'],
  ['resolvedexternal', 'operational'],
  ['mitigated', 'operational'],
  ['mitigatedexternal', 'operational'],
  ['investigating', 'degraded'],
  ['reported', 'degraded'],
  ['confirmed', 'degraded'],
  ['verifyingservice', 'degraded'],
  ['servicedegradation', 'degraded'],
  ['restoringservice', 'partial_outage'],
  ['extendedrecovery', 'partial_outage'],
  ['serviceinterruption', 'major_outage'],
]);

function mapStatus(value: string | null | undefined): Status {
  return (value && STATUS.get(value.trim().toLowerCase())) || 'unknown';
}

/** UTF-8 punctuation mis-decoded as CP437 by some exports ("Admins’" written "AdminsÔÇÖ"). */
const MOJIBAKE: [string, string][] = [
  ['ÔÇÖ', '\u2019'],
  ['ÔÇÿ', '\u2018'],
  ['ÔÇ£', '\u201C'],
  ['ÔÇØ', '\u201D'],
  ['ÔÇô', '\u2013'],
  ['ÔÇö', '\u2014'],
  ['ÔÇª', '\u2026'],
];
export function repairMojibake(s: string): string {
  return s.includes('Ô') ? MOJIBAKE.reduce((acc, [bad, good]) => acc.split(bad).join(good), s) : s;
}

const looksLikeIssue = (v: object) => 'isResolved' in v || 'title' in v || 'classification' in v;

function readPayload(body: Buffer | string, sourceId: string): Payload {
  let raw: string;
  try {
    raw = decodeText(body, { xmlDeclaration: false, what: 'Graph response' });
  } catch (err) {
    throw badPayload(sourceId, (err as Error).message);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    const start = raw.slice(0, 40).replace(/\s+/g, ' ').trim();
    throw badPayload(sourceId, `Graph response is not JSON (${(err as Error).message}; starts with "${start}")`);
  }
  const container = Array.isArray(json) ? 'array' : json !== null && typeof json === 'object' && Array.isArray((json as { value?: unknown }).value) ? 'value' : 'entity';
  const rows: unknown[] = container === 'array' ? (json as unknown[]) : container === 'value' ? (json as { value: unknown[] }).value : [json];
  const where = (i: number) => (container === 'array' ? `[${i}]` : container === 'value' ? `value[${i}]` : '(root)');
  const payload: Payload = { issues: [] };
  rows.forEach((row, i) => {
    if (row === null || typeof row !== 'object') throw badPayload(sourceId, `Graph response ${where(i)} is not an object`);
    const issue = looksLikeIssue(row);
    const parsed = (issue ? issueSchema : healthSchema).safeParse(row);
    if (!parsed.success)
      throw badPayload(sourceId, `Graph response ${where(i)} does not match the ${issue ? 'serviceHealthIssue' : 'serviceHealth'} schema ${describeIssue(parsed.error)}`);
    if (issue) payload.issues.push(parsed.data as Issue);
    else {
      const health = parsed.data as Health;
      (payload.overviews ??= []).push(health);
      for (const nested of health.issues ?? []) payload.issues.push({ ...nested, service: nested.service ?? health.service });
    }
  });
  return payload;
}

const same = (a: string | null | undefined, b: string) => !!a && a.trim().toLowerCase() === b.trim().toLowerCase();

function issueStatus(issue: Issue): Status {
  if (issue.isResolved) return 'operational';
  const status = mapStatus(issue.status);
  const advisory = (issue.classification ?? '').trim().toLowerCase() === 'advisory';
  return advisory && (status === 'partial_outage' || status === 'major_outage') ? 'degraded' : status;
}

const iso = (t: string | null | undefined): string | undefined => {
  const ms = t ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
};

function evidence(target: Observation | UpstreamItem, issue: Issue): void {
  if (issue.title) target.title = repairMojibake(issue.title);
  target.upstreamId = issue.id;
  const started = iso(issue.startDateTime);
  const updated = iso(issue.lastModifiedDateTime);
  if (started) target.startedAt = started;
  if (updated) target.updatedAt = updated;
}

function observe(payload: Payload, source: M365Source, component: M365Source['components'][number], observedAt: string): Observation {
  const service = component.match?.service ?? component.name;
  const feature = component.match?.feature;
  const o: Observation = { sourceId: source.id, componentId: component.id, status: 'operational', observedAt };
  const issues = payload.issues
    .filter((i) => same(i.service, service))
    .filter((i) => !feature || same(i.feature, feature) || same(i.featureGroup, feature));
  const open = issues.filter((i) => !i.isResolved);
  const overview = feature ? undefined : payload.overviews?.find((h) => same(h.service, service) || same(h.id, service));
  if (payload.overviews && !feature && !overview && open.length === 0) {
    o.status = 'unknown';
    o.error = `source "${source.id}": component "${component.id}": service "${service}" is not in the Graph health overview (services: ${payload.overviews.map((h) => h.service).join(', ')})`;
    return o;
  }
  const statuses = open.map(issueStatus);
  if (overview) statuses.push(mapStatus(overview.status));
  o.status = worstStatus(statuses);
  const deciding = open
    .filter((i) => issueStatus(i) === o.status)
    .sort((a, b) => (iso(b.lastModifiedDateTime) ?? '').localeCompare(iso(a.lastModifiedDateTime) ?? ''))[0];
  if (deciding) evidence(o, deciding);
  else if (overview && o.status !== 'operational') o.title = `${overview.service}: ${overview.status}`;
  if (o.status === 'unknown') {
    const odd = open.find((i) => issueStatus(i) === 'unknown')?.status ?? overview?.status;
    o.error = `source "${source.id}": component "${component.id}": unrecognised Graph status "${odd ?? ''}" for service "${service}"`;
  }
  return o;
}

/** Body parser: one Graph response (issues page, health overviews, one entity) → observations. */
export function parseM365Graph(body: Buffer | string, source: M365Source, observedAt: string): Observation[] {
  const payload = readPayload(body, source.id);
  return source.components.map((c) => observe(payload, source, c, observedAt));
}

/** Config-free (`dialtone parse --kind m365-graph`, conformance): every service rollup and issue. */
export function decodeM365Graph(body: Buffer | string): UpstreamItem[] {
  const payload = readPayload(body, '(parse)');
  const items: UpstreamItem[] = (payload.overviews ?? []).map((h) => {
    const item: UpstreamItem = { key: h.service, name: `${h.service} (service health: ${h.status})`, status: mapStatus(h.status) };
    if (h.id) item.upstreamId = h.id;
    if (item.status === 'unknown') item.error = `unrecognised Graph service status "${h.status}"`;
    return item;
  });
  for (const issue of payload.issues) {
    const status = issueStatus(issue);
    const item: UpstreamItem = {
      key: issue.service ?? '(no service)',
      name: `${issue.id} ${issue.classification ?? ''} ${issue.isResolved ? 'resolved' : 'open'} (${issue.status ?? 'no status'})`.replace(/\s+/g, ' '),
      status,
    };
    evidence(item, issue);
    if (status === 'unknown') item.error = `unrecognised Graph issue status "${issue.status ?? ''}"`;
    items.push(item);
  }
  return items;
}

// ── Reader: token + paging ───────────────────────────────────────────────────────────────────

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Tokens per cold start, keyed by token URL, client and scope. */
const tokens = new Map<string, CachedToken>();

/** Test hook and "credentials rotated" escape hatch. */
export function clearM365TokenCache(): void {
  tokens.clear();
}

const tokenResponse = z.object({
  access_token: z.string().min(1),
  expires_in: z.union([z.number(), z.string().regex(/^\d+$/)]).optional(),
  token_type: z.string().optional(),
});

const pageSchema = z.object({ value: z.array(z.unknown()), '@odata.nextLink': z.string().nullish() });

/** Leave this much of a token's life unused (clock skew, a long poll). */
const TOKEN_MARGIN_MS = 5 * 60_000;
const MAX_BACKOFF_MS = 15 * 60_000;

function describeRef(ref: SecretRef): string {
  return 'ssm' in ref ? `SSM parameter "${ref.ssm}"` : 'secretsManager' in ref ? `Secrets Manager secret "${ref.secretsManager}"` : `environment variable ${ref.env}`;
}

export function tokenUrlOf(source: M365Source): string {
  return source.tokenUrl ?? `https://login.microsoftonline.com/${encodeURIComponent(source.tenantId)}/oauth2/v2.0/token`;
}

function graphBase(source: M365Source): URL {
  const base = new URL(source.url);
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  return base;
}

class ReadFailure extends Error {
  constructor(
    readonly error: DialtoneError,
    readonly retryAfter?: string,
  ) {
    super(error.message);
  }
}

function fail(source: M365Source, code: DialtoneError['code'], message: string): never {
  throw new ReadFailure(new DialtoneError(code, `source "${source.id}": ${message}`, { sourceId: source.id }));
}

function unwrap(source: M365Source, what: string, outcome: FetchOutcome): Buffer {
  if (outcome.kind === 'ok') return outcome.body;
  if (outcome.kind === 'not-modified') fail(source, 'SOURCE.HTTP_STATUS', `${what}: unexpected 304 Not Modified`);
  const { error } = outcome;
  throw new ReadFailure(new DialtoneError(error.code, `source "${source.id}": ${what}: ${error.message}`, { ...error.details, sourceId: source.id }), outcome.retryAfter);
}

function parseJson<S extends z.ZodType>(source: M365Source, what: string, body: Buffer, schema: S): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(decodeText(body, { xmlDeclaration: false, what }));
  } catch {
    fail(source, 'SOURCE.BAD_PAYLOAD', `${what} is not JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) fail(source, 'SOURCE.BAD_PAYLOAD', `${what} does not match the expected schema ${describeIssue(parsed.error)}`);
  return parsed.data;
}

async function token(source: M365Source, ctx: ReadContext, fresh: boolean): Promise<string> {
  const url = tokenUrlOf(source);
  const scope = `${graphBase(source).origin}/.default`;
  const key = `${url}|${source.clientId}|${scope}`;
  const cached = tokens.get(key);
  if (!fresh && cached && ctx.now.getTime() < cached.expiresAt - TOKEN_MARGIN_MS) return cached.token;
  tokens.delete(key);

  if (!ctx.secrets) fail(source, 'SOURCE.UNREACHABLE', 'no secret resolver in the read context: the client secret cannot be read');
  const resolve = ctx.secrets;
  // The resolver's message names the reference, never the value.
  const secret = await resolve(source.clientSecret).catch((err: unknown) =>
    fail(source, 'SOURCE.UNREACHABLE', `cannot read the client secret from ${describeRef(source.clientSecret)}: ${(err as Error).message}`),
  );
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: source.clientId, client_secret: secret, scope });
  const outcome = await fetchUpstream(url, {
    method: 'POST',
    body: form.toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    timeoutMs: source.timeoutMs,
    maxBytes: 64 * 1024,
    allow: ctx.allow,
    ...(ctx.onlyAllowed ? { onlyAllowed: true } : {}),
    maxRedirects: 0,
  });
  // fetchUpstream's messages already name the (redacted) URL.
  const response = parseJson(source, `token response from ${redactUrl(new URL(url))}`, unwrap(source, 'token request', outcome), tokenResponse);
  const lifetimeMs = Number(response.expires_in ?? 3600) * 1000;
  tokens.set(key, { token: response.access_token, expiresAt: ctx.now.getTime() + lifetimeMs });
  return response.access_token;
}

async function readIssues(source: M365Source, ctx: ReadContext): Promise<unknown[]> {
  const base = graphBase(source);
  let next: string | undefined = new URL('admin/serviceAnnouncement/issues?$filter=isResolved%20eq%20false', base).href;
  let bearer = await token(source, ctx, false);
  let retried = false;
  const values: unknown[] = [];
  for (let page = 1; next !== undefined; page++) {
    if (page > source.maxPages) fail(source, 'SOURCE.BAD_PAYLOAD', `Graph issues: more than ${source.maxPages} pages (maxPages); not all open issues could be read`);
    const url: URL = new URL(next);
    // The bearer token goes to Graph only: a nextLink elsewhere is refused, not followed.
    if (url.origin !== base.origin) fail(source, 'SOURCE.BAD_PAYLOAD', `Graph issues page ${page - 1}: @odata.nextLink points to another origin (${redactUrl(url)}), refused`);
    const outcome = await fetchUpstream(url.href, {
      headers: { authorization: `Bearer ${bearer}`, accept: 'application/json' },
      timeoutMs: source.timeoutMs,
      maxBytes: source.maxBytes,
      allow: ctx.allow,
    ...(ctx.onlyAllowed ? { onlyAllowed: true } : {}),
    });
    if (outcome.kind === 'error' && outcome.error.details?.status === 401 && !retried) {
      // Revoked or rotated: one fresh token, then the same page again.
      retried = true;
      bearer = await token(source, ctx, true);
      page--;
      continue;
    }
    const what = `Graph issues page ${page}`;
    const body = parseJson(source, what, unwrap(source, what, outcome), pageSchema);
    values.push(...body.value);
    next = body['@odata.nextLink'] ?? undefined;
  }
  return values;
}

function withoutVersion(prev: SourceState | undefined, sourceId: string): Omit<SourceState, 'version'> {
  if (!prev) return { sourceId, consecutiveFailures: 0 };
  const { version: _v, ...rest } = prev;
  return rest;
}

/** CustomReader for `m365-graph` (registered in feeds.ts). */
export const readM365Graph: CustomReader<'m365-graph'> = async (source, prev, ctx) => {
  const base = withoutVersion(prev, source.id);
  const { retryAfterUntil: _r, backoffCount: _b, ...steady } = base;
  let values: unknown[];
  try {
    values = await readIssues(source, ctx);
  } catch (err) {
    if (!(err instanceof ReadFailure)) throw err;
    const failed: SourceRead = { kind: 'failed', error: err.error, state: { ...steady, consecutiveFailures: base.consecutiveFailures + 1 } };
    const status = err.error.details?.status;
    if (status === 429 || (status === 503 && err.retryAfter !== undefined)) {
      const backoffCount = (base.backoffCount ?? 0) + 1;
      const waitMs = Math.min(MAX_BACKOFF_MS, Math.max(parseRetryAfter(err.retryAfter, ctx.now) ?? 0, source.everySeconds * 1000 * 2 ** (backoffCount - 1)));
      failed.state = { ...failed.state, retryAfterUntil: new Date(ctx.now.getTime() + waitMs).toISOString(), backoffCount };
    }
    return failed;
  }
  const body = Buffer.from(JSON.stringify({ value: values }));
  const bodyHash = `sha256:${createHash('sha256').update(body).digest('hex')}`;
  const recovered = { ...steady, consecutiveFailures: 0 };
  if (base.consecutiveFailures === 0 && bodyHash === prev?.bodyHash) return { kind: 'unchanged', state: recovered };
  let observations: Observation[];
  try {
    observations = parseM365Graph(body, source, ctx.now.toISOString());
  } catch (err) {
    if (!(err instanceof DialtoneError)) throw err;
    return { kind: 'failed', error: err, state: { ...steady, consecutiveFailures: base.consecutiveFailures + 1 } };
  }
  return {
    kind: 'changed',
    observations: observations.map((o) => ({ ...o, payloadHash: bodyHash })),
    state: { ...recovered, bodyHash, lastChangedAt: ctx.now.toISOString() },
  };
};
