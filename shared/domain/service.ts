import type { DependencyConfig, ServiceConfig } from '../config/schema.js';
import { parseServiceState, stateSeverity, type ServiceState } from './nena.js';
import type { Status } from './status.js';

/**
 * What a component's status means for a service that depends on it. `effect` is the state at a
 * major outage (default Down); milder trouble is capped at Partial; a map overrides any of it.
 */
export function dependencyEffect(dep: DependencyConfig, status: Status): ServiceState {
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

/** A service's state is the worst effect among its dependencies. */
export function deriveServiceState(
  service: Pick<ServiceConfig, 'dependsOn'>,
  componentStatus: (componentId: string) => Status,
): DerivedServiceState {
  let state: ServiceState = 'Normal';
  let causes: string[] = [];
  for (const dep of service.dependsOn) {
    const effect = dependencyEffect(dep, componentStatus(dep.component));
    if (stateSeverity(effect) > stateSeverity(state)) {
      state = effect;
      causes = [dep.component];
    } else if (effect === state && state !== 'Normal') {
      causes.push(dep.component);
    }
  }
  return { state, causes: causes.sort() };
}
