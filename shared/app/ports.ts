import type {
  Acknowledgement,
  ComponentState,
  Delivery,
  DeliveryKey,
  Incident,
  Notice,
  ServiceStateRecord,
  SourceState,
  Transition,
} from '../domain/records.js';

/**
 * The record (DESIGN.md step 4). One adapter implements it on DynamoDB; the same adapter runs
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
   * Claims a delivery before sending: creates it as pending, or takes over a pending one whose
   * lease has expired. 'sent' means it was already delivered; 'busy' that another worker holds it.
   */
  claimDelivery(d: Delivery, now: Date, leaseMs: number): Promise<'claimed' | 'sent' | 'busy'>;
  markDeliverySent(key: DeliveryKey, messageId: string, at: Date): Promise<void>;
  markDeliveryFailed(key: DeliveryKey, error: string, at: Date): Promise<void>;
  listDeliveries(incidentId: string): Promise<Delivery[]>;

  /** History: the first acknowledgement of a recipient for an incident is kept; later ones are no-ops. */
  putAck(ack: Acknowledgement): Promise<'created' | 'exists'>;
  listAcks(incidentId: string): Promise<Acknowledgement[]>;
}

/** The last hop. A sender resolves with the channel's message id only after the send succeeded. */
export interface Sender {
  send(delivery: Delivery): Promise<{ messageId: string }>;
}
