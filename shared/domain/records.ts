import type { ServiceState } from './nena.js';
import type { Observation } from './observation.js';
import type { Status } from './status.js';

/**
 * What the record holds. Current-state items carry a `version` for
 * compare-and-set; history items (transitions, notices, deliveries) are written once.
 */

/** A component's confirmed status plus the hysteresis counter for a status not yet confirmed. */
export interface ComponentState {
  componentId: string;
  status: Status;
  /** When the confirmed status began (ISO-8601 UTC). */
  since: string;
  /** When the upstream itself says the trouble began (an incident's start), if it says so and earlier. */
  reportedSince?: string;
  /** A different status seen on consecutive reads but not yet confirmed. */
  candidate?: Status;
  candidateCount: number;
  candidateSince?: string;
  /** Times of confirmed changes inside the flap window (flap damping). */
  changes?: string[];
  /** Set while the component is held as flapping: its status does not follow the reads. */
  flappingSince?: string;
  /** While flapping: the last read, and when the reads last changed (to see them settle). */
  lastRead?: Status;
  lastReadChangeAt?: string;
  version: number;
}

/** A 911 service's NENA state and the components that put it there. */
export interface ServiceStateRecord {
  serviceId: string;
  state: ServiceState;
  since: string;
  /** Components whose effect is the service's state (empty when Normal). */
  causes: string[];
  /**
   * The version of each dependency component this state was derived from. A write derived from
   * an older version than the stored one is refused, so a slow invocation cannot put back a
   * state another one already derived from newer components (shared/app/poll-cycle.ts).
   */
  basis?: Record<string, number>;
  version: number;
}

/** A recorded change of a component or service state, with the evidence behind it. */
export interface Transition {
  subject: 'component' | 'service';
  id: string;
  from: string;
  to: string;
  at: string;
  /** For a component: the observation that confirmed it. For a service: the causing components. */
  evidence: { observation?: Observation; causes?: string[]; flapping?: 'started' | 'ended' };
}

export type Phase = 'initial' | 'update' | 'final';
export type NoticeReason = 'opened' | 'changed' | 'confirmed' | 'escalated' | 'reminder' | 'resolved';
export type Certainty = 'suspected' | 'confirmed';
/**
 * Why a message went out: its notice's reason, an ops alert's (a monitor blind or restored, a
 * suspected egress problem or its end, an opted-out number, a dead letter), or a roll call.
 */
export type DeliveryReason = NoticeReason | 'monitor-blind' | 'monitor-restored' | 'egress-suspected' | 'egress-restored' | 'ingest-suspected' | 'ingest-restored' | 'opted-out' | 'dead-letter' | 'escalation-undeliverable' | 'undelivered' | 'roll-call';

export interface AffectedService {
  state: ServiceState;
  /** When the service entered its current state. */
  since: string;
  /** When it first went dark in this incident (for the escalation clock). */
  darkSince?: string;
  /** When it became impaired in this incident: a blind spell (Unknown) in between does not move it. */
  impairedSince?: string;
  /** Worst state seen in this incident. */
  worst: ServiceState;
}

export interface ConcurrentComponent {
  componentId: string;
  status: Status;
  since: string;
}

/**
 * Transitions grouped by cause: one upstream component's trouble and the 911 services it hit.
 * A planned maintenance window with `notify` is recorded the same way (kind "maintenance"), so
 * its start and end notices use the same outbox, routing and delivery bookkeeping.
 */
