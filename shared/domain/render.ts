import type { EscalationPolicy, ServiceConfig } from '../config/schema.js';
import { ackCode, nextUpdateBy } from './incident.js';
import type { Model } from './model.js';
import { isDark, isImpaired } from './nena.js';
import { isPath } from './service.js';
import type { AffectedService, Channel, Notice } from './records.js';
import type { Route } from './routing.js';
import { fccFields, fccService, outageTimes, type NoticeField } from './fcc-fields.js';
import { stateWords } from './words.js';
import { clockTime, composeSms, dialable, durationText, fullTime, moreByEmail, smsName, SUBJECT_LIMIT, truncate, type NameFit } from './text.js';

/** The words one recipient gets on one channel. */
export interface Rendered {
  subject?: string;
  text: string;
}

const LABEL: Record<Notice['reason'], string> = {
  opened: 'ALERT',
  changed: 'UPDATE',
  confirmed: 'CONFIRMED',
  reminder: 'UPDATE',
  escalated: 'ESCALATION',
  resolved: 'ALL CLEAR',
};

interface Ctx {
  notice: Notice;
  model: Model;
  policy: EscalationPolicy;
  /** Set when rendering for one recipient: what concerns them comes first. */
  route?: Route;
}

/** The incident's services, those nearest the recipient first (their neighbours, their counties). */
/** A service the recipient is close to: a neighbour it hears about, or inside its jurisdiction. */
function isNear(ctx: Ctx, svc: ServiceConfig): boolean {
  const r = ctx.route;
  return (
    r !== undefined &&
    (r.darkNeighbours.includes(ctx.model.psapOf(svc.id)) || r.recipient.jurisdictions.fips.includes(svc.fips) || r.recipient.jurisdictions.states.includes(svc.state))
  );
}

function affected(ctx: Ctx): Array<{ svc: ServiceConfig; s: AffectedService }> {
  const near = (svc: ServiceConfig) => isNear(ctx, svc);
  return Object.entries(ctx.notice.incident.services)
    .map(([id, s]) => ({ svc: ctx.model.services.get(id), s }))
    .filter((x): x is { svc: ServiceConfig; s: AffectedService } => x.svc !== undefined)
    .sort((a, b) => Number(near(b.svc)) - Number(near(a.svc)) || a.svc.name.localeCompare(b.svc.name));
}

const zoneOf = (ctx: Ctx) => affected(ctx)[0]?.svc.timeZone ?? 'UTC';
/**
 * The county as messages name it: the config's `county`, which config validation fills in with
 * the Census name of the FIPS ("Ramsey County", "Richmond city") when the config does not name
 * it (shared/config/validate.ts; the Lambdas get it filled at synth and carry no county table).
 * A config that skipped that step still reads sensibly: "FIPS 27123 MN".
 */
const countyOf = (svc: ServiceConfig) => `${svc.county ?? `FIPS ${svc.fips}`} ${svc.state}`;
const states = (ctx: Ctx) => [...new Set(affected(ctx).map((a) => a.svc.state))].sort();

function causeText(ctx: Ctx): { provider: string; component: string } {
  const c = ctx.model.components.get(ctx.notice.incident.causeComponentId);
  return { provider: c?.provider ?? ctx.notice.incident.causeComponentId, component: c?.name ?? ctx.notice.incident.causeComponentId };
}

/**
 * Everything render reads of a route besides the notice: the channel, the recipient's role and
 * jurisdictions, the dark neighbours. Recipients with the same key get the same words, so a
 * storm renders each distinct text once (deliver.ts). Keep it in step with render.
 */
export function renderKey(route: Route, channel: Channel): string {
  const { role, jurisdictions } = route.recipient;
  return `${channel}|${role}|${route.acked ? 'acked' : ''}|${route.darkNeighbours.join(',')}|${jurisdictions.fips.join(',')}|${jurisdictions.states.join(',')}`;
}

export function render(route: Route, channel: Channel, ctx: Omit<Ctx, 'route'>): Rendered {
  const mine = { ...ctx, route };
  if (ctx.notice.incident.kind === 'maintenance') return renderMaintenance(channel, mine);
  return channel === 'sms' ? { text: renderSms(route, mine) } : renderEmail(route, mine);
}

