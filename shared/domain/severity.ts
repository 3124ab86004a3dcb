import { isDark, isImpaired } from './nena.js';
import type { Incident } from './records.js';

/**
 * How bad an incident is, for recipients' `minSeverity` and the incident topic's `severity`
 * attribute: critical = a 911 service went dark (calls must route elsewhere), major = one is
 * impaired (Partial, a major incident in progress), minor = anything else. Taken from the worst
 * state each service reached, so it never drops during an incident: whoever heard the alert of a
 * critical outage also qualifies for its updates and all-clear.
 */
export type Severity = 'minor' | 'major' | 'critical';

export const SEVERITY_RANK: Record<Severity, number> = { minor: 0, major: 1, critical: 2 };

export function incidentSeverity(incident: Pick<Incident, 'services'>): Severity {
  const worst = Object.values(incident.services).map((s) => s.worst);
  if (worst.some(isDark)) return 'critical';
  if (worst.some(isImpaired)) return 'major';
  return 'minor';
}

export function atLeast(severity: Severity, min: Severity | undefined): boolean {
  return min === undefined || SEVERITY_RANK[severity] >= SEVERITY_RANK[min];
}
