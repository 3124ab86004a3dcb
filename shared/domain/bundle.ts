import type { ServiceConfig } from '../config/schema.js';
import type { Model } from './model.js';
import { isDark, isImpaired } from './nena.js';
import type { Channel, Notice, Phase } from './records.js';
import type { Rendered } from './render.js';
import type { Route } from './routing.js';
import { composeSms, dialable, moreByEmail, smsName, SUBJECT_LIMIT, truncate, type NameFit } from './text.js';
import { stateWords } from './words.js';

/**
 * Storm control (one message per recipient per incident phase in a storm). When
 * several notices of the same phase are due to one recipient at once (500 PSAPs dark through 500
 * causes), they go out as ONE SMS and ONE email: a bundle. This module words bundles; the
 * bookkeeping (a bundle delivery listing its members, each member's own delivery record marked
 * sent with the bundle's message id) is shared/app/deliver.ts.
 *
 * - SMS: one GSM-7 segment, as many entries as fit, then "+N more", then the first incident id
 *   and how many more ("Inc INC-… +6"). A PSAP hears its dark neighbours with their fallback
 *   numbers, a county manager the impaired services, the FCC liaison the dark PSAPs and states.
 * - Email: an index of every notice, then each notice's own email in full (the FCC 4.9(h)
 *   fields of each), up to a size budget; the rest are listed in the index only.
 * - Ops: delivery problems (opted-out numbers, dead letters) are bundled the same way.
 */

/** One notice in a bundle: its route for the recipient and the words it would have had alone. */
export interface BundlePart {
  notice: Notice;
  route: Route;
  rendered: Rendered;
}

/** Email bodies stop carrying whole notices past this many characters (a DynamoDB item is ≤ 400 KB). */
export const BUNDLE_EMAIL_BUDGET = 150_000;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** ALERT / UPDATE / CONFIRMED / ESCALATION / ALL CLEAR (MAINTENANCE for planned work). */
export function bundleLabel(parts: readonly Pick<BundlePart, 'notice'>[]): string {
  const first = parts[0]?.notice;
  if (!first) return 'UPDATE';
  const maintenance = first.incident.kind === 'maintenance';
  if (first.phase === 'final') return maintenance ? 'MAINTENANCE ENDED' : 'ALL CLEAR';
  if (maintenance) return 'MAINTENANCE';
  if (first.phase === 'initial') return 'ALERT';
  const reasons = new Set(parts.map((p) => p.notice.reason));
  if (reasons.size === 1 && reasons.has('escalated')) return 'ESCALATION';
  if (reasons.size === 1 && reasons.has('confirmed')) return 'CONFIRMED';
  return 'UPDATE';
}

function incidentIds(parts: readonly BundlePart[]): string[] {
  return [...new Set(parts.map((p) => p.notice.incidentId))];
}

interface Entry {
  /** Sort: dark first, then near the recipient, then by name. */
  dark: boolean;
  near: boolean;
  name: string;
  text: (name: NameFit) => string;
  /** The state word (DOWN, PARTIAL, …). */
  state: string;
  /** Postal code of the service's state. */
  usState: string;
}

const byWeight = (a: Entry, b: Entry) => Number(b.dark) - Number(a.dark) || Number(b.near) - Number(a.near) || a.name.localeCompare(b.name);

/** The dark neighbours a PSAP recipient hears about, across the bundle's incidents (one entry per PSAP). */
function neighbourEntries(parts: readonly BundlePart[], model: Model, final: boolean): Entry[] {
  const seen = new Map<string, Entry>();
  for (const { notice, route } of parts) {
    for (const id of route.darkNeighbours) {
      const svc = model.services.get(id);
      const s = notice.incident.services[id];
      if (!svc || !s || seen.has(id)) continue;
      const dark = !final && isDark(s.state);
      const fallback = svc.fallbackNumbers[0];
      const sms = smsName(svc.name, svc.id);
      const text = (name: NameFit) =>
        final ? `${name(sms)} ${svc.state}` : dark ? `${name(sms)} ${svc.state}${fallback ? ` ${dialable(fallback)}` : ''}` : `${name(sms)} ${svc.state} ${stateWords(s.state)}`;
      seen.set(id, { dark, near: true, name: svc.name, text, state: stateWords(s.state), usState: svc.state });
    }
  }
  return [...seen.values()].sort(byWeight);
}