/**
 * A service as an SMS names it. A path names the PSAP and what still works: a text-to-911 outage
 * is "Text-to-911 at Hennepin County 911 DOWN, voice OK: tell callers to call", never a dark PSAP.
 */
function pathOrService(a: { svc: ServiceConfig; s: AffectedService }, name: NameFit, ctx: Ctx, opts: { since?: string; words?: string } = {}): string {
  const words = opts.words ?? (a.s.state === 'Normal' ? 'recovered' : stateWords(a.s.state));
  const since = opts.since ? ` since ${opts.since}` : '';
  if (!isPath(a.svc.kind) || a.svc.psap === undefined) return `${name(smsName(a.svc.name, a.svc.id))} (${name(countyOf(a.svc))}) ${words}${since}`;
  const psap = ctx.model.services.get(a.svc.psap);
  const psapName = name(smsName(psap?.name ?? a.svc.psap, a.svc.psap));
  // What still works, while the path is out: voice is OK when the PSAP itself is not impaired.
  const out = isImpaired(a.s.state) && opts.words === undefined;
  const voiceOk = !isImpaired(ctx.notice.incident.services[a.svc.psap]?.state ?? 'Normal');
  const advice = !out ? '' : a.svc.kind === 'text-to-911' ? (voiceOk ? ', voice OK: tell callers to call' : '') : a.svc.kind === 'ali-ani' ? ', calls connect without location: ask callers where they are' : '';
  return `${PATH_NAMES[a.svc.kind] ?? a.svc.kind} at ${psapName} ${words}${since}${advice}`;
}

const PATH_NAMES: Record<string, string> = { 'text-to-911': 'Text-to-911', 'ali-ani': 'Caller location (ALI/ANI)', voice: 'A 911 voice path' };

const RULE_WORDS: Record<string, (p: EscalationPolicy) => string> = {
  'psap-dark-long': (p) => `a PSAP dark ${p.downMinutes} min or more`,
  'path-down-long': (p) => `a 911 path (text-to-911, ALI/ANI, voice) Down ${p.pathDownMinutes} min or more`,
  'many-psaps-dark': (p) => `${p.minPsaps} or more PSAPs dark at once`,
  'many-states': (p) => `${p.minStates} or more states affected`,
  'no-acknowledgement': (p) => `no agency acknowledged within ${p.noAckMinutes} min`,
};

/** The rules that fired, in words (an older record without them: every rule, as the policy reads). */
function escalationWords(rules: readonly string[] | undefined, p: EscalationPolicy): string {
  const fired = rules && rules.length > 0 ? rules : Object.keys(RULE_WORDS);
  return fired.map((r) => RULE_WORDS[r]?.(p) ?? r).join('; ');
}

