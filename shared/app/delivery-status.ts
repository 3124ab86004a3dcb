import type { RecipientConfig } from '../config/schema.js';
import type { Clock } from '../domain/clock.js';
import { maskPhone, redact } from '../domain/mask.js';
import type { Model } from '../domain/model.js';
import { opsItemIds, type OpsItem } from '../domain/bundle.js';
import type { Delivery, DeliveryKey, ProviderStatus } from '../domain/records.js';
import { SUBJECT_LIMIT, truncate } from '../domain/text.js';
import { deliverOpsItems, optOutItem } from './deliver.js';
import type { Log } from './log.js';
import type { Sender, Store } from './ports.js';
import { rosterModel } from './roster-read.js';
import { newDelivery, sendOne } from './send.js';

/** What the provider said about one message (adapters/delivery-status-log.ts parses it). */
export interface MessageStatus {
  messageId: string;
  status: ProviderStatus['status'];
  reason?: string;
  at: string;
}

export interface StatusReport {
  received: number;
  /** Delivery records updated (a bundle counts once per member, plus itself). */
  updated: number;
  /** Message ids we never sent (another sender on the account, or a pointer not written). */
  unknown: number;
  /** Messages the provider could not deliver, and what followed for each notice's recipient. */
  undelivered: Array<DeliveryKey & { reason?: string; fallback?: ProviderStatus['fallback'] }>;
  /** Fallback emails sent in place of an SMS the carrier could not deliver. */
  fallbackEmails?: number;
  /** Ops items raised (recipients left unreached, opted-out numbers). */
  opsItems?: string[];
}

/**
 * How a failed SMS is made good: the merged roster (who the recipient is, its email, ops), the
 * last hop and the clock. Without it receipts are only recorded.
 */
export interface FallbackDeps {
  model: Model;
  sender: Sender;
  clock: Clock;
  leaseMs?: number;
}

/** The carrier's reason for an opted-out number ("Phone has opted out", "…opted out of SMS"). */
const OPTED_OUT = /\bopt(?:ed)?[- ]?out\b/i;

/**
 * SMS delivery status feedback: the provider's verdict (status, carrier words, time) goes onto
 * the delivery record (found by the message id it was marked sent with), and onto every member
 * of a bundle. A status does not change the bookkeeping (the delivery stays `sent`: SNS accepted it).
 *
 * A carrier "failed" on the SMS of a notice (with FallbackDeps):
 * - the recipient has an email address: its email of that notice already went (or is on its
 *   way: nothing more), or, when it never had one (the address was added later), one is sent now
 *   with the SMS's words, under the notice's email key (so it is sent once);
 * - no email, or that email failed for good: ops is told the recipient was NOT REACHED (an
 *   `undelivered` ops item, once per notice and recipient);
 * - the carrier says the number opted out: ops hears it as an opt-out (as the delivery path
 *   tells it), whatever else reached the recipient.
 * What followed is written with the status (`fallback`), for the report. Roll calls and ops
 * alerts (not an incident's notice) are only recorded.
 */