export interface Incident {
  id: string;
  /** Absent on outages. */
  kind?: 'maintenance';
  /** For a maintenance window: the occurrence's planned end. */
  plannedEnd?: string;
  causeComponentId: string;
  /** Confirmation time: when the first affected service transition was confirmed (the incident opened). */
  openedAt: string;
  /** Discovery: our first read that showed the trouble (before confirmation). */
  discoveredAt?: string;
  /** The earliest evidence: the discovery, or the upstream's own start of the trouble when earlier. */
  began?: string;
  status: 'open' | 'resolved';
  services: Record<string, AffectedService>;
  /** Upstream trouble in the same window that is not a declared dependency: never "the cause". */
  concurrent: ConcurrentComponent[];
  /** "suspected" on one source; "confirmed" once independent sources agree (or an authoritative one says so). */
  certainty: Certainty;
  /** The sources whose trouble supports the incident. */
  sources: string[];
  confirmedAt?: string;
  escalatedAt?: string;
  /** The escalation rules that fired (the liaison's email names them). */
  escalationRules?: string[];
  /**
   * The cause's own trouble is over while the incident stays open (another witness still shows
   * its services impaired, an agency post say): notices stop saying the provider reports an outage.
   */
  causeClearedAt?: string;
  resolvedAt?: string;
  /** Sequence number of the last notice issued (0 = none yet). */
  noticeSeq: number;
  lastNoticeAt?: string;
  /**
   * When everyone told last heard a notice: the update clock. An escalation, which only the FCC
   * liaisons receive, does not move it.
   */
  lastUpdateAt?: string;
  version: number;
}

/** One message about an incident phase; the unit that routing fans out. */
export interface Notice {
  incidentId: string;
  seq: number;
  phase: Phase;
  reason: NoticeReason;
  createdAt: string;
  /** The incident as it was when the notice was issued: rendering reads only this. */
  incident: Incident;
}

export type Channel = 'sms' | 'email';
/**
 * pending → sent, or → failed after the last attempt (a dead letter: ops is alerted), or
 * → opted-out (an SMS to a number that replied STOP: never sent; the recipient's other channel
 * and ops are told instead). Only pending is ever claimed again.
 */
export type DeliveryStatus = 'pending' | 'sent' | 'failed' | 'opted-out';

export interface DeliveryKey {
  incidentId: string;
  seq: number;
  recipientId: string;
  channel: Channel;
}

/** One notice to one recipient on one channel, with its outcome. */
/** What a delivery and a publication record of their attempts. */
export interface Attempts {
  attempts: number;
  /** Not tried again before this time: a claim's lease, or a failed send's backoff. */
  leaseUntil: string;
  createdAt: string;
  sentAt?: string;
  messageId?: string;
  error?: string;
  lastErrorAt?: string;
}

export interface Delivery extends DeliveryKey, Attempts {
  phase: Phase;
  role: string;
  /** Full address: only ever sent to the channel, never logged (see maskAddress). */
  address: string;
  subject?: string;
  text: string;
  status: DeliveryStatus;
  /** Absent on records written before deliveries carried it. A bundle's members carry theirs. */
  reason?: DeliveryReason;
  /**
   * A bundle (shared/app/deliver.ts): one message that carried several notices to this recipient
   * in one phase. Its key is (bundle id, 1, recipient, channel); each member keeps its own
   * delivery record, marked sent with the bundle's messageId and `bundleId`.
   */
  members?: BundleMember[];
  /** Set on a member delivery that went out inside a bundle. */
  bundleId?: string;
  /** What the channel reported after accepting the message (SNS SMS delivery status logs). */
  provider?: ProviderStatus;
}

export interface BundleMember {
  incidentId: string;
  seq: number;
  reason?: DeliveryReason;
}

export interface ProviderStatus {
  status: 'delivered' | 'failed';
  /** The provider's words, e.g. "Message has been accepted by phone carrier" or "Phone is currently unreachable". */
  reason?: string;
  /** When the provider reported it. */
  at: string;
  /** The carrier's words say the number opted out (replied STOP). */
  optedOut?: true;
  /**
   * A failed SMS of a notice, and what followed (shared/app/delivery-status.ts): `email`: the
   * recipient was reached on its email (the notice's own email, or one sent now in its place);
   * `ops`: no channel was left and ops was alerted.
   */
  fallback?: 'email' | 'ops';
}

/** Once-per-notice publications for other systems: the incident SNS topic and EventBridge events. */
export type PublicationTarget = 'topic' | 'events';

export interface PublicationKey {
  incidentId: string;
  seq: number;
  target: PublicationTarget;
}

