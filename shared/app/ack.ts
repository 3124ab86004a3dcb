import { createHmac, timingSafeEqual } from 'node:crypto';
import { ackCode } from '../domain/incident.js';
import { contactKey } from '../domain/mask.js';
import type { Model } from '../domain/model.js';
import type { Acknowledgement } from '../domain/records.js';
import type { Store } from './ports.js';

/**
 * Acknowledgements: an agency says "we know" by a signed link (email) or by replying with the
 * incident's ack code (SMS, "ACK 9A6C"). The first one per recipient is kept; it stops reminders
 * to that recipient, and any agency's acknowledgement stops the no-ack escalation.
 */

export type AckResult = { ok: true; ack: Acknowledgement; duplicate: boolean } | { ok: false; status: 400 | 401 | 404; error: string };

/** The signature in an ack link: HMAC-SHA256 over incident and recipient, base64url, 22 characters. */
export function ackSignature(secret: string, incidentId: string, recipientId: string): string {
  return createHmac('sha256', secret).update(`${incidentId}\n${recipientId}`).digest('base64url').slice(0, 22);
}

export function ackLink(base: string, secret: string, incidentId: string, recipientId: string): string {
  return `${base.replace(/\/$/, '')}/ack/${encodeURIComponent(incidentId)}/${encodeURIComponent(recipientId)}/${ackSignature(secret, incidentId, recipientId)}`;
}

async function record(store: Store, model: Model, incidentId: string, recipientId: string, via: Acknowledgement['via'], at: Date): Promise<AckResult> {
  if (!model.recipients.some((r) => r.id === recipientId)) return { ok: false, status: 404, error: `unknown recipient "${recipientId}"` };
  if (!(await store.getIncident(incidentId))) return { ok: false, status: 404, error: `unknown incident "${incidentId}"` };
  const ack: Acknowledgement = { incidentId, recipientId, at: at.toISOString(), via };
  return { ok: true, ack, duplicate: (await store.putAck(ack)) === 'exists' };
}

/** Checks a link's signature in constant time (nothing is read or written). */
export function validAckSignature(secret: string, link: { incidentId: string; recipientId: string; signature: string }): boolean {
  const expected = Buffer.from(ackSignature(secret, link.incidentId, link.recipientId));
  const given = Buffer.from(link.signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** From a signed link; the signature is checked in constant time before anything is read. */
export async function acknowledgeLink(store: Store, model: Model, secret: string, link: { incidentId: string; recipientId: string; signature: string }, at: Date): Promise<AckResult> {
  if (!validAckSignature(secret, link)) return { ok: false, status: 401, error: 'ack link: bad signature' };
  return record(store, model, link.incidentId, link.recipientId, 'link', at);
}

/** From an SMS reply: the sender's number names the recipient, "ACK <code>" names the open incident. */
export async function acknowledgeReply(store: Store, model: Model, reply: { from: string; text: string }, at: Date): Promise<AckResult> {
  const code = /\bACK\s+([0-9A-F]{4})\b/i.exec(reply.text)?.[1]?.toUpperCase();
  if (!code) return { ok: false, status: 400, error: 'reply: expected "ACK <code>", e.g. ACK 9A6C' };
  const recipient = model.recipients.find((r) => r.channels.sms !== undefined && contactKey(r.channels.sms) === contactKey(reply.from));
  if (!recipient) return { ok: false, status: 404, error: 'reply: the sending number is not on the roster' };
  const incident = (await store.listOpenIncidents()).find((i) => ackCode(i.id) === code);
  if (!incident) return { ok: false, status: 404, error: `reply: no open incident has ack code ${code}` };
  return record(store, model, incident.id, recipient.id, 'reply', at);
}

/** From the CLI (an operator recording a phone call). */
export function acknowledgeByOperator(store: Store, model: Model, incidentId: string, recipientId: string, at: Date): Promise<AckResult> {
  return record(store, model, incidentId, recipientId, 'cli', at);
}
