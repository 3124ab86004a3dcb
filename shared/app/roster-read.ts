import { recipientSchema, type RecipientConfig } from '../config/schema.js';
import type { PhoneResult } from '../config/phone.js';
import { readStoredNumber } from '../config/stored-phone.js';
import type { Model } from '../domain/model.js';
import type { RosterEntry } from '../domain/records.js';
import type { Log } from './log.js';
import type { Store } from './ports.js';

/**
 * The roster merge (the rule is in roster.ts) with the phone check passed in, and the delivery
 * path's read of it (rosterModel). The delivery path reads stored numbers with readStoredNumber
 * (config/stored-phone.ts): entries were validated with libphonenumber-js by `dialtone roster add`
 * when written, and the Lambdas that deliver do not carry libphonenumber-js (117 KB). The CLI and
 * anything that takes a number from a person use roster.ts, which checks with libphonenumber-js.
 */

/** Parses and normalises an SMS number to E.164, or says why it cannot. */
export type PhoneCheck = (input: string) => PhoneResult;

export type RosterSource = 'config' | 'dynamodb' | 'dynamodb (overrides config)';

export interface RosterView {
  recipients: RecipientConfig[];
  source: Map<string, RosterSource>;
  /** Config recipients a tombstone removed. */
  removed: string[];
  /** DynamoDB entries left out, with why. */
  problems: Array<{ id: string; message: string }>;
}

export type RecipientResult = { ok: true; recipient: RecipientConfig } | { ok: false; problems: Array<{ path: string; message: string }> };

/**
 * A recipient from outside the config (the CLI, a DynamoDB item): the config's recipient schema,
 * the SMS number normalised to E.164 by `phoneCheck`, and the cross-references the config checks
 * (a psap recipient works at a known PSAP; a county manager has a jurisdiction).
 */
export function parseRecipientWith(raw: unknown, model: Pick<Model, 'services'>, phoneCheck: PhoneCheck): RecipientResult {
  const problems: Array<{ path: string; message: string }> = [];
  let input = raw;
  const sms = (raw as { channels?: { sms?: unknown } } | undefined)?.channels?.sms;
  if (typeof sms === 'string') {
    const phone = phoneCheck(sms);
    if (!phone.ok) problems.push({ path: 'channels.sms', message: phone.error });
    else input = { ...(raw as object), channels: { ...(raw as { channels: object }).channels, sms: phone.e164 } };
  }
  const parsed = recipientSchema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.join('.') || '(recipient)';
      // The number was already reported with the phone check's reason.
      if (!(path === 'channels.sms' && problems.some((p) => p.path === path))) problems.push({ path, message: issue.message });
    }
    return { ok: false, problems };
  }
  const r = parsed.data;
  if (r.role === 'psap' && r.psap === undefined) problems.push({ path: 'psap', message: 'a psap recipient names the PSAP it works at' });
  if (r.psap !== undefined && model.services.get(r.psap)?.kind !== 'psap') problems.push({ path: 'psap', message: `unknown PSAP "${r.psap}"` });
  if (r.role === 'county-manager' && r.jurisdictions.fips.length + r.jurisdictions.states.length === 0)
    problems.push({ path: 'jurisdictions', message: 'a county manager needs at least one county FIPS or state' });
  return problems.length ? { ok: false, problems } : { ok: true, recipient: r };
}

export function mergeRosterWith(config: readonly RecipientConfig[], entries: readonly RosterEntry[], model: Pick<Model, 'services'>, phoneCheck: PhoneCheck): RosterView {
  const byId = new Map(config.map((r) => [r.id, r]));
  const source = new Map<string, RosterSource>(config.map((r) => [r.id, 'config']));
  const removed: string[] = [];
  const problems: RosterView['problems'] = [];
  for (const e of [...entries].sort((a, b) => a.id.localeCompare(b.id))) {
    if (e.removed) {
      if (byId.delete(e.id)) removed.push(e.id);
      source.delete(e.id);
      continue;
    }
    const parsed = parseRecipientWith(e.recipient, model, phoneCheck);
    if (!parsed.ok) {
      problems.push({ id: e.id, message: parsed.problems.map((p) => `${p.path}: ${p.message}`).join('; ') });
      continue;
    }
    if (parsed.recipient.id !== e.id) {
      problems.push({ id: e.id, message: `id: the entry is keyed "${e.id}" but names "${parsed.recipient.id}"` });
      continue;
    }
    source.set(e.id, byId.has(e.id) ? 'dynamodb (overrides config)' : 'dynamodb');
    byId.set(e.id, parsed.recipient);
  }
  const recipients = [...byId.values()];
  return { recipients, source, removed, problems };
}

/**
 * The model with the merged roster (unchanged when DynamoDB holds no entry): what a delivery run
 * sends to. Stored numbers are read with readStoredNumber, not libphonenumber-js (see above).
 */
export async function rosterModel(model: Model, store: Pick<Store, 'listRoster'>, log?: Log): Promise<Model> {
  const entries = await store.listRoster();
  if (entries.length === 0) return model;
  const view = mergeRosterWith(model.config.recipients, entries, model, readStoredNumber);
  for (const p of view.problems) log?.warn('roster entry left out', { recipientId: p.id, problem: p.message });
  return { ...model, recipients: view.recipients };
}
