import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { DialtoneError } from '../domain/errors.js';
import type { Observation } from '../domain/observation.js';
import type { PushedStatus, PushState, SourceState } from '../domain/records.js';
import { worstStatus, type Status } from '../domain/status.js';
import { parseAgencyReport } from '../sources/push/agency-report.js';
import { parseAwsHealth } from '../sources/push/aws-health.js';
import { parseStatuspageWebhook } from '../sources/push/statuspage-webhook.js';
import type { ComponentUpdate, PushEvent } from '../sources/push/types.js';
import { applyObservations, type EvaluateDeps, type EvaluationReport } from './poll-cycle.js';
import { heartbeatObservation, pushSourcesOf, type PushSourceConfig } from './push-sources.js';

/**
 * Push inputs (the pushed counterpart of the poll schedule): webhooks, heartbeats, agency reports and AWS Health
 * events. `ingestPush` is POST /push/{sourceId}: size cap → authentication → validation (zod)
 * → record (the source's SourceState, compare-and-set) → the same evaluation path as the poll
 * cycle (applyObservations). Expected failures are answers, never throws:
 *
 * | status | when |
 * |---|---|
 * | 202 | accepted: observations recorded and evaluated |
 * | 200 | a duplicate (same dedupe key as an accepted push, or the standing status again): nothing new |
 * | 400 | malformed: not JSON, or a field is wrong (named in `field`) |
 * | 401 | missing or wrong token, missing or wrong signature |
 * | 404 | no push source with that id |
 * | 409 | replay: a signed push outside the time window, or the same signature again |
 * | 413 | body over 256 KiB |
 * | 500 | the signing secret is not in the environment |
 *
 * Authentication (config `auth`): a bearer token whose sha256 is in the config, compared in
 * constant time (Statuspage cannot sign or set headers, so its token rides in the URL); and/or
 * HMAC-SHA256 over "<timestamp>.<body>" with the secret named by `auth.hmac.secretEnv`, which
 * adds a replay window (`toleranceSeconds`) and refuses a signature seen before.
 *
 * Pushes are hints, like any single read: one push is one observation, and the poll cycle
 * repeats each push source's standing status every cycle until the next push, so hysteresis
 * confirms it after `openAfter` reads. Statuspage documents no webhook signature, so to confirm
 * one by polling, also configure a polled `statuspage` source for the page and make
 * services depend on both.
 */

export const MAX_PUSH_BYTES = 256 * 1024;
/** Dedupe keys and signatures remembered per source (newest first). */
export const SEEN_LIMIT = 200;
/** Open upstream items remembered per component (oldest dropped first). */
const OPEN_LIMIT = 50;
const CAS_ROUNDS = 5;

export interface PushRequest {
  headers: Readonly<Record<string, string | undefined>>;
  body: string;
  receivedAt: Date;
  /** A token from the URL (the last path segment, or ?token=), for senders that can only be given a URL. */
  urlToken?: string;
}

export type PushResponseBody =
  | {
      ok: true;
      sourceId: string;
      duplicate?: true;
      /** Observations recorded and evaluated. */
      observations: number;
      /** Why parts of the push concern no configured component. */
      ignored?: string[];
      /** Values we could not read: recorded as unknown. */
      unknown?: string[];
      componentTransitions: number;
      serviceTransitions: number;
      notices: number;
    }
  | { ok: false; sourceId: string; error: string; field?: string };

export interface PushResponse {
  status: number;
  body: PushResponseBody;
}

export interface IngestDeps extends EvaluateDeps {
  /** Secrets by name (auth.hmac.secretEnv): the process environment in Lambda and locally. */
  secrets?: (name: string) => string | undefined;
}

type Accepted = { kind: 'accepted'; signature?: string };
type Refused = { kind: 'refused'; status: number; error: string; field?: string };

const refuse = (status: number, error: string, field?: string): Refused => ({ kind: 'refused', status, error, ...(field !== undefined ? { field } : {}) });
const answer = (sourceId: string, r: Refused): PushResponse => ({
  status: r.status,
  body: { ok: false, sourceId, error: r.error, ...(r.field !== undefined ? { field: r.field } : {}) },
});

