/**
 * The notice lifecycle's promises, as checks over the record. They hold "for every recipient" and
 * "for every incident", so the fault suite runs them after every generated case and counts each
 * one's violations (the soak prints them).
 */
import { ackCode, reminderLeadMs } from '../../shared/domain/incident.js';
import type { Model } from '../../shared/domain/model.js';
import { isImpaired } from '../../shared/domain/nena.js';
import type { Delivery, Incident, Notice } from '../../shared/domain/records.js';

export interface IncidentRecord {
  incident: Incident;
  notices: Notice[];
  deliveries: Delivery[];
  /** Ops deliveries about this incident's undeliverable escalations, keyed by notice seq. */
  undeliverableAlerts: Map<number, Delivery[]>;
}

export interface CheckContext {
  model: Model;
  /** The longest stretch of simulated time with no invocation: a clock can only fire at one. */
  longestPauseMinutes: number;
}

export interface Invariant {
  id: string;
  title: string;
  check(record: IncidentRecord, ctx: CheckContext): string[];
}

const MINUTE = 60_000;
const minutes = (a: string, b: string) => (Date.parse(b) - Date.parse(a)) / MINUTE;

export const INVARIANTS: Invariant[] = [
  {
    id: 'a.updateGap',
    title: 'every recipient told hears again within updateEveryMinutes until the final notice',
    check({ incident, notices, deliveries }, { model, longestPauseMinutes }) {
      if (incident.kind === 'maintenance') return [];
      const policy = model.config.escalation;
      // A reminder is issued `lead` early, at the first invocation after it is due.
      const bound = policy.updateEveryMinutes - reminderLeadMs(policy) / MINUTE + Math.max(1, longestPauseMinutes);
      const at = new Map(notices.map((n) => [n.seq, n.createdAt]));
      const last = notices.at(-1);
      const out: string[] = [];
      const byRecipient = new Map<string, Set<number>>();
      for (const d of deliveries) {
        if (d.role === 'ops') continue;
        byRecipient.set(d.recipientId, (byRecipient.get(d.recipientId) ?? new Set()).add(d.seq));
      }
      for (const [recipient, seqs] of byRecipient) {
        const times = [...seqs].sort((x, y) => x - y).map((s) => at.get(s)!).filter(Boolean);
        // Until the last notice of the record (or now, for an incident still open at the end).
        if (last && incident.status === 'open') times.push(last.createdAt);
        for (let i = 1; i < times.length; i++) {
          const gap = minutes(times[i - 1]!, times[i]!);
          if (gap > bound) out.push(`UPDATE GAP: ${incident.id} to ${recipient}: ${gap.toFixed(0)} min between notices (${times[i - 1]} → ${times[i]}), more than ${bound.toFixed(0)}`);
        }
      }
      return out;
    },
  },
  {
    id: 'b.escalationReached',
    title: 'every recorded escalation has a liaison delivery or an "undeliverable" ops alert',
    check({ incident, notices, deliveries, undeliverableAlerts }) {
      return notices
        .filter((n) => n.reason === 'escalated')
        .filter((n) => !deliveries.some((d) => d.seq === n.seq && d.role === 'fcc-liaison') && !(undeliverableAlerts.get(n.seq)?.length ?? 0))
        .map((n) => `ESCALATION TO NOBODY: ${incident.id}#${n.seq} has no delivery to an FCC liaison and no undeliverable alert to ops`);
    },
  },
  {
    id: 'd.smsCarriesIds',
    title: 'every SMS carries its incident id, and its own ack code where it asks for one',
    check({ incident, deliveries }) {
      const out: string[] = [];
      for (const d of deliveries) {
        if (d.channel !== 'sms' || d.status !== 'sent' || d.bundleId) continue;
        if (!d.text.includes(incident.id)) out.push(`SMS WITHOUT ITS ID: ${incident.id}#${d.seq} to ${d.recipientId}: "${d.text}"`);
        const asks = /\bAck ([A-Z0-9]{4})\b/.exec(d.text);
        if (asks && asks[1] !== ackCode(incident.id)) out.push(`WRONG ACK CODE: ${incident.id}#${d.seq} to ${d.recipientId} asks for ${asks[1]}, not ${ackCode(incident.id)}`);
      }
      return out;
    },
  },
  {
    id: 'e.dependencyNotConcurrent',
    title: 'no notice calls a declared dependency of its services "concurrent, not the cause"',
    check({ incident, notices }, { model }) {
      const out: string[] = [];
      for (const n of notices) {
        const deps = new Set(Object.keys(n.incident.services).flatMap((id) => model.services.get(id)?.dependsOn.map((d) => d.component) ?? []));
        for (const c of n.incident.concurrent) if (deps.has(c.componentId)) out.push(`DEPENDENCY CALLED CONCURRENT: ${incident.id}#${n.seq} lists ${c.componentId} as concurrent, but its services depend on it`);
      }
      return out;
    },
  },
  {
    id: 'f.stateWords',
    title: 'the words agree with the record: an all-clear says nothing is DOWN, an alert SMS never says "back to normal"',
    check({ incident, notices, deliveries }) {
      const out: string[] = [];
      const bySeq = new Map(notices.map((n) => [n.seq, n]));
      for (const d of deliveries) {
        const n = bySeq.get(d.seq);
        if (!n || d.status !== 'sent' || d.bundleId) continue;
        if (n.phase === 'final' && /\bDOWN\b/.test(d.text)) out.push(`STATE WORDS: ${incident.id}#${d.seq} all-clear to ${d.recipientId} says DOWN: "${d.text.slice(0, 200)}"`);
        if (n.phase !== 'final' && d.channel === 'sms' && /back to normal/i.test(d.text)) out.push(`STATE WORDS: ${incident.id}#${d.seq} (${n.reason}) SMS to ${d.recipientId} says "back to normal" while open: "${d.text}"`);
      }
      return out;
    },
  },
  {
    id: 'g.materialChange',
    title: 'every "changed" notice follows a material change of its incident',
    check({ incident, notices }) {
      const gist = (n: Notice) =>
        JSON.stringify([Object.entries(n.incident.services).map(([id, s]) => `${id}=${s.state}`).sort(), n.incident.certainty, n.incident.causeComponentId, n.incident.causeClearedAt ?? null, n.incident.escalatedAt ?? null]);
      const out: string[] = [];
      for (const [i, n] of notices.entries()) {
        if (n.reason !== 'changed' || i === 0) continue;
        if (gist(n) === gist(notices[i - 1]!)) out.push(`NO NEWS: ${incident.id}#${n.seq} "changed" says what #${notices[i - 1]!.seq} said: ${gist(n)}`);
      }
      return out;
    },
  },
];

/** (c) no service is impaired in two open incidents at once: checked on the open incidents at a point in time. */
export function servicesInTwoIncidents(open: readonly Incident[]): string[] {
  const seen = new Map<string, string>();
  const out: string[] = [];
  for (const incident of open) {
    if (incident.kind === 'maintenance' || incident.status !== 'open') continue;
    for (const [id, s] of Object.entries(incident.services)) {
      if (!isImpaired(s.state)) continue;
      const other = seen.get(id);
      if (other) out.push(`TWO INCIDENTS: service ${id} is impaired in ${other} and ${incident.id}`);
      else seen.set(id, incident.id);
    }
  }
  return out;
}
