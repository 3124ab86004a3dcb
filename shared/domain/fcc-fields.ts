import type { ServiceConfig } from '../config/schema.js';
import type { Model } from './model.js';
import { isDark, isImpaired } from './nena.js';
import { isPath } from './service.js';
import type { AffectedService, Incident, Notice } from './records.js';
import { fullTime } from './text.js';
import { KIND_WORDS } from './words.js';

/**
 * The ten fields of an FCC 47 CFR 4.9(h) notice, once, for the email and for CAP. Every field
 * describes the incident as it stands at this notice: the effect names only the services still
 * affected and says which recovered; "Began" is the earliest evidence, not our confirmation.
 */
/** The FCC 47 CFR 4.9(h) fields every outage notice carries, in the order notices list them. */
export const NOTICE_FIELDS = [
  'Outage identifier',
  'Contact for follow-up',
  'Provider with the outage',
  'Began',
  'Services affected',
  'Geographic area',
  'Expected effect on the PSAP',
  'Expected restoration',
  'Best-known cause',
  'Notice type',
] as const;
export type NoticeField = (typeof NOTICE_FIELDS)[number];

export interface FccService {
  name: string;
  kind?: string;
  fips: string;
  state: string;
  county?: string;
  /** A path's PSAP (text-to-911, ALI/ANI, voice), by name: its outage is not a dark PSAP. */
  psapName?: string;
  s: AffectedService;
}

export interface FccFieldsInput {
  notice: Pick<Notice, 'phase' | 'seq'> & { incident: Incident };
  provider: string;
  component: string;
  notifier?: { name: string; phone: string; email: string };
  timeZone: string;
  services: readonly FccService[];
}

/** A configured service as the FCC fields list it. */
export function fccService(svc: ServiceConfig, s: AffectedService, model: Pick<Model, 'services'>): FccService {
  const psapName = svc.psap !== undefined ? model.services.get(svc.psap)?.name : undefined;
  return { name: svc.name, kind: svc.kind, fips: svc.fips, state: svc.state, ...(svc.county ? { county: svc.county } : {}), ...(psapName ? { psapName } : {}), s };
}


const kindWords = (kind: string | undefined) => (kind ? (KIND_WORDS[kind as keyof typeof KIND_WORDS] ?? kind) : '911 service');
const countyText = (s: Pick<FccService, 'county' | 'fips' | 'state'>) => `${s.county ?? 'County'} ${s.state} (FIPS ${s.fips})`;

/** Earliest evidence, our first bad read, our confirmation: three facts a blind gap does not move. */
export function outageTimes(incident: Incident): { began: string; discovered: string; confirmed: string } {
  const discovered = incident.discoveredAt ?? incident.openedAt;
  return { began: incident.began ?? discovered, discovered, confirmed: incident.openedAt };
}

export function fccFields(input: FccFieldsInput): Array<[NoticeField, string]> {
  const { notice, timeZone: tz } = input;
  const inc = notice.incident;
  const final = notice.phase === 'final';
  const still = input.services.filter((l) => isImpaired(l.s.state) || l.s.state === 'Unknown');
  const recovered = input.services.filter((l) => !still.includes(l));
  const shown = final || still.length === 0 ? input.services : still;
  const times = outageTimes(inc);
  const n = input.notifier;
  return [
    ['Outage identifier', inc.id],
    ['Contact for follow-up', n ? `${n.name}, ${n.phone}, ${n.email}` : 'not configured'],
    ['Provider with the outage', `${input.provider} (${input.component})`],
    ['Began', `${fullTime(times.began, tz)} (earliest evidence); discovered ${fullTime(times.discovered, tz)}, confirmed ${fullTime(times.confirmed, tz)}`],
    ['Services affected', [...new Set(shown.map((l) => kindWords(l.kind)))].join('; ') || 'none listed'],
    ['Geographic area', [...new Set(shown.map(countyText))].join('; ') || 'none listed'],
    ['Expected effect on the PSAP', final ? restored(input.services) : effect(still, recovered)],
    [
      'Expected restoration',
      inc.resolvedAt
        ? `Restored ${fullTime(inc.resolvedAt, tz)}`
        : inc.plannedEnd
          ? `Planned end of maintenance ${fullTime(inc.plannedEnd, tz)}`
          : 'UNKNOWN - not reported by the provider',
    ],
    [
      'Best-known cause',
      inc.kind === 'maintenance'
        ? `Planned maintenance of "${input.component}" (${input.provider}), which these services depend on.`
        : inc.causeClearedAt !== undefined && !inc.resolvedAt
          ? `${input.provider} reported an outage of "${input.component}", which these services depend on, and no longer reports it (since ${fullTime(inc.causeClearedAt, tz)}); the services are still reported impaired by another source. Root cause: UNKNOWN - not reported by the provider.`
          : `${input.provider} reports an outage of "${input.component}", which these services depend on. Root cause: UNKNOWN - not reported by the provider.`,
    ],
    ['Notice type', `${notice.phase[0]!.toUpperCase()}${notice.phase.slice(1)} (notice ${notice.seq})`],
  ];
}

/** Field 7 of the final notice: neighbours stop expecting rollover only where a PSAP was dark. */
function restored(services: readonly FccService[]): string {
  const wasDark = services.some((l) => isDark(l.s.worst) && !isPath(l.kind));
  const paths = services.filter((l) => isPath(l.kind));
  if (wasDark) return 'Restored. 911 calls should be delivered normally; neighbors may stop expecting rollover.';
  if (paths.length > 0) return `Restored: ${paths.map((p) => `${kindWords(p.kind)} at ${p.psapName ?? p.name}`).join(', ')} works again.`;
  return 'Restored. 911 calls should be delivered normally.';
}

/** Field 7: dark PSAPs roll over; a dark path names what still works; recovered services are said so. */
function effect(still: readonly FccService[], recovered: readonly FccService[]): string {
  const parts: string[] = [];
  const darkPsaps = still.filter((l) => isDark(l.s.state) && !isPath(l.kind));
  const paths = still.filter((l) => isPath(l.kind));
  if (darkPsaps.length > 0) {
    parts.push(`911 calls to ${darkPsaps.map((l) => l.name).join(', ')} may fail or roll over to their backup/neighbor PSAPs; callers may need the 10-digit fallback numbers.`);
  }
  for (const p of paths) parts.push(`${kindWords(p.kind)} at ${p.psapName ?? p.name} ${p.s.state}; the PSAP's other 911 paths are not known to be affected.`);
  if (parts.length === 0 && still.length > 0) parts.push('911 calls may be delayed or arrive without location data.');
  if (recovered.length > 0) parts.push(`Recovered: ${recovered.map((l) => l.name).join(', ')}.`);
  return parts.join(' ') || 'No 911 service is affected any more.';
}
