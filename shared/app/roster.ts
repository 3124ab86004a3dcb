import { createHash } from 'node:crypto';
import type { RecipientConfig } from '../config/schema.js';
import { toE164 } from '../config/phone.js';
import { mergeRosterWith, parseRecipientWith, type RecipientResult, type RosterView } from './roster-read.js';
import type { Clock } from '../domain/clock.js';
import { ackCode } from '../domain/incident.js';
import { maskAddress } from '../domain/mask.js';
import type { Model } from '../domain/model.js';
import type { Channel, RollCall, RosterEntry } from '../domain/records.js';
import { composeSms, SUBJECT_LIMIT, truncate } from '../domain/text.js';
import { ackLink } from './ack.js';
import { newDelivery, sendOne } from './send.js';
import type { Log } from './log.js';
import type { DeliveryChannels, Sender, Store } from './ports.js';

/**
 * The roster: who can be told. Recipients live in the monitoring config and in DynamoDB.
 *
 * Merge rule (config is the base; DynamoDB adds, overrides, removes):
 * - a config recipient is on the roster unless DynamoDB holds an entry with its id;
 * - a DynamoDB entry with a recipient adds it, or, when the config has the same id, replaces the
 *   config's recipient whole (a new phone number, a priority, a channel);
 * - a DynamoDB tombstone (`removed`) takes the config recipient of that id off the roster;
 * - `dialtone roster remove ID` deletes the DynamoDB entry, and writes a tombstone when the config
 *   also lists ID (the config is read-only at run time); `roster add ID` replaces a tombstone;
 * - a DynamoDB entry that does not validate (zod schema, E.164, unknown PSAP) is left out with a
 *   warning naming it and the field: a bad entry never stops delivery. Numbers a person types are
 *   checked with libphonenumber-js (here: `roster add`, `roster list`); the delivery path reads the
 *   stored E.164 back without it (roster-read.ts: readStoredNumber, which accepts all it accepts).
 * The merged roster is read once per delivery run that has notices to send (one Query).
 */

export type { RecipientResult, RosterSource, RosterView } from './roster-read.js';
export { rosterModel } from './roster-read.js';

/**
 * A recipient from outside the config (the CLI, a DynamoDB item): the config's recipient schema,
 * the SMS number parsed and normalised to E.164 by libphonenumber-js, and the cross-references
 * the config checks (a psap recipient works at a known PSAP; a county manager has a jurisdiction).
 */
export function parseRecipient(raw: unknown, model: Pick<Model, 'services'>): RecipientResult {
  return parseRecipientWith(raw, model, toE164);
}

/** The merge rule above, numbers checked with libphonenumber-js (the delivery path: roster-read.ts). */
export function mergeRoster(config: readonly RecipientConfig[], entries: readonly RosterEntry[], model: Pick<Model, 'services'>): RosterView {
  return mergeRosterWith(config, entries, model, toE164);
}

/** The roster as config + DynamoDB, read once. Problems are logged (ids and fields, never addresses). */
export async function readRoster(model: Model, store: Pick<Store, 'listRoster'>, log?: Log): Promise<RosterView> {
  const view = mergeRoster(model.config.recipients, await store.listRoster(), model);
  for (const p of view.problems) log?.warn('roster entry left out', { recipientId: p.id, problem: p.message });
  return view;
}

// ── roll call (`dialtone roster verify`) ─────────────────────────────────────────────────────

/** A roll call's delivery key: `RC-<time>-<hash>`; its ack code is the last four hex digits. */
export function rollCallId(recipientId: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `RC-${stamp}-${createHash('sha256').update(`${recipientId}\n${at.toISOString()}`).digest('hex').slice(0, 6)}`;
}

export function rollCallText(recipient: RecipientConfig, id: string, channel: Channel, link?: string): { subject?: string; text: string } {
  const code = ackCode(id);
  if (channel === 'sms')
    return {
      text: composeSms([
        { text: `dialtone ROLL CALL for ${recipient.name}: this number gets 911 outage alerts.` },
        { text: `Reply ACK ${code} to confirm.` },
        { text: 'Not a real alert.', optional: true },
        { text: `Ref ${id}`, optional: true },
      ]),
    };
  return {
    subject: truncate(`[dialtone] Roll call: please confirm you get 911 outage alerts (${code})`, SUBJECT_LIMIT),
    text: [
      `dialtone roll call - ${recipient.name}`,
      '',
      'This is a test, not an outage. This address is on the roster that is told when 911 service',
      `in your area is at risk (role: ${recipient.role}). Please confirm that it reaches you:`,
      '',
      `  - reply to the SMS roll call with: ACK ${code}`,
      ...(link ? [`  - or open: ${link}`] : []),
      '',
      `Reference: ${id}`,
      '',
    ].join('\n'),
  };
}