function renderSms(route: Route, ctx: Ctx): string {
  const { notice } = ctx;
  const inc = notice.incident;
  const head = `911 ${LABEL[notice.reason]}${inc.certainty === 'suspected' && notice.reason !== 'resolved' ? ' (suspected)' : ''}:`;
  const ref = `Inc ${inc.id}`;
  switch (route.recipient.role) {
    case 'psap': {
      // The neighbours still dark lead; the ones back come after them.
      const neighbours = route.darkNeighbours
        .map((id) => ctx.model.services.get(id))
        .filter((s) => s !== undefined)
        .sort((a, b) => Number(isDark(inc.services[b.id]?.state ?? 'Normal')) - Number(isDark(inc.services[a.id]?.state ?? 'Normal')));
      const entry = (svc: ServiceConfig) => (name: NameFit) => {
        const s = inc.services[svc.id];
        const state = s?.state ?? 'Normal';
        const fallback = svc.fallbackNumbers[0];
        return isDark(state)
          ? `${name(smsName(svc.name, svc.id))} ${svc.state} ${stateWords(state)} since ${clockTime(s!.darkSince ?? s!.since, svc.timeZone)}${fallback ? `, fallback ${dialable(fallback)}` : ''}`
          : `${name(smsName(svc.name, svc.id))} ${svc.state} ${state === 'Normal' && notice.phase !== 'final' ? 'recovered' : stateWords(state)}`;
      };
      const anyDark = neighbours.some((svc) => isDark(inc.services[svc.id]?.state ?? 'Normal'));
      return composeSms([
        { text: `${head} ${neighbours.length === 1 ? 'neighbor PSAP' : `${neighbours.length} neighbor PSAPs:`}` },
        { list: neighbours.map(entry), more: moreByEmail },
        { text: anyDark ? 'Expect rollover.' : '' },
        { text: ref, keep: true },
        { text: anyDark && !route.acked ? `Ack ${ackCode(inc.id)}` : '', keep: true },
      ]);
    }
    case 'fcc-liaison': {
      const dark = affected(ctx).filter((a) => isDark(a.s.worst) && !isPath(a.svc.kind));
      const paths = affected(ctx).filter((a) => isImpaired(a.s.worst) && isPath(a.svc.kind));
      const what = dark.length > 0 || paths.length === 0 ? `${dark.length} PSAP(s) ${notice.reason === 'resolved' ? 'restored' : 'dark'}` : `${paths.length} 911 path(s) ${notice.reason === 'resolved' ? 'restored' : 'impaired'}`;
      return composeSms([
        { text: head },
        { text: `${what} in ${states(ctx).join(', ')} since ${clockTime(outageTimes(ctx.notice.incident).began, 'UTC')}.` },
        { text: (name) => `Provider: ${name(causeText(ctx).provider)}.`, optional: true },
        { text: 'Details by email.', optional: true },
        { text: ref, keep: true },
      ]);
    }
    default: {
      const list = affected(ctx);
      // The incident as it stands: what is still affected (the worst first), then what came back;
      // a service of the recipient's own jurisdiction that came back leads (it is their news).
      const still = list.filter((a) => isImpaired(a.s.state) || a.s.state === 'Unknown');
      const back = list.filter((a) => !still.includes(a));
      const first = still.find((a) => isDark(a.s.state)) ?? still[0];
      const tz = zoneOf(ctx);
      const stillText = (name: NameFit) =>
        first ? `${pathOrService(first, name, ctx, { since: clockTime(first.s.impairedSince ?? first.s.since, first.svc.timeZone) })}${still.length > 1 ? `; ${still.length} services affected in ${states(ctx).join(', ')}` : ''}` : '';
      const backText = (name: NameFit) => (back.length ? `${back.length === 1 ? pathOrService(back[0]!, name, ctx) : `${back.length} services recovered`}` : '');
      const planned = list.some((a) => a.s.state === 'ScheduledMaintenanceAvailable');
      const ownBack = back[0] !== undefined && isNear(ctx, back[0].svc) && (first === undefined || !isNear(ctx, first.svc));
      const summary = (name: NameFit) =>
        notice.reason === 'resolved'
          ? `${list.length === 1 ? pathOrService(list[0]!, name, ctx, { words: planned ? 'working again' : isPath(list[0]!.svc.kind) ? 'works again' : 'back to normal' }) : `${list.length} 911 services ${planned ? 'working again' : 'back to normal'}`} after ${durationText(outageTimes(ctx.notice.incident).began, ctx.notice.incident.resolvedAt ?? notice.createdAt)}.${planned ? ' Planned maintenance continues.' : ''}`
          : `${(ownBack ? [backText(name), stillText(name)] : [stillText(name), backText(name)]).filter(Boolean).join('; ')}.`;
      const next = nextUpdateBy(ctx.notice.incident, ctx.policy);
      return composeSms([
        { text: head },
        { text: summary },
        { text: (name) => (inc.causeClearedAt && notice.reason !== 'resolved' ? `Upstream ${name(causeText(ctx).provider)} recovered; another source still shows it.` : `Upstream: ${name(causeText(ctx).provider)} outage.`), optional: true },
        { text: next ? `Next update by ${clockTime(next, tz)}.` : '', optional: true },
        { text: ref, keep: true },
      ]);
    }
  }
}