/** The services of the bundle's incidents a manager (or ops) hears about, nearest first. */
function serviceEntries(parts: readonly BundlePart[], model: Model, final: boolean, onlyDark: boolean): Entry[] {
  const seen = new Map<string, Entry>();
  for (const { notice, route } of parts) {
    const r = route.recipient;
    for (const [id, s] of Object.entries(notice.incident.services)) {
      const svc: ServiceConfig | undefined = model.services.get(id);
      if (!svc || seen.has(id)) continue;
      if (onlyDark ? !isDark(s.worst) : !final && !isImpaired(s.state) && notice.incident.kind !== 'maintenance') continue;
      const near = r.jurisdictions.fips.includes(svc.fips) || r.jurisdictions.states.includes(svc.state);
      const sms = smsName(svc.name, svc.id);
      const text = (name: NameFit) => (final || notice.incident.kind === 'maintenance' ? `${name(sms)} ${svc.state}` : `${name(sms)} ${svc.state} ${stateWords(s.state)}`);
      seen.set(id, { dark: !final && isDark(s.state), near, name: svc.name, text, state: stateWords(s.state), usState: svc.state });
    }
  }
  return [...seen.values()].sort(byWeight);
}

/**
 * "<head> e1; e2; +N more, see email. <extras> <ref>" with as many entries as fit one segment:
 * names shorten first, optional extras go next, then entries; the reference is never cut.
 */
function fitList(head: string, entries: ReadonlyArray<string | ((name: NameFit) => string)>, extras: readonly string[], ref: string): string {
  return composeSms([
    { text: head },
    { list: entries, more: moreByEmail },
    ...extras.map((text) => ({ text, optional: true })),
    { text: ref, keep: true },
  ]);
}

function commonWord(entries: readonly Entry[], fallback: string): string {
  const words = new Set(entries.map((e) => e.state));
  return words.size === 1 ? [...words][0]! : fallback;
}

function renderBundleSms(parts: readonly BundlePart[], model: Model): string {
  const first = parts[0]!;
  const phase: Phase = first.notice.phase;
  const final = phase === 'final';
  const label = bundleLabel(parts);
  const suspected = !final && first.notice.incident.kind !== 'maintenance' && parts.every((p) => p.notice.incident.certainty === 'suspected') ? ' (suspected)' : '';
  const ids = incidentIds(parts);
  const ref = `${first.notice.incident.kind === 'maintenance' ? 'Ref' : 'Inc'} ${ids[0]}${ids.length > 1 ? ` +${ids.length - 1}` : ''}`;
  const head = (lead: string) => `911 ${label}${suspected}: ${lead}`;

  if (first.notice.incident.kind === 'maintenance') {
    const entries = serviceEntries(parts, model, final, false);
    return fitList(head(`${plural(ids.length, 'planned window')}, ${plural(entries.length, 'service')}:`), entries.map((e) => e.text), final ? [] : ['A real outage still alerts.'], ref);
  }
  switch (first.route.recipient.role) {
    case 'psap': {
      const entries = neighbourEntries(parts, model, final);
      const dark = entries.filter((e) => e.dark);
      const lead = final
        ? `${plural(entries.length, 'neighbor PSAP')} back to normal:`
        : dark.length > 0
          ? `${plural(dark.length, 'neighbor PSAP')} ${commonWord(dark, 'DARK')}:`
          : `${plural(entries.length, 'neighbor PSAP')} update:`;
      return fitList(head(lead), entries.map((e) => e.text), dark.length > 0 ? ['Expect rollover.'] : [], ref);
    }
    case 'fcc-liaison': {
      const entries = serviceEntries(parts, model, final, true);
      const states = [...new Set(entries.map((e) => e.usState))].sort();
      const lead = `${plural(ids.length, 'incident')}, ${plural(entries.length, 'PSAP')} ${final ? 'restored' : 'dark'}${states.length ? ` in ${states.slice(0, 4).join(', ')}${states.length > 4 ? ` +${states.length - 4}` : ''}` : ''}:`;
      return fitList(head(lead), entries.map((e) => (name: NameFit) => `${name(smsName(e.name))} ${e.usState}`), ['Details by email.'], ref);
    }
    default: {
      const entries = serviceEntries(parts, model, final, false);
      const lead = final ? `${plural(entries.length, '911 service')} back to normal:` : `${plural(entries.length, '911 service')} in ${plural(ids.length, 'incident')}:`;
      return fitList(head(lead), entries.map((e) => e.text), [], ref);
    }
  }
}

/** The member's own subject without "[dialtone] LABEL: ": what the index line says about it. */
function summaryOf(part: BundlePart): string {
  const subject = part.rendered.subject ?? part.rendered.text.split('\n')[0] ?? '';
  return subject.replace(/^\[dialtone\] [A-Z ]+: /, '');
}

