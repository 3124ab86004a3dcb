/**
 * Generated worlds for the benchmark: Statuspage summary.json pages, and monitoring configs with
 * sources, 911 services and a recipient roster. Everything is deterministic (no Math.random), so
 * two runs measure the same world.
 */
import { createHash } from 'node:crypto';
import { validateConfig } from '../shared/config/load.js';
import type { MonitoringConfig } from '../shared/config/schema.js';
import { county, countyCodes } from '../shared/domain/counties.js';
import type { Status } from '../shared/domain/status.js';

const ZONES: Record<string, string> = {
  AZ: 'America/Phoenix', CA: 'America/Los_Angeles', CO: 'America/Denver', MT: 'America/Denver', NY: 'America/New_York', FL: 'America/New_York',
  GA: 'America/New_York', IN: 'America/Indiana/Indianapolis', KY: 'America/New_York', MI: 'America/Detroit', NC: 'America/New_York',
  OH: 'America/New_York', PA: 'America/New_York', VA: 'America/New_York', WV: 'America/New_York', PR: 'America/Puerto_Rico',
};

/**
 * States with at least 50 real counties (config validation checks FIPS codes against the Census
 * list), in FIPS order, each with its first 50 county codes: PSAP p sits in county p % 50 of
 * state ⌊p / 50⌋, so every PSAP has a county of its own for up to 1,550 PSAPs.
 */
const STATES: ReadonlyArray<{ state: string; counties: string[]; timeZone: string }> = (() => {
  const byState = new Map<string, string[]>();
  for (const code of countyCodes().sort()) {
    const c = county(code)!;
    byState.set(c.state, [...(byState.get(c.state) ?? []), code]);
  }
  return [...byState]
    .filter(([, codes]) => codes.length >= 50)
    .map(([state, codes]) => ({ state, counties: codes.slice(0, 50), timeZone: ZONES[state] ?? 'America/Chicago' }));
})();
export const PSAPS_PER_STATE = 50;

// ── upstream pages ───────────────────────────────────────────────────────────────────────────

/** The loopback path of generated source `i`; the world serves any path of this shape. */
export const pagePath = (i: number) => `/src-${i}/api/v2/summary.json`;
export const PAGE_PATH = /^\/src-(\d+)\/api\/v2\/summary\.json$/;
/** The upstream row the config watches on page `i`. */
export const watchedRow = (i: number) => `row-${i}-0`;
/** One page in five is served without an ETag: the sha256 body-hash skip is exercised too. */
export const servesEtag = (i: number) => i % 5 !== 4;

const ROW_NAMES = ['NG911 routing', 'ALI database', 'Text control center', 'Selective router', 'Portal', 'API', 'Notifications', 'Map data'];
const UPSTREAM: Record<Exclude<Status, 'unknown'>, { row: string; indicator: string; description: string }> = {
  operational: { row: 'operational', indicator: 'none', description: 'All Systems Operational' },
  maintenance: { row: 'under_maintenance', indicator: 'maintenance', description: 'Service Under Maintenance' },
  degraded: { row: 'degraded_performance', indicator: 'minor', description: 'Minor Service Outage' },
  partial_outage: { row: 'partial_outage', indicator: 'major', description: 'Partial System Outage' },
  major_outage: { row: 'major_outage', indicator: 'critical', description: 'Major System Outage' },
};

/**
 * A Statuspage v2 summary.json shaped like a real vendor's (a group of eight rows, incidents,
 * maintenances; ≈ 3 KB). Row 0 is the one the config watches; a status other than operational
 * adds an open incident naming it, as Statuspage does.
 */
