import type { Log } from './log.js';

/**
 * Two regions, one voice. With `-c regions=us-east-1,us-west-2` both regions run the whole
 * pipeline on one DynamoDB global table. Global tables replicate asynchronously and evaluate a
 * condition only against the local replica, so the compare-and-set that makes retries and
 * concurrent invocations send once within a region cannot, on its own, stop the other region
 * from sending the same notice in the second before replication. So the regions elect one
 * leader with a lease: one item (`LEASE#pipeline`) written with a conditional write
 * "no lease, or mine, or expired". The leader polls, evaluates and delivers; the other region
 * stands by, checking the lease every tick. Replication takes about a second; the lease lasts minutes,
 * so in normal operation exactly one region notifies.
 *
 * Fail open ("a duplicate is better than silence"): when the leader's region stops renewing,
 * its lease expires and the standby takes over within `ttlMs` plus one schedule tick. A region
 * that cannot read or write the lease at all acts as leader. During a partition between the
 * regions both may lead for a while and a recipient may get a notice twice; nobody gets none.
 */

export interface LeaseStore {
  /**
   * Takes or renews the lease for `holder` until `until` if it is free, already `holder`'s, or
   * expired at `now`. Answers who holds it after the call.
   */
  acquire(name: string, holder: string, now: Date, until: Date): Promise<{ acquired: boolean; holder?: string; until?: string }>;
}

export type RegionRole = { role: 'leader'; reason: 'single-region' | 'lease' | 'lease-unavailable' } | { role: 'standby'; leader: string; until?: string };

export const PIPELINE_LEASE = 'pipeline';
/** Long against replication (about a second) and a schedule tick (a minute); short against an outage. */
export const DEFAULT_LEASE_TTL_MS = 2 * 60_000;

export async function regionRole(input: { lease?: LeaseStore; region: string; now: Date; ttlMs?: number; log: Log }): Promise<RegionRole> {
  if (!input.lease) return { role: 'leader', reason: 'single-region' };
  const until = new Date(input.now.getTime() + (input.ttlMs ?? DEFAULT_LEASE_TTL_MS));
  try {
    const r = await input.lease.acquire(PIPELINE_LEASE, input.region, input.now, until);
    if (r.acquired) return { role: 'leader', reason: 'lease' };
    return { role: 'standby', leader: r.holder ?? 'another region', ...(r.until !== undefined ? { until: r.until } : {}) };
  } catch (err) {
    input.log.error('region lease unavailable: acting as leader (fail open)', { region: input.region, error: (err as Error).message });
    return { role: 'leader', reason: 'lease-unavailable' };
  }
}
