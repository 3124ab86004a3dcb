import * as z from 'zod';
import { SERVICE_STATES } from '../domain/nena.js';
import { idSchema } from './source-base.js';
import { polledSourceSchemas } from './sources-polled.js';
import { pushSourceSchemas } from './sources-push.js';

/**
 * The monitoring config (YAML). Parsed with zod at the boundary; `check-config` lists every
 * problem with its path. `dialtone schema` emits the JSON Schema for editors.
 */

const id = idSchema;
const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'phone numbers are E.164, e.g. +16125550100');
const fips = z.string().regex(/^\d{5}$/, 'county FIPS is a 5-digit string, e.g. "27053"');
const usState = z.string().regex(/^[A-Z]{2}$/, 'state is a 2-letter postal code, e.g. MN');
const serviceState = z.enum(SERVICE_STATES).or(z.enum(['Unmanned', 'PartialService']));

export const thresholdsSchema = z
  .object({
    openAfter: z.number().int().min(1).max(20).default(2).describe('consecutive bad reads before a component is confirmed worse'),
    closeAfter: z.number().int().min(1).max(20).default(2).describe('consecutive good reads before a component is confirmed better'),
    blindAfter: z.number().int().min(1).max(50).default(3).describe('consecutive unreadable reads before a component is Unknown'),
    flapWindowMinutes: z.number().int().min(1).max(24 * 60).default(30).describe('window in which confirmed changes are counted for flap damping'),
    flapMaxChanges: z.number().int().min(2).max(100).default(4).describe('more confirmed changes than this inside the window and the component is held as flapping'),
    flapStableMinutes: z.number().int().min(1).max(24 * 60).default(15).describe('a flapping component is released once its reads have not changed for this long'),
    massSilence: z
      .number()
      .int()
      .min(2)
      .max(10_000)
      .default(3)
      .describe('this many heartbeat sources silent in the same cycle point at our own ingest path: ops is alerted and those PSAPs read Unknown, not Down, until another witness agrees'),
    recheckSeconds: z
      .number()
      .int()
      .min(0)
      .max(300)
      .default(5)
      .describe('a read that would change a component is confirmed by reading its source again this many seconds later, not at the next interval (0 = at the next interval)'),
  })
  .strict();

export const escalationSchema = z
  .object({
    downMinutes: z.number().int().min(1).default(30).describe('escalate to the FCC liaison when a PSAP has been dark this long'),
    pathDownMinutes: z
      .number()
      .int()
      .min(1)
      .default(60)
      .describe("escalate when one path into a PSAP (text-to-911, ALI/ANI, a voice path) has been Down this long; a path is not a dark PSAP and never counts toward minPsaps"),
    minPsaps: z.number().int().min(1).default(2).describe('escalate at once when this many PSAPs are dark in one incident'),
    minStates: z.number().int().min(1).default(2).describe('escalate at once when an incident spans this many states'),
    noAckMinutes: z.number().int().min(1).max(24 * 60).default(20).describe('escalate when no agency (PSAP or county) told about an incident has acknowledged it this long after it opened'),
    updateEveryMinutes: z.number().int().min(5).max(120).default(120).describe('longest gap between notices of an open incident'),
  })
  .strict();

export const sourceSchema = z.discriminatedUnion('kind', [...polledSourceSchemas, ...pushSourceSchemas]);

const effectMap = z
  .object({
    major_outage: serviceState.optional(),
    partial_outage: serviceState.optional(),
    degraded: serviceState.optional(),
    maintenance: serviceState.optional(),
  })
  .strict();

export const dependencySchema = z
  .object({
    component: id,
    effect: z
      .union([serviceState, effectMap])
      .default('Down')
      .describe('the NENA state this service is in when the component has a major outage, or a map per component status'),
    decides: z
      .boolean()
      .default(false)
      .describe("the PSAP's own authenticated report of its state (an agency-report source): while it reports, it decides this service's state over every other dependency"),
  })
  .strict();

export const serviceSchema = z
  .object({
    id,
    name: z.string().min(1),
    kind: z.enum(['psap', 'voice', 'text-to-911', 'ali-ani', 'ng911-core']),
    psap: id.optional().describe('for a path (voice, text-to-911, …): the PSAP it belongs to'),
    fips,
    county: z.string().optional().describe('county name for messages'),
    state: usState,
    timeZone: z.string().default('UTC'),
    dependsOn: z.array(dependencySchema).default([]),
    neighbours: z.array(id).default([]),
    backup: id.optional(),
    fallbackNumbers: z.array(e164).default([]).describe('10-digit numbers the public can call while 911 is dark'),
    textTo911: z.boolean().default(false),
  })
  .strict();

