import type { SourceOf } from '../config/schema.js';
import type { Observation } from '../domain/observation.js';
import { worstStatus, type Status } from '../domain/status.js';
import { classifyText } from './classifier.js';
import { LABEL_STATUS } from './agency-feed.js';
import { badPayload, child, children, feedDate, readXml, rootOf, textOf } from './feed-xml.js';
import type { UpstreamItem } from './parsers.js';
import { xmlAttr, xmlText, type XmlNode } from './text.js';

/**
 * Public alerts (CAP 1.1/1.2 documents, NWS/IPAWS Atom indexes of CAP entries, and — through
 * nws.ts — api.weather.gov JSON) read for one thing: "911 Telephone Outage Emergency" (SAME event
 * code TOE) alerts covering a component's counties: there is no national 911 status feed, and
 * local authorities announce a 911 outage this way (OASIS CAP 1.2).
 *
 * Which alerts count for a component
 *  - the event is TOE: eventCode SAME=TOE, or the event named "911 Telephone Outage Emergency"
 *    (or the older "911 Telephone Outage"); or the event is one of `textEvents` (default LAE, CEM:
 *    agencies also announce 911 outages as Local Area Emergency / Civil Emergency Message) and its
 *    text is classified by the 911 classifier as down / degraded / restored;
 *  - `status` is Actual (Exercise, System, Test, Draft never alert: they are skipped);
 *  - an area geocode (SAME / FIPS6 "PSSCCC", or UGC county "SSC###") names one of the component's
 *    counties, a subdivision of it (P ≠ 0), or the whole state (CCC = 000). A component FIPS
 *    "SS000" stands for the whole state and takes any county in it. A TOE alert without any
 *    county geocode cannot be placed: `unknown` (blind) for components with counties, rather than
 *    a guess either way. A component without `match` takes every alert of the feed (a feed
 *    already filtered by area).
 *  - an alert another alert of the same feed references (Update / Cancel `references`) is
 *    superseded and ignored.
 * What an alert says
 *  - msgType Cancel or Error, urgency Past, responseType AllClear, or expired
 *    (`expires`, NWS `ends`, passed at the time of the read) → operational (cleared);
 *  - severity Minor / Moderate → degraded, Severe → partial_outage, Extreme → major_outage,
 *    Unknown (or empty / unrecognised) → unknown; for a text-classified event: classifier
 *    down → major_outage, degraded → partial_outage, restored → operational.
 *  The worst alert still in effect decides; none in effect → operational (an index or feed with
 *  no TOE alert for the area is "nothing posted").
 *
 * A single CAP document must carry the fields CAP marks required (identifier, sender, sent,
 * status, msgType, scope; per info: category, event, urgency, severity, certainty): a document
 * missing one is SOURCE.BAD_PAYLOAD naming the field. In an index, one bad entry does not blind
 * the whole feed: it is read as far as it goes (an unreadable severity maps to unknown).
 */

export interface Geocode {
  name: string;
  value: string;
}

export interface AlertInfo {
  event: string;
  eventCodes: Geocode[];
  category: string;
  urgency: string;
  severity: string;
  certainty: string;
  responseTypes: string[];
  effective?: string;
  onset?: string;
  expires?: string;
  /** NWS JSON: when the hazard ends (later than `expires`, the message's own expiry). */
  ends?: string;
  headline: string;
  text: string;
  web?: string;
  geocodes: Geocode[];
  areaDesc: string;
}

export interface Alert {
  identifier: string;
  sender: string;
  sent: string;
  status: string;
  msgType: string;
  scope: string;
  /** Identifiers this alert updates or cancels. */
  references: string[];
  infos: AlertInfo[];
  link?: string;
}

export interface AlertOptions {
  /** SAME codes read with the classifier besides TOE. */
  textEvents: readonly string[];
}

const TOE_NAMES = /^\s*911 telephone outage(?: emergency)?\s*$/i;
const TEXT_EVENT_NAMES: Record<string, RegExp> = {
  LAE: /^\s*local area emergency\s*$/i,
  CEM: /^\s*civil emergency message\s*$/i,
  ADR: /^\s*administrative message\s*$/i,
  CDW: /^\s*civil danger warning\s*$/i,
};

