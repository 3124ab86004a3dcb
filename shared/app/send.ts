import type { Clock } from '../domain/clock.js';
import { redact } from '../domain/mask.js';
import type { Delivery, DeliveryKey, DeliveryReason } from '../domain/records.js';
import type { Log } from './log.js';
import type { Sender, Store } from './ports.js';

/** Sends a delivery is tried before it fails for good (a dead letter). */
export const MAX_DELIVERY_ATTEMPTS = 5;

/** Wait before retry n of a failed send: 30 s, 1, 2, 4 min … capped at 10 min (then a dead letter). */
export const RETRY_BASE_MS = 30_000;
export const RETRY_MAX_MS = 10 * 60_000;

export function retryDelayMs(attempt: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.max(0, attempt - 1));
}

/** A delivery about to be tried for the first time: pending, one attempt, leased for `leaseMs`. */
export function newDelivery(
  key: DeliveryKey,
  message: Pick<Delivery, 'phase' | 'role' | 'address' | 'text'> & { subject?: string | undefined; reason?: DeliveryReason },
  now: Date,
  leaseMs: number,
): Delivery {
  const { subject, ...rest } = message;
  return {
    ...key,
    ...rest,
    ...(subject !== undefined ? { subject } : {}),
    status: 'pending',
    attempts: 1,
    leaseUntil: new Date(now.getTime() + leaseMs).toISOString(),
    createdAt: now.toISOString(),
  };
}

export type SendOneResult = { ok: true; messageId: string } | { ok: false; claim: 'sent' | 'busy' } | { ok: false; error: string; dead: boolean };

/**
 * One delivery, on its own: claim (conditional write) → send → mark sent, or mark failed with a
 * backoff. Roll calls use it; deliverPending does the same per message, plus bundling and pacing.
 */
export async function sendOne(
  deps: { store: Store; sender: Sender; clock: Clock; log: Log; leaseMs: number },
  delivery: Delivery,
  attempt = 1,
): Promise<SendOneResult> {
  const claim = await deps.store.claimDelivery(delivery, deps.clock.now(), deps.leaseMs);
  if (claim !== 'claimed') return { ok: false, claim };
  try {
    const { messageId } = await deps.sender.send(delivery);
    await deps.store.markDeliverySent(delivery, messageId, deps.clock.now());
    return { ok: true, messageId };
  } catch (err) {
    const error = redact((err as Error).message);
    const at = deps.clock.now();
    const became = await deps.store.markDeliveryFailed(delivery, error, at, new Date(at.getTime() + retryDelayMs(attempt)));
    deps.log.error('delivery failed', { incidentId: delivery.incidentId, seq: delivery.seq, recipientId: delivery.recipientId, channel: delivery.channel, error });
    return { ok: false, error, dead: became === 'failed' };
  }
}
