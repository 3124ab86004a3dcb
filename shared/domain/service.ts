import type { DependencyConfig } from '../config/schema.js';
import { noMaintenance, type ActiveMaintenance } from './maintenance.js';
import { isDark, parseServiceState, stateSeverity, type ServiceState } from './nena.js';
import type { Status } from './status.js';

/**
 * Kinds that are one path into a PSAP: when one fails the PSAP still answers by its other paths,
 * so its outage is not a dark PSAP (no rollover to the neighbours, no minPsaps count).
 */
const PATH_KINDS: ReadonlySet<string> = new Set(['text-to-911', 'ali-ani', 'voice']);
export const isPath = (kind: string | undefined): boolean => kind !== undefined && PATH_KINDS.has(kind);

/**
 * What a component's status means for a service that depends on it. `effect` is the state at a
 * major outage (default Down); milder trouble is capped at Partial; a map overrides any of it.
 */
export function dependencyEffect(dep: Pick<DependencyConfig, 'effect'>, status: Status): ServiceState {
  if (status === 'operational') return 'Normal';
  if (status === 'unknown') return 'Unknown';
  const map = typeof dep.effect === 'string' ? { major_outage: dep.effect } : dep.effect;
  const explicit = map[status];
  if (explicit !== undefined) return normalise(explicit);
  const atMajor = normalise(map.major_outage ?? 'Down');
  switch (status) {
    case 'major_outage':
      return atMajor;
    case 'maintenance':
      return 'ScheduledMaintenanceAvailable';
    case 'partial_outage':
    case 'degraded':
      return stateSeverity(atMajor) >= stateSeverity('Partial') ? 'Partial' : atMajor;
  }
}

function normalise(state: string): ServiceState {
  // Config validation already rejected anything else; older spellings become current ones.
  return parseServiceState(state) ?? 'Unknown';
}

export interface DerivedServiceState {
  state: ServiceState;
  /** Components whose effect equals the service's state. */
  causes: string[];
}

/** Inside a maintenance window trouble that leaves the service usable is planned; dark breaks through. */
function underMaintenance(effect: ServiceState): ServiceState {
  return effect === 'Normal' || isDark(effect) ? effect : 'ScheduledMaintenanceAvailable';
}

/**
 * A service's state is the worst effect among its dependencies; a window on the service or on a
 * component turns its non-dark effects into ScheduledMaintenanceAvailable. A dependency that
 * `decides` (the PSAP's own authenticated report) overrides the others while it reports anything
 * but Unknown: the PSAP knows whether its calls arrive better than a vendor page or an old post.
 */
export function deriveServiceState(
  service: { id: string; dependsOn: ReadonlyArray<Omit<DependencyConfig, 'decides'> & { decides?: boolean }> },
  componentStatus: (componentId: string) => Status,
  maintenance: ActiveMaintenance = noMaintenance,
): DerivedServiceState {
  let state: ServiceState = 'Normal';
  let causes: string[] = [];
  const serviceWindow = maintenance.services.has(service.id);
  const decider = service.dependsOn.find((d) => d.decides && componentStatus(d.component) !== 'unknown');
  for (const dep of decider ? [decider] : service.dependsOn) {
    const raw = dependencyEffect(dep, componentStatus(dep.component));
    const effect = serviceWindow || maintenance.components.has(dep.component) ? underMaintenance(raw) : raw;
    if (stateSeverity(effect) > stateSeverity(state)) {
      state = effect;
      causes = [dep.component];
    } else if (effect === state && state !== 'Normal') {
      causes.push(dep.component);
    }
  }
  return { state, causes: causes.sort() };
}
