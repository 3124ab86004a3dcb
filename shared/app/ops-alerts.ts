import type { PolledSourceConfig } from '../config/schema.js';
import type { Clock } from '../domain/clock.js';
import { redact } from '../domain/mask.js';
import type { Model } from '../domain/model.js';
import {
  blindEpisodeId,
  EGRESS_RECORD_ID,
  egressEpisodeId,
  INGEST_RECORD_ID,
  ingestEpisodeId,
  opsAlertOf,
  pushWatchId,
  sourceOfWatch,
  opsRecipients,
  renderOpsAlert,
  type OpsAlert,
} from '../domain/ops-alert.js';
import type { BlindEpisode, Channel, Delivery, DeliveryKey, DeliveryReason, SourceState } from '../domain/records.js';
import type { SourceRead } from '../sources/parsers.js';
import type { DeliveryReport } from './deliver.js';
import type { Log } from './log.js';
import type { Sender, Store } from './ports.js';
import { isPush } from './push-sources.js';
import { rosterModel } from './roster-read.js';

type State = Omit<SourceState, 'version'>;

/**
 * "Unknown is not healthy" (and not an outage): the poll cycle's bookkeeping of blind monitors.
 *
 * - A polled source whose read fails `blindAfter` times in a row opens a *blind episode*
 *   (SourceState.blind); ops hears once ("monitor blind") and once more when a read succeeds
 *   ("monitor restored"). Other sources are not affected. A failed read that carries its own
 *   verdict (a probe that cannot connect reads major_outage) is not blindness.
 * - When every polled source read in a cycle failed (at least two were read; a source skipped
 *   for Retry-After does not count), the cycle suspects our own egress: no blind episode opens,
 *   the failures do not feed `unknown` to components (they keep their last known state), and
 *   after `blindAfter` such cycles in a row one "suspected local egress problem" alert goes to
 *   ops instead of one per source. Its episode lives on a SourceState-shaped record with the id
 *   `_egress` (consecutiveFailures = cycles in a row); it clears on the first cycle that is not
 *   all-failing.
 * Alerts are delivered like notices, claimed and marked sent only after success, under their own
 * delivery key (episode id, seq 1 raised / 2 cleared): once per episode, once on recovery.
 */
export interface OpsPlan {
  egressSuspected: boolean;
  /** Next state per record id (polled sources and `_egress`), poll-cycle fields merged in. */
  states: Map<string, State>;
  /** Alerts raised or cleared by this cycle. */
  changed: OpsAlert[];
}

export interface PlannedRead {
  source: PolledSourceConfig;
  read: SourceRead;
}

export function withBlindEpisode(state: State, blind: BlindEpisode | undefined): State {
  const { blind: _b, ...rest } = state;
  return blind ? { ...rest, blind } : rest;
}

export function planOpsAlerts(input: { reads: readonly PlannedRead[]; prev: ReadonlyMap<string, SourceState>; blindAfter: number; at: string }): OpsPlan {
  const { reads, prev, blindAfter, at } = input;
  const states = new Map<string, State>();
  const changed: OpsAlert[] = [];
  const attempted = reads.filter((r) => r.read.kind !== 'skipped');
  const egressSuspected = attempted.length >= 2 && attempted.every((r) => r.read.kind === 'failed');

  for (const { source, read } of reads) {
    const before = prev.get(source.id)?.blind;
    let blind = before;
    const readable = read.kind === 'changed' || read.kind === 'unchanged' || (read.kind === 'failed' && read.observations !== undefined);
    if (read.kind === 'failed' && read.observations === undefined && !egressSuspected && !before && read.state.consecutiveFailures >= blindAfter) {
      blind = { id: blindEpisodeId(source.id, at), since: at, lastError: read.error.message, raised: false };
      changed.push(opsAlertOf('blind', blind, 'initial', [source.id], source.components.map((c) => c.id)));
    } else if (readable && before && before.clearedAt === undefined) {
      blind = { ...before, clearedAt: at };
      changed.push(opsAlertOf('blind', blind, 'final', [source.id]));
    }
    states.set(source.id, withBlindEpisode(read.state, blind));
  }

  const egressPrev = prev.get(EGRESS_RECORD_ID);
  if (attempted.length >= 2) {
    const { version: _v, ...base } = egressPrev ?? { sourceId: EGRESS_RECORD_ID, consecutiveFailures: 0, version: 0 };
    const streak = egressSuspected ? base.consecutiveFailures + 1 : 0;
    let blind = base.blind;
    const failedIds = attempted.map((r) => r.source.id);
    if (egressSuspected && streak >= blindAfter && !blind) {
      const last = attempted.find((r) => r.read.kind === 'failed');
      blind = { id: egressEpisodeId(at), since: at, raised: false, ...(last?.read.kind === 'failed' ? { lastError: last.read.error.message } : {}) };
      changed.push(opsAlertOf('egress', blind, 'initial', failedIds));
    } else if (!egressSuspected && blind && blind.clearedAt === undefined) {
      blind = { ...blind, clearedAt: at };
      changed.push(opsAlertOf('egress', blind, 'final', failedIds));
    }
    // No record is written while nothing is wrong.
    if (egressPrev || streak > 0) states.set(EGRESS_RECORD_ID, withBlindEpisode({ ...base, consecutiveFailures: streak }, blind));
  }
  return { egressSuspected, states, changed };
}

