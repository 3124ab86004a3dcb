import type { RecipientConfig } from '../config/schema.js';
import type { Model } from './model.js';
import { isImpaired } from './nena.js';
import { darkPsaps } from './incident.js';
import type { Channel, Notice } from './records.js';
import { atLeast, incidentSeverity } from './severity.js';

/** Why a recipient hears about a notice; rendering picks its words from this. */
export interface Route {
  recipient: RecipientConfig;
  /** For role psap: the PSAPs next to (or backed up by) the recipient's PSAP that went dark in this incident. */
  darkNeighbours: string[];
  channels: Channel[];
  /** The recipient acknowledged the incident: its texts stop asking for an acknowledgement. */
  acked?: boolean;
}

function channelsOf(r: RecipientConfig): Channel[] {
  const out: Channel[] = [];
  if (r.channels.sms) out.push('sms');
  if (r.channels.email) out.push('email');
  return out;
}


/** Dark PSAPs whose neighbour or backup partner is `psapId`: it will get their rolled-over calls. */
export function adjacentTo(psapId: string, darkPsapIds: readonly string[], model: Model): string[] {
  return darkPsapIds.filter(
    (dark) => dark !== psapId && (model.neighboursOf(dark).has(psapId) || model.services.get(dark)?.backup === psapId),
  );
}

/**
 * Who must know about a notice (route & render):
 * - the neighbours and backup partner of each dark PSAP (they will get its rolled-over calls);
 * - county managers whose counties or states hold an impaired service;
 * - the FCC liaison once the incident is escalated, whatever its `hearAt`: the escalation itself
 *   is the reason it hears;
 * - an escalation notice goes to the FCC liaison only (everyone else already knows);
 * - everyone told before hears every later update, reminder and the all-clear, so no all-clear
 *   is ever lost;
 * - an audience configured to hear at "confirmed" hears nothing while the incident is suspected
 *   (a recipient's own `hearAt` overrides its audience's);
 * - a recipient with a `minSeverity` is not newly told about a less severe incident (severity:
 *   severity.ts), but once told it hears the rest, the all-clear above all;
 * - a recipient who acknowledged still gets every update and reminder (the FCC's 2-hour updates
 *   go to every PSAP told, acknowledged or not); only the request to acknowledge is left out.
 * Ops hears about blind monitors and pipeline faults, not about incidents.
 */
export function routeNotice(notice: Notice, model: Model, previouslyNotified: ReadonlySet<string>, acked: ReadonlySet<string> = new Set()): Route[] {
  if (notice.incident.kind === 'maintenance') return routeMaintenance(notice, model, previouslyNotified);
  const { incident, reason } = notice;
  const darkNow = darkPsaps(incident, model, 'now');
  const darkEver = darkPsaps(incident, model, 'ever');
  const impaired = Object.entries(incident.services)
    .filter(([, s]) => isImpaired(s.state))
    .map(([id]) => model.services.get(id))
    .filter((s) => s !== undefined);
  const severity = incidentSeverity(incident);

  const routes: Route[] = [];
  for (const r of model.recipients) {
    if (reason === 'escalated' && r.role !== 'fcc-liaison') continue;
    let hears = previouslyNotified.has(r.id);
    // An audience configured to hear only confirmed incidents waits for corroboration.
    const escalation = r.role === 'fcc-liaison' && incident.escalatedAt !== undefined;
    const waits = !escalation && (r.hearAt ?? model.config.corroboration.hearAt[r.role]) === 'confirmed' && incident.certainty !== 'confirmed';
    if (reason !== 'resolved' && !waits && atLeast(severity, r.minSeverity)) {
      switch (r.role) {
        case 'psap':
          hears ||= r.psap !== undefined && adjacentTo(r.psap, darkNow, model).length > 0;
          break;
        case 'county-manager':
          hears ||= impaired.some((s) => r.jurisdictions.fips.includes(s.fips) || r.jurisdictions.states.includes(s.state));
          break;
        case 'fcc-liaison':
          hears ||= incident.escalatedAt !== undefined;
          break;
        case 'ops':
          break;
      }
    }
    if (!hears) continue;
    const darkNeighbours = r.role === 'psap' && r.psap ? adjacentTo(r.psap, darkEver, model) : [];
    routes.push({ recipient: r, darkNeighbours, channels: channelsOf(r), ...(acked.has(r.id) ? { acked: true } : {}) });
  }
  return routes;
}

/**
 * A notified maintenance window: the PSAPs in scope and their neighbours and backup partners
 * (planned work next door), and the county managers of the counties in scope. The end notice goes
 * to whoever heard the start.
 */
function routeMaintenance(notice: Notice, model: Model, previouslyNotified: ReadonlySet<string>): Route[] {
  const scoped = Object.keys(notice.incident.services).map((id) => model.services.get(id)).filter((s) => s !== undefined);
  const psaps = [...new Set(scoped.map((s) => model.psapOf(s.id)))];
  const routes: Route[] = [];
  for (const r of model.recipients) {
    let hears = previouslyNotified.has(r.id);
    if (notice.reason !== 'resolved') {
      if (r.role === 'psap' && r.psap) hears ||= psaps.includes(r.psap) || adjacentTo(r.psap, psaps, model).length > 0;
      if (r.role === 'county-manager') hears ||= scoped.some((s) => r.jurisdictions.fips.includes(s.fips) || r.jurisdictions.states.includes(s.state));
    }
    if (hears) routes.push({ recipient: r, darkNeighbours: [], channels: channelsOf(r) });
  }
  return routes;
}

/**
 * Why an escalation notice can reach no FCC liaison (undefined when it can): routed to nobody, it
 * must not pass silently for delivered, so ops is alerted with this reason instead.
 */
export function escalationUnreachable(routes: readonly Route[], model: Model): string | undefined {
  if (routes.some((r) => r.recipient.role === 'fcc-liaison' && r.channels.length > 0)) return undefined;
  const liaisons = model.recipients.filter((r) => r.role === 'fcc-liaison');
  if (liaisons.length === 0) return 'no recipient has role fcc-liaison';
  return `no FCC liaison (${liaisons.map((r) => r.id).join(', ')}) has an SMS number or email address`;
}
