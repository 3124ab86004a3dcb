/** The one status scale every source is normalised to when it is observed. */
export const STATUSES = ['operational', 'maintenance', 'degraded', 'partial_outage', 'major_outage', 'unknown'] as const;
export type Status = (typeof STATUSES)[number];

/** Known statuses in order of badness. `unknown` has no rank: it means we are blind, not that it is broken. */
const RANK: Record<Exclude<Status, 'unknown'>, number> = {
  operational: 0,
  maintenance: 1,
  degraded: 2,
  partial_outage: 3,
  major_outage: 4,
};

export function statusRank(status: Exclude<Status, 'unknown'>): number {
  return RANK[status];
}

export function isStatus(value: unknown): value is Status {
  return typeof value === 'string' && (STATUSES as readonly string[]).includes(value);
}

/** degraded, partial_outage and major_outage are trouble; operational and maintenance are not; unknown is neither. */
export function isTrouble(status: Status): boolean {
  return status !== 'unknown' && RANK[status] >= RANK.degraded;
}

/** The worst known status of a list; `unknown` only when nothing known is worse than operational. */
export function worstStatus(statuses: readonly Status[]): Status {
  let worst: Exclude<Status, 'unknown'> = 'operational';
  let blind = false;
  for (const s of statuses) {
    if (s === 'unknown') blind = true;
    else if (RANK[s] > RANK[worst]) worst = s;
  }
  return blind && RANK[worst] <= RANK.maintenance ? 'unknown' : worst;
}
