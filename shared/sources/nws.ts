import * as z from 'zod';
import type { SourceOf } from '../config/schema.js';
import type { Observation } from '../domain/observation.js';
import { alertItems, observeAlerts, type Alert, type AlertInfo, type Geocode } from './cap-alerts.js';
import type { UpstreamItem } from './parsers.js';
import { badPayload, describeIssue } from './vendor-util.js';
import { decodeText } from './text.js';

/**
 * api.weather.gov alerts (kind `nws-alerts`): `/alerts/active` as GeoJSON (`features[].properties`,
 * the default) or JSON-LD (`@graph[]`), or one alert (`/alerts/{id}`). Each alert becomes the CAP
 * model of cap-alerts.ts, so TOE filtering, county matching and the status mapping are exactly
 * those of the `cap` kind. NWS drops an alert from `/alerts/active` when it ends: an alert that is
 * gone reads as operational on the next poll. `/alerts/active/count` is not an alert list and is
 * refused with a message saying so.
 */

const str = z.string().nullish();
const list = z.array(z.string()).nullish();

const alertProps = z.object({
  id: z.string().min(1),
  '@id': str,
  areaDesc: str,
  geocode: z.record(z.string(), list).nullish(),
  references: z.array(z.object({ identifier: z.string(), sender: str, sent: str })).nullish(),
  sent: str,
  effective: str,
  onset: str,
  expires: str,
  ends: str,
  status: z.string(),
  messageType: z.string(),
  category: str,
  severity: str,
  certainty: str,
  urgency: str,
  event: z.string(),
  eventCode: z.record(z.string(), list).nullish(),
  sender: str,
  senderName: str,
  headline: str,
  description: str,
  instruction: str,
  response: str,
  parameters: z.record(z.string(), z.array(z.unknown())).nullish(),
});

const featureCollection = z.object({ features: z.array(z.object({ properties: alertProps })) });
const jsonLd = z.object({ '@graph': z.array(alertProps) });
const feature = z.object({ type: z.literal('Feature'), properties: alertProps });

type Props = z.infer<typeof alertProps>;

const iso = (t: string | null | undefined): string | undefined => {
  const ms = t ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
};

function codes(record: Record<string, string[] | null | undefined> | null | undefined): Geocode[] {
  return Object.entries(record ?? {}).flatMap(([name, values]) => (values ?? []).map((value) => ({ name, value })));
}

function toAlert(p: Props): Alert {
  const weaText = ['CMAMtext', 'CMAMlongtext'].flatMap((k) => (p.parameters?.[k] ?? []).filter((v): v is string => typeof v === 'string'));
  const info: AlertInfo = {
    event: p.event,
    eventCodes: codes(p.eventCode),
    category: p.category ?? '',
    urgency: p.urgency ?? '',
    severity: p.severity ?? '',
    certainty: p.certainty ?? '',
    responseTypes: p.response ? [p.response] : [],
    headline: p.headline ?? '',
    text: [p.description, p.instruction, ...weaText].filter(Boolean).join('\n'),
    geocodes: codes(p.geocode),
    areaDesc: p.areaDesc ?? '',
  };
  const times = { effective: iso(p.effective), onset: iso(p.onset), expires: iso(p.expires), ends: iso(p.ends) };
  for (const [k, v] of Object.entries(times)) if (v) info[k as keyof typeof times] = v;
  const alert: Alert = {
    identifier: p.id,
    sender: p.sender ?? '',
    sent: iso(p.sent) ?? p.sent ?? '',
    status: p.status,
    msgType: p.messageType,
    scope: 'Public',
    references: (p.references ?? []).map((r) => r.identifier),
    infos: [info],
  };
  const link = p['@id'] ?? undefined;
  if (link) alert.link = link;
  return alert;
}

export function readNwsAlerts(body: Buffer | string, sourceId: string): Alert[] {
  let text: string;
  try {
    text = decodeText(body, { xmlDeclaration: false, what: 'NWS alerts' });
  } catch (err) {
    throw badPayload(sourceId, (err as Error).message);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const start = text.slice(0, 40).replace(/\s+/g, ' ').trim();
    throw badPayload(sourceId, `NWS alerts is not JSON (${(err as Error).message}; starts with "${start}")`);
  }
  if (json && typeof json === 'object' && 'total' in json && !('features' in json) && !('@graph' in json))
    throw badPayload(sourceId, 'this is /alerts/active/count (counts per area, no alerts): point the source at /alerts/active?event=…&area=…');
  const shape = typeof json === 'object' && json !== null ? json : {};
  const schema = 'features' in shape ? featureCollection : '@graph' in shape ? jsonLd : 'properties' in shape ? feature : undefined;
  if (!schema) throw badPayload(sourceId, 'NWS alerts has no features[] (GeoJSON), @graph[] (JSON-LD) or properties (one alert)');
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw badPayload(sourceId, `NWS alerts does not match the api.weather.gov alert schema ${describeIssue(parsed.error)}`);
  const data = parsed.data;
  const props = 'features' in data ? data.features.map((f) => f.properties) : '@graph' in data ? data['@graph'] : [data.properties];
  return props.map(toAlert);
}

export function parseNwsAlerts(body: Buffer | string, source: SourceOf<'nws-alerts'>, observedAt: string): Observation[] {
  return observeAlerts(readNwsAlerts(body, source.id), source, observedAt);
}

/** `dialtone parse --kind nws-alerts`: every alert as the message reads; `now` reads expired ones as cleared. */
export function decodeNwsAlerts(body: Buffer | string, now?: Date): UpstreamItem[] {
  return alertItems(readNwsAlerts(body, '(parse)'), now?.toISOString());
}