const same = (codes: Geocode[]) => codes.filter((c) => c.name.trim().toUpperCase() === 'SAME').map((c) => c.value.trim().toUpperCase());

export function isToe(info: AlertInfo): boolean {
  return same(info.eventCodes).includes('TOE') || TOE_NAMES.test(info.event);
}

function isTextEvent(info: AlertInfo, opts: AlertOptions): boolean {
  const codes = same(info.eventCodes);
  return opts.textEvents.some((code) => codes.includes(code) || (TEXT_EVENT_NAMES[code]?.test(info.event) ?? false));
}

// ── Areas ────────────────────────────────────────────────────────────────────────────────────

/** USPS state code → state FIPS, for UGC county codes ("MNC053" = Minnesota county 053). */
const STATE_FIPS: Record<string, string> = {
  AL: '01', AK: '02', AZ: '04', AR: '05', CA: '06', CO: '08', CT: '09', DE: '10', DC: '11', FL: '12', GA: '13', HI: '15', ID: '16', IL: '17',
  IN: '18', IA: '19', KS: '20', KY: '21', LA: '22', ME: '23', MD: '24', MA: '25', MI: '26', MN: '27', MS: '28', MO: '29', MT: '30', NE: '31',
  NV: '32', NH: '33', NJ: '34', NM: '35', NY: '36', NC: '37', ND: '38', OH: '39', OK: '40', OR: '41', PA: '42', RI: '44', SC: '45', SD: '46',
  TN: '47', TX: '48', UT: '49', VT: '50', VA: '51', WA: '53', WV: '54', WI: '55', WY: '56', AS: '60', GU: '66', MP: '69', PR: '72', VI: '78',
};

/** Every county-level area an info names, as 5-digit "SSCCC" ("SS000" = the whole state). */
export function areaFips(info: AlertInfo): string[] {
  const out = new Set<string>();
  for (const g of info.geocodes) {
    const name = g.name.trim().toUpperCase();
    for (const raw of g.value.split(/[\s,]+/)) {
      const v = raw.trim().toUpperCase();
      if ((name === 'SAME' || name === 'FIPS6' || name === 'FIPS') && /^\d{6}$/.test(v)) out.add(v.slice(1));
      else if ((name === 'SAME' || name === 'FIPS' || name === 'FIPS5') && /^\d{5}$/.test(v)) out.add(v);
      else if ((name === 'UGC' || name === 'NWSUGC') && /^[A-Z]{2}C\d{3}$/.test(v) && STATE_FIPS[v.slice(0, 2)]) out.add(`${STATE_FIPS[v.slice(0, 2)]}${v.slice(3)}`);
    }
  }
  return [...out];
}

/** Does an alert area (SSCCC, SS000 = state) cover a component county (SSCCC, SS000 = state)? */
function covers(area: string, county: string): boolean {
  if (area.slice(0, 2) !== county.slice(0, 2)) return false;
  return area === county || area.endsWith('000') || county.endsWith('000');
}

// ── What one alert says ──────────────────────────────────────────────────────────────────────

const SEVERITY = new Map<string, Status>([
  ['minor', 'degraded'],
  ['moderate', 'degraded'],
  ['severe', 'partial_outage'],
  ['extreme', 'major_outage'],
]);

export interface Verdict {
  status: Status;
  /** Why, in words: "Cancel", "expired 2026-…", "severity Extreme". */
  reason: string;
  error?: string;
}

/**
 * The status one alert info says, on our scale. `now` (ISO) makes an expired alert operational;
 * without it the message is read as written. `classified` replaces severity for text events.
 */
