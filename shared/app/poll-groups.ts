import { isPolled, type MonitoringConfig, type PolledSourceConfig } from '../config/schema.js';

/**
 * Poll groups: in AWS the polled sources are sharded into groups, each with its own function,
 * schedule and cadence, so a slow or failing standard source never delays a critical one.
 *
 * - `critical`: read every 15 s. EventBridge Scheduler's finest rate is one minute, so one
 *   invocation a minute runs `cyclesPerInvocation` cycles `intervalSeconds` apart.
 * - `standard`: read every minute, or every `everySeconds` when that is longer (a feed that
 *   asks to be read at most every 5 minutes is read every 5 minutes).
 *
 * A local `dialtone run` keeps using each source's `everySeconds`.
 */
export const POLL_GROUPS = {
  critical: { intervalSeconds: 15, cyclesPerInvocation: 4 },
  standard: { intervalSeconds: 60, cyclesPerInvocation: 1 },
} as const;

export type PollGroup = keyof typeof POLL_GROUPS;
export const POLL_GROUP_NAMES = Object.keys(POLL_GROUPS) as PollGroup[];

/** The polled sources of a group, in config order. */
export function sourcesOfGroup(config: MonitoringConfig, group: PollGroup): PolledSourceConfig[] {
  return config.sources.filter(isPolled).filter((s) => (s.group ?? 'standard') === group);
}

/** The groups that have at least one source: only those get a function and a schedule. */
export function groupsInUse(config: MonitoringConfig): PollGroup[] {
  return POLL_GROUP_NAMES.filter((g) => sourcesOfGroup(config, g).length > 0);
}

/**
 * The sources of a group due in the cycle at `slot` (the cycle's scheduled time, not the moment
 * it ran: Scheduler and cold starts add seconds of delay, and the scheduled time keeps the
 * boundaries stable). A critical source is due every cycle. A standard source is due when a
 * boundary of its own cadence (max(everySeconds, 60 s), aligned to the epoch) falls inside
 * (slot - 60 s, slot], so it is read once per its cadence whatever minute the schedule started.
 */
export function dueInCycle(sources: readonly PolledSourceConfig[], group: PollGroup, slot: Date): PolledSourceConfig[] {
  const interval = POLL_GROUPS[group].intervalSeconds * 1000;
  if (group === 'critical') return [...sources];
  const now = slot.getTime();
  return sources.filter((s) => {
    const every = Math.max(s.everySeconds * 1000, interval);
    return Math.floor(now / every) > Math.floor((now - interval) / every);
  });
}

/**
 * When each cycle of one invocation is due: the slots `intervalSeconds` apart from the scheduled
 * time. The handler sleeps until each slot on the real clock.
 */
export function cycleSlots(group: PollGroup, scheduledAt: Date): Date[] {
  const { intervalSeconds, cyclesPerInvocation } = POLL_GROUPS[group];
  return Array.from({ length: cyclesPerInvocation }, (_, i) => new Date(scheduledAt.getTime() + i * intervalSeconds * 1000));
}
