import type { Observation } from './observation.js';
import type { ComponentState, Transition } from './records.js';
import { statusRank, type Status } from './status.js';

export interface HysteresisThresholds {
  /** Consecutive reads of a worse status before it is confirmed. */
  openAfter: number;
  /** Consecutive reads of a better status before it is confirmed. */
  closeAfter: number;
  /** Consecutive unreadable reads before the component is Unknown (blind). */
  blindAfter: number;
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

/**
 * Applies one read to a component. Returns the next state (identical object contents when the
 * read changes nothing, so callers can skip the write) and the transition when one is confirmed.
 */
export function applyObservation(
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
  const next: ComponentState = {
    componentId: prev.componentId,
    status: obs.status,
    // The change began at the first read that showed it, not at the read that confirmed it.
    since: candidateSince,
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
  return state.candidate ?? state.status;
}

export function componentStatesEqual(a: ComponentState, b: ComponentState): boolean {
  return (
    a.status === b.status &&
    a.since === b.since &&
    a.candidate === b.candidate &&
    a.candidateCount === b.candidateCount &&
    a.candidateSince === b.candidateSince
  );
}