export function statuspagePage(i: number, status: Exclude<Status, 'unknown'>): string {
  const when = '2026-09-28T23:40:00.000Z';
  const rowIds = ROW_NAMES.map((_, r) => `row-${i}-${r}`);
  const u = UPSTREAM[status];
  const rows = ROW_NAMES.map((name, r) => ({
    id: rowIds[r],
    name,
    status: r === 0 ? u.row : 'operational',
    created_at: '2019-03-01T10:00:00.000Z',
    updated_at: when,
    position: r + 1,
    description: `${name} for 911 customers of vendor ${i}`,
    showcase: false,
    start_date: null,
    group_id: `grp-${i}`,
    page_id: `pg${i}`,
    group: false,
    only_show_if_degraded: false,
  }));
  const group = { id: `grp-${i}`, name: 'NG911 services', status: u.row, created_at: '2019-03-01T10:00:00.000Z', updated_at: when, position: 0, description: null, showcase: false, start_date: null, group_id: null, page_id: `pg${i}`, group: true, only_show_if_degraded: false, components: rowIds };
  const incidents =
    status === 'operational'
      ? []
      : [
          {
            id: `inc-${i}`,
            name: `${ROW_NAMES[0]} disruption`,
            status: 'investigating',
            created_at: when,
            updated_at: when,
            monitoring_at: null,
            resolved_at: null,
            impact: u.indicator,
            shortlink: `https://stspg.io/v${i}`,
            started_at: when,
            page_id: `pg${i}`,
            incident_updates: [{ id: `upd-${i}`, status: 'investigating', body: 'We are investigating reports of failed 911 call routing.', created_at: when, updated_at: when, display_at: when }],
            components: [rows[0]],
          },
        ];
  return JSON.stringify({
    page: { id: `pg${i}`, name: `Vendor ${i}`, url: `https://status.vendor${i}.example`, time_zone: 'Etc/UTC', updated_at: when },
    components: [group, ...rows],
    incidents,
    scheduled_maintenances: [],
    status: { indicator: u.indicator, description: u.description },
  });
}

// ── configs ──────────────────────────────────────────────────────────────────────────────────

const pad = (n: number, width: number) => String(n).padStart(width, '0');
/** Fictional North American numbers (555 exchange), unique per k < 7,000,000. */
const phone = (k: number) => `+1${200 + (Math.floor(k / 10_000) % 700)}555${pad(k % 10_000, 4)}`;

export interface PsapSpec {
  /** Components the PSAP depends on, with the effect of a major outage. */
  dependsOn: Array<{ component: string; effect: string }>;
  /** Also a text-to-911 path service depending on this component (Partial)? */
  textPath?: string;
}

/** PSAP p: its state (blocks of 50), county FIPS, neighbours p-1 and p+1 inside its state, backup p+1. */
function psapServices(specs: readonly PsapSpec[]) {
  const services: unknown[] = [];
  specs.forEach((spec, p) => {
    const { state, counties, timeZone } = STATES[Math.floor(p / PSAPS_PER_STATE) % STATES.length]!;
    const fips = counties[p % PSAPS_PER_STATE]!;
    const sameState = (q: number) => q >= 0 && q < specs.length && Math.floor(q / PSAPS_PER_STATE) === Math.floor(p / PSAPS_PER_STATE);
    services.push({
      id: `psap-${p}`,
      name: `PSAP ${p} ${state} 911`,
      kind: 'psap',
      fips,
      county: county(fips)?.fullName ?? `County ${p}`,
      state,
      timeZone,
      dependsOn: spec.dependsOn,
      // Declared one way (p → p+1); the model makes neighbours symmetric, so p-1 is one too.
      neighbours: sameState(p + 1) ? [`psap-${p + 1}`] : [],
      ...(sameState(p + 1) ? { backup: `psap-${p + 1}` } : {}),
      fallbackNumbers: [phone(6_000_000 + p)],
      textTo911: spec.textPath !== undefined,
    });
    if (spec.textPath !== undefined) {
      services.push({ id: `text-${p}`, name: `PSAP ${p} text-to-911`, kind: 'text-to-911', psap: `psap-${p}`, fips, state, timeZone, dependsOn: [{ component: spec.textPath, effect: 'Partial' }] });
    }
  });
  return services;
}

export interface RosterSpec {
  psaps: number;
  /** psap-role recipients per PSAP (1–4): floor (sms+email), supervisor (sms), director (email), coordinator (sms+email). */
  perPsap: number;
  /** County managers for the first this-many PSAP counties (email). */
  countyManagers: number;
  /** One state 911 office per state that has PSAPs (county-manager role by state; sms+email). */
  stateOffices: boolean;
  fccLiaisons: number;
}