export function verdict(alert: Alert, info: AlertInfo | undefined, now?: string, classified?: Status): Verdict {
  const msgType = alert.msgType.trim().toLowerCase();
  if (msgType === 'cancel') return { status: 'operational', reason: 'msgType Cancel' };
  if (msgType === 'error') return { status: 'operational', reason: 'msgType Error (the referenced message was sent in error)' };
  if (!info) return { status: 'unknown', reason: 'no <info>', error: `alert ${alert.identifier} (${alert.msgType}) has no <info> to read` };
  if (info.urgency.trim().toLowerCase() === 'past') return { status: 'operational', reason: 'urgency Past' };
  if (info.responseTypes.some((r) => r.trim().toLowerCase() === 'allclear')) return { status: 'operational', reason: 'responseType AllClear' };
  const until = [info.ends, info.expires].filter((t): t is string => t !== undefined).sort().pop();
  if (now !== undefined && until !== undefined && until <= now) return { status: 'operational', reason: `expired ${until}` };
  if (classified !== undefined) return { status: classified, reason: 'text classified' };
  const status = SEVERITY.get(info.severity.trim().toLowerCase());
  if (status) return { status, reason: `severity ${info.severity}` };
  return {
    status: 'unknown',
    reason: `severity ${info.severity || '(empty)'}`,
    error: `alert ${alert.identifier} "${info.event}": severity "${info.severity}" is not Minor, Moderate, Severe or Extreme`,
  };
}

function isActual(alert: Alert): boolean {
  return alert.status.trim().toLowerCase() === 'actual';
}

interface Relevant {
  alert: Alert;
  info: AlertInfo;
  verdict: Verdict;
  areas: string[];
}

/** TOE alerts (and classified text events) still standing in a feed, with what each says. */
function relevantAlerts(alerts: Alert[], opts: AlertOptions, now: string): Relevant[] {
  const superseded = new Set(alerts.flatMap((a) => a.references));
  const out: Relevant[] = [];
  for (const alert of alerts) {
    if (!isActual(alert) || alert.msgType.trim().toLowerCase() === 'ack' || superseded.has(alert.identifier)) continue;
    for (const info of alert.infos) {
      let classified: Status | undefined;
      if (!isToe(info)) {
        if (!isTextEvent(info, opts)) continue;
        const result = classifyText(`${info.headline}.\n${info.text}`);
        if (result.label === 'none') continue;
        classified = LABEL_STATUS[result.label];
      }
      out.push({ alert, info, verdict: verdict(alert, info, now, classified), areas: areaFips(info) });
    }
  }
  return out;
}

const latest = (a: Relevant, b: Relevant) => (a.alert.sent < b.alert.sent ? 1 : a.alert.sent > b.alert.sent ? -1 : 0);

type AreaSource = SourceOf<'cap'> | SourceOf<'nws-alerts'>;

/** Alerts → one observation per configured component (shared by `cap` and `nws-alerts`). */
export function observeAlerts(alerts: Alert[], source: AreaSource, observedAt: string): Observation[] {
  const relevant = relevantAlerts(alerts, { textEvents: source.textEvents }, observedAt);
  return source.components.map((component) => {
    const counties = component.match?.fips;
    const observation: Observation = { sourceId: source.id, componentId: component.id, status: 'operational', observedAt };
    const unplaced = counties ? relevant.filter((r) => r.areas.length === 0 && r.verdict.status !== 'operational') : [];
    const mine = relevant.filter((r) => !counties || r.areas.some((a) => counties.some((c) => covers(a, c))));
    const active = mine.filter((r) => r.verdict.status !== 'operational');
    const status = worstStatus([...active.map((r) => r.verdict.status), ...unplaced.map((): Status => 'unknown')]);
    // The newest alert with the deciding status; when all is clear, the newest clearing one (evidence).
    const deciding =
      active.filter((r) => r.verdict.status === status).sort(latest)[0] ??
      (status === 'unknown' ? unplaced.sort(latest)[0] : undefined) ??
      mine.sort(latest)[0];
    observation.status = status;
    if (deciding) {
      const { alert, info } = deciding;
      observation.title = info.headline || info.event;
      observation.upstreamId = `${alert.sender},${alert.identifier},${alert.sent}`;
      const url = info.web ?? alert.link;
      if (url) observation.url = url;
      const started = info.onset ?? info.effective ?? alert.sent;
      if (started) observation.startedAt = started;
      if (alert.sent) observation.updatedAt = alert.sent;
    }
    if (status === 'unknown') {
      const why = active.find((r) => r.verdict.status === 'unknown')?.verdict.error;
      const where = unplaced[0];
      observation.error = `source "${source.id}": ${
        why ?? `911 outage alert ${where?.alert.identifier ?? ''} ("${where?.info.areaDesc ?? ''}") has no SAME/FIPS county geocode: cannot tell whether it covers ${counties?.join(', ')}`
      }`;
    }
    return observation;
  });
}

