import type { RecipientConfig } from '../config/schema.js';
import type { BlindEpisode, Channel } from './records.js';
import { clockTime, composeSms, durationText, SUBJECT_LIMIT, truncate } from './text.js';

/**
 * "Unknown is not healthy, and not an outage": when we cannot see, ops hears about it, nobody
 * else does. Two kinds of ops alert, each an episode with a start and an end:
 * - `blind`: one source unreadable for `blindAfter` reads in a row (its components go Unknown);
 * - `egress`: every polled source failed in the same cycle, `blindAfter` cycles in a row: our
 *   own network is the likelier cause, so it is one alert instead of one per source.
 * Each alert is delivered like a notice (claimed, sent, marked sent after success) under its
 * own delivery key: incidentId = the episode id, seq 1 = raised, seq 2 = cleared. So it is sent
 * once per episode and once on recovery, whatever retries or concurrent cycles do.
 */
export type OpsAlertKind = 'blind' | 'egress' | 'ingest';

export interface OpsAlert {
  /** The episode id: the delivery key's incidentId. */
  id: string;
  seq: 1 | 2;
  kind: OpsAlertKind;
  phase: 'initial' | 'final';
  /** blind: the source; egress: the sources that failed. */
  sourceIds: string[];
  since: string;
  /** When it was raised or cleared. */
  at: string;
  /** The last error seen (raised alerts). */
  error?: string;
  /** blind: the components now Unknown. */
  components?: string[];
}

/** The id `_egress` cannot be a configured source id (ids start with a letter or digit). */
export const EGRESS_RECORD_ID = '_egress';
/** Many heartbeats silent at once: our own ingest path is the likelier cause (one record, like egress). */
export const INGEST_RECORD_ID = '_ingest';
/** A push source's blind episode lives beside the source's own record (which ingest writes). */
export const pushWatchId = (sourceId: string) => `_push.${sourceId}`;
export const sourceOfWatch = (recordId: string) => (recordId.startsWith('_push.') ? recordId.slice('_push.'.length) : recordId);

const compact = (iso: string) => iso.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');

export function blindEpisodeId(sourceId: string, since: string): string {
  return `OPS-BLIND-${sourceId}-${compact(since)}`;
}

export function egressEpisodeId(since: string): string {
  return `OPS-EGRESS-${compact(since)}`;
}

export function ingestEpisodeId(since: string): string {
  return `OPS-INGEST-${compact(since)}`;
}

export function opsAlertOf(kind: OpsAlertKind, episode: BlindEpisode, phase: 'initial' | 'final', sourceIds: string[], components?: string[]): OpsAlert {
  return {
    id: episode.id,
    seq: phase === 'initial' ? 1 : 2,
    kind,
    phase,
    sourceIds,
    since: episode.since,
    at: phase === 'initial' ? episode.since : (episode.clearedAt ?? episode.since),
    ...(episode.lastError !== undefined && phase === 'initial' ? { error: episode.lastError } : {}),
    ...(components && components.length > 0 ? { components } : {}),
  };
}

/** Ops alerts go to recipients with role ops, and to nobody else. */
export function opsRecipients(recipients: readonly RecipientConfig[]): RecipientConfig[] {
  return recipients.filter((r) => r.role === 'ops');
}

