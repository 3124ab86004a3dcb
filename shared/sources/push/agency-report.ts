import * as z from 'zod';
import type { SourceOf } from '../../config/schema.js';
import { parseServiceState, SERVICE_STATES, type ServiceState } from '../../domain/nena.js';
import type { Status } from '../../domain/status.js';
import { badPush, firstIssue, type PushEvent } from './types.js';

/**
 * A PSAP declares its own NENA i3 ServiceState (NENA-STA-010.3 §10.12). Body either
 * `{ "state": "Down", "reason": "…" }` or the i3 `emergency-ServiceState` body
 * `{ "service": {…}, "serviceState": { "state": "Down", "reason": "…" } }`. Older spellings
 * (Unmanned, PartialService) are accepted. TO_STATUS below puts each state on the status scale;
 * a state it does not list reads unknown.
 */

type Source = SourceOf<'agency-report'>;

const TO_STATUS: Partial<Record<ServiceState, Status>> = {
  Normal: 'operational',
  ScheduledMaintenanceAvailable: 'maintenance',
  ScheduledMaintenanceDown: 'maintenance',
  Partial: 'degraded',
  MajorIncidentInProgress: 'degraded',
  Overloaded: 'partial_outage',
  GoingDown: 'major_outage',
  Down: 'major_outage',
  Unstaffed: 'major_outage',
};

const stateBody = z.object({ state: z.string().min(1), reason: z.string().max(500).nullish() });
const reportSchema = z.union([
  stateBody,
  z.object({ serviceState: stateBody, service: z.object({ name: z.string().nullish(), domain: z.string().nullish() }).nullish() }),
]);

export function nenaToStatus(state: ServiceState): Status {
  return TO_STATUS[state] ?? 'unknown';
}

export function parseAgencyReport(json: unknown, source: Source): PushEvent {
  const parsed = reportSchema.safeParse(json);
  if (!parsed.success) {
    // The union reports its own issue; name the field a sender most likely got wrong.
    const hasNested = typeof json === 'object' && json !== null && 'serviceState' in json;
    const { field, message } = firstIssue(hasNested ? (z.object({ serviceState: stateBody }).safeParse(json).error ?? parsed.error) : (stateBody.safeParse(json).error ?? parsed.error));
    throw badPush(source.id, field, message);
  }
  const body = 'serviceState' in parsed.data ? parsed.data.serviceState : parsed.data;
  const field = 'serviceState' in parsed.data ? 'serviceState.state' : 'state';
  const state = parseServiceState(body.state);
  if (!state) throw badPush(source.id, field, `"${body.state}" is not a NENA ServiceState (${SERVICE_STATES.filter((s) => s !== 'Unknown').join(', ')}; also Unmanned, PartialService)`);
  const component = source.components[0]!;
  const status = nenaToStatus(state);
  const title = `${component.name} reports ${state}${body.reason ? `: ${body.reason}` : ''}`;
  return {
    updates: [
      {
        componentId: component.id,
        status,
        title,
        ...(status === 'unknown' ? { error: `source "${source.id}": ${field} "${state}" is set by an observer, not by the service itself; read as unknown` } : {}),
      },
    ],
  };
}