export const recipientSchema = z
  .object({
    id,
    name: z.string().min(1),
    role: z.enum(['psap', 'county-manager', 'fcc-liaison', 'ops']),
    psap: id.optional().describe('for role psap: the PSAP this recipient works at'),
    jurisdictions: z
      .object({ fips: z.array(fips).default([]), states: z.array(usState).default([]) })
      .strict()
      .default({ fips: [], states: [] }),
    channels: z
      .object({ sms: e164.optional(), email: z.email().optional() })
      .strict()
      .refine((c) => c.sms !== undefined || c.email !== undefined, 'a recipient needs at least one channel (sms or email)'),
    priority: z
      .number()
      .int()
      .min(1)
      .max(99)
      .optional()
      .describe('send order within a cycle, lower first; default by role: psap 10 (the dark PSAP\'s neighbours), county-manager 20, fcc-liaison 30, ops 40'),
    minSeverity: z
      .enum(['minor', 'major', 'critical'])
      .optional()
      .describe('hear only incidents at least this severe: critical = a PSAP dark, major = a 911 service impaired, minor = anything (default)'),
    hearAt: z
      .enum(['suspected', 'confirmed'])
      .optional()
      .describe('overrides corroboration.hearAt for this recipient: hear an incident while only suspected, or once confirmed'),
  })
  .strict();

const localTime = z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d$/, 'a local wall time, e.g. 2026-10-04T02:00 (in the window\'s timeZone)');

export const maintenanceSchema = z
  .object({
    id,
    components: z.array(id).default([]),
    services: z.array(id).default([]),
    start: localTime,
    durationMinutes: z.number().int().min(1).max(7 * 24 * 60),
    timeZone: z.string().default('UTC'),
    repeat: z.enum(['none', 'daily', 'weekly']).default('none'),
    until: localTime.optional().describe('no occurrence starts at or after this local time'),
    notify: z.boolean().default(false).describe('tell the routed recipients when the window starts and ends'),
  })
  .strict()
  .refine((w) => w.components.length + w.services.length > 0, 'a maintenance window is scoped to at least one component or service');

const hearAt = z.enum(['suspected', 'confirmed']);
export const corroborationSchema = z
  .object({
    authoritativeSources: z.array(id).default([]).describe('sources that confirm an incident on their own (e.g. a PSAP declaring its own state)'),
    hearAt: z
      .object({ psap: hearAt.default('suspected'), 'county-manager': hearAt.default('suspected'), 'fcc-liaison': hearAt.default('confirmed'), ops: hearAt.default('suspected') })
      .strict()
      .default({ psap: 'suspected', 'county-manager': 'suspected', 'fcc-liaison': 'confirmed', ops: 'suspected' })
      .describe('per audience: hear an incident while it is only suspected (one source), or once confirmed (independent sources agree)'),
  })
  .strict();

export const notifierSchema = z
  .object({ name: z.string().min(1), phone: z.string().min(1), email: z.email() })
  .strict()
  .describe('FCC 4.9(h) field 2: who recipients call back');

export const networkSchema = z
  .object({
    allow: z.array(z.string()).default([]).describe('private or loopback addresses sources may use (SSRF guard allow list)'),
    onlyAllowed: z
      .boolean()
      .default(false)
      .describe('refuse every address not in allow, public ones too: a replay or an air-gapped run reaches nothing else, whatever a payload links to'),
  })
  .strict();

