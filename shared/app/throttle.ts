import { SegmentedMessage } from 'sms-segments-calculator';
import type { Clock } from '../domain/clock.js';
import { fitsOneSms } from '../domain/text.js';

/**
 * SMS throughput: an origination identity sends a fixed number of message
 * PARTS per second (MPS): toll-free 3, 10DLC 1 by default up to what the campaign qualifies for,
 * short code 100. A message longer than one segment costs one part per segment (153 GSM-7 or 67
 * UCS-2 characters each), so one long message delays everyone after it.
 *
 * The plan is smooth: part k goes out at k / mps seconds, never a burst, so no part is dropped
 * or queued by the carrier and the ETA we show is the one that happens. Email is not bound by the
 * SMS rate: it takes no parts and is due at once.
 */

/** What the plan needs of a delivery (a Delivery fits). */
export interface PlanItem {
  channel: 'sms' | 'email';
  text: string;
}

export interface PlannedSend<T> {
  item: T;
  /** Position in the input (priority order). */
  index: number;
  /** SMS parts the message takes (0 for email). */
  parts: number;
  /** When to send it, from the start of the run. */
  offsetMs: number;
  /** When its last part has gone out at the rate. */
  doneMs: number;
}

export interface ThrottlePlan<T> {
  mps: number;
  sends: PlannedSend<T>[];
  totalParts: number;
  /** When the last SMS part has gone out, from the start of the run. */
  etaMs: number;
  /** The same as a time (ISO-8601 UTC), for reports and the "visible ETA". */
  eta: string;
}

// Counting takes about 1 ms a message, and a storm sends the same text to many recipients.
const PARTS_CACHE = new Map<string, number>();
const PARTS_CACHE_LIMIT = 2000;

/** Parts of one SMS as carriers count them (GSM-7 unless a character needs UCS-2); at least 1. */
export function smsParts(text: string): number {
  // Every rendered SMS is composed to fit one GSM-7 part (composeSms): answer that from the
  // per-character table (text.ts) instead of segmenting with the library (a storm's hot spot).
  if (fitsOneSms(text)) return 1;
  let parts = PARTS_CACHE.get(text);
  if (parts === undefined) {
    parts = Math.max(1, new SegmentedMessage(text, 'auto').segmentsCount);
    if (PARTS_CACHE.size >= PARTS_CACHE_LIMIT) PARTS_CACHE.clear();
    PARTS_CACHE.set(text, parts);
  }
  return parts;
}

/** Parts a delivery costs against the SMS rate: its segments for SMS, 0 for email. */
export function deliveryParts(item: PlanItem): number {
  return item.channel === 'sms' ? smsParts(item.text) : 0;
}

function checkMps(mps: number): void {
  if (!Number.isFinite(mps) || mps <= 0) throw new RangeError(`MPS must be a positive number of message parts per second, got ${mps}`);
}

/** Milliseconds until `parts` parts have gone out at `mps` (rounded up: never faster than the rate). */
const msFor = (parts: number, mps: number) => Math.ceil((parts * 1000) / mps);

/**
 * When each delivery goes out, in the order given (highest priority first), and when the last
 * one is done. Pure: `start` is only used to state the ETA as a time.
 */
export function planSms<T extends PlanItem>(items: readonly T[], mps: number, start: Date): ThrottlePlan<T> {
  checkMps(mps);
  let before = 0;
  const sends = items.map((item, index): PlannedSend<T> => {
    const parts = deliveryParts(item);
    if (parts === 0) return { item, index, parts, offsetMs: 0, doneMs: 0 };
    const offsetMs = msFor(before, mps);
    before += parts;
    return { item, index, parts, offsetMs, doneMs: msFor(before, mps) };
  });
  const etaMs = msFor(before, mps);
  return { mps, sends, totalParts: before, etaMs, eta: new Date(start.getTime() + etaMs).toISOString() };
}

export type Sleeper = (ms: number) => Promise<void>;

// The one place pacing waits on real time; tests inject a sleeper that moves a simulated clock.
export const realSleep: Sleeper = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export interface PaceOptions<T> {
  /** Message parts per second of the origination identity. */
  mps: number;
  /** Parts an item costs (deliveryParts for deliveries); 0 means "not rate-limited". */
  partsOf: (item: T) => number;
  clock: Clock;
  sleep: Sleeper;
}

export type PacedResult<T, R> =
  | { item: T; index: number; ok: true; value: R; startedAt: string }
  | { item: T; index: number; ok: false; error: unknown; startedAt: string };

/**
 * Sends items one after another at the rate: item i starts no earlier than start + (parts before
 * it) / mps. Time spent sending counts towards the wait (a slow API is not slowed down further).
 * A send that throws is recorded as a failed result; the others still go out.
 */
export async function paced<T, R>(items: readonly T[], send: (item: T, index: number) => Promise<R>, options: PaceOptions<T>): Promise<Array<PacedResult<T, R>>> {
  checkMps(options.mps);
  const start = options.clock.now().getTime();
  const results: Array<PacedResult<T, R>> = [];
  let before = 0;
  for (const [index, item] of items.entries()) {
    const parts = options.partsOf(item);
    if (parts > 0) {
      const wait = start + msFor(before, options.mps) - options.clock.now().getTime();
      if (wait > 0) await options.sleep(wait);
      before += parts;
    }
    const startedAt = options.clock.now().toISOString();
    try {
      results.push({ item, index, ok: true, value: await send(item, index), startedAt });
    } catch (error) {
      results.push({ item, index, ok: false, error, startedAt });
    }
  }
  return results;
}
