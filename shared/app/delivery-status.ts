import { redact } from '../domain/mask.js';
import type { DeliveryKey, ProviderStatus } from '../domain/records.js';
import type { Log } from './log.js';
import type { Store } from './ports.js';

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
  /** Messages the provider could not deliver. */
  undelivered: Array<DeliveryKey & { reason?: string }>;
}

/**
 * SMS delivery status feedback: the provider's verdict goes onto the delivery record (found by
 * the message id it was marked sent with), and onto every member of a bundle. A status does not change the bookkeeping (the delivery stays `sent`: SNS accepted it);
 * an undelivered one is logged for ops and shows in the report.
 */
export async function applyDeliveryStatuses(store: Store, statuses: readonly MessageStatus[], log: Log): Promise<StatusReport> {
  const report: StatusReport = { received: statuses.length, updated: 0, unknown: 0, undelivered: [] };
  for (const s of statuses) {
    const delivery = await store.findDeliveryByMessageId(s.messageId);
    if (!delivery) {
      report.unknown++;
      log.info('delivery status for a message we did not send (or not recorded)', { messageId: s.messageId });
      continue;
    }
    const status: ProviderStatus = { status: s.status, at: s.at, ...(s.reason !== undefined ? { reason: redact(s.reason) } : {}) };
    const keys: DeliveryKey[] = [
      delivery,
      ...(delivery.members ?? []).map((m) => ({ incidentId: m.incidentId, seq: m.seq, recipientId: delivery.recipientId, channel: delivery.channel })),
    ];
    for (const k of keys) if (await store.recordProviderStatus(k, status)) report.updated++;
    if (s.status === 'failed') {
      for (const k of keys.slice(delivery.members ? 1 : 0)) report.undelivered.push({ incidentId: k.incidentId, seq: k.seq, recipientId: k.recipientId, channel: k.channel, ...(status.reason ? { reason: status.reason } : {}) });
      log.warn('SMS not delivered by the carrier', { incidentId: delivery.incidentId, seq: delivery.seq, recipientId: delivery.recipientId, members: delivery.members?.length ?? 0, reason: status.reason });
    }
  }
  return report;
}
