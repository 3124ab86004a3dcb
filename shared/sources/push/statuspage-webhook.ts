import * as z from 'zod';
import type { SourceOf } from '../../config/schema.js';
import type { Status } from '../../domain/status.js';
import { badPush, firstIssue, sameName, type ComponentUpdate, type PushEvent } from './types.js';
import { COMPONENT_STATUS, PAGE_INDICATOR } from '../statuspage.js';

/**
 * Atlassian Statuspage webhook notifications: a component_update
 * (`component_update.new_status`) or an incident (its newest update's `affected_components[]`,
 * else the incident's `components[]`). Components match by upstream id (`code` in
 * affected_components), exact name, or `{ page: true }` for the page's `status_indicator`.
 * Every enum is open: an unrecognised value is `unknown` with an error naming the field.
 */

type Source = SourceOf<'statuspage-webhook'>;
type ComponentConfig = Source['components'][number];



const text = z.string().nullish();
const componentRow = z.object({ id: z.string().min(1), name: z.string(), status: z.string() });

const notificationSchema = z
  .object({
    page: z.object({ id: z.string().min(1), status_indicator: text, status_description: text }),
    component: componentRow.nullish(),
    component_update: z
      .object({ id: z.string().min(1), component_id: z.string().min(1), old_status: text, new_status: z.string(), created_at: text })
      .nullish(),
    incident: z
      .object({
        id: z.string().min(1),
        name: z.string(),
        status: z.string(),
        shortlink: text,
        updated_at: text,
        incident_updates: z
          .array(
            z.object({
              id: z.string().min(1),
              status: z.string(),
              affected_components: z.array(z.object({ code: text, name: text, new_status: text })).nullish(),
            }),
          )
          .default([]),
        components: z.array(componentRow).nullish(),
      })
      .nullish(),
  })
  .refine((n) => n.component_update != null || n.incident != null, {
    path: ['component_update'],
    message: 'a Statuspage notification carries component_update or incident; this has neither',
  });

type Notification = z.infer<typeof notificationSchema>;

export function parseStatuspageWebhook(json: unknown, source: Source): PushEvent {
  const parsed = notificationSchema.safeParse(json);
  if (!parsed.success) {
    const { field, message } = firstIssue(parsed.error);
    throw badPush(source.id, field, message);
  }
  const n = parsed.data;
  const updates = source.components.map((c) => observe(n, c, source.id)).filter((u): u is ComponentUpdate => u !== undefined);
  const latest = n.incident?.incident_updates[0];
  const key = n.component_update ? `statuspage:cu:${n.component_update.id}` : `statuspage:inc:${n.incident!.id}:${latest?.id ?? n.incident!.updated_at ?? n.incident!.status}`;
  return { key, updates, ...(updates.length === 0 ? { ignored: 'the notification names none of the configured components' } : {}) };
}

function statusOf(value: string, field: string, sourceId: string, map: ReadonlyMap<string, Status>): Pick<ComponentUpdate, 'status' | 'error'> {
  const status = map.get(value);
  if (status) return { status };
  return { status: 'unknown', error: `source "${sourceId}": ${field} "${value}" is not a known Statuspage value (${[...map.keys()].join(', ')})` };
}

function observe(n: Notification, c: ComponentConfig, sourceId: string): ComponentUpdate | undefined {
  const match = c.match ?? { name: c.name };
  if ('page' in match) {
    if (n.page.status_indicator == null) return undefined;
    return { componentId: c.id, ...statusOf(n.page.status_indicator, 'page.status_indicator', sourceId, PAGE_INDICATOR), ...(n.page.status_description ? { title: n.page.status_description } : {}) };
  }
  const isIt = (id: string | null | undefined, name: string | null | undefined) => ('id' in match ? id === match.id : name != null && sameName(name, match.name));

  if (n.component_update) {
    const cu = n.component_update;
    // The component the update is about; its name only from the full component row of the same id.
    if (!isIt(cu.component_id, n.component?.id === cu.component_id ? n.component.name : undefined)) return undefined;
    return { componentId: c.id, ...statusOf(cu.new_status, 'component_update.new_status', sourceId, COMPONENT_STATUS), upstreamId: cu.id, ...(n.component ? { title: `${n.component.name}: ${cu.new_status}` } : {}) };
  }

  const incident = n.incident!;
  const context = { upstreamId: incident.id, title: incident.name, ...(incident.shortlink ? { url: incident.shortlink } : {}) };
  const affected = (incident.incident_updates[0]?.affected_components ?? []).findIndex((a) => isIt(a.code, a.name));
  if (affected >= 0) {
    const a = incident.incident_updates[0]!.affected_components![affected]!;
    if (a.new_status == null) return { componentId: c.id, status: 'unknown', error: `source "${sourceId}": incident.incident_updates[0].affected_components[${affected}].new_status is missing`, ...context };
    return { componentId: c.id, ...statusOf(a.new_status, `incident.incident_updates[0].affected_components[${affected}].new_status`, sourceId, COMPONENT_STATUS), ...context };
  }
  const row = (incident.components ?? []).findIndex((r) => isIt(r.id, r.name));
  if (row < 0) return undefined;
  return { componentId: c.id, ...statusOf(incident.components![row]!.status, `incident.components[${row}].status`, sourceId, COMPONENT_STATUS), ...context };
}