function lowerCaseHeaders(headers: PushRequest['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k.toLowerCase()] = v;
  return out;
}

function authenticate(source: PushSourceConfig, req: PushRequest, deps: IngestDeps): Accepted | Refused {
  const auth = 'auth' in source ? source.auth : undefined;
  if (!auth) return refuse(401, `source "${source.id}" takes events from its EventBridge rule only (configure auth to accept HTTP pushes)`);
  const h = lowerCaseHeaders(req.headers);
  if (auth.tokenSha256 !== undefined) {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(h.authorization ?? '')?.[1];
    const presented = bearer ?? h['x-dialtone-token'] ?? req.urlToken;
    if (!presented) return refuse(401, 'missing token (Authorization: Bearer, X-Dialtone-Token, or in the URL)');
    const given = createHash('sha256').update(presented, 'utf8').digest();
    if (!timingSafeEqual(given, Buffer.from(auth.tokenSha256, 'hex'))) return refuse(401, 'token not accepted');
  }
  if (auth.hmac === undefined) return { kind: 'accepted' };
  const { signatureHeader, timestampHeader, toleranceSeconds, secretEnv } = auth.hmac;
  const signature = h[signatureHeader];
  const timestamp = h[timestampHeader];
  if (!signature || !timestamp) return refuse(401, `missing ${signatureHeader} or ${timestampHeader} header`);
  if (!/^\d{1,12}$/.test(timestamp.trim())) return refuse(401, `${timestampHeader} is not Unix time in seconds`);
  const secret = deps.secrets?.(secretEnv);
  if (!secret) {
    deps.log.error('push signing secret missing from the environment', { sourceId: source.id, secretEnv });
    return refuse(500, `source "${source.id}": signing secret ${secretEnv} is not configured`);
  }
  const expected = createHmac('sha256', secret).update(`${timestamp.trim()}.`).update(req.body, 'utf8').digest();
  const hex = signature.trim().replace(/^sha256=/i, '');
  const given = /^[0-9a-f]+$/i.test(hex) ? Buffer.from(hex, 'hex') : Buffer.alloc(0);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return refuse(401, 'signature does not match the body');
  // Checked after the signature, so the window cannot be probed without the secret.
  const age = req.receivedAt.getTime() / 1000 - Number(timestamp.trim());
  if (Math.abs(age) > toleranceSeconds) return refuse(409, `replay refused: signed ${Math.round(age)} s from now, outside the ±${toleranceSeconds} s window`);
  return { kind: 'accepted', signature: `sig:${expected.toString('hex')}` };
}

function parse(source: PushSourceConfig, json: unknown): PushEvent[] {
  switch (source.kind) {
    case 'statuspage-webhook':
      return [parseStatuspageWebhook(json, source)];
    case 'aws-health':
      return parseAwsHealth(json, source);
    case 'agency-report':
      return [parseAgencyReport(json, source)];
    case 'heartbeat':
      return [];
  }
}

/** POST /push/{sourceId}: see the table above. */
export async function ingestPush(deps: IngestDeps, sourceId: string, req: PushRequest): Promise<PushResponse> {
  const source = pushSourcesOf(deps.model).find((s) => s.id === sourceId);
  if (!source) return answer(sourceId, refuse(404, `no push source "${sourceId}"`));
  const size = Buffer.byteLength(req.body, 'utf8');
  if (size > MAX_PUSH_BYTES) return answer(sourceId, refuse(413, `body is ${size} bytes, over the ${MAX_PUSH_BYTES}-byte limit`));
  const auth = authenticate(source, req, deps);
  if (auth.kind === 'refused') {
    deps.log.warn('push refused', { sourceId, status: auth.status, error: auth.error });
    return answer(sourceId, auth);
  }
  let json: unknown;
  if (source.kind !== 'heartbeat') {
    try {
      json = JSON.parse(req.body);
    } catch (err) {
      return answer(sourceId, refuse(400, `source "${sourceId}": body is not JSON (${(err as Error).message})`, '(body)'));
    }
  }
  return accept(deps, source, json, req.receivedAt, auth.signature);
}

/**
 * An AWS Health event from the EventBridge rule (functions/health-events): trusted (IAM), so no
 * token; offered to every aws-health source, each of which keeps what matches its components.
 */
export async function ingestHealthEvent(deps: IngestDeps, event: unknown, receivedAt: Date): Promise<PushResponse[]> {
  const sources = pushSourcesOf(deps.model).filter((s) => s.kind === 'aws-health');
  if (sources.length === 0) {
    deps.log.warn('an AWS Health event arrived but no aws-health source is configured');
    return [];
  }
  const out: PushResponse[] = [];
  for (const source of sources) out.push(await accept(deps, source, event, receivedAt));
  return out;
}

async function accept(deps: IngestDeps, source: PushSourceConfig, json: unknown, receivedAt: Date, signature?: string): Promise<PushResponse> {
  let events: PushEvent[];
  try {
    events = parse(source, json);
  } catch (err) {
    if (!(err instanceof DialtoneError)) throw err;
    deps.log.warn('push malformed', { sourceId: source.id, error: err.message });
    return answer(source.id, refuse(400, err.message, typeof err.details?.field === 'string' ? err.details.field : undefined));
  }

  const recorded = await record(deps, source, events, receivedAt, signature);
  if (recorded.kind === 'refused') {
    deps.log.warn('push refused', { sourceId: source.id, status: recorded.status, error: recorded.error });
    return answer(source.id, recorded);
  }
  if (recorded.kind === 'duplicate') {
    deps.log.info('push duplicate: recorded before, or the standing status again', { sourceId: source.id });
    return { status: 200, body: { ok: true, sourceId: source.id, duplicate: true, observations: 0, componentTransitions: 0, serviceTransitions: 0, notices: 0 } };
  }

  let observations = recorded.observations;
  if (source.kind === 'heartbeat') observations = await heartbeatRecovery(deps, source, receivedAt);
  const evaluation: EvaluationReport | undefined = observations.length > 0 ? await applyObservations(deps, observations) : undefined;
  const ignored = events.flatMap((e) => (e.ignored ? [e.ignored] : []));
  const unknown = observations.flatMap((o) => (o.status === 'unknown' && o.error ? [o.error] : []));
  deps.log.info('push accepted', { sourceId: source.id, kind: source.kind, observations: observations.length });
  return {
    status: 202,
    body: {
      ok: true,
      sourceId: source.id,
      observations: observations.length,
      ...(ignored.length ? { ignored } : {}),
      ...(unknown.length ? { unknown } : {}),
      componentTransitions: evaluation?.componentTransitions.length ?? 0,
      serviceTransitions: evaluation?.serviceTransitions.length ?? 0,
      notices: evaluation?.notices.length ?? 0,
    },
  };
}

/**
 * A heartbeat only moves the heartbeat time (one write); the poll cycle turns its age into a
 * read. When the component is not plainly operational (it was late, or never heard), the
 * heartbeat is also evaluated at once, so recovery does not wait for the next cycle.
 */
async function heartbeatRecovery(deps: IngestDeps, source: Extract<PushSourceConfig, { kind: 'heartbeat' }>, receivedAt: Date): Promise<Observation[]> {
  const componentId = source.components[0]!.id;
  const state = (await deps.store.getComponentStates([componentId])).get(componentId);
  if (state && state.status === 'operational' && state.candidate === undefined) return [];
  return [heartbeatObservation(source, receivedAt.toISOString(), receivedAt)];
}

type Recorded = { kind: 'recorded'; observations: Observation[] } | { kind: 'duplicate' } | Refused;

/** Folds the push into the source's state with compare-and-set, re-reading on a concurrent write. */
async function record(deps: IngestDeps, source: PushSourceConfig, events: readonly PushEvent[], receivedAt: Date, signature?: string): Promise<Recorded> {
  const at = receivedAt.toISOString();
  for (let round = 0; round < CAS_ROUNDS; round++) {
    const prev = (await deps.store.getSourceStates([source.id])).get(source.id);
    const { version: _v, ...base } = prev ?? { sourceId: source.id, consecutiveFailures: 0, version: 0 };
    const push: PushState = structuredClone(base.push ?? { standing: {}, seen: [] });
    if (signature !== undefined && push.seen.includes(signature)) return refuse(409, 'replay refused: this signed push was accepted before');
    const fresh = events.filter((e) => e.key === undefined || !push.seen.includes(e.key));
    if (events.length > 0 && fresh.length === 0) return { kind: 'duplicate' };

    // One observation per component: the push's final word on it. A standing status pushed again
    // (a sender's retry, a replay: a token cannot tell them apart) is no new read, since the poll
    // cycle already repeats it once a minute; only its time is refreshed.
    const observations = new Map<string, Observation>();
    let repeats = 0;
    for (const event of fresh) {
      for (const u of event.updates) {
        const standing = u.item === undefined ? push.standing[u.componentId]?.status : undefined;
        const observed = fold(push, u, at, source.id);
        if (standing !== undefined && standing === observed.status && event.key === undefined) {
          repeats++;
          continue;
        }
        if (observed.status !== 'unknown' || !observations.has(u.componentId) || observations.get(u.componentId)!.status === 'unknown') observations.set(u.componentId, observed);
      }
      if (event.key !== undefined) push.seen.unshift(event.key);
    }
    if (signature !== undefined) push.seen.unshift(signature);
    push.seen = [...new Set(push.seen)].slice(0, SEEN_LIMIT);
    push.lastPushAt = at;

    const next: SourceState = { ...base, push, version: (prev?.version ?? 0) + 1 };
    if (source.kind === 'heartbeat' && !(base.lastHeartbeatAt !== undefined && base.lastHeartbeatAt > at)) next.lastHeartbeatAt = at;
    try {
      await deps.store.saveSourceState(next, prev?.version ?? 0);
      if (repeats > 0 && observations.size === 0 && source.kind !== 'heartbeat') return { kind: 'duplicate' };
      return { kind: 'recorded', observations: [...observations.values()] };
    } catch (err) {
      if (!(err instanceof DialtoneError && err.code === 'STORE.CONFLICT')) throw err;
      deps.log.warn('push source state written concurrently; re-reading', { sourceId: source.id, round });
    }
  }
  throw new DialtoneError('STORE.CONFLICT', `source "${source.id}": state kept changing under ${CAS_ROUNDS} attempts to record a push`);
}

/** Applies one update to the push state; returns the observation it makes. */
function fold(push: PushState, u: ComponentUpdate, at: string, sourceId: string): Observation {
  const observation = (s: PushedStatus): Observation => ({
    sourceId,
    componentId: u.componentId,
    status: s.status,
    observedAt: at,
    ...(s.title !== undefined ? { title: s.title } : {}),
    ...(s.url !== undefined ? { url: s.url } : {}),
    ...(s.upstreamId !== undefined ? { upstreamId: s.upstreamId } : {}),
    ...(s.error !== undefined ? { error: s.error } : {}),
  });
  const pushed = (status: Status, from: Pick<ComponentUpdate, 'title' | 'url' | 'upstreamId' | 'error'> | PushedStatus | undefined): PushedStatus => ({
    status,
    at,
    ...(from?.title !== undefined ? { title: from.title } : {}),
    ...(from?.url !== undefined ? { url: from.url } : {}),
    ...(from?.upstreamId !== undefined ? { upstreamId: from.upstreamId } : {}),
    ...(from?.error !== undefined ? { error: from.error } : {}),
  });

  if (u.item === undefined) {
    push.standing[u.componentId] = pushed(u.status, u);
    return observation(push.standing[u.componentId]!);
  }
  // An open item: an unreadable event is one unknown read; it neither opens nor closes anything.
  if (u.status === 'unknown') return observation(pushed('unknown', u));
  const open = (push.open ??= {});
  const items = (open[u.componentId] ??= {});
  delete items[u.item];
  if (u.status !== 'operational') items[u.item] = u.status;
  for (const extra of Object.keys(items).slice(0, Math.max(0, Object.keys(items).length - OPEN_LIMIT))) delete items[extra];
  if (Object.keys(items).length === 0) delete open[u.componentId];
  if (Object.keys(open).length === 0) delete push.open;
  const worst = worstStatus(Object.values(items));
  const previous = push.standing[u.componentId];
  // Closing one event while another stays open keeps the open one's words.
  push.standing[u.componentId] = pushed(worst, u.status === 'operational' && worst !== 'operational' ? previous : u);
  return observation(push.standing[u.componentId]!);
}