export async function applyDeliveryStatuses(store: Store, statuses: readonly MessageStatus[], log: Log, fallback?: FallbackDeps): Promise<StatusReport> {
  const report: StatusReport = { received: statuses.length, updated: 0, unknown: 0, undelivered: [] };
  const ops = new Map<string, OpsItem>();
  let roster: Promise<Model> | undefined;
  const histories = new Map<string, Promise<Delivery[]>>();
  for (const s of statuses) {
    const delivery = await store.findDeliveryByMessageId(s.messageId);
    if (!delivery) {
      report.unknown++;
      log.info('delivery status for a message we did not send (or not recorded)', { messageId: s.messageId });
      continue;
    }
    const reason = s.reason !== undefined ? redact(s.reason) : undefined;
    const status: ProviderStatus = {
      status: s.status,
      at: s.at,
      ...(reason !== undefined ? { reason } : {}),
      ...(s.status === 'failed' && reason !== undefined && OPTED_OUT.test(reason) ? { optedOut: true as const } : {}),
    };
    const members: DeliveryKey[] = (delivery.members ?? []).map((m) => ({ incidentId: m.incidentId, seq: m.seq, recipientId: delivery.recipientId, channel: delivery.channel }));
    // The notices this message carried: the bundle's members, or the delivery itself.
    const notices: DeliveryKey[] = delivery.members ? members : [delivery];
    if (delivery.members && (await store.recordProviderStatus(delivery, status))) report.updated++;
    for (const k of notices) {
      let then: ProviderStatus['fallback'];
      if (s.status === 'failed' && fallback && k.channel === 'sms' && (await store.getIncident(k.incidentId))) {
        const model = await (roster ??= rosterModel(fallback.model, store, log));
        const recipient = model.recipients.find((r) => r.id === k.recipientId);
        if (!histories.has(k.incidentId)) histories.set(k.incidentId, store.listDeliveries(k.incidentId));
        const history = await histories.get(k.incidentId)!;
        then = await makeGood(store, fallback, log, k, delivery, recipient, history, status, report);
        const at = new Date(s.at);
        if (then === 'ops' && recipient) {
          const item = undeliveredItem(k, recipient, status, at);
          ops.set(item.id, item);
        }
        if (status.optedOut && recipient) {
          const item = optOutItem(recipient, at);
          ops.set(item.id, item);
        }
      }
      if (await store.recordProviderStatus(k, then ? { ...status, fallback: then } : status)) report.updated++;
      if (s.status === 'failed') report.undelivered.push({ ...k, ...(reason ? { reason } : {}), ...(then ? { fallback: then } : {}) });
    }
    if (s.status === 'failed')
      log.warn('SMS not delivered by the carrier', { incidentId: delivery.incidentId, seq: delivery.seq, recipientId: delivery.recipientId, members: delivery.members?.length ?? 0, reason });
  }
  if (fallback && ops.size > 0) {
    const items = [...ops.values()];
    report.opsItems = items.map((i) => i.id);
    const sent = await deliverOpsItems({ store, model: fallback.model, log, sender: fallback.sender, clock: fallback.clock, leaseMs: fallback.leaseMs ?? 60_000 }, items);
    log.warn('ops told about SMS the carrier could not deliver', { items: report.opsItems, sent: sent.sent.length, failed: sent.failed.length });
  }
  return report;
}

function undeliveredItem(k: DeliveryKey, r: RecipientConfig, status: ProviderStatus, at: Date): OpsItem {
  return {
    kind: 'undelivered',
    id: opsItemIds.unreached(k.incidentId, k.seq, k.recipientId),
    recipientId: r.id,
    recipientName: r.name,
    maskedPhone: r.channels.sms ? maskPhone(r.channels.sms) : 'none',
    what: `${k.incidentId} notice ${k.seq}`,
    reason: status.reason ?? 'no reason given',
    at: at.toISOString(),
  };
}

/** Reaches the recipient of a failed SMS on its email, or says none is left ('ops'). */
async function makeGood(
  store: Store,
  deps: FallbackDeps,
  log: Log,
  k: DeliveryKey,
  sms: Delivery,
  recipient: RecipientConfig | undefined,
  history: readonly Delivery[],
  status: ProviderStatus,
  report: StatusReport,
): Promise<'email' | 'ops'> {
  const address = recipient?.channels.email;
  if (!address) return 'ops';
  const email = history.find((d) => d.seq === k.seq && d.recipientId === k.recipientId && d.channel === 'email');
  // Sent, or still being retried by the outbox (a dead letter there tells ops on its own).
  if (email && (email.status === 'sent' || email.status === 'pending')) return 'email';
  if (email) return 'ops';
  const now = deps.clock.now();
  const leaseMs = deps.leaseMs ?? 60_000;
  const member = k.incidentId !== sms.incidentId;
  const delivery = newDelivery(
    { ...k, channel: 'email' },
    {
      phase: sms.phase,
      role: sms.role,
      address,
      subject: truncate(`[dialtone] ${k.incidentId}: our text to you was not delivered`, SUBJECT_LIMIT),
      text: [
        `dialtone could not deliver this text message to your phone (carrier: ${status.reason ?? 'no reason given'}).`,
        member ? `It was one message about several incidents; ${k.incidentId} notice ${k.seq} is among them. It said:` : 'It said:',
        '',
        sms.text,
        '',
        `Reference: ${k.incidentId} notice ${k.seq}`,
        '',
      ].join('\n'),
    },
    now,
    leaseMs,
  );
  const r = await sendOne({ store, sender: deps.sender, clock: deps.clock, log, leaseMs }, delivery);
  if (r.ok) {
    report.fallbackEmails = (report.fallbackEmails ?? 0) + 1;
    log.info('failed SMS made good by email', { incidentId: k.incidentId, seq: k.seq, recipientId: k.recipientId });
    return 'email';
  }
  // Sent by an earlier try of this same receipt (or being sent by one): the recipient has it.
  if ('claim' in r) return 'email';
  // The email failed too: nothing retries a fallback (no notice is owed), so ops is told now.
  return 'ops';
}
