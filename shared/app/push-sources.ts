import type { SourceConfig } from '../config/schema.js';
import { pushSourceSchemas } from '../config/sources-push.js';
import type { Model } from '../domain/model.js';
import type { Observation } from '../domain/observation.js';
import type { SourceState } from '../domain/records.js';
import type { PushWatch } from './ops-alerts.js';

export type PushKind = (typeof pushSourceSchemas)[number]['shape']['kind']['value'];
/** Sources that call us instead of being fetched (the kinds of shared/config/sources-push.ts). */
export type PushSourceConfig = Extract<SourceConfig, { kind: PushKind }>;

const PUSH_KINDS: ReadonlySet<string> = new Set(pushSourceSchemas.map((s) => s.shape.kind.value));

export function isPush(source: SourceConfig): source is PushSourceConfig {
  return PUSH_KINDS.has(source.kind);
}

export function pushSourcesOf(model: Model): PushSourceConfig[] {
  return model.config.sources.filter(isPush);
}

/**
 * What every push source says this cycle, so hysteresis, services and incidents treat it like a
 * polled read:
 * - a heartbeat reads `operational` while its last heartbeat is within `graceSeconds`,
 *   `major_outage` once it is late, and `unknown` until the first heartbeat arrives;
 * - any other push source repeats what its latest push said about each component (its
 *   standing status), until the next push changes it. A single push is one read; the poll
 *   cycle's repeats are what confirm it after `openAfter` / `closeAfter` reads.
 */
export function standingObservations(
  sources: readonly PushSourceConfig[],
  states: ReadonlyMap<string, SourceState>,
  now: Date,
  /** Heartbeats silent together with many others (ops-alerts.ts planPushAlerts): Unknown, not Down. */
  suspectIngest: ReadonlySet<string> = new Set(),
): Observation[] {
  const at = now.toISOString();
  const out: Observation[] = [];
  for (const source of sources) {
    const state = states.get(source.id);
    if (source.kind === 'heartbeat') {
      const o = heartbeatObservation(source, state?.lastHeartbeatAt, now);
      out.push(
        suspectIngest.has(source.id) && o.status === 'major_outage'
          ? { ...o, status: 'unknown', error: `source "${source.id}": silent together with ${suspectIngest.size - 1} other heartbeat(s): our ingest path is suspected, not the PSAP` }
          : o,
      );
      continue;
    }
    for (const c of source.components) {
      const standing = state?.push?.standing[c.id];
      if (!standing) continue;
      out.push({
        sourceId: source.id,
        componentId: c.id,
        status: standing.status,
        observedAt: at,
        ...(standing.title !== undefined ? { title: standing.title } : {}),
        ...(standing.url !== undefined ? { url: standing.url } : {}),
        ...(standing.upstreamId !== undefined ? { upstreamId: standing.upstreamId } : {}),
        ...(standing.error !== undefined ? { error: standing.error } : {}),
      });
    }
  }
  return out;
}

/** What the poll cycle watches of each heartbeat source: never heard, or silent past its grace. */
export function heartbeatWatches(sources: readonly PushSourceConfig[], states: ReadonlyMap<string, SourceState>, now: Date): PushWatch[] {
  return sources.flatMap((source): PushWatch[] => {
    if (source.kind !== 'heartbeat') return [];
    const o = heartbeatObservation(source, states.get(source.id)?.lastHeartbeatAt, now);
    const components = source.components.map((c) => c.id);
    if (o.status === 'unknown') return [{ sourceId: source.id, components, unreadable: o.error ?? 'no heartbeat received yet' }];
    return [{ sourceId: source.id, components, ...(o.status === 'major_outage' ? { silent: true } : {}) }];
  });
}

export function heartbeatObservation(source: Extract<PushSourceConfig, { kind: 'heartbeat' }>, lastHeartbeatAt: string | undefined, now: Date): Observation {
  const component = source.components[0]!;
  const base = { sourceId: source.id, componentId: component.id, observedAt: now.toISOString() };
  if (lastHeartbeatAt === undefined) return { ...base, status: 'unknown', error: `source "${source.id}": no heartbeat received yet` };
  const late = now.getTime() - Date.parse(lastHeartbeatAt) > source.graceSeconds * 1000;
  return late
    ? { ...base, status: 'major_outage', title: `no heartbeat from ${component.name} since ${lastHeartbeatAt} (grace ${source.graceSeconds} s)` }
    : { ...base, status: 'operational' };
}