function roster(spec: RosterSpec): unknown[] {
  const out: unknown[] = [];
  let k = 0;
  const psapRoles = [
    { id: 'floor', channels: (n: number) => ({ sms: phone(n), email: `floor${n}@psap.example` }) },
    { id: 'supervisor', channels: (n: number) => ({ sms: phone(n) }) },
    { id: 'director', channels: (n: number) => ({ email: `director${n}@psap.example` }) },
    { id: 'coordinator', channels: (n: number) => ({ sms: phone(n), email: `coord${n}@psap.example` }) },
  ];
  for (let p = 0; p < spec.psaps; p++) {
    for (const role of psapRoles.slice(0, spec.perPsap)) {
      out.push({ id: `${role.id}-${p}`, name: `PSAP ${p} ${role.id}`, role: 'psap', psap: `psap-${p}`, channels: role.channels(k++) });
    }
  }
  for (let p = 0; p < Math.min(spec.countyManagers, spec.psaps); p++) {
    const fips = STATES[Math.floor(p / PSAPS_PER_STATE) % STATES.length]!.counties[p % PSAPS_PER_STATE]!;
    out.push({ id: `em-${p}`, name: `County ${p} emergency manager`, role: 'county-manager', jurisdictions: { fips: [fips] }, channels: { email: `em${k++}@county.example` } });
  }
  if (spec.stateOffices) {
    for (let s = 0; s < Math.ceil(spec.psaps / PSAPS_PER_STATE); s++) {
      const { state } = STATES[s % STATES.length]!;
      out.push({ id: `state-${state.toLowerCase()}`, name: `${state} 911 office`, role: 'county-manager', jurisdictions: { states: [state] }, channels: { sms: phone(k), email: `office${k++}@state.example` } });
    }
  }
  for (let f = 0; f < spec.fccLiaisons; f++) out.push({ id: `fcc-${f}`, name: `FCC liaison ${f}`, role: 'fcc-liaison', channels: { sms: phone(k), email: `liaison${k++}@fcc.example` } });
  out.push({ id: 'ops', name: 'Ops', role: 'ops', channels: { email: 'ops@dialtone.example' } });
  return out;
}

function statuspageSource(i: number, upstream: string, everySeconds = 60) {
  return {
    id: `src-${i}`,
    kind: 'statuspage',
    url: `${upstream}${pagePath(i)}`,
    everySeconds,
    timeoutMs: 5000,
    components: [{ id: `c${i}`, name: `Vendor ${i} NG911 routing`, provider: `Vendor ${i} Inc.`, match: { id: watchedRow(i) } }],
  };
}

/** The config as a user would write it (the file `dialtone run --config` reads). */
function written(raw: Record<string, unknown>): Record<string, unknown> {
  return { notifier: { name: 'dialtone watch desk', phone: '+1 555 010 0199', email: 'desk@dialtone.example' }, network: { allow: ['127.0.0.1'] }, ...raw };
}

function finish(raw: Record<string, unknown>): MonitoringConfig {
  const result = validateConfig(written(raw));
  if (!result.ok) throw new Error(`bench config invalid: ${JSON.stringify(result.problems.slice(0, 5))}`);
  return result.config;
}

/**
 * Part 1's world: N sources with one component each; a PSAP per four components (effects Down,
 * Partial, Down, Partial) and a text-to-911 path on every other PSAP (≈ one service per three
 * components); two psap recipients per PSAP, a manager per county, a 911 office per state, an
 * FCC liaison and ops.
 */
export function cycleConfig(n: number, upstream: string): MonitoringConfig {
  return finish(cycleConfigFile(n, upstream));
}