/** Config-free: one item per alert × info (per alert when it has no info), as the message reads. */
export function alertItems(alerts: Alert[], now?: string): UpstreamItem[] {
  return alerts.flatMap((alert) => {
    const infos: (AlertInfo | undefined)[] = alert.infos.length > 0 ? alert.infos : [undefined];
    return infos.map((info) => {
      const v = verdict(alert, info, now);
      const actual = isActual(alert);
      const areas = info ? areaFips(info) : [];
      const item: UpstreamItem = {
        key: areas.length > 0 ? areas.join(',') : '(no county)',
        name: `${info?.event || alert.msgType}${info && isToe(info) ? ' [TOE]' : ''} (${alert.msgType}, ${actual ? v.reason : `status ${alert.status}: never alerts`})`,
        status: actual ? v.status : 'operational',
        upstreamId: `${alert.sender},${alert.identifier},${alert.sent}`,
      };
      const title = info?.headline || info?.event;
      if (title) item.title = title;
      const url = info?.web ?? alert.link;
      if (url) item.url = url;
      const started = info?.onset ?? info?.effective ?? alert.sent;
      if (started) item.startedAt = started;
      if (alert.sent) item.updatedAt = alert.sent;
      if (actual && v.error) item.error = v.error;
      return item;
    });
  });
}

// ── CAP XML ──────────────────────────────────────────────────────────────────────────────────

const ALERT_REQUIRED = ['identifier', 'sender', 'sent', 'status', 'msgType', 'scope'] as const;
const INFO_REQUIRED = ['category', 'event', 'urgency', 'severity', 'certainty'] as const;

function pairs(node: XmlNode | undefined, name: string): Geocode[] {
  return children(node, name).map((n) => ({ name: textOf(n, 'valueName'), value: textOf(n, 'value') }));
}

/** "sender,identifier,sent sender,identifier,sent" → identifiers. */
function referenced(references: string): string[] {
  return references
    .split(/\s+/)
    .map((triple) => triple.split(',')[1]?.trim())
    .filter((id): id is string => !!id);
}

const time = (s: string): string | undefined => (s ? (feedDate(s) ?? undefined) : undefined);

function readInfo(node: XmlNode): AlertInfo {
  const geocodes = children(node, 'area').flatMap((a) => pairs(a, 'geocode'));
  const params = pairs(node, 'parameter');
  const weaText = params.filter((p) => /^CMAM(long)?text$/i.test(p.name)).map((p) => p.value);
  const info: AlertInfo = {
    event: textOf(node, 'event'),
    eventCodes: pairs(node, 'eventCode'),
    category: children(node, 'category').map((c) => xmlText(c).trim()).join(' '),
    urgency: textOf(node, 'urgency'),
    severity: textOf(node, 'severity'),
    certainty: textOf(node, 'certainty'),
    responseTypes: children(node, 'responseType').map((c) => xmlText(c).trim()),
    headline: textOf(node, 'headline'),
    text: [textOf(node, 'description'), textOf(node, 'instruction'), ...weaText].filter(Boolean).join('\n'),
    geocodes,
    areaDesc: children(node, 'area').map((a) => textOf(a, 'areaDesc')).filter(Boolean).join('; '),
  };
  const [effective, onset, expires, web] = [time(textOf(node, 'effective')), time(textOf(node, 'onset')), time(textOf(node, 'expires')), textOf(node, 'web')];
  if (effective) info.effective = effective;
  if (onset) info.onset = onset;
  if (expires) info.expires = expires;
  if (web) info.web = web;
  return info;
}