/** Tracked like a delivery: claimed, sent once, retried with backoff, a dead letter after the last attempt. */
export interface Publication extends PublicationKey, Attempts {
  status: 'pending' | 'sent' | 'failed';
  /** SNS MessageId, or the EventBridge event ids joined with commas. */
  messageId?: string;
}

/**
 * The DynamoDB part of the roster (shared/app/roster.ts): adds a recipient, overrides a config
 * recipient with the same id, or (removed) hides a config recipient.
 */
export interface RosterEntry {
  id: string;
  /** Absent on a removal (a tombstone for a recipient the config still lists). */
  recipient?: unknown;
  removed?: boolean;
  updatedAt: string;
}

/** A roll call (`dialtone roster verify`): a test message with its own key and ack code, and the reply. */
export interface RollCall {
  recipientId: string;
  /** The delivery key's incidentId (RC-…); its ack code is ackCode(id). */
  id: string;
  code: string;
  channels: Channel[];
  sentAt: string;
  confirmedAt?: string;
  via?: 'reply' | 'link' | 'cli';
  /** Only the latest roll call is kept: an earlier one's confirmation, carried forward (`roster verify --report`). */
  lastConfirmedAt?: string;
}

/** An agency saying "we know": its texts stop asking for an acknowledgement (updates go on), and it counts against no-ack escalation. */
export interface Acknowledgement {
  incidentId: string;
  recipientId: string;
  at: string;
  via: 'link' | 'reply' | 'cli';
}

/** What a source adapter remembers between polls (conditional GET and unchanged-body skip). */
export interface SourceState {
  sourceId: string;
  etag?: string;
  lastModified?: string;
  bodyHash?: string;
  consecutiveFailures: number;
  /** When a new payload was last read (an unchanged read does not move it: no write per poll). */
  lastChangedAt?: string;
  /** Not fetched again before this time: the upstream throttled us (Retry-After on 429/503, exponential backoff). */
  retryAfterUntil?: string;
  /** Consecutive throttled responses: the exponent of the backoff (reset by a good read). */
  backoffCount?: number;
  /** Heartbeat sources: when the last authenticated heartbeat arrived. */
  lastHeartbeatAt?: string;
  /** Push sources: what the source last said, upstream items still open, recent dedupe keys. */
  push?: PushState;
  /** Owned by the poll cycle: this source's "monitor blind" episode and whether ops has been told. */
  blind?: BlindEpisode;
  /**
   * Owned by the poll cycle (shared/app/poll-cycle.ts, "steady state"): this payload has been
   * applied, the source's components are settled and everything was derived from them, so an
   * unchanged read of it changes nothing and its components are not read. Absent: not settled.
   */
  settled?: true;
  version: number;
}

/** What a push source said last: re-read by every poll cycle until the next push changes it. */
export interface PushedStatus {
  status: Status;
  at: string;
  title?: string;
  url?: string;
  upstreamId?: string;
  error?: string;
}

export interface PushState {
  /** Per component: the standing status from the latest push. */
  standing: Record<string, PushedStatus>;
  /** Per component: upstream items still open (e.g. AWS Health eventArn) and the status each says. */
  open?: Record<string, Record<string, Status>>;
  /** Dedupe keys (and signatures) of recently accepted pushes, newest first, bounded. */
  seen: string[];
  lastPushAt?: string;
}

/**
 * One "monitor blind" episode (a source unreadable for `blindAfter` reads) or one suspected
 * egress problem (every polled source failing): ops hears once when it starts and once when it
 * ends. `id` is the delivery key of both alerts (seq 1 raised, seq 2 cleared).
 */
export interface BlindEpisode {
  id: string;
  since: string;
  lastError?: string;
  /** Every ops delivery of the "raised" alert has settled. */
  raised: boolean;
  /** When the source read again (or a cycle was not all-failing); the "cleared" alert is owed. */
  clearedAt?: string;
  /** Ingest episodes: the heartbeat sources that went silent together. */
  sourceIds?: string[];
}