export function renderOpsAlert(alert: OpsAlert, channel: Channel): { subject?: string; text: string } {
  const t = (iso: string) => clockTime(iso, 'UTC');
  const sources = alert.sourceIds.join(', ');
  const lines: string[] = [];
  let headline: string;
  let sms: Array<{ text: string; optional?: boolean }>;
  if (alert.kind === 'blind' && alert.phase === 'initial') {
    headline = `monitor blind: source ${sources}`;
    sms = [
      { text: `dialtone OPS: monitor BLIND, source ${sources} unreadable since ${t(alert.since)}.` },
      { text: alert.components ? `Unknown (not down): ${alert.components.join(', ')}.` : '', optional: true },
      { text: alert.error ? `Last error: ${alert.error}` : '', optional: true },
    ];
    lines.push(
      `Source "${sources}" could not be read on consecutive polls; dialtone is blind to it since ${t(alert.since)}.`,
      'Its components are Unknown: not healthy, and not an outage. Nobody outside ops is told.',
      ...(alert.components ? [`Components: ${alert.components.join(', ')}`] : []),
      ...(alert.error ? [`Last error: ${alert.error}`] : []),
    );
  } else if (alert.kind === 'blind') {
    headline = `monitor restored: source ${sources}`;
    sms = [{ text: `dialtone OPS: monitor restored, source ${sources} readable again at ${t(alert.at)} after ${durationText(alert.since, alert.at)} blind.` }];
    lines.push(`Source "${sources}" is readable again at ${t(alert.at)} (blind for ${durationText(alert.since, alert.at)}).`);
  } else if (alert.kind === 'egress' && alert.phase === 'initial') {
    headline = 'suspected local egress problem';
    sms = [
      { text: `dialtone OPS: suspected LOCAL EGRESS problem: all ${alert.sourceIds.length} polled sources failing since ${t(alert.since)}.` },
      { text: 'Check our network, DNS, NAT first.', optional: true },
      { text: 'Components held at last known state.', optional: true },
    ];
    lines.push(
      `Every polled source (${alert.sourceIds.length}: ${sources}) failed in the same cycles since ${t(alert.since)}.`,
      'When everything fails at once, our own egress (network, DNS, NAT, proxy, SSRF allow list) is the likelier cause: check it before the vendors.',
      'Until it clears, failures do not mark components Unknown: they are held at their last known state, and no per-source blind alerts are sent.',
      ...(alert.error ? [`Last error: ${alert.error}`] : []),
    );
  } else if (alert.kind === 'ingest' && alert.phase === 'initial') {
    headline = 'suspected ingest problem: heartbeats silent at once';
    sms = [
      { text: `dialtone OPS: ${alert.sourceIds.length} heartbeats silent at once since ${t(alert.since)}: suspect OUR ingest path (API, DNS, certificate) first.` },
      { text: 'PSAPs not alerted on heartbeats alone.', optional: true },
    ];
    lines.push(
      `Heartbeats from ${alert.sourceIds.length} PSAPs (${sources}) stopped in the same cycle since ${t(alert.since)}.`,
      'Many PSAPs going silent together says more about our own ingest path (the HTTP API, its DNS or certificate, the ingest function) than about the PSAPs: check it first.',
      'Until it clears, those heartbeats read Unknown, not Down: their PSAPs are alerted only if another witness (a vendor page, an agency post) agrees.',
    );
  } else if (alert.kind === 'ingest') {
    headline = 'heartbeats arriving again';
    sms = [{ text: `dialtone OPS: heartbeats arriving again at ${t(alert.at)} after ${durationText(alert.since, alert.at)} of mass silence.` }];
    lines.push(`Heartbeats arrive again at ${t(alert.at)} (silent together for ${durationText(alert.since, alert.at)}).`);
  } else {
    headline = 'egress restored';
    sms = [{ text: `dialtone OPS: egress restored at ${t(alert.at)}, sources readable again after ${durationText(alert.since, alert.at)}.` }];
    lines.push(`Polled sources are readable again at ${t(alert.at)} (all failing for ${durationText(alert.since, alert.at)}).`);
  }
  if (channel === 'sms') return { text: composeSms([...sms, { text: `Ref ${alert.id}`, optional: true }]) };
  return {
    subject: truncate(`[dialtone] OPS: ${headline}`, SUBJECT_LIMIT),
    text: `${[`dialtone ops alert - ${headline}`, '', ...lines, '', `Reference: ${alert.id}`].join('\n')}\n`,
  };
}
