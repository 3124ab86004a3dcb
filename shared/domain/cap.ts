import { XMLBuilder } from 'fast-xml-parser';
import { DialtoneError } from './errors.js';
import { isDark, isImpaired, type ServiceState } from './nena.js';
import type { AffectedService, Notice, Phase } from './records.js';
import { dialable, fullTime, toGsm7, truncate } from './text.js';
import { fccFields, outageTimes } from './fcc-fields.js';
import { stateWords } from './words.js';

/**
 * A notice as an OASIS CAP 1.2 alert, following the conventions of the USA IPAWS
 * profile where they apply to a feed we publish ourselves (we are not an IPAWS originator):
 * times with a numeric offset and never "Z", the SAME event code TOE ("911 Telephone Outage
 * Emergency") and one area per county with a SAME geocode ("0" + county FIPS).
 *
 * Pure: the caller passes the notice, the earlier notices of its incident and the names it
 * needs (services, components, the notifier). The domain Model's `services` and `components`
 * maps fit the directory types as they are.
 *
 * Choices:
 * - identifier `<incidentId>-<seq>`: stable, so a retry publishes the same alert, not a new one.
 * - msgType by phase: initial → Alert, update → Update, final → Cancel; Update and Cancel list
 *   every earlier notice of the incident in `references` (sender,identifier,sent triples).
 * - certainty: Observed for a confirmed incident, Likely for a suspected one (one source).
 * - a maintenance window the config announces (incident kind "maintenance") is the same alert
 *   with MAINTENANCE in the headline and its planned end as the expected restoration.
 * - severity: Severe if a service is dark (must route elsewhere), Moderate if one is degraded
 *   (Partial, MajorIncidentInProgress), else Minor; from current states, and for the Cancel from
 *   the worst states of the incident (it cancels an alert of that severity).
 * - area: for an Alert/Update the counties with a service still impaired (an Update that drops
 *   a county ends the alert there); for the Cancel every county of the incident.
 */

export const CAP_NAMESPACE = 'urn:oasis:names:tc:emergency:cap:1.2';
export const CAP_EVENT = '911 Telephone Outage Emergency';
/** EAS / SAME event code for a 911 telephone outage. */
export const SAME_EVENT_CODE = 'TOE';
/** IPAWS profile pattern for every CAP time: a numeric offset, never "Z". */
export const CAP_TIME_PATTERN = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d$/;
/** The headline is meant to fit an SMS-sized display. */
export const HEADLINE_LIMIT = 160;

export type CapStatus = 'Actual' | 'Exercise' | 'System' | 'Test' | 'Draft';
export type CapMsgType = 'Alert' | 'Update' | 'Cancel';
export type CapCertainty = 'Observed' | 'Likely' | 'Possible' | 'Unlikely' | 'Unknown';
export type CapSeverity = 'Severe' | 'Moderate' | 'Minor';

/** What CAP needs to know about a 911 service (a subset of the service config). */
export interface CapService {
  name: string;
  /** 5-digit county FIPS. */
  fips: string;
  /** 2-letter postal code. */
  state: string;
  county?: string;
  kind?: string;
  /** For a path (text-to-911, ALI/ANI, voice): the name of the PSAP it leads to. */
  psapName?: string;
  timeZone?: string;
  /** E.164 numbers the public can call while 911 is dark (published: not personal data). */
  fallbackNumbers?: readonly string[];
}

export interface CapInput {
  notice: Notice;
  /** Earlier notices of the same incident, any order (later or repeated ones are ignored). */
  previous: ReadonlyArray<Pick<Notice, 'seq' | 'createdAt'>>;
  services: ReadonlyMap<string, CapService>;
  components?: ReadonlyMap<string, { name?: string; provider?: string }>;
  /** FCC 4.9(h) field 2: who to call back (published contact, not personal data). */
  notifier?: { name: string; phone: string; email: string };
  /**
   * Overrides the certainty taken from the incident: Observed when it is confirmed (independent
   * sources agree, or an authoritative one says so), Likely while it is only suspected.
   */
  certainty?: CapCertainty;
  /** When this notice stops being current, usually the next update due (incident.nextUpdateBy). */
  expires?: string;
  /** Zone of the human-readable times in the description (default: the first listed service's, else UTC). */
  timeZone?: string;
}

export interface CapOptions {
  /** DNS domain of the default sender `dialtone@<domain>`. */
  domain: string;
  /** The CAP sender (globally unique; no spaces, commas, "<" or "&"). Default `dialtone@<domain>`. */
  sender?: string;
  /** Human-readable sender (default "dialtone 911 outage monitor"). */
  senderName?: string;
  /** Default Actual; the demo and exercises should say Exercise or Test. */
  status?: CapStatus;
  /** Also add an NWS county UGC geocode (e.g. MNC053) to each area. */
  ugc?: boolean;
  /** Also add the older FIPS6 geocode (same value as SAME) some NWS-era readers look for. */
  fips6?: boolean;
  /** A page with more about the incident. */
  web?: string;
}