export interface RollCallDeps {
  store: Store;
  sender: Sender | DeliveryChannels;
  clock: Clock;
  log: Log;
  leaseMs?: number;
  /** Email carries a signed link when both are set (config acks.linkBase, DIALTONE_ACK_SECRET). */
  linkBase?: string;
  ackSecret?: string;
}

export interface RollCallReport {
  rollCall: RollCall;
  sends: Array<{ channel: Channel; address: string; outcome: 'sent' | 'failed' | 'opted-out'; messageId?: string; error?: string }>;
}

/**
 * Sends a roll call: a notice-like delivery per channel under its own key (RC-…, seq 1), claimed
 * and marked sent like any delivery, and records it as the recipient's latest roll call. An
 * opted-out SMS number is reported, not sent to.
 */
export async function sendRollCall(deps: RollCallDeps, recipient: RecipientConfig, only?: Channel): Promise<RollCallReport> {
  const now = deps.clock.now();
  const id = rollCallId(recipient.id, now);
  const channels = (['sms', 'email'] as const).filter((c) => recipient.channels[c] !== undefined && (only === undefined || only === c));
  const before = (await deps.store.listRollCalls()).find((rc) => rc.recipientId === recipient.id);
  const lastConfirmedAt = before?.confirmedAt ?? before?.lastConfirmedAt;
  const rollCall: RollCall = { recipientId: recipient.id, id, code: ackCode(id), channels: [...channels], sentAt: now.toISOString(), ...(lastConfirmedAt ? { lastConfirmedAt } : {}) };
  await deps.store.putRollCall(rollCall);
  const link = deps.linkBase && deps.ackSecret ? ackLink(deps.linkBase, deps.ackSecret, id, recipient.id) : undefined;
  const optOuts = channels.includes('sms') ? (deps.sender as DeliveryChannels).optOuts?.() : undefined;
  if (optOuts) await optOuts.listOptedOut();
  const sends: RollCallReport['sends'] = [];
  const leaseMs = deps.leaseMs ?? 60_000;
  for (const channel of channels) {
    const address = recipient.channels[channel]!;
    const masked = maskAddress(channel, address);
    const { subject, text } = rollCallText(recipient, id, channel, link);
    const delivery = newDelivery({ incidentId: id, seq: 1, recipientId: recipient.id, channel }, { phase: 'initial', reason: 'roll-call', role: recipient.role, address, subject, text }, now, leaseMs);
    if (channel === 'sms' && optOuts && (await optOuts.check(address)).status === 'opted-out') {
      await deps.store.claimDelivery(delivery, now, leaseMs);
      await deps.store.settleDelivery(delivery, 'opted-out', 'the number replied STOP (opted out)', deps.clock.now());
      sends.push({ channel, address: masked, outcome: 'opted-out' });
      continue;
    }
    const r = await sendOne({ store: deps.store, sender: deps.sender, clock: deps.clock, log: deps.log, leaseMs }, delivery);
    if (r.ok) sends.push({ channel, address: masked, outcome: 'sent', messageId: r.messageId });
    else sends.push({ channel, address: masked, outcome: 'failed', error: 'error' in r ? r.error : `already ${r.claim === 'sent' ? 'sent' : 'being sent by another worker'}` });
  }
  return { rollCall, sends };
}

/** A recipient who never confirmed a roll call, and where it stands (`roster verify --report`). */
export interface UnconfirmedRecipient {
  recipient: RecipientConfig;
  /** The latest roll call, when one was sent (never answered). */
  rollCall?: RollCall;
}

/** Recipients of the merged roster that never confirmed any roll call, in id order. */
export function neverConfirmed(recipients: readonly RecipientConfig[], rollCalls: readonly RollCall[]): UnconfirmedRecipient[] {
  const latest = new Map(rollCalls.map((rc) => [rc.recipientId, rc]));
  return recipients
    .filter((r) => {
      const rc = latest.get(r.id);
      return !rc?.confirmedAt && !rc?.lastConfirmedAt;
    })
    .map((r) => ({ recipient: r, ...(latest.has(r.id) ? { rollCall: latest.get(r.id)! } : {}) }))
    .sort((a, b) => a.recipient.id.localeCompare(b.recipient.id));
}

export { rollCallByOperator, rollCallLink, rollCallReply, type RollCallResult } from './ack.js';
