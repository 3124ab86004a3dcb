import { createHmac, timingSafeEqual } from 'node:crypto';
import { ackCode } from '../domain/incident.js';
import { contactKey } from '../domain/mask.js';
import type { Model } from '../domain/model.js';
import type { RecipientConfig } from '../config/schema.js';
import type { Acknowledgement, RollCall } from '../domain/records.js';
import type { Store } from './ports.js';
import { rosterModel } from './roster-read.js';

/**
 * Acknowledgements: an agency says "we know" by a signed link (email) or by replying with the
 * incident's ack code (SMS, "ACK 9A6C"). The first one per recipient is kept: that recipient's
 * later texts stop asking for one (its updates go on), and any agency's acknowledgement stops the
 * no-ack escalation. Who may
 * acknowledge is the merged roster (config + DynamoDB, rosterModel): whoever is alerted can answer.
 */

export type AckResult = { ok: true; ack: Acknowledgement; duplicate: boolean; recipientName: string } | { ok: false; status: 400 | 401 | 404; error: string };

/** The signature in an ack link: HMAC-SHA256 over incident and recipient, base64url, 22 characters. */
export function ackSignature(secret: string, incidentId: string, recipientId: string): string {
  return createHmac('sha256', secret).update(`${incidentId}\n${recipientId}`).digest('base64url').slice(0, 22);
}

export function ackLink(base: string, secret: string, incidentId: string, recipientId: string): string {
  return `${base.replace(/\/$/, '')}/ack/${encodeURIComponent(incidentId)}/${encodeURIComponent(recipientId)}/${ackSignature(secret, incidentId, recipientId)}`;
}

/** `roster`: the model with the merged roster already read (rosterModel); the config-only model otherwise. */
async function record(store: Store, roster: Model, incidentId: string, recipientId: string, via: Acknowledgement['via'], at: Date): Promise<AckResult> {
  const recipient = roster.recipients.find((r) => r.id === recipientId);
  if (!recipient) return { ok: false, status: 404, error: `unknown recipient "${recipientId}"` };
  if (!(await store.getIncident(incidentId))) return { ok: false, status: 404, error: `unknown incident "${incidentId}"` };
  const ack: Acknowledgement = { incidentId, recipientId, at: at.toISOString(), via };
  return { ok: true, ack, duplicate: (await store.putAck(ack)) === 'exists', recipientName: recipient.name };
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
  return record(store, await rosterModel(model, store), link.incidentId, link.recipientId, 'link', at);
}

export type RollCallResult =
  | { ok: true; recipientId: string; rollCallId: string; duplicate: boolean }
  | { ok: false; status: 400 | 401 | 404; error: string };

/** What an SMS reply answered: an incident's ack code, or the sender's roll call. */
export type ReplyResult = { kind: 'incident'; result: AckResult } | { kind: 'roll-call'; result: RollCallResult };

const replyCode = (text: string) => /\bACK\s+([0-9A-F]{4})\b/i.exec(text)?.[1]?.toUpperCase();
const NO_CODE = 'reply: expected "ACK <code>", e.g. ACK 9A6C';

/**
 * An SMS reply "ACK <code>": the sender's number names the recipient (merged roster). The code
 * is an open incident's ack code, or else the code of a roll call sent to that number; an
 * incident wins when both match (the reply is about the outage, and the roll call can be re-sent).
 */
export function answerReply(store: Store, model: Model, reply: { from: string; text: string }, at: Date): Promise<ReplyResult> {
  return answer(store, model, reply, at, true);
}