const MSG_TYPE: Record<Phase, CapMsgType> = { initial: 'Alert', update: 'Update', final: 'Cancel' };



/** ISO-8601 → CAP time: UTC with the numeric offset "-00:00" (IPAWS: no "Z", no fractions). */
export function capTime(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new DialtoneError('CONFIG.INVALID', `not a time: ${JSON.stringify(iso)}`);
  return `${new Date(ms).toISOString().slice(0, 19)}-00:00`;
}

/** CAP forbids spaces, commas, "<" and "&" in identifiers (they separate `references` triples). */
const ID_FORBIDDEN = /[\s,<&]/g;

export function capIdentifier(incidentId: string, seq: number): string {
  return `${incidentId}-${seq}`.replace(ID_FORBIDDEN, '_');
}

export function capSender(options: CapOptions): string {
  const sender = options.sender ?? `dialtone@${options.domain}`;
  if (sender === '' || new RegExp(ID_FORBIDDEN.source).test(sender))
    throw new DialtoneError('CONFIG.INVALID', `CAP sender ${JSON.stringify(sender)} must be non-empty, without spaces, commas, "<" or "&"`);
  return sender;
}

function severityOf(states: readonly ServiceState[]): CapSeverity {
  if (states.some(isDark)) return 'Severe';
  if (states.some(isImpaired)) return 'Moderate';
  return 'Minor';
}

// XML 1.0 allows tab, LF, CR and everything from U+0020 except surrogates (paired ones are fine) and U+FFFE/F.
// eslint-disable-next-line no-control-regex
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const xmlText = (text: string) => text.replace(XML_INVALID, '');

/** Deep copy with every string made XML-safe (escaping is the builder's job; this drops what cannot be escaped). */
function clean<T>(value: T): T {
  if (typeof value === 'string') return xmlText(value) as T;
  if (Array.isArray(value)) return value.map(clean) as T;
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, clean(v)])) as T;
  return value;
}

interface Listed {
  id: string;
  svc: CapService;
  s: AffectedService;
}

function listed(input: CapInput): Listed[] {
  return Object.entries(input.notice.incident.services)
    .map(([id, s]) => ({ id, svc: input.services.get(id), s }))
    .filter((x): x is Listed => x.svc !== undefined)
    .sort((a, b) => Number(isDark(b.s.state)) - Number(isDark(a.s.state)) || a.svc.name.localeCompare(b.svc.name));
}

const countyName = (svc: CapService) => svc.county ?? `County FIPS ${svc.fips}`;

function headline(input: CapInput, list: readonly Listed[], final: boolean): string {
  const inc = input.notice.incident;
  const cause = input.components?.get(inc.causeComponentId)?.provider ?? inc.causeComponentId;
  const shown = final ? list : list.filter((l) => isImpaired(l.s.state));
  const first = shown[0] ?? list[0];
  const more = shown.length > 1 ? ` +${shown.length - 1} more` : '';
  const maintenance = inc.kind === 'maintenance';
  const label = final
    ? maintenance ? '911 MAINTENANCE ENDED' : '911 RESTORED'
    : `911 ${maintenance ? 'MAINTENANCE' : 'OUTAGE'}${input.notice.phase === 'initial' ? '' : ' UPDATE'}`;
  const what = first
    ? final
      ? `${first.svc.name} (${first.svc.state})${more} back to normal`
      : `${first.svc.name} (${first.svc.state}) ${stateWords(first.s.state)}${more}`
    : 'no 911 service listed';
  return truncate(toGsm7(`${label}: ${what}. Upstream: ${cause}${cause.endsWith('.') ? '' : '.'}`), HEADLINE_LIMIT);
}

function description(input: CapInput, list: readonly Listed[], tz: string): string {
  const { notice } = input;
  const inc = notice.incident;
  const comp = input.components?.get(inc.causeComponentId);
  const provider = comp?.provider ?? inc.causeComponentId;
  const component = comp?.name ?? inc.causeComponentId;
  const final = notice.phase === 'final';
  const fields = fccFields({
    notice,
    provider,
    component,
    ...(input.notifier ? { notifier: input.notifier } : {}),
    timeZone: tz,
    services: list.map((l) => ({ name: l.svc.name, kind: l.svc.kind, fips: l.svc.fips, state: l.svc.state, ...(l.svc.county ? { county: l.svc.county } : {}), ...(l.svc.psapName ? { psapName: l.svc.psapName } : {}), s: l.s })),
  });
  const services = list.map(
    (l) => `- ${l.svc.name}, ${countyName(l.svc)} ${l.svc.state}: ${final ? 'Normal' : l.s.state} since ${fullTime(!final && l.s.state !== 'Normal' && l.s.impairedSince ? l.s.impairedSince : l.s.since, l.svc.timeZone ?? tz)}`,
  );
  const concurrent = inc.concurrent.map((c) => {
    const cc = input.components?.get(c.componentId);
    return `- ${cc?.provider ?? c.componentId}: ${cc?.name ?? c.componentId} ${c.status} since ${fullTime(c.since, tz)}`;
  });
  return [
    'FCC 47 CFR 4.9(h) notice fields',
    ...fields.map(([k, v], i) => `${i + 1}. ${k}: ${v}`),
    '',
    'Affected 911 services',
    ...services,
    ...(concurrent.length ? ['', 'Concurrent upstream incidents (same time window; NOT a declared dependency, NOT known to be the cause)', ...concurrent] : []),
  ].join('\n');
}