export const monitoringConfigSchema = z
  .object({
    notifier: notifierSchema,
    thresholds: thresholdsSchema.default(thresholdsSchema.parse({})),
    escalation: escalationSchema.default(escalationSchema.parse({})),
    network: networkSchema.default({ allow: [], onlyAllowed: false }),
    sources: z.array(sourceSchema).min(1),
    services: z.array(serviceSchema).min(1),
    recipients: z.array(recipientSchema).default([]),
    maintenance: z.array(maintenanceSchema).default([]),
    corroboration: corroborationSchema.default(corroborationSchema.parse({})),
    delivery: z
      .object({
        smsMps: z
          .number()
          .positive()
          .max(1000)
          .default(3)
          .describe('message parts per second of the SMS origination identity: toll-free 3, 10DLC 1 and up per campaign, short code 100'),
      })
      .strict()
      .default({ smsMps: 3 })
      .describe('how notices are sent: SMS throughput (bundling and priority order are always on)'),
    acks: z
      .object({ linkBase: z.url({ protocol: /^https$/ }).optional().describe('base URL of the acknowledgement endpoint; emails then carry a signed link (secret: DIALTONE_ACK_SECRET)') })
      .strict()
      .default({}),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const problem = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const unique = (ids: string[], path: (i: number) => (string | number)[], what: string) => {
      const seen = new Set<string>();
      ids.forEach((v, i) => {
        if (seen.has(v)) problem(path(i), `duplicate ${what} id "${v}"`);
        seen.add(v);
      });
    };
    unique(cfg.sources.map((s) => s.id), (i) => ['sources', i, 'id'], 'source');
    const components = cfg.sources.flatMap((s, si) => s.components.map((c, ci) => ({ c, si, ci })));
    unique(components.map((x) => x.c.id), (i) => ['sources', components[i]!.si, 'components', components[i]!.ci, 'id'], 'component');
    unique(cfg.services.map((s) => s.id), (i) => ['services', i, 'id'], 'service');
    unique(cfg.recipients.map((r) => r.id), (i) => ['recipients', i, 'id'], 'recipient');

    const componentIds = new Set(components.map((x) => x.c.id));
    const serviceIds = new Set(cfg.services.map((s) => s.id));
    const psapIds = new Set(cfg.services.filter((s) => s.kind === 'psap').map((s) => s.id));
    cfg.services.forEach((s, i) => {
      s.dependsOn.forEach((d, j) => {
        if (!componentIds.has(d.component)) problem(['services', i, 'dependsOn', j, 'component'], `unknown component "${d.component}"`);
        const from = cfg.sources.find((src) => src.components.some((c) => c.id === d.component));
        if (d.decides && from && from.kind !== 'agency-report') problem(['services', i, 'dependsOn', j, 'decides'], `only a PSAP's own report (an agency-report source) can decide; "${d.component}" comes from a ${from.kind} source`);
      });
      if (s.dependsOn.filter((d) => d.decides).length > 1) problem(['services', i, 'dependsOn'], 'at most one dependency decides');
      s.neighbours.forEach((n, j) => {
        if (!serviceIds.has(n)) problem(['services', i, 'neighbours', j], `unknown service "${n}"`);
        if (n === s.id) problem(['services', i, 'neighbours', j], 'a service cannot be its own neighbour');
      });
      if (s.backup !== undefined && !serviceIds.has(s.backup)) problem(['services', i, 'backup'], `unknown service "${s.backup}"`);
      if (s.psap !== undefined && !psapIds.has(s.psap)) problem(['services', i, 'psap'], `unknown PSAP "${s.psap}"`);
      if (s.kind === 'psap' && s.psap !== undefined) problem(['services', i, 'psap'], 'a PSAP does not belong to another PSAP');
      // The county FIPS is checked against the county table in validate.ts (validateConfig), not
      // here: the table is 121 KB that the Lambda bundles do not carry (their config was checked at synth).
    });
    unique(cfg.maintenance.map((m) => m.id), (i) => ['maintenance', i, 'id'], 'maintenance window');
    cfg.maintenance.forEach((m, i) => {
      m.components.forEach((c, j) => {
        if (!componentIds.has(c)) problem(['maintenance', i, 'components', j], `unknown component "${c}"`);
      });
      m.services.forEach((s, j) => {
        if (!serviceIds.has(s)) problem(['maintenance', i, 'services', j], `unknown service "${s}"`);
      });
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: m.timeZone });
      } catch {
        problem(['maintenance', i, 'timeZone'], `unknown time zone "${m.timeZone}"`);
      }
    });
    cfg.corroboration.authoritativeSources.forEach((s, i) => {
      if (!cfg.sources.some((src) => src.id === s)) problem(['corroboration', 'authoritativeSources', i], `unknown source "${s}"`);
    });
    cfg.recipients.forEach((r, i) => {
      if (r.role === 'psap' && r.psap === undefined) problem(['recipients', i, 'psap'], 'a psap recipient names the PSAP it works at');
      if (r.psap !== undefined && !psapIds.has(r.psap)) problem(['recipients', i, 'psap'], `unknown PSAP "${r.psap}"`);
      if (r.role === 'county-manager' && r.jurisdictions.fips.length + r.jurisdictions.states.length === 0)
        problem(['recipients', i, 'jurisdictions'], 'a county manager needs at least one county FIPS or state');
    });
  });

export type MonitoringConfig = z.output<typeof monitoringConfigSchema>;
export type SourceConfig = MonitoringConfig['sources'][number];
export type SourceKind = SourceConfig['kind'];
export type SourceOf<K extends SourceKind> = Extract<SourceConfig, { kind: K }>;
/** Sources fetched on a schedule (they have a url); the rest push to us. */
export type PolledSourceConfig = Extract<SourceConfig, { url: string }>;
export function isPolled(source: SourceConfig): source is PolledSourceConfig {
  return 'url' in source;
}
export type ComponentConfig = SourceConfig['components'][number];
export type ServiceConfig = MonitoringConfig['services'][number];
export type DependencyConfig = ServiceConfig['dependsOn'][number];
export type RecipientConfig = MonitoringConfig['recipients'][number];
export type Thresholds = MonitoringConfig['thresholds'];
export type EscalationPolicy = MonitoringConfig['escalation'];
export type Notifier = MonitoringConfig['notifier'];
export type Role = RecipientConfig['role'];
export type MaintenanceConfig = MonitoringConfig['maintenance'][number];