function renderBundleEmail(parts: readonly BundlePart[], model: Model): Rendered {
  const first = parts[0]!;
  const final = first.notice.phase === 'final';
  const label = bundleLabel(parts);
  const ids = incidentIds(parts);
  let headline: string;
  if (first.notice.incident.kind === 'maintenance') headline = `${plural(ids.length, 'planned window')}`;
  else if (first.route.recipient.role === 'psap') {
    const entries = neighbourEntries(parts, model, final);
    const dark = entries.filter((e) => e.dark);
    headline = final ? `${plural(entries.length, 'neighbor PSAP')} back to normal` : `${plural(dark.length || entries.length, 'neighbor PSAP')} ${dark.length ? commonWord(dark, 'DARK') : 'changed'}`;
  } else {
    const entries = serviceEntries(parts, model, final, first.route.recipient.role === 'fcc-liaison');
    headline = final ? `${plural(entries.length, '911 service')} back to normal` : `${plural(entries.length, '911 service')} affected`;
  }
  const subject = truncate(`[dialtone] ${label}: ${plural(ids.length, 'incident')} - ${headline}`, SUBJECT_LIMIT);

  const index = parts.map((p, i) => ` ${String(i + 1).padStart(String(parts.length).length)}. ${p.notice.incidentId} notice ${p.notice.seq} (${p.notice.reason}): ${summaryOf(p)}`);
  const lines = [
    `dialtone 911 outage notices - ${label} (${parts.length} notices in one message)`,
    '',
    `${parts.length} notices were due to you at the same time. They come in this one message instead of ${parts.length}; each is shown in full below, with its own incident id, FCC 4.9(h) fields and acknowledgement.`,
    '',
    'Index',
    ...index,
  ];
  let size = lines.join('\n').length;
  let shown = 0;
  for (const [i, p] of parts.entries()) {
    const section = ['', `==== ${i + 1}/${parts.length}: ${p.notice.incidentId} (notice ${p.notice.seq}) ====`, '', p.rendered.text.trimEnd()];
    const length = section.join('\n').length;
    if (shown > 0 && size + length > BUNDLE_EMAIL_BUDGET) break;
    lines.push(...section);
    size += length;
    shown++;
  }
  if (shown < parts.length)
    lines.push('', `${parts.length - shown} further notices are listed in the index above and not shown in full (size limit); each is on the record: dialtone report <incident-id>.`);
  return { subject, text: `${lines.join('\n')}\n` };
}

/** The words of one message carrying several notices of one phase to one recipient. */
export function renderBundle(parts: readonly BundlePart[], channel: Channel, model: Model): Rendered {
  if (parts.length === 0) throw new RangeError('a bundle has at least one notice');
  return channel === 'sms' ? { text: renderBundleSms(parts, model) } : renderBundleEmail(parts, model);
}

// ── ops: delivery problems ───────────────────────────────────────────────────────────────────

/**
 * What ops hears about deliveries: a number opted out of SMS (the recipient is reached by email,
 * or not at all), a delivery / publication that failed its last attempt (a dead letter), an
 * escalation no FCC liaison can receive, or an SMS the carrier could not deliver to a recipient
 * left with no other channel (`undelivered`, from the delivery receipts).
 * `id` is the delivery key's incidentId of the ops alert (its record), so each is told once.
 */
export type OpsItem =
  | { kind: 'opted-out'; id: string; recipientId: string; recipientName: string; maskedPhone: string; otherChannel: boolean; at: string }
  | { kind: 'dead-letter'; id: string; what: string; error: string; attempts: number; at: string }
  | { kind: 'escalation-undeliverable'; id: string; incidentId: string; why: string; at: string }
  | { kind: 'undelivered'; id: string; recipientId: string; recipientName: string; maskedPhone: string; what: string; reason: string; at: string };

/**
 * The delivery keys (incidentId) of ops items: one place, so the delivery path raises each once
 * and the after-action report finds who in ops was told.
 */
export const opsItemIds = {
  /** A delivery (recipient and channel) or a publication (target) failed for good. */
  deadLetter: (w: { incidentId: string; seq: number; recipientId?: string; channel?: string; target?: string }) =>
    `OPS-DEAD-${w.incidentId}-${w.seq}-${w.target ?? `${w.recipientId}-${w.channel}`}`,
  /** Once a day per recipient (UTC day of `at`). */
  optOut: (recipientId: string, at: Date) => `OPS-OPTOUT-${recipientId}-${at.toISOString().slice(0, 10).replaceAll('-', '')}`,
  escalation: (incidentId: string, seq: number) => `OPS-ESC-${incidentId}-${seq}`,
  unreached: (incidentId: string, seq: number, recipientId: string) => `OPS-UNREACHED-${incidentId}-${seq}-${recipientId}`,
};

