import type { Clock } from '../domain/clock.js';
import { redact } from '../domain/mask.js';
import type { Model } from '../domain/model.js';
import type { Delivery, DeliveryKey, Notice } from '../domain/records.js';
import { render } from '../domain/render.js';
import { routeNotice, type Route } from '../domain/routing.js';
import { ackLink } from './ack.js';
import type { Log } from './log.js';
import type { Sender, Store } from './ports.js';

export interface DeliveryReport {
  /** Deliveries sent by this call. */
  sent: Delivery[];
  failed: Array<DeliveryKey & { error: string }>;
}

/** The dark PSAP's neighbours first, then managers, then the FCC liaison, then ops. */
const ROLE_ORDER: Record<Route['recipient']['role'], number> = { psap: 0, 'county-manager': 1, 'fcc-liaison': 2, ops: 3 };

interface Input {
  store: Store;
  model: Model;
  log: Log;
  sender: Sender;
  clock: Clock;
  leaseMs: number;
  /** Signs acknowledgement links in emails when the config names an ack endpoint. */
  ackSecret?: string;
}

/**
 * Routes, renders and sends every pending notice. A delivery is claimed (conditional write)
 * before sending and marked sent only after the send succeeded, so a retry or a concurrent
 * invocation never sends it twice; a notice leaves the outbox once all its deliveries settled.
 */
export async function deliverPending(input: Input): Promise<DeliveryReport> {
  const { store, model, log } = input;
  const pending = (await store.listPendingNotices()).sort((a, b) => a.incidentId.localeCompare(b.incidentId) || a.seq - b.seq);
  const report: DeliveryReport = { sent: [], failed: [] };
  const history = new Map<string, Delivery[]>();
  const acks = new Map<string, ReadonlySet<string>>();

  for (const notice of pending) {
    if (!history.has(notice.incidentId)) history.set(notice.incidentId, await store.listDeliveries(notice.incidentId));
    const known = history.get(notice.incidentId)!;
    // Everyone we tried to tell before (sent or still retrying) is owed every later notice, the all-clear above all.
    const told = new Set(known.filter((d) => d.seq < notice.seq).map((d) => d.recipientId));
    if (!acks.has(notice.incidentId)) acks.set(notice.incidentId, new Set((await store.listAcks(notice.incidentId)).map((a) => a.recipientId)));
    const routes = routeNotice(notice, model, told, acks.get(notice.incidentId)).sort((a, b) => ROLE_ORDER[a.recipient.role] - ROLE_ORDER[b.recipient.role]);
    let settled = true;
    for (const route of routes) {
      for (const channel of route.channels) {
        const previous = known.find((d) => d.seq === notice.seq && d.recipientId === route.recipient.id && d.channel === channel);
        if (previous && previous.status !== 'pending') continue;
        const delivery = buildDelivery(notice, route, channel, input);
        const outcome = await sendOnce(delivery, input, report);
        if (outcome !== 'settled') settled = false;
        if (outcome !== 'busy' && !previous) known.push(delivery);
      }
    }
    if (settled) await store.completeNotice(notice.incidentId, notice.seq);
    else log.warn('notice has deliveries still pending; retried next cycle', { incidentId: notice.incidentId, seq: notice.seq });
  }
  return report;
}

function buildDelivery(notice: Notice, route: Route, channel: Delivery['channel'], input: Input): Delivery {
  const now = input.clock.now();
  const rendered = render(route, channel, { notice, model: input.model, policy: input.model.config.escalation });
  const { subject } = rendered;
  const linkBase = input.model.config.acks.linkBase;
  const text =
    channel === 'email' && linkBase && input.ackSecret && notice.reason !== 'resolved' && notice.incident.kind !== 'maintenance'
      ? `${rendered.text}Acknowledge online: ${ackLink(linkBase, input.ackSecret, notice.incidentId, route.recipient.id)}\n`
      : rendered.text;
  return {
    incidentId: notice.incidentId,
    seq: notice.seq,
    recipientId: route.recipient.id,
    channel,
    phase: notice.phase,
    role: route.recipient.role,
    address: (channel === 'sms' ? route.recipient.channels.sms : route.recipient.channels.email)!,
    ...(subject !== undefined ? { subject } : {}),
    text,
    status: 'pending',
    attempts: 1,
    leaseUntil: new Date(now.getTime() + input.leaseMs).toISOString(),
    createdAt: now.toISOString(),
  };
}

async function sendOnce(delivery: Delivery, input: Input, report: DeliveryReport): Promise<'settled' | 'pending' | 'busy'> {
  const { store, log, sender } = input;
  const now = input.clock.now();
  const claim = await store.claimDelivery(delivery, now, input.leaseMs);
  if (claim === 'sent') return 'settled';
  if (claim === 'busy') return 'busy';
  try {
    const { messageId } = await sender.send(delivery);
    await store.markDeliverySent(delivery, messageId, input.clock.now());
    report.sent.push({ ...delivery, status: 'sent', messageId, sentAt: input.clock.now().toISOString() });
    return 'settled';
  } catch (err) {
    const error = redact((err as Error).message);
    await store.markDeliveryFailed(delivery, error, input.clock.now());
    report.failed.push({ incidentId: delivery.incidentId, seq: delivery.seq, recipientId: delivery.recipientId, channel: delivery.channel, error });
    log.error('delivery failed; it will be retried', { incidentId: delivery.incidentId, seq: delivery.seq, recipientId: delivery.recipientId, channel: delivery.channel, error });
    return 'pending';
  }
}