function readAlert(node: XmlNode, sourceId: string, strict: boolean): Alert {
  const id = textOf(node, 'identifier') || '(no identifier)';
  if (strict) {
    const missing = ALERT_REQUIRED.find((f) => textOf(node, f) === '');
    if (missing) throw badPayload(sourceId, `CAP alert ${id} is missing required <${missing}>${children(node, missing).length > 0 ? ' (empty)' : ''}`);
    children(node, 'info').forEach((info, i) => {
      const empty = INFO_REQUIRED.find((f) => textOf(info, f) === '');
      if (empty) throw badPayload(sourceId, `CAP alert ${id}: info[${i}].${empty} is ${children(info, empty).length > 0 ? 'empty' : 'missing'} (required by CAP)`);
    });
  }
  return {
    identifier: id,
    sender: textOf(node, 'sender'),
    sent: time(textOf(node, 'sent')) ?? textOf(node, 'sent'),
    status: textOf(node, 'status'),
    msgType: textOf(node, 'msgType'),
    scope: textOf(node, 'scope'),
    references: referenced(textOf(node, 'references')),
    infos: children(node, 'info').map(readInfo),
  };
}

/** An NWS/IPAWS Atom index entry: Atom fields plus cap:* extension elements (one info, no eventCode). */
function readIndexEntry(entry: XmlNode): Alert {
  const link = children(entry, 'link').map((l) => xmlAttr(l, 'href')).find((h): h is string => !!h);
  const id = textOf(entry, 'identifier') || textOf(entry, 'id');
  const title = textOf(entry, 'title');
  const read = readInfo(entry);
  const info: AlertInfo = {
    ...read,
    // Older NWS indexes have no cap:event; their title is "<event> issued <when> …".
    event: read.event || title.replace(/\s+issued\b[\s\S]*$/i, '').trim(),
    headline: title,
    text: textOf(entry, 'summary'),
    // The index's area: cap:geocode (and cap:areaDesc) sit directly on the entry.
    geocodes: pairs(entry, 'geocode'),
    areaDesc: textOf(entry, 'areaDesc'),
  };
  const alert: Alert = {
    identifier: id,
    sender: textOf(entry, 'sender') || textOf(child(entry, 'author'), 'name'),
    sent: time(textOf(entry, 'sent')) ?? time(textOf(entry, 'updated')) ?? time(textOf(entry, 'published')) ?? '',
    status: textOf(entry, 'status'),
    msgType: textOf(entry, 'msgType'),
    scope: textOf(entry, 'scope'),
    references: referenced(textOf(entry, 'references')),
    infos: [info],
  };
  if (link) alert.link = link;
  return alert;
}

/**
 * A CAP document (`<alert>`, any CAP namespace or prefix) or an Atom index whose entries carry
 * cap:* elements (or embed full `<alert>`s in their content) → alerts.
 */
export function readCap(body: Buffer | string, sourceId: string): Alert[] {
  const doc = readXml(body, sourceId, 'CAP document');
  const root = rootOf(doc);
  if (!root) throw badPayload(sourceId, 'CAP document has no root element');
  const [name, el] = root;
  if (name === 'alert') return [readAlert(el, sourceId, true)];
  if (name === 'feed')
    return children(el, 'entry').map((entry) => {
      const embedded = child(child(entry, 'content'), 'alert');
      return embedded ? readAlert(embedded, sourceId, false) : readIndexEntry(entry);
    });
  throw badPayload(sourceId, `not a CAP alert or Atom index of CAP entries (root element <${name}>)`);
}

export function parseCap(body: Buffer | string, source: SourceOf<'cap'>, observedAt: string): Observation[] {
  return observeAlerts(readCap(body, source.id), source, observedAt);
}

/** `dialtone parse --kind cap`: every alert × info; `now` (optional) reads expired alerts as cleared. */
export function decodeCap(body: Buffer | string, now?: Date): UpstreamItem[] {
  return alertItems(readCap(body, '(parse)'), now?.toISOString());
}
