import type { Observation } from './observation.js';
import type { ComponentState, Transition } from './records.js';
import { isTrouble, statusRank, type Status } from './status.js';

export interface HysteresisThresholds {
  /** Consecutive reads of a worse status before it is confirmed. */
  openAfter: number;
  /** Consecutive reads of a better status before it is confirmed. */
  closeAfter: number;
  /** Consecutive unreadable reads before the component is Unknown (blind). */
  blindAfter: number;
  /** Flap damping: more than flapMaxChanges confirmed changes within flapWindowMinutes holds the component. */
  flapWindowMinutes: number;
  flapMaxChanges: number;
  /** A held component is released once its reads have been the same for this long. */
  flapStableMinutes: number;
}

/** A component nobody has read yet is presumed operational: an outage must still earn `openAfter` reads. */
export function initialComponentState(componentId: string, at: string): ComponentState {
  return { componentId, status: 'operational', since: at, candidateCount: 0, version: 0 };
}

/** How many consecutive reads of `to` it takes to leave `from`: hysteresis in both directions. */
export function readsRequired(from: Status, to: Status, t: HysteresisThresholds): number {
  if (to === 'unknown') return t.blindAfter;
  if (from === 'unknown') return statusRank(to) >= statusRank('degraded') ? t.openAfter : 1;
  return statusRank(to) > statusRank(from) ? t.openAfter : t.closeAfter;
}

const minutesBetween = (a: string, b: string) => (Date.parse(b) - Date.parse(a)) / 60_000;

/** The worse of two statuses; a blind read never makes a held status look better or worse. */
function worse(a: Status, b: Status): Status {
  if (a === 'unknown') return b;
  if (b === 'unknown') return a;
  return statusRank(b) > statusRank(a) ? b : a;
}

/**
 * Applies one read to a component: hysteresis, then flap damping. Returns the next state
 * (identical contents when the read changes nothing, so callers can skip the write) and the
 * transition when one is confirmed. A component that changes more than `flapMaxChanges` times
 * within `flapWindowMinutes` is held at the worse of its last two states and reported as
 * flapping (one transition), instead of alerting on every change; it is released, to whatever it
 * reads then, once the reads have not changed for `flapStableMinutes`.
 */
export function applyObservation(
  prev: ComponentState,
  obs: Observation,
  t: HysteresisThresholds,
): { next: ComponentState; transition?: Transition } {
  if (prev.flappingSince !== undefined) return whileFlapping(prev, obs, t);
  const result = applyHysteresis(prev, obs, t);
  if (!result.transition) return result;
  const at = obs.observedAt;
  const changes = [...(prev.changes ?? []).filter((c) => minutesBetween(c, at) < t.flapWindowMinutes), at];
  if (changes.length <= t.flapMaxChanges) return { next: { ...result.next, changes }, transition: result.transition };
  const held = worse(prev.status, obs.status);
  return {
    next: {
      ...result.next,
      status: held,
      since: held === prev.status ? prev.since : result.next.since,
      changes,
      flappingSince: at,
      lastRead: obs.status,
      lastReadChangeAt: at,
    },
    transition: { ...result.transition, to: held, evidence: { observation: obs, flapping: 'started' } },
  };
}

function whileFlapping(prev: ComponentState, obs: Observation, t: HysteresisThresholds): { next: ComponentState; transition?: Transition } {
  const at = obs.observedAt;
  const lastChange = obs.status !== prev.lastRead ? at : (prev.lastReadChangeAt ?? prev.flappingSince!);
  if (minutesBetween(lastChange, at) < t.flapStableMinutes) {
    if (obs.status === prev.lastRead) return { next: prev };
    return { next: { ...prev, lastRead: obs.status, lastReadChangeAt: lastChange } };
  }
  // Settled: release the hold and take the settled reading as the status.
  const next: ComponentState = {
    componentId: prev.componentId,
    status: obs.status,
    since: obs.status === prev.status ? prev.since : lastChange,
    candidateCount: 0,
    version: prev.version,
  };
  return { next, transition: { subject: 'component', id: prev.componentId, from: prev.status, to: obs.status, at, evidence: { observation: obs, flapping: 'ended' } } };
}

function applyHysteresis(
  prev: ComponentState,
  obs: Observation,
  t: HysteresisThresholds,
): { next: ComponentState; transition?: Transition } {
  if (obs.status === prev.status) {
    if (prev.candidate === undefined) return { next: prev };
    const { candidate: _c, candidateSince: _s, ...rest } = prev;
    return { next: { ...rest, candidateCount: 0 } };
  }
  const sameCandidate = prev.candidate === obs.status;
  const count = sameCandidate ? prev.candidateCount + 1 : 1;
  const candidateSince = sameCandidate && prev.candidateSince ? prev.candidateSince : obs.observedAt;
  if (count < readsRequired(prev.status, obs.status, t)) {
    return { next: { ...prev, candidate: obs.status, candidateCount: count, candidateSince } };
  }
  // The upstream's own start of the trouble (a Statuspage incident's created_at, a post's date) is
  // kept when it is earlier than our first read: the outage began then, we saw it later.
  const reported = obs.startedAt !== undefined && isTrouble(obs.status) && Date.parse(obs.startedAt) < Date.parse(candidateSince) ? obs.startedAt : undefined;
  const next: ComponentState = {
    componentId: prev.componentId,
    status: obs.status,
    // The change began at the first read that showed it, not at the read that confirmed it.
    since: candidateSince,
    ...(reported !== undefined ? { reportedSince: new Date(reported).toISOString() } : {}),
    candidateCount: 0,
    version: prev.version,
  };
  return {
    next,
    transition: {
      subject: 'component',
      id: prev.componentId,
      from: prev.status,
      to: obs.status,
      at: obs.observedAt,
      evidence: { observation: obs },
    },
  };
}

/** The status the component's latest read showed: what an unchanged payload says again. */
export function lastReadStatus(state: ComponentState): Status {
  if (state.flappingSince !== undefined) return state.lastRead ?? state.status;
  return state.candidate ?? state.status;
}

/** Same contents (the version aside): the caller can skip the write. */
export function componentStatesEqual(a: ComponentState, b: ComponentState): boolean {
  return (
    a.status === b.status &&
    a.since === b.since &&
    a.reportedSince === b.reportedSince &&
    a.candidate === b.candidate &&
    a.candidateCount === b.candidateCount &&
    a.candidateSince === b.candidateSince &&
    (a.changes ?? []).join() === (b.changes ?? []).join() &&
    a.flappingSince === b.flappingSince &&
    a.lastRead === b.lastRead &&
    a.lastReadChangeAt === b.lastReadChangeAt
  );
}

/**
 * Fast confirmation: a component with a candidate status (a read that would change it, not yet
 * confirmed) is worth reading again soon, so the `openAfter` / `closeAfter` agreeing reads come
 * seconds apart instead of an interval apart. Not for an unreadable candidate (a failing upstream
 * is not read harder: its backoff rules) nor while the component is held as flapping (its release
 * waits for quiet, not for reads).
 */
export function awaitsConfirmation(state: ComponentState): boolean {
  return state.candidate !== undefined && state.candidate !== 'unknown' && state.flappingSince === undefined;
}

/** How many re-reads one scheduled read may add: the reads a confirmation still needs after it. */
export function rechecksPerRead(t: HysteresisThresholds): number {
  return Math.max(t.openAfter, t.closeAfter) - 1;
}