function renderEmail(route: Route, ctx: Ctx): Rendered {
  const { notice, model } = ctx;
  const inc = notice.incident;
  const list = affected(ctx);
  const tz = zoneOf(ctx);
  const worstFirst = list.find((a) => isDark(a.s.state)) ?? list.find((a) => isDark(a.s.worst)) ?? list[0];
  const headline = worstFirst
    ? `${worstFirst.svc.name} ${worstFirst.svc.state} ${stateWords(notice.reason === 'resolved' ? 'Normal' : worstFirst.s.state)}${list.length > 1 ? ` +${list.length - 1} more` : ''}`
    : 'no services listed';
  const subject = truncate(`[dialtone] ${LABEL[notice.reason]}: 911 ${headline} - ${inc.id}`, SUBJECT_LIMIT);

  const lead: string[] = [];
  switch (route.recipient.role) {
    case 'psap':
      for (const id of route.darkNeighbours) {
        const svc = model.services.get(id);
        const s = inc.services[id];
        if (!svc || !s) continue;
        lead.push(
          isDark(s.state)
            ? `Your neighbor ${svc.name} (${countyOf(svc)}) is ${stateWords(s.state)}. Expect rolled-over 911 calls. Public fallback number: ${svc.fallbackNumbers.map(dialable).join(', ') || 'none on file'}. Text-to-911 at ${svc.name}: ${svc.textTo911 ? 'unconfirmed during the outage' : 'not offered'}.`
            : `Your neighbor ${svc.name} (${countyOf(svc)}) is ${stateWords(s.state)}.`,
        );
      }
      break;
    case 'county-manager':
      lead.push(
        notice.reason === 'resolved'
          ? `911 services in your jurisdiction are back to normal. Situation as of ${fullTime(notice.createdAt, tz)}:`
          : `911 services in your jurisdiction are affected. Situation as of ${fullTime(notice.createdAt, tz)}:`,
      );
      break;
    case 'fcc-liaison':
      lead.push(
        notice.reason === 'escalated'
          ? `Escalation: this outage met the escalation policy: ${escalationWords(notice.incident.escalationRules, ctx.policy)}.`
          : 'FCC liaison copy of the outage notice.',
      );
      break;
    case 'ops':
      break;
  }

  const next = nextUpdateBy(inc, ctx.policy);
  const fields = fieldsOf(ctx);
  const services = list.map(
    (a) =>
      ` - ${a.svc.name} [${a.svc.kind}], ${countyOf(a.svc)}: ${a.s.state} since ${fullTime(a.s.impairedSince && a.s.state !== 'Normal' ? a.s.impairedSince : a.s.since, a.svc.timeZone)}` +
      (a.svc.backup ? `; rollover partner ${model.services.get(a.svc.backup)?.name ?? a.svc.backup}` : '') +
      (a.svc.fallbackNumbers.length ? `; fallback ${a.svc.fallbackNumbers.map(dialable).join(', ')}` : ''),
  );
  const concurrent = inc.concurrent.map((c) => {
    const comp = model.components.get(c.componentId);
    return ` - ${comp?.provider ?? c.componentId}: ${comp?.name ?? c.componentId} ${c.status} since ${fullTime(c.since, tz)}`;
  });
  const body = [
    `dialtone 911 outage notice - ${LABEL[notice.reason]}`,
    '',
    ...lead,
    ...(lead.length ? [''] : []),
    inc.certainty === 'confirmed'
      ? `Certainty: CONFIRMED by independent sources (${inc.sources.join(', ')}).`
      : `Certainty: SUSPECTED - reported by one source (${inc.sources.join(', ') || 'none'}), not yet corroborated.`,
    '',
    'FCC 47 CFR 4.9(h) notice fields',
    ...fields.map(([k, v], i) => `${String(i + 1).padStart(2)}. ${`${k}:`.padEnd(30)}${v}`),
    '',
    'Affected 911 services',
    ...services,
    ...(concurrent.length
      ? ['', 'Concurrent upstream incidents (same time window; NOT a declared dependency, NOT known to be the cause)', ...concurrent]
      : []),
    '',
    next ? `Next update: by ${fullTime(next, tz)}.` : notice.reason === 'resolved' ? 'This is the final notice for this incident.' : '',
    notice.reason === 'resolved' ? '' : route.acked ? 'You acknowledged this incident; updates continue until the final notice.' : `Acknowledge: reply ACK ${ackCode(inc.id)}.`,
  ].filter((line, i, all) => !(line === '' && all[i - 1] === ''));
  return { subject, text: `${body.join('\n').trimEnd()}\n` };
}

