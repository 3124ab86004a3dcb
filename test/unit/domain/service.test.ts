import { dependencyEffect, deriveServiceState } from '../../../shared/domain/service.js';
import { isDark, parseServiceState, type ServiceState } from '../../../shared/domain/nena.js';
import type { DependencyConfig } from '../../../shared/config/schema.js';
import type { Status } from '../../../shared/domain/status.js';

const dep = (effect: DependencyConfig['effect']): DependencyConfig => ({ component: 'routing', effect, decides: false });

describe('what a component status means for a dependent 911 service', () => {
  test.each<[DependencyConfig['effect'], Status, ServiceState]>([
    ['Down', 'operational', 'Normal'],
    ['Down', 'major_outage', 'Down'],
    ['Down', 'partial_outage', 'Partial'],
    ['Down', 'degraded', 'Partial'],
    ['Down', 'maintenance', 'ScheduledMaintenanceAvailable'],
    ['Down', 'unknown', 'Unknown'],
    ['Partial', 'major_outage', 'Partial'],
    ['Unreachable', 'major_outage', 'Unreachable'],
    ['Normal', 'degraded', 'Normal'],
    // older NENA spellings are accepted and mean the current ones
    ['Unmanned', 'major_outage', 'Unstaffed'],
    ['PartialService', 'major_outage', 'Partial'],
    [{ major_outage: 'Down', degraded: 'Normal' }, 'degraded', 'Normal'],
    [{ partial_outage: 'Down' }, 'partial_outage', 'Down'],
    [{ maintenance: 'ScheduledMaintenanceDown' }, 'maintenance', 'ScheduledMaintenanceDown'],
  ])('effect %j with the component %s gives %s', (effect, status, state) => {
    expect(dependencyEffect(dep(effect), status)).toBe(state);
  });

  test.each<[Record<string, Status>, ServiceState, string[]]>([
    [{ routing: 'operational', ali: 'operational' }, 'Normal', []],
    [{ routing: 'major_outage', ali: 'operational' }, 'Down', ['routing']],
    [{ routing: 'operational', ali: 'major_outage' }, 'Partial', ['ali']],
    [{ routing: 'major_outage', ali: 'major_outage' }, 'Down', ['routing']],
    [{ routing: 'degraded', ali: 'major_outage' }, 'Partial', ['ali', 'routing']],
    // blind on one dependency, healthy on the other: we cannot claim Normal
    [{ routing: 'unknown', ali: 'operational' }, 'Unknown', ['routing']],
    // a known outage is worse than being blind elsewhere
    [{ routing: 'unknown', ali: 'major_outage' }, 'Partial', ['ali']],
  ])('components %j make the service %s (causes %j)', (statuses, state, causes) => {
    const service = { id: 'hennepin', dependsOn: [dep('Down'), { component: 'ali', effect: 'Partial' as const }] };
    expect(deriveServiceState(service, (id) => statuses[id]!)).toEqual({ state, causes });
  });

  test.each<[string, ServiceState | undefined, boolean | undefined]>([
    ['Down', 'Down', true],
    ['Unmanned', 'Unstaffed', true],
    ['PartialService', 'Partial', false],
    ['Overloaded', 'Overloaded', true],
    ['ScheduledMaintenanceAvailable', 'ScheduledMaintenanceAvailable', false],
    ['Sideways', undefined, undefined],
  ])('NENA state %s reads as %s (dark: %s)', (raw, parsed, dark) => {
    expect(parseServiceState(raw)).toBe(parsed);
    if (parsed) expect(isDark(parsed)).toBe(dark);
  });
});

describe("the PSAP's own report decides for that PSAP", () => {
  // Hennepin depends on the vendor's routing, an agency post and its own authenticated report.
  const service = {
    id: 'hennepin',
    dependsOn: [
      { component: 'routing', effect: 'Down' as const },
      { component: 'post', effect: 'Down' as const },
      { component: 'self', effect: 'Down' as const, decides: true },
    ],
  };
  test.each<[string, Record<string, Status>, ServiceState, string[]]>([
    ['the PSAP says it works: an old outage post and a vendor page do not darken it', { routing: 'major_outage', post: 'major_outage', self: 'operational' }, 'Normal', []],
    ['the PSAP says it is down while the vendor page is green', { routing: 'operational', post: 'operational', self: 'major_outage' }, 'Down', ['self']],
    ['the PSAP has not reported (or its report is blind): the worst of the others', { routing: 'major_outage', post: 'operational', self: 'unknown' }, 'Down', ['routing']],
  ])('%s', (_case, statuses, state, causes) => {
    expect(deriveServiceState(service, (id) => statuses[id]!)).toEqual({ state, causes });
  });
});
