import type {
  Acknowledgement,
  ComponentState,
  Delivery,
  DeliveryKey,
  Incident,
  Notice,
  ProviderStatus,
  Publication,
  PublicationKey,
  RollCall,
  RosterEntry,
  ServiceStateRecord,
  SourceState,
  Transition,
} from '../domain/records.js';

/**
 * The record (the step between evaluate and route & render). One adapter implements it on DynamoDB; the same adapter runs
 * against dynalite locally and in tests. Every write is a single-item conditional write.
 * `save*` methods take the version the caller read (0 = the item must not exist yet) and throw
 * a DialtoneError with code STORE.CONFLICT when someone else wrote first.
 */
export interface Store {
  getComponentStates(ids: readonly string[]): Promise<Map<string, ComponentState>>;
  saveComponentState(next: ComponentState, expectedVersion: number): Promise<void>;

  getServiceStates(ids: readonly string[]): Promise<Map<string, ServiceStateRecord>>;
  saveServiceState(next: ServiceStateRecord, expectedVersion: number): Promise<void>;

  /** History: written once (a retry of the same transition is a no-op). */
  appendTransition(t: Transition): Promise<void>;
  listTransitions(subject: Transition['subject'], id: string): Promise<Transition[]>;

  getSourceStates(ids: readonly string[]): Promise<Map<string, SourceState>>;
  saveSourceState(next: SourceState, expectedVersion: number): Promise<void>;

  /** The open incident for a cause component, if any (one open incident per cause). */
  getOpenIncident(causeComponentId: string): Promise<Incident | undefined>;
  /** Creates the incident at version 1 and claims the cause's open slot; 'exists' if another invocation won. */
  createIncident(incident: Incident): Promise<'created' | 'exists'>;
  getIncident(id: string): Promise<Incident | undefined>;
  /** CAS on version; a resolved incident also frees the cause's open slot. */
  saveIncident(next: Incident, expectedVersion: number): Promise<void>;
  listOpenIncidents(): Promise<Incident[]>;
  listIncidents(): Promise<Incident[]>;

  /** Outbox: a notice is written once and stays pending until all its deliveries are settled. */
  putNotice(notice: Notice): Promise<'created' | 'exists'>;
  listPendingNotices(): Promise<Notice[]>;
  completeNotice(incidentId: string, seq: number): Promise<void>;
  listNotices(incidentId: string): Promise<Notice[]>;
  /**
   * The right to deliver a notice until `until` (one conditional write): 'busy' while another
   * holder's lease runs, 'done' once the notice has left the outbox. A holder that dies simply
   * lets it expire; the next holder re-sends what was not recorded (shared/app/deliver.ts).
   */
  leaseNotice(incidentId: string, seq: number, holder: string, now: Date, until: Date): Promise<'leased' | 'busy' | 'done'>;
  releaseNotice(incidentId: string, seq: number, holder: string): Promise<void>;
  /** Records what a lease holder sent, failed or settled, in batches (unconditional puts). */
  recordDeliveries(records: readonly Delivery[]): Promise<void>;

  /**
   * Claims a delivery before sending: creates it as pending, or takes over a pending one whose
   * lease has expired. 'sent' means it was already delivered; 'busy' that another worker holds it.
   */
  claimDelivery(d: Delivery, now: Date, leaseMs: number): Promise<'claimed' | 'sent' | 'busy'>;
  /** `bundleId`: the member of a bundle went out inside it (shared/app/deliver.ts). */
  markDeliverySent(key: DeliveryKey, messageId: string, at: Date, bundleId?: string): Promise<void>;
  /**
   * A failed send: the delivery stays pending, reclaimable from `retryAt` (default: at once);
   * after the last attempt it is `failed` for good and listed as a dead letter. Answers what it
   * became ('unchanged': it was no longer pending).
   */
  markDeliveryFailed(key: DeliveryKey, error: string, at: Date, retryAt?: Date): Promise<'pending' | 'failed' | 'unchanged'>;
  listDeliveries(incidentId: string): Promise<Delivery[]>;
  /** A terminal outcome other than sent: an SMS to an opted-out number is settled, never sent. */
  settleDelivery(key: DeliveryKey, status: 'opted-out', reason: string, at: Date): Promise<void>;
  /** Deliveries (and publications) failed for good, oldest first: the dead-letter list. */
  listDeadLetters(): Promise<Array<Delivery | Publication>>;
  /**
   * The delivery (or bundle) a provider's message id belongs to (delivery status feedback): an SMS
   * marked sent as itself is found by the id it was marked with.
   */
  findDeliveryByMessageId(messageId: string): Promise<Delivery | undefined>;
  /** What the provider reported after accepting a message; false when there is no such delivery. */
  recordProviderStatus(key: DeliveryKey, status: ProviderStatus): Promise<boolean>;