/** What the poll cycle knows of a push source this cycle: never heard (unreadable), late, or fine. */
export interface PushWatch {
  sourceId: string;
  components: string[];
  /** Nothing to read: a heartbeat never received. */
  unreadable?: string;
  /** A heartbeat past its grace: silent. */
  silent?: boolean;
}

export interface PushPlan {
  states: Map<string, State>;
  changed: OpsAlert[];
  /** Heartbeats silent together with enough others that our ingest path is suspected: they read Unknown. */
  suspectIngest: Set<string>;
}

/**
 * Push sources are watched like polled ones: a push source never heard for `blindAfter` cycles
 * is a blind monitor (ops is told, once, and once when it is heard). `massSilence` or more
 * heartbeats silent in one cycle point at our own ingest path: those read Unknown rather than
 * Down (their PSAPs are alerted only if another witness agrees), and ops hears one alert.
 */
export function planPushAlerts(input: { watches: readonly PushWatch[]; prev: ReadonlyMap<string, SourceState>; blindAfter: number; massSilence: number; at: string }): PushPlan {
  const { watches, prev, blindAfter, massSilence, at } = input;
  const states = new Map<string, State>();
  const changed: OpsAlert[] = [];
  for (const w of watches) {
    const id = pushWatchId(w.sourceId);
    const before = prev.get(id);
    const { version: _v, ...base } = before ?? { sourceId: id, consecutiveFailures: 0, version: 0 };
    const streak = w.unreadable !== undefined ? base.consecutiveFailures + 1 : 0;
    let blind = base.blind;
    if (w.unreadable !== undefined && streak >= blindAfter && !blind) {
      blind = { id: blindEpisodeId(w.sourceId, at), since: at, lastError: w.unreadable, raised: false };
      changed.push(opsAlertOf('blind', blind, 'initial', [w.sourceId], w.components));
    } else if (w.unreadable === undefined && blind && blind.clearedAt === undefined) {
      blind = { ...blind, clearedAt: at };
      changed.push(opsAlertOf('blind', blind, 'final', [w.sourceId]));
    }
    if (before || streak > 0) states.set(id, withBlindEpisode({ ...base, consecutiveFailures: streak }, blind));
  }

  const silent = watches.filter((w) => w.silent).map((w) => w.sourceId);
  const suspected = silent.length >= Math.max(2, massSilence);
  const ingestPrev = prev.get(INGEST_RECORD_ID);
  if (suspected || ingestPrev) {
    const { version: _v, ...base } = ingestPrev ?? { sourceId: INGEST_RECORD_ID, consecutiveFailures: 0, version: 0 };
    let blind = base.blind;
    if (suspected && (!blind || blind.clearedAt !== undefined)) {
      blind = { id: ingestEpisodeId(at), since: at, raised: false, sourceIds: silent, lastError: `${silent.length} heartbeats silent at once` };
      changed.push(opsAlertOf('ingest', blind, 'initial', silent));
    } else if (!suspected && blind && blind.clearedAt === undefined) {
      blind = { ...blind, clearedAt: at };
      changed.push(opsAlertOf('ingest', blind, 'final', blind.sourceIds ?? []));
    }
    states.set(INGEST_RECORD_ID, withBlindEpisode({ ...base, consecutiveFailures: suspected ? base.consecutiveFailures + 1 : 0 }, blind));
  }
  return { states, changed, suspectIngest: new Set(suspected ? silent : []) };
}