function instruction(list: readonly Listed[], final: boolean): string {
  if (final) return '911 service has been restored. Call 911 for emergencies as usual.';
  const numbers = list
    .filter((l) => isImpaired(l.s.state) && (l.svc.fallbackNumbers?.length ?? 0) > 0)
    .map((l) => `${l.svc.name} (${l.svc.state}): ${l.svc.fallbackNumbers!.map(dialable).join(' or ')}`);
  return numbers.length
    ? `If a 911 call does not connect, call the 10-digit emergency number instead. ${numbers.join('; ')}.`
    : 'If a 911 call does not connect, hang up and dial 911 again, or call from another phone or carrier.';
}

function areas(list: readonly Listed[], final: boolean, options: CapOptions) {
  const impaired = list.filter((l) => isImpaired(l.s.state));
  const chosen = final || impaired.length === 0 ? list : impaired;
  const byFips = new Map<string, CapService>();
  for (const l of chosen) if (!byFips.has(l.svc.fips)) byFips.set(l.svc.fips, l.svc);
  return [...byFips.values()]
    .sort((a, b) => a.fips.localeCompare(b.fips))
    .map((svc) => ({
      areaDesc: `${countyName(svc)}, ${svc.state}`,
      geocode: [
        { valueName: 'SAME', value: `0${svc.fips}` },
        ...(options.fips6 ? [{ valueName: 'FIPS6', value: `0${svc.fips}` }] : []),
        ...(options.ugc ? [{ valueName: 'UGC', value: `${svc.state}C${svc.fips.slice(2)}` }] : []),
      ],
    }));
}

/** The CAP 1.2 alert for a notice, as the object tree the XML is built from (element order matters). */
export function capAlert(input: CapInput, options: CapOptions): Record<string, unknown> {
  const { notice } = input;
  const inc = notice.incident;
  const sender = capSender(options);
  const final = notice.phase === 'final';
  const list = listed(input);
  const tz = input.timeZone ?? list[0]?.svc.timeZone ?? 'UTC';
  const sent = capTime(notice.createdAt);
  const references = [...new Map(input.previous.filter((p) => p.seq < notice.seq).map((p) => [p.seq, p])).values()]
    .sort((a, b) => a.seq - b.seq)
    .map((p) => `${sender},${capIdentifier(notice.incidentId, p.seq)},${capTime(p.createdAt)}`);
  const severity = severityOf(list.map((l) => (final ? l.s.worst : l.s.state)));

  const info = {
    language: 'en-US',
    category: 'Infra',
    event: CAP_EVENT,
    responseType: final ? 'AllClear' : 'Monitor',
    urgency: final ? 'Past' : 'Immediate',
    severity,
    certainty: input.certainty ?? (inc.certainty === 'suspected' ? 'Likely' : 'Observed'),
    eventCode: { valueName: 'SAME', value: SAME_EVENT_CODE },
    effective: sent,
    onset: capTime(outageTimes(inc).began),
    ...(input.expires !== undefined ? { expires: capTime(input.expires) } : {}),
    senderName: options.senderName ?? 'dialtone 911 outage monitor',
    headline: headline(input, list, final),
    description: description(input, list, tz),
    instruction: instruction(list, final),
    ...(options.web !== undefined ? { web: options.web } : {}),
    ...(input.notifier ? { contact: `${input.notifier.name}, ${input.notifier.phone}, ${input.notifier.email}` } : {}),
    parameter: [
      { valueName: 'dialtone:incidentId', value: inc.id },
      { valueName: 'dialtone:seq', value: String(notice.seq) },
      { valueName: 'dialtone:reason', value: notice.reason },
    ],
    area: areas(list, final, options),
  };

  return clean({
    '@_xmlns': CAP_NAMESPACE,
    identifier: capIdentifier(notice.incidentId, notice.seq),
    sender,
    sent,
    status: options.status ?? 'Actual',
    msgType: MSG_TYPE[notice.phase],
    scope: 'Public',
    ...(references.length ? { references: references.join(' ') } : {}),
    incidents: inc.id.replace(ID_FORBIDDEN, '_'),
    info,
  });
}

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', format: true, indentBy: '  ', processEntities: true });

/** The CAP 1.2 XML document for a notice (UTF-8, escaped by the builder). */
export function capXml(input: CapInput, options: CapOptions): string {
  return builder.build({ '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' }, alert: capAlert(input, options) }) as string;
}
