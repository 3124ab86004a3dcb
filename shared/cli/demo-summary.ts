import type { DeliveryLogLine } from '../adapters/local-sender.js';

/**
 * The demo's bookkeeping of what was sent, per recipient and channel, with each bundle counted as
 * the notices it carried (a bundle's own id is not an incident). Pure, over the delivery log.
 */

/** One notice as one recipient got it on one channel (a bundle yields one per member). */
export interface Received {
  incidentId: string;
  seq: number;
  recipientId: string;
  channel: DeliveryLogLine['channel'];
  phase: DeliveryLogLine['phase'];
  time: string;
}

export function received(lines: readonly DeliveryLogLine[]): Received[] {
  return lines.flatMap((l) =>
    (l.members ?? [{ incidentId: l.incidentId, seq: l.seq }]).map((m) => ({ incidentId: m.incidentId, seq: m.seq, recipientId: l.recipientId, channel: l.channel, phase: l.phase, time: l.time })),
  );
}

const who = (r: Received) => `${r.recipientId}/${r.channel}`;

/** Notices a recipient got more than once on one channel: `INC-… #2 ramsey-floor/sms ×2`. */
export function duplicateDeliveries(lines: readonly DeliveryLogLine[]): string[] {
  const counts = new Map<string, number>();
  for (const r of received(lines)) {
    const k = `${r.incidentId} #${r.seq} ${who(r)}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts].filter(([, n]) => n > 1).map(([k, n]) => `${k} ×${n}`);
}

/** How many deliveries were one too many (a notice sent three times to one place counts two). */
export function duplicateCount(lines: readonly DeliveryLogLine[]): number {
  const keys = received(lines).map((r) => `${r.incidentId}|${r.seq}|${who(r)}`);
  return keys.length - new Set(keys).size;
}

/** Per recipient and channel: told about the incident, not (yet) told its all-clear. */
export function owedAllClears(lines: readonly DeliveryLogLine[], incidentId: string): string[] {
  const mine = received(lines).filter((r) => r.incidentId === incidentId);
  const cleared = new Set(mine.filter((r) => r.phase === 'final').map(who));
  return [...new Set(mine.filter((r) => r.phase !== 'final').map(who))].filter((k) => !cleared.has(k)).sort();
}

/** Recipients told about a resolved incident who never got its all-clear on that channel: `INC-… ramsey-floor/sms`. */
export function missingAllClears(lines: readonly DeliveryLogLine[], incidents: ReadonlyArray<{ id: string; status: 'open' | 'resolved' }>): string[] {
  return incidents.filter((i) => i.status === 'resolved').flatMap((i) => owedAllClears(lines, i.id).map((k) => `${i.id} ${k}`));
}

/** Ops alerts raised and not cleared by the end (a monitor still blind, egress still suspected). */
export function opsStillRaised(lines: readonly DeliveryLogLine[]): string[] {
  const ops = received(lines).filter((r) => /^OPS-(BLIND|EGRESS)-/.test(r.incidentId));
  const cleared = new Set(ops.filter((r) => r.phase === 'final').map((r) => r.incidentId));
  return [...new Set(ops.filter((r) => r.phase === 'initial').map((r) => r.incidentId))].filter((id) => !cleared.has(id)).sort();
}
