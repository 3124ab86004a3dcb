import type { PolledSourceConfig } from '../config/schema.js';
import { rechecksPerRead, type HysteresisThresholds } from '../domain/component.js';

/**
 * The re-reads that confirm a change (see `awaitsConfirmation`): after a cycle, each source it
 * names is read again `recheckSeconds` later, inside the same invocation or `dialtone run` loop,
 * instead of at its next interval. Bounded: a source gets at most `rechecksPerRead` re-reads per
 * scheduled read, so a flapping page cannot become a read storm, and each re-read still goes
 * through the source reader (conditional GET, Retry-After, backoff).
 */
export class RecheckSchedule {
  private readonly pending = new Map<string, { source: PolledSourceConfig; at: number }>();
  private readonly used = new Map<string, number>();
  private readonly cap: number;

  constructor(
    private readonly thresholds: HysteresisThresholds & { recheckSeconds: number },
  ) {
    this.cap = rechecksPerRead(thresholds);
  }

  /** After a cycle at `nowMs` that read `read`: `scheduled` are the reads its cadence asked for (their budget starts again). */
  afterCycle(nowMs: number, read: readonly PolledSourceConfig[], scheduled: ReadonlySet<string>, awaiting: ReadonlySet<string>): void {
    for (const source of read) {
      this.pending.delete(source.id);
      if (scheduled.has(source.id)) this.used.set(source.id, 0);
      const delaySeconds = source.recheckSeconds ?? this.thresholds.recheckSeconds;
      if (!awaiting.has(source.id) || delaySeconds <= 0) continue;
      const used = this.used.get(source.id) ?? 0;
      if (used >= this.cap) continue;
      this.used.set(source.id, used + 1);
      this.pending.set(source.id, { source, at: nowMs + delaySeconds * 1000 });
    }
  }

  /** Sources whose re-read is due at `nowMs` (taken off the schedule). */
  takeDue(nowMs: number): PolledSourceConfig[] {
    const due = [...this.pending.values()].filter((p) => p.at <= nowMs).map((p) => p.source);
    for (const s of due) this.pending.delete(s.id);
    return due;
  }

  /** When the earliest re-read is due, if any. */
  nextAt(): number | undefined {
    let next: number | undefined;
    for (const p of this.pending.values()) if (next === undefined || p.at < next) next = p.at;
    return next;
  }

  /** A scheduled read makes a pending re-read of the same source redundant. */
  drop(ids: Iterable<string>): void {
    for (const id of ids) this.pending.delete(id);
  }
}