  /** The incident topic and EventBridge events of a notice: claimed and marked like deliveries. */
  claimPublication(key: PublicationKey, now: Date, leaseMs: number): Promise<'claimed' | 'sent' | 'busy'>;
  markPublicationSent(key: PublicationKey, messageId: string, at: Date): Promise<void>;
  markPublicationFailed(key: PublicationKey, error: string, at: Date, retryAt?: Date): Promise<'pending' | 'failed' | 'unchanged'>;
  listPublications(incidentId: string): Promise<Publication[]>;

  /** The DynamoDB part of the roster (merge rule: shared/app/roster.ts) and its roll calls. */
  listRoster(): Promise<RosterEntry[]>;
  putRosterEntry(entry: RosterEntry): Promise<void>;
  deleteRosterEntry(id: string): Promise<boolean>;
  putRollCall(rollCall: RollCall): Promise<void>;
  listRollCalls(): Promise<RollCall[]>;
  /** Records the reply to a roll call once: 'missing' when `id` is not the recipient's latest roll call. */
  confirmRollCall(recipientId: string, id: string, via: NonNullable<RollCall['via']>, at: Date): Promise<'confirmed' | 'already' | 'missing'>;

  /** History: the first acknowledgement of a recipient for an incident is kept; later ones are no-ops. */
  putAck(ack: Acknowledgement): Promise<'created' | 'exists'>;
  listAcks(incidentId: string): Promise<Acknowledgement[]>;
}

/** The last hop. A sender resolves with the channel's message id only after the send succeeded. */
export interface Sender {
  send(delivery: Delivery): Promise<{ messageId: string }>;
}

/** The texts of a notice for the incident topic's subscribers (MessageStructure json). */
export interface TopicBodies {
  subject: string;
  sms: string;
  email: string;
  default?: string;
}

/** The SNS topic that carries every notice (adapters/incident-topic.ts, or the local delivery log). */
export interface IncidentFeed {
  publish(notice: Notice, bodies: TopicBodies): Promise<{ messageId: string }>;
}

/**
 * EventBridge: the notice's Incident{Opened,Updated,Resolved}.v1 event plus ServiceStateChanged.v1
 * for each service whose state changed since the previous notice. Resolves once all were put;
 * throws otherwise (the publication is retried whole: consumers dedupe on the event's key).
 */
export interface EventSink {
  publish(notice: Notice, changes: readonly Transition[]): Promise<{ messageId: string }>;
}

export type OptOutAnswer = { status: 'opted-out' } | { status: 'opted-in' } | { status: 'unknown'; error: string };

/** SMS opt-outs (STOP replies), one instance per invocation: answers are cached for the run. */
export interface OptOuts {
  listOptedOut(): Promise<{ count: number; complete: boolean; error?: string }>;
  check(phone: string): Promise<OptOutAnswer>;
}

/** The account's SMS settings worth reporting (GetSMSAttributes). */
export interface SmsAccount {
  monthlySpendLimitUsd(): Promise<string | undefined>;
}

/**
 * A deployment's last hop: the one-recipient sender plus, optionally, what else it offers.
 * deliverPending finds these on the `sender` it is handed, so the poll, sweep and deliver use
 * cases all get them without new plumbing; a plain Sender (tests, benches) simply has none.
 */
export interface DeliveryChannels extends Sender {
  readonly topic?: IncidentFeed;
  readonly events?: EventSink;
  /** A fresh opt-out view for one invocation. */
  optOuts?(): OptOuts;
  readonly smsAccount?: SmsAccount;
  /** How pacing waits (default: a simulated clock is advanced, the real one slept on). */
  sleep?(ms: number): Promise<void>;
  /** Milliseconds left in this invocation (the Lambda context); undefined = no limit. */
  remainingMs?(): number | undefined;
}
