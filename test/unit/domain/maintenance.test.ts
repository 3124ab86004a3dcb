import { activeMaintenance, occurrenceAt, zonedToUtc } from '../../../shared/domain/maintenance.js';
import { deriveServiceState } from '../../../shared/domain/service.js';
import type { MaintenanceConfig } from '../../../shared/config/schema.js';
import type { Status } from '../../../shared/domain/status.js';
import type { ServiceState } from '../../../shared/domain/nena.js';

const window = (over: Partial<MaintenanceConfig> = {}): MaintenanceConfig => ({
  id: 'upgrade',
  components: ['routing'],
  services: [],
  start: '2026-10-04T02:00',
  durationMinutes: 120,
  timeZone: 'America/Chicago',
  repeat: 'none',
  notify: false,
  ...over,
});

describe('maintenance windows', () => {
  test.each<[string, string, string]>([
    // CDT is UTC-5, CST is UTC-6: a local 02:00 moves with daylight saving time
    ['2026-10-04T02:00', 'America/Chicago', '2026-10-04T07:00:00.000Z'],
    ['2026-12-06T02:00', 'America/Chicago', '2026-12-06T08:00:00.000Z'],
    ['2026-10-04T02:00', 'America/Phoenix', '2026-10-04T09:00:00.000Z'],
    ['2026-10-04T02:00', 'UTC', '2026-10-04T02:00:00.000Z'],
  ])('local %s in %s is %s', (local, zone, utc) => {
    expect(new Date(zonedToUtc(local, zone)).toISOString()).toBe(utc);
  });

  // A skipped wall time (spring forward) is read with the offset before the change, so the
  // window starts at the same length of time after midnight, never an hour early; a repeated
  // one (fall back) is its first occurrence.
  test.each<[string, string, string, string]>([
    ['New York spring gap: 02:00 is 03:00 EDT', '2026-03-08T02:00', 'America/New_York', '2026-03-08T07:00:00.000Z'],
    ['New York spring gap: 02:30 is 03:30 EDT', '2026-03-08T02:30', 'America/New_York', '2026-03-08T07:30:00.000Z'],
    ['New York just before the gap', '2026-03-08T01:59', 'America/New_York', '2026-03-08T06:59:00.000Z'],
    ['New York just after the gap', '2026-03-08T03:00', 'America/New_York', '2026-03-08T07:00:00.000Z'],
    ['New York autumn repeat: 01:30 is the first (EDT) one', '2026-11-01T01:30', 'America/New_York', '2026-11-01T05:30:00.000Z'],
    ['New York after the repeat', '2026-11-01T02:00', 'America/New_York', '2026-11-01T07:00:00.000Z'],
    ['Chicago spring gap: 02:00 is 03:00 CDT', '2026-03-08T02:00', 'America/Chicago', '2026-03-08T08:00:00.000Z'],
    ['Chicago autumn repeat: 01:00 is the first (CDT) one', '2026-11-01T01:00', 'America/Chicago', '2026-11-01T06:00:00.000Z'],
    ['Los Angeles spring gap', '2026-03-08T02:15', 'America/Los_Angeles', '2026-03-08T10:15:00.000Z'],
    ['Berlin spring gap: 02:30 is 03:30 CEST', '2026-03-29T02:30', 'Europe/Berlin', '2026-03-29T01:30:00.000Z'],
    ['Berlin autumn repeat: 02:30 is the first (CEST) one', '2026-10-25T02:30', 'Europe/Berlin', '2026-10-25T00:30:00.000Z'],
    ['London spring gap: 01:30 is 02:30 BST', '2026-03-29T01:30', 'Europe/London', '2026-03-29T01:30:00.000Z'],
    ['London autumn repeat: 01:30 is the first (BST) one', '2026-10-25T01:30', 'Europe/London', '2026-10-25T00:30:00.000Z'],
    ['Lord Howe half-hour change, spring gap', '2026-10-04T02:15', 'Australia/Lord_Howe', '2026-10-03T15:45:00.000Z'],
  ])('%s', (_name, local, zone, utc) => {
    expect(new Date(zonedToUtc(local, zone)).toISOString()).toBe(utc);
  });

  test.each<[string, Partial<MaintenanceConfig>, string, boolean]>([
    // daily 02:00 New York: on the spring-forward day it opens at 03:00 EDT (07:00Z), not 01:00 EST (06:00Z)
    ['daily 02:00 New York, 01:00 EST on the spring day is outside', { repeat: 'daily', timeZone: 'America/New_York', start: '2026-03-01T02:00', durationMinutes: 60 }, '2026-03-08T06:30:00Z', false],
    ['daily 02:00 New York, 03:00 EDT on the spring day is inside', { repeat: 'daily', timeZone: 'America/New_York', start: '2026-03-01T02:00', durationMinutes: 60 }, '2026-03-08T07:30:00Z', true],
    ['daily 01:30 New York, the second 01:30 on the autumn day is outside', { repeat: 'daily', timeZone: 'America/New_York', start: '2026-10-25T01:30', durationMinutes: 30 }, '2026-11-01T06:40:00Z', false],
    ['daily 01:30 New York, the first 01:30 on the autumn day is inside', { repeat: 'daily', timeZone: 'America/New_York', start: '2026-10-25T01:30', durationMinutes: 30 }, '2026-11-01T05:40:00Z', true],
    ['weekly 02:30 Berlin, the spring day opens at 03:30 CEST', { repeat: 'weekly', timeZone: 'Europe/Berlin', start: '2026-03-22T02:30', durationMinutes: 60 }, '2026-03-29T01:45:00Z', true],
    ['weekly 02:30 Berlin, not at 01:30 CET on the spring day', { repeat: 'weekly', timeZone: 'Europe/Berlin', start: '2026-03-22T02:30', durationMinutes: 60 }, '2026-03-29T00:45:00Z', false],
  ])('%s', (_name, over, now, active) => {
    expect(occurrenceAt(window(over), new Date(now)) !== undefined).toBe(active);
  });

  test.each<[string, Partial<MaintenanceConfig>, string, boolean]>([
    ['one-off, before it starts', {}, '2026-10-04T06:59:00Z', false],
    ['one-off, at its start', {}, '2026-10-04T07:00:00Z', true],
    ['one-off, in its last minute', {}, '2026-10-04T08:59:00Z', true],
    ['one-off, at its end', {}, '2026-10-04T09:00:00Z', false],
    ['weekly, a week later', { repeat: 'weekly' }, '2026-10-11T07:30:00Z', true],
    ['weekly, the day after', { repeat: 'weekly' }, '2026-10-05T07:30:00Z', false],
    // after the November DST change the same local 02:00 is 08:00 UTC
    ['weekly, across the DST change', { repeat: 'weekly' }, '2026-11-08T08:30:00Z', true],
    ['weekly, the old UTC hour after DST', { repeat: 'weekly' }, '2026-11-08T07:30:00Z', false],
    ['daily, spanning midnight', { repeat: 'daily', start: '2026-10-04T23:00', durationMinutes: 180 }, '2026-10-10T06:30:00Z', true],
    ['daily, but past until', { repeat: 'daily', until: '2026-10-08T00:00' }, '2026-10-10T07:30:00Z', false],
  ])('%s', (_name, over, now, active) => {
    expect(occurrenceAt(window(over), new Date(now)) !== undefined).toBe(active);
  });

  test('an occurrence carries its own start and end', () => {
    expect(occurrenceAt(window({ repeat: 'weekly' }), new Date('2026-10-11T08:00:00Z'))).toEqual({
      windowId: 'upgrade',
      start: '2026-10-11T07:00:00.000Z',
      end: '2026-10-11T09:00:00.000Z',
    });
  });

  const service = { id: 'hennepin', dependsOn: [{ component: 'routing', effect: 'Down' as const }, { component: 'ali', effect: 'Partial' as const }] };
  test.each<[string, Record<string, Status>, { components?: string[]; services?: string[] }, ServiceState]>([
    ['degraded routing inside its window is planned', { routing: 'degraded', ali: 'operational' }, { components: ['routing'] }, 'ScheduledMaintenanceAvailable'],
    ['maintenance status inside the window stays planned', { routing: 'maintenance', ali: 'operational' }, { components: ['routing'] }, 'ScheduledMaintenanceAvailable'],
    ['Down breaks through the window', { routing: 'major_outage', ali: 'operational' }, { components: ['routing'] }, 'Down'],
    ['a window on another component does not cover this one', { routing: 'operational', ali: 'major_outage' }, { components: ['routing'] }, 'Partial'],
    ['a window on the service covers every dependency', { routing: 'operational', ali: 'major_outage' }, { services: ['hennepin'] }, 'ScheduledMaintenanceAvailable'],
    ['outside any window nothing changes', { routing: 'degraded', ali: 'operational' }, {}, 'Partial'],
  ])('%s', (_name, statuses, scope, state) => {
    const active = activeMaintenance(
      [window({ components: scope.components ?? [], services: scope.services ?? [], start: '2026-10-04T02:00' })].filter((w) => w.components.length + w.services.length > 0),
      new Date('2026-10-04T07:30:00Z'),
    );
    expect(deriveServiceState(service, (id) => statuses[id]!, active).state).toBe(state);
  });
});