export { NOTICE_FIELDS, type NoticeField } from './fcc-fields.js';

/** A notice's 4.9(h) fields as any recipient's email shows them (services in name order). */
export function noticeFields(notice: Notice, model: Model): Record<NoticeField, string> {
  return Object.fromEntries(fieldsOf({ notice, model, policy: model.config.escalation })) as Record<NoticeField, string>;
}

function fieldsOf(ctx: Ctx): Array<[NoticeField, string]> {
  const { notice, model } = ctx;
  const cause = causeText(ctx);
  return fccFields({
    notice,
    provider: cause.provider,
    component: cause.component,
    notifier: model.config.notifier,
    timeZone: zoneOf(ctx),
    services: affected(ctx).map((a) => fccService(a.svc, a.s, model)),
  });
}

/** Planned maintenance: when, what, who is in scope, and that a real outage still alerts. */
function renderMaintenance(channel: Channel, ctx: Ctx): Rendered {
  const { notice, model } = ctx;
  const inc = notice.incident;
  const list = affected(ctx);
  const tz = zoneOf(ctx);
  const window = model.config.maintenance.find((w) => inc.causeComponentId === `maintenance:${w.id}`);
  const parts = window?.components.map((c) => model.components.get(c)).filter((c) => c !== undefined) ?? [];
  const what = parts.map((c) => `${c.provider} ${c.name}`).join(', ') || 'planned work';
  // In an SMS the provider and the component are shortened each on its own, so both stay legible.
  const whatFit = (name: NameFit) => parts.map((c) => `${name(c.provider)} ${name(c.name)}`).join(', ') || 'planned work';
  const ended = notice.reason === 'resolved';
  const label = ended ? 'MAINTENANCE ENDED' : 'MAINTENANCE';
  const names = list.map((a) => `${a.svc.name} ${a.svc.state}`);
  const span = `${clockTime(inc.openedAt, tz)}-${clockTime(inc.plannedEnd ?? inc.openedAt, tz)}`;
  if (channel === 'sms') {
    return {
      text: composeSms([
        { text: `911 ${label}:` },
        { text: (name) => (ended ? `${whatFit(name)} maintenance is over.` : `${whatFit(name)}, ${span}, planned.`) },
        { text: (name) => (list.length ? `Affects ${list.map((a) => `${name(smsName(a.svc.name, a.svc.id))} ${a.svc.state}`).join('; ')}.` : ''), optional: true },
        { text: ended ? '' : 'A real outage still alerts.', optional: true },
        { text: `Ref ${inc.id}`, keep: true },
      ]),
    };
  }
  const subject = truncate(`[dialtone] ${label}: ${what} - ${names[0] ?? ''}${names.length > 1 ? ` +${names.length - 1} more` : ''}`, SUBJECT_LIMIT);
  const body = [
    `dialtone planned maintenance - ${label}`,
    '',
    `What: ${what}`,
    `When: ${fullTime(inc.openedAt, tz)} to ${fullTime(inc.plannedEnd ?? inc.openedAt, tz)}${ended ? ` (ended ${fullTime(inc.resolvedAt ?? notice.createdAt, tz)})` : ''}`,
    'Services in scope:',
    ...list.map((a) => ` - ${a.svc.name} [${a.svc.kind}], ${countyOf(a.svc)}`),
    '',
    ended
      ? 'The window is over: trouble on these services alerts as usual again.'
      : 'During the window, degraded service on these dependencies is treated as planned and not alerted; a Down state still alerts at once.',
    `Reference: ${inc.id}`,
  ];
  return { subject, text: `${body.join('\n')}\n` };
}