/** Part 1's world as the config file a user would write (for `dialtone run`). */
export function cycleConfigFile(n: number, upstream: string, everySeconds = 60): Record<string, unknown> {
  const sources = Array.from({ length: n }, (_, i) => statuspageSource(i, upstream, everySeconds));
  const psaps = Math.ceil(n / 4);
  const effects = ['Down', 'Partial', 'Down', 'Partial'];
  const specs: PsapSpec[] = Array.from({ length: psaps }, (_, p) => ({
    dependsOn: [0, 1, 2, 3].filter((d) => 4 * p + d < n).map((d) => ({ component: `c${4 * p + d}`, effect: effects[d]! })),
    ...(p % 2 === 0 ? { textPath: `c${4 * p}` } : {}),
  }));
  return written({ sources, services: psapServices(specs), recipients: roster({ psaps, perPsap: 2, countyManagers: psaps, stateOffices: true, fccLiaisons: 1 }) });
}

/** The 5 % that change in part 1: one source in twenty, spread over the four dependency slots. */
export function changedSources(n: number): number[] {
  const out: number[] = [];
  for (let k = 0; 20 * k < n; k++) {
    const i = 20 * k + (k % 4);
    if (i < n) out.push(i);
  }
  return out;
}

/**
 * Part 3's world: 1,000 PSAPs in 20 states; every even PSAP hangs off one of ten carrier
 * selective routers (components c0…c9, fifty PSAPs each, in contiguous blocks), every odd PSAP
 * off a second carrier (c10…c19). The storm takes c0…c9 down: 500 PSAPs dark, each with healthy
 * neighbours. Roster: 4 people per PSAP, 977 county managers, 20 state offices, 2 FCC liaisons
 * and ops = 5,000 recipients.
 */
export const STORM = { psaps: 1000, causes: 10 } as const;
export function stormConfig(upstream: string): MonitoringConfig {
  const sources = Array.from({ length: 2 * STORM.causes }, (_, i) => statuspageSource(i, upstream));
  const perCause = STORM.psaps / 2 / STORM.causes;
  const specs: PsapSpec[] = Array.from({ length: STORM.psaps }, (_, p) => ({
    dependsOn: [{ component: `c${(p % 2 === 0 ? 0 : STORM.causes) + Math.floor(Math.floor(p / 2) / perCause)}`, effect: 'Down' }],
  }));
  return finish({ sources, services: psapServices(specs), recipients: roster({ psaps: STORM.psaps, perPsap: 4, countyManagers: 977, stateOffices: true, fccLiaisons: 2 }) });
}

/** The token of part 2's push source (only its sha256 is in the config). */
export const PUSH_TOKEN = 'bench-push-token-0123456789';
export const PUSH_SOURCE = 'psap-report';

/**
 * Part 2's world: `critical` sources every 15 s and `standard` sources every 60 s, plus one push
 * source (an agency self-report, POST /push/psap-report); each component has its own PSAP (Down)
 * with a neighbour PSAP that gets the rollover notice.
 */
export function latencyConfig(upstream: string, counts: { critical: number; standard: number }): MonitoringConfig {
  const polled = counts.critical + counts.standard;
  const sources: unknown[] = Array.from({ length: polled }, (_, i) => statuspageSource(i, upstream, i < counts.critical ? 15 : 60));
  sources.push({
    id: PUSH_SOURCE,
    kind: 'agency-report',
    auth: { tokenSha256: createHash('sha256').update(PUSH_TOKEN).digest('hex') },
    components: [{ id: 'self-report', name: 'PSAP self-report', provider: 'the PSAP itself' }],
  });
  const components = [...Array.from({ length: polled }, (_, i) => `c${i}`), 'self-report'];
  // PSAP 2j depends on component j; PSAP 2j+1 is its healthy neighbour (same state block: 2j+1 is never a multiple of 50).
  const specs: PsapSpec[] = Array.from({ length: 2 * components.length }, (_, p) => ({ dependsOn: p % 2 === 0 ? [{ component: components[p / 2]!, effect: 'Down' }] : [] }));
  return finish({ sources, services: psapServices(specs), recipients: roster({ psaps: specs.length, perPsap: 1, countyManagers: specs.length, stateOffices: false, fccLiaisons: 1 }) });
}