async function answer(store: Store, model: Model, reply: { from: string; text: string }, at: Date, rollCalls: boolean): Promise<ReplyResult> {
  const code = replyCode(reply.text);
  if (!code) return { kind: 'incident', result: { ok: false, status: 400, error: NO_CODE } };
  const roster = await rosterModel(model, store);
  const senders = roster.recipients.filter((r) => r.channels.sms !== undefined && contactKey(r.channels.sms) === contactKey(reply.from));
  if (senders.length === 0) return { kind: 'incident', result: { ok: false, status: 404, error: 'reply: the sending number is not on the roster' } };
  const incident = (await store.listOpenIncidents()).find((i) => ackCode(i.id) === code);
  if (incident) return { kind: 'incident', result: await record(store, roster, incident.id, senders[0]!.id, 'reply', at) };
  if (!rollCalls) return { kind: 'incident', result: { ok: false, status: 404, error: `reply: no open incident has ack code ${code}` } };
  const ids = new Set(senders.map((r) => r.id));
  const rollCall = (await store.listRollCalls()).find((rc) => ids.has(rc.recipientId) && rc.code === code);
  if (rollCall) return { kind: 'roll-call', result: await confirmRollCall(store, rollCall.recipientId, rollCall.id, 'reply', at) };
  return { kind: 'incident', result: { ok: false, status: 404, error: `reply: no open incident (and no roll call of this number) has ack code ${code}` } };
}

/** From an SMS reply about an incident only (roll calls are left alone: answerReply takes both). */
export async function acknowledgeReply(store: Store, model: Model, reply: { from: string; text: string }, at: Date): Promise<AckResult> {
  const r = await answer(store, model, reply, at, false);
  // answer() without roll calls only ever answers about an incident.
  return r.kind === 'incident' ? r.result : { ok: false, status: 404, error: 'reply: not about an incident' };
}

// ── roll calls (`dialtone roster verify`): the same reply and link, recorded on the roll call ──

/** Roll-call keys (shared/app/roster.ts rollCallId) start with RC-; incident ids never do. */
export const isRollCallId = (id: string) => id.startsWith('RC-');

async function confirmRollCall(store: Store, recipientId: string, id: string, via: NonNullable<RollCall['via']>, at: Date): Promise<RollCallResult> {
  const r = await store.confirmRollCall(recipientId, id, via, at);
  if (r === 'missing') return { ok: false, status: 404, error: `roll call ${id} is not ${recipientId}'s latest` };
  return { ok: true, recipientId, rollCallId: id, duplicate: r === 'already' };
}

/** The reply "ACK <code>" from the recipient's own number confirms its latest roll call. */
export async function rollCallReply(store: Store, recipients: readonly RecipientConfig[], reply: { from: string; text: string }, at: Date): Promise<RollCallResult> {
  const code = replyCode(reply.text);
  if (!code) return { ok: false, status: 400, error: NO_CODE };
  const senders = new Set(recipients.filter((r) => r.channels.sms !== undefined && contactKey(r.channels.sms) === contactKey(reply.from)).map((r) => r.id));
  if (senders.size === 0) return { ok: false, status: 404, error: 'reply: the sending number is not on the roster' };
  const rollCall = (await store.listRollCalls()).find((rc) => senders.has(rc.recipientId) && rc.code === code);
  if (!rollCall) return { ok: false, status: 404, error: `reply: no roll call of this number has code ${code}` };
  return confirmRollCall(store, rollCall.recipientId, rollCall.id, 'reply', at);
}

/** A signed roll-call link (email), checked in constant time before anything is read. */
export async function rollCallLink(store: Store, secret: string, link: { id: string; recipientId: string; signature: string }, at: Date): Promise<RollCallResult> {
  if (!validAckSignature(secret, { incidentId: link.id, recipientId: link.recipientId, signature: link.signature })) return { ok: false, status: 401, error: 'roll call link: bad signature' };
  return confirmRollCall(store, link.recipientId, link.id, 'link', at);
}

/** An operator confirming a roll call by hand (a phone call). */
export function rollCallByOperator(store: Store, recipientId: string, id: string, at: Date): Promise<RollCallResult> {
  return confirmRollCall(store, recipientId, id, 'cli', at);
}

/** From the CLI (an operator recording a phone call). */
export async function acknowledgeByOperator(store: Store, model: Model, incidentId: string, recipientId: string, at: Date): Promise<AckResult> {
  return record(store, await rosterModel(model, store), incidentId, recipientId, 'cli', at);
}
