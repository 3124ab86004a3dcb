import type { SourceKind } from '../config/schema.js';
import { sourceSchema } from '../config/schema.js';
import { DialtoneError } from '../domain/errors.js';
import { feedDecoders } from './feeds.js';
import type { BodyDecoder, UpstreamItem } from './parsers.js';
import { parseAgencyReport } from './push/agency-report.js';
import { parseAwsHealth } from './push/aws-health.js';
import { parseStatuspageWebhook } from './push/statuspage-webhook.js';
import { decodeText } from './text.js';
import { vendorDecoders } from './vendors.js';

/**
 * Config-free reading of one payload of a kind (`dialtone parse --kind KIND FILE`): every
 * upstream item it lists, on our status scale. Polled kinds have decoders; push kinds are read
 * through their real parsers with a throwaway source that watches everything the payload names.
 */

const DECODERS: Partial<Record<SourceKind, BodyDecoder>> = { ...vendorDecoders, ...feedDecoders };

const NO_TOKEN = { tokenSha256: '0'.repeat(64) };

function json(body: Buffer | string, kind: string): unknown {
  try {
    return JSON.parse(typeof body === 'string' ? body : decodeText(body));
  } catch (err) {
    throw new DialtoneError('SOURCE.BAD_PAYLOAD', `${kind}: not JSON: ${(err as Error).message}`);
  }
}

/** Every object in a JSON value (depth-first), for pulling the names a push payload mentions. */
function* objects(value: unknown, depth = 0): Generator<Record<string, unknown>> {
  if (depth > 12 || value === null || typeof value !== 'object') return;
  if (!Array.isArray(value)) yield value as Record<string, unknown>;
  for (const v of Object.values(value as object)) {
    if (typeof v === 'string' && v.trim().startsWith('{')) {
      try {
        yield* objects(JSON.parse(v), depth + 1);
      } catch {
        /* a string that only looks like JSON */
      }
    } else yield* objects(v, depth + 1);
  }
}

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
const safeId = (s: string) => s.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64) || 'x';

function pushItems(updates: Array<{ componentId: string; status: UpstreamItem['status']; title?: string; url?: string; upstreamId?: string; error?: string }>, names: Map<string, string>): UpstreamItem[] {
  return updates.map((u) => ({
    key: u.componentId,
    name: names.get(u.componentId) ?? u.componentId,
    status: u.status,
    ...(u.title !== undefined ? { title: u.title } : {}),
    ...(u.url !== undefined ? { url: u.url } : {}),
    ...(u.upstreamId !== undefined ? { upstreamId: u.upstreamId } : {}),
    ...(u.error !== undefined ? { error: u.error } : {}),
  }));
}

function decodePush(kind: SourceKind, body: Buffer | string): UpstreamItem[] {
  const value = json(body, kind);
  const names = new Map<string, string>();
  const component = (id: string, name: string, match: unknown) => {
    names.set(id, name);
    return { id, name, provider: 'upstream', match };
  };
  if (kind === 'statuspage-webhook') {
    const components = [component('page', 'page status', { page: true })];
    const seen = new Set<string>();
    for (const o of objects(value)) {
      const id = str(o.id) ?? str(o.code) ?? str(o.component_id);
      const name = str(o.name);
      if (!id || !name || seen.has(id) || !('status' in o || 'new_status' in o || 'old_status' in o)) continue;
      seen.add(id);
      components.push(component(safeId(`c-${id}`), name, { id }));
    }
    const source = sourceSchema.parse({ id: 'parse', kind, auth: NO_TOKEN, components });
    return pushItems(parseStatuspageWebhook(value, source as never).updates, names);
  }
  if (kind === 'aws-health') {
    const pairs = new Map<string, { service: string; region?: string }>();
    for (const o of objects(value)) {
      const service = str(o.service);
      if (!service || !(str(o.eventTypeCode) || str(o.eventTypeCategory))) continue;
      const region = str(o.eventRegion);
      pairs.set(`${service}|${region ?? ''}`, { service, ...(region ? { region } : {}) });
    }
    if (pairs.size === 0) throw new DialtoneError('SOURCE.BAD_PAYLOAD', 'aws-health: no event with a service and an event type in the payload');
    const components = [...pairs.values()].map((m) => component(safeId(`${m.service}-${m.region ?? 'any'}`), `${m.service}${m.region ? ` ${m.region}` : ''}`, m));
    const source = sourceSchema.parse({ id: 'parse', kind, acceptTestEvents: true, components });
    return parseAwsHealth(value, source as never).flatMap((e) => pushItems(e.updates, names));
  }
  if (kind === 'agency-report') {
    const source = sourceSchema.parse({ id: 'parse', kind, auth: NO_TOKEN, components: [component('agency', 'agency', undefined)] });
    return pushItems(parseAgencyReport(value, source as never).updates, names);
  }
  throw new DialtoneError('SOURCE.BAD_PAYLOAD', `${kind}: a ${kind} push carries no payload to parse`);
}

export function parsableKinds(): string[] {
  return [...Object.keys(DECODERS), 'statuspage-webhook', 'aws-health', 'agency-report'].sort();
}

export function decodePayload(kind: string, body: Buffer | string): UpstreamItem[] {
  const decoder = DECODERS[kind as SourceKind];
  if (decoder) return decoder(body);
  if (kind === 'statuspage-webhook' || kind === 'aws-health' || kind === 'agency-report') return decodePush(kind, body);
  throw new DialtoneError('SOURCE.BAD_PAYLOAD', `unknown kind "${kind}"; one of: ${parsableKinds().join(', ')}`);
}
