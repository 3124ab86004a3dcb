/**
 * NENA i3 ServiceState (NENA-STA-010.3 §10.12) plus `Unknown` (we are blind).
 * Ordered from best to worst: the worst effect among a service's dependencies wins.
 */
export const SERVICE_STATES = [
  'Normal',
  'ScheduledMaintenanceAvailable',
  'Unknown',
  'Partial',
  'MajorIncidentInProgress',
  'ScheduledMaintenanceDown',
  'Overloaded',
  'GoingDown',
  'Unreachable',
  'Unstaffed',
  'Down',
] as const;
export type ServiceState = (typeof SERVICE_STATES)[number];

/** Older (STA-010.2 era) spellings accepted on input. */
const ALIASES: Record<string, ServiceState> = { Unmanned: 'Unstaffed', PartialService: 'Partial' };

export function parseServiceState(value: string): ServiceState | undefined {
  if ((SERVICE_STATES as readonly string[]).includes(value)) return value as ServiceState;
  return ALIASES[value];
}

export function stateSeverity(state: ServiceState): number {
  return SERVICE_STATES.indexOf(state);
}

export function worseState(a: ServiceState, b: ServiceState): ServiceState {
  return stateSeverity(b) > stateSeverity(a) ? b : a;
}

/** "Must route elsewhere" in NENA terms: the PSAP is dark to callers. */
const DARK: ReadonlySet<ServiceState> = new Set([
  'ScheduledMaintenanceDown',
  'Overloaded',
  'GoingDown',
  'Unreachable',
  'Unstaffed',
  'Down',
]);

export function isDark(state: ServiceState): boolean {
  return DARK.has(state);
}

/** Degraded or dark: worth an incident. Unknown and maintenance-available are not. */
export function isImpaired(state: ServiceState): boolean {
  return stateSeverity(state) >= stateSeverity('Partial');
}