/** The alerts an episode still owes ops, in order (raised, then cleared). */
export function owedAlerts(recordId: string, blind: BlindEpisode, model: Model): OpsAlert[] {
  const kind = recordId === EGRESS_RECORD_ID ? 'egress' : recordId === INGEST_RECORD_ID ? 'ingest' : 'blind';
  const sourceId = sourceOfWatch(recordId);
  const sources =
    kind === 'egress'
      ? model.config.sources.filter((s) => !isPush(s)).map((s) => s.id)
      : kind === 'ingest'
        ? (blind.sourceIds ?? model.config.sources.filter((s) => s.kind === 'heartbeat').map((s) => s.id))
        : [sourceId];
  const components = kind === 'blind' ? (model.config.sources.find((s) => s.id === sourceId)?.components.map((c) => c.id) ?? []) : undefined;
  const out: OpsAlert[] = [];
  if (!blind.raised) out.push(opsAlertOf(kind, blind, 'initial', sources, components));
  if (blind.clearedAt !== undefined) out.push(opsAlertOf(kind, blind, 'final', sources));
  return out;
}

function opsReason(alert: OpsAlert): DeliveryReason {
  if (alert.kind === 'blind') return alert.phase === 'initial' ? 'monitor-blind' : 'monitor-restored';
  if (alert.kind === 'ingest') return alert.phase === 'initial' ? 'ingest-suspected' : 'ingest-restored';
  return alert.phase === 'initial' ? 'egress-suspected' : 'egress-restored';
}

interface DeliverInput {
  store: Store;
  sender: Sender;
  clock: Clock;
  model: Model;
  log: Log;
  leaseMs: number;
}

/**
 * Sends one ops alert to every ops recipient on every channel. Settled when each delivery is
 * sent (or failed for good); a failed send stays pending and is retried by a later cycle.
 */
export async function deliverOpsAlert(input: DeliverInput, alert: OpsAlert, report: DeliveryReport): Promise<boolean> {
  const { store, sender, log } = input;
  // Ops may be on the DynamoDB roster too (roster add --role ops): read only when there is an alert.
  const recipients = opsRecipients((await rosterModel(input.model, store, log)).recipients);
  if (recipients.length === 0) {
    log.warn('ops alert has no recipient with role ops', { alertId: alert.id, kind: alert.kind, phase: alert.phase });
    return true;
  }
  const known = await store.listDeliveries(alert.id);
  let settled = true;
  for (const r of recipients) {
    const channels: Channel[] = [...(r.channels.sms ? ['sms' as const] : []), ...(r.channels.email ? ['email' as const] : [])];
    for (const channel of channels) {
      const previous = known.find((d) => d.seq === alert.seq && d.recipientId === r.id && d.channel === channel);
      if (previous && previous.status !== 'pending') continue;
      const now = input.clock.now();
      const { subject, text } = renderOpsAlert(alert, channel);
      const delivery: Delivery = {
        incidentId: alert.id,
        seq: alert.seq,
        recipientId: r.id,
        channel,
        phase: alert.phase,
        reason: opsReason(alert),
        role: r.role,
        address: (channel === 'sms' ? r.channels.sms : r.channels.email)!,
        ...(subject !== undefined ? { subject } : {}),
        text,
        status: 'pending',
        attempts: 1,
        leaseUntil: new Date(now.getTime() + input.leaseMs).toISOString(),
        createdAt: now.toISOString(),
      };
      const claim = await store.claimDelivery(delivery, now, input.leaseMs);
      if (claim === 'sent') continue;
      if (claim === 'busy') {
        settled = false;
        continue;
      }
      try {
        const { messageId } = await sender.send(delivery);
        await store.markDeliverySent(delivery, messageId, input.clock.now());
        report.sent.push({ ...delivery, status: 'sent', messageId, sentAt: input.clock.now().toISOString() });
      } catch (err) {
        settled = false;
        const error = redact((err as Error).message);
        const key: DeliveryKey = { incidentId: delivery.incidentId, seq: delivery.seq, recipientId: delivery.recipientId, channel };
        await store.markDeliveryFailed(key, error, input.clock.now());
        report.failed.push({ ...key, error });
        log.error('ops alert delivery failed; it will be retried', { ...key, error });
      }
    }
  }
  return settled;
}