function opsLine(item: OpsItem, long: boolean): string {
  if (item.kind === 'opted-out') {
    const fate = item.otherChannel ? 'reached by email instead' : 'NOT REACHED: no other channel';
    return long
      ? `${item.recipientName} (${item.recipientId}): SMS number ${item.maskedPhone} is opted out (it replied STOP), so SNS drops every SMS to it; ${fate}. Ask them to reply START, or opt the number in (aws sns opt-in-phone-number, once every 30 days).`
      : `${item.recipientId} SMS opted out, ${item.otherChannel ? 'email used' : 'NOT REACHED'}`;
  }
  if (item.kind === 'undelivered')
    return long
      ? `NOT REACHED: ${item.recipientName} (${item.recipientId}): the carrier could not deliver the SMS of ${item.what} to ${item.maskedPhone} (${item.reason}), and no other channel reached them. Call them, and fix the number or add an email address.`
      : `${item.recipientId} NOT REACHED (carrier: ${item.reason})`;
  if (item.kind === 'escalation-undeliverable')
    return long
      ? `ESCALATION UNDELIVERABLE: ${item.incidentId} met the escalation policy, but ${item.why}. Tell the FCC liaison by hand and fix the roster.`
      : `escalation of ${item.incidentId} UNDELIVERABLE`;
  return long ? `DEAD LETTER: ${item.what} failed ${plural(item.attempts, 'attempt')}; last error: ${item.error}` : `dead letter ${item.what}`;
}

export function renderOpsItems(items: readonly OpsItem[], channel: Channel): Rendered {
  if (items.length === 0) throw new RangeError('an ops alert has at least one item');
  const single = items.length === 1 ? items[0]! : undefined;
  if (channel === 'sms') {
    if (single?.kind === 'opted-out')
      return {
        text: composeSms([
          { text: `dialtone OPS: ${single.recipientName} SMS ${single.maskedPhone} is opted out (STOP);` },
          { text: single.otherChannel ? 'reached by email instead.' : 'NOT REACHED: no other channel.' },
          { text: 'Ask them to reply START.', optional: true },
          { text: `Ref ${single.id}`, optional: true },
        ]),
      };
    if (single?.kind === 'escalation-undeliverable')
      return {
        text: composeSms([
          { text: `dialtone OPS: ESCALATION UNDELIVERABLE for ${single.incidentId}:` },
          { text: `${single.why}.` },
          { text: 'Tell the FCC liaison by hand.', optional: true },
        ]),
      };
    if (single?.kind === 'undelivered')
      return {
        text: composeSms([
          { text: `dialtone OPS: ${single.recipientName} NOT REACHED: SMS of ${single.what} failed at the carrier, no other channel.` },
          { text: `Carrier: ${single.reason}.`, optional: true },
          { text: 'Call them.', optional: true },
        ]),
      };
    if (single?.kind === 'dead-letter')
      return { text: composeSms([{ text: `dialtone OPS: DEAD LETTER ${single.what}, ${single.attempts} attempts.` }, { text: `Error: ${single.error}`, optional: true }]) };
    return { text: fitList(`dialtone OPS: ${items.length} delivery problems:`, items.map((i) => opsLine(i, false)), ['Details by email.'], '') };
  }
  const dead = items.filter((i) => i.kind === 'dead-letter').length;
  const undeliverable = items.filter((i) => i.kind === 'escalation-undeliverable').length;
  const unreached = items.filter((i) => i.kind === 'undelivered').length;
  const optedOut = items.length - dead - undeliverable - unreached;
  const what = [
    undeliverable ? plural(undeliverable, 'undeliverable escalation') : '',
    unreached ? `${plural(unreached, 'recipient')} not reached` : '',
    dead ? plural(dead, 'dead letter') : '',
    optedOut ? plural(optedOut, 'opted-out number') : '',
  ]
    .filter(Boolean)
    .join(', ');
  const subject = truncate(`[dialtone] OPS: ${what}`, SUBJECT_LIMIT);
  const body = [
    `dialtone ops alert - delivery problems (${what})`,
    '',
    ...items.map((i) => ` - ${opsLine(i, true)}`),
    '',
    'Dead letters stay on the record (status failed); list them with the store\'s dead-letter index. Opted-out SMS are settled as opted-out, never retried.',
    `Reference: ${items.map((i) => i.id).join(', ')}`,
  ];
  return { subject, text: `${body.join('\n')}\n` };
}
