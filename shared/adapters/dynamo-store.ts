/**
 * The `Store` port on one DynamoDB table (key schema: table.ts). The same code runs against
 * real DynamoDB and dynalite, so every write is a single-item conditional write: no
 * transactions, PartiQL or streams.
 *
 * ACCESS PATTERNS
 *
 * | pattern                        | key condition                                                  | operation                                              |
 * |--------------------------------|----------------------------------------------------------------|--------------------------------------------------------|
 * | component states (poll cycle)  | pk = COMP#<id>, sk = STATE                                     | BatchGetItem, 100 keys a call, consistent read         |
 * | save a component state         | pk = COMP#<id>, sk = STATE                                     | PutItem if attribute_not_exists(pk) / #version = :expected |
 * | service states / save one      | pk = SVC#<id>, sk = STATE                                      | BatchGetItem / conditional PutItem (as above)          |
 * | source states / save one       | pk = SRC#<id>, sk = STATE                                      | BatchGetItem / conditional PutItem (as above)          |
 * | record a transition            | pk = COMP#<id> or SVC#<id>, sk = TR#<at>#<from>#<to>           | PutItem if attribute_not_exists(pk) (retry = no-op)    |
 * | transitions of a subject       | pk = COMP#<id> or SVC#<id>, sk begins_with TR#                 | Query, consistent, oldest first                        |
 * | claim a cause's open slot      | pk = OPEN#<causeComponentId>, sk = INCIDENT                    | PutItem if attribute_not_exists(pk)                    |
 * | open incident of a cause       | OPEN#<cause>/INCIDENT, then INC#<id>/META                      | GetItem × 2                                            |
 * | incident by id / save one      | pk = INC#<id>, sk = META                                       | GetItem / conditional PutItem                          |
 * | free a cause's slot on resolve | pk = OPEN#<cause>, sk = INCIDENT                               | DeleteItem if incidentId = :id                         |
 * | open incidents                 | gsi1pk = INCIDENT#open (gsi1sk = <openedAt>#<id>)              | Query gsi1                                             |
 * | all incidents                  | gsi1pk = INCIDENT#open, then INCIDENT#resolved                 | Query gsi1 × 2, merged by openedAt                     |
 * | write a notice                 | pk = INC#<id>, sk = NOTICE#<seq:6>                             | PutItem if attribute_not_exists(pk)                    |
 * | pending notices (outbox)       | gsi1pk = OUTBOX (sparse; gsi1sk = <createdAt>#<id>#<seq:6>)    | Query gsi1                                             |
 * | complete a notice              | pk = INC#<id>, sk = NOTICE#<seq:6>                             | UpdateItem REMOVE gsi1pk, gsi1sk, lease if attribute_exists(pk) |
 * | lease a notice for delivery    | same                                                           | UpdateItem SET holder, until if in the outbox and free/expired/ours |
 * | notices of an incident         | pk = INC#<id>, sk begins_with NOTICE#                          | Query, consistent                                      |
 * | record deliveries (lease holder)| pk = INC#<id>, sk = DLV#<seq:6>#<recipientId>#<channel>       | BatchWriteItem, 25 puts a call, index keys with them   |
 * | claim a delivery (ops alerts)  | same                                                           | UpdateItem if absent, or pending with leaseUntil < now |
 * | mark a delivery sent / failed  | same                                                           | UpdateItem if status = pending                         |
 * | deliveries of an incident      | pk = INC#<id>, sk begins_with DLV#                             | Query, consistent                                      |
 * | settle as opted-out            | pk = INC#<id>, sk = DLV#…                                      | UpdateItem if status = pending                         |
 * | dead letters                   | gsi1pk = DEADLETTER (sparse; gsi1sk = <at>#<pk>#<sk>)          | set by the final markDeliveryFailed; Query gsi1        |
 * | bundle (one message, n notices)| pk = INC#<BDL-id>, sk = DLV#000001#<recipientId>#<channel>     | as a delivery; members are marked with its bundleId    |
 * | message id → delivery          | gsi1pk = MSG#<messageId>, gsi1sk = MSG (on the SMS sent)        | set by markDeliverySent; Query gsi1 (status feedback)  |
 * | provider status of a delivery  | pk = INC#<id>, sk = DLV#…                                      | UpdateItem SET provider if attribute_exists(pk)        |
 * | topic / events of a notice     | pk = INC#<id>, sk = PUB#<seq:6>#<topic|events>                 | claimed and marked like a delivery                     |
 * | roster entries                 | pk = ROSTER, sk begins_with R#                                 | Query, consistent; PutItem / DeleteItem by id          |
 * | roll calls                     | pk = ROSTER, sk begins_with RC#  (RC#<recipientId>: the latest) | Query; PutItem; UpdateItem if id = :id (the reply)     |
 *
 * Versions: `save*(next, expectedVersion)` stores `version = expectedVersion + 1` whatever
 * `next.version` says (the domain hands back the version it read); createIncident stores
 * version 1. The object read back is what was saved with that version.
 *
 * Open incidents: the OPEN#<cause> slot is claimed first and carries a copy of the new
 * incident, then INC#<id> is written. If a creator dies between the two writes, getOpenIncident
 * returns undefined (never a half-made incident), and the next createIncident for that cause
 * finishes the dead creator's write from the copy and answers 'exists'. If saveIncident dies
 * after resolving but before freeing the slot, the next createIncident frees it.
 *
 * Notices are delivered under a lease (leaseNotice): its holder records what it sent with
 * recordDeliveries, unconditionally (only the holder writes a leased notice's deliveries).
 *
 * Deliveries claimed one by one (ops alerts, roll calls): claimDelivery sets status `pending`, counts the claim in `attempts` and leases the
 * delivery until now + leaseMs. markDeliveryFailed keeps it `pending` with `leaseUntil = at`
 * (reclaimable at once, or from the caller's `retryAt`: backoff) and records `error` and
 * `lastErrorAt`; a delivery that has failed MAX_DELIVERY_ATTEMPTS claims becomes `failed` for
 * good, joins the sparse DEADLETTER index, and claiming it answers 'busy'. Publications (the
 * incident topic, EventBridge events) follow the same rules under PUB# sort keys.
 *
 * Message ids: marking an SMS sent (a single delivery, or a bundle's own record; not its members)
 * also puts it on gsi1 under MSG#<messageId>, so delivery-status feedback finds it with one Query
 * and no pointer item is written per SMS (a storm sends thousands). A sent delivery never joins
 * the DEADLETTER partition (only a pending one can fail), so the two uses of gsi1 never meet.
 * Pointer items (pk = MSG#<messageId>) written before this are still read.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { Store } from '../app/ports.js';
import { MAX_DELIVERY_ATTEMPTS } from '../app/send.js';
import { DialtoneError } from '../domain/errors.js';
import type {
  ComponentState,
  Acknowledgement,
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
import { TABLE_KEYS } from './table.js';

/** Claims of one delivery after which a failure is final. */
export { MAX_DELIVERY_ATTEMPTS };

const PK = TABLE_KEYS.partitionKey;
const SK = TABLE_KEYS.sortKey;
const GSI = TABLE_KEYS.gsi1;
const KEY_ATTRIBUTES = [PK, SK, GSI.partitionKey, GSI.sortKey];

const BATCH_GET_LIMIT = 100; // DynamoDB's maximum keys per BatchGetItem
const BATCH_GET_CONCURRENCY = 4;
const BATCH_GET_MAX_ATTEMPTS = 5;
const BATCH_GET_BASE_DELAY_MS = 25;
/** Rounds of createIncident before giving up: each round means another writer moved the slot. */
const CREATE_INCIDENT_ROUNDS = 3;

/** Delivery fields the store manages; the claimer's values for them are ignored. */
const STORE_OWNED_DELIVERY_FIELDS = new Set(['status', 'attempts', 'leaseUntil', 'createdAt', 'sentAt', 'messageId', 'error', 'lastErrorAt']);

const OUTBOX = 'OUTBOX';
const DEAD_LETTERS = 'DEADLETTER';
const BATCH_WRITE_LIMIT = 25; // DynamoDB's maximum requests per BatchWriteItem
/** A notice's delivery lease (leaseNotice): who holds it, until when. Not part of the Notice. */
const LEASE_HOLDER = 'deliveryLeaseHolder';
const LEASE_UNTIL = 'deliveryLeaseUntil';

function noticeOf(item: Item): Notice {
  const { [LEASE_HOLDER]: _holder, [LEASE_UNTIL]: _until, ...rest } = toDomain<Notice & Record<string, unknown>>(item);
  return rest as Notice;
}

/** Dead letters sort by when they failed, then by item. */
const deadLetterSortKey = (at: string, k: Key) => `${at}#${k[PK]}#${k[SK]}`;

/** The index keys a delivery record carries: a sent SMS (alone or a bundle's own) by message id; a dead letter. */
function deliveryIndex(d: Delivery): Item {
  if (d.status === 'sent' && d.channel === 'sms' && d.bundleId === undefined && d.messageId !== undefined) return { [GSI.partitionKey]: messageKey(d.messageId), [GSI.sortKey]: 'MSG' };
  if (d.status === 'failed') {
    const k = keys.delivery(d);
    return { [GSI.partitionKey]: DEAD_LETTERS, [GSI.sortKey]: deadLetterSortKey(d.lastErrorAt ?? d.createdAt, k) };
  }
  return {};
}
const ROSTER = 'ROSTER';
const OPEN_INCIDENTS = 'INCIDENT#open';
const RESOLVED_INCIDENTS = 'INCIDENT#resolved';

type Key = Record<string, string>;
type Item = Record<string, unknown>;

/** What OPEN#<cause> holds: the incident that owns the slot, and its creation copy for roll-forward. */
interface OpenSlot {
  incidentId: string;
  incident: Incident;
}

const pad = (seq: number) => String(seq).padStart(6, '0');
const messageKey = (messageId: string) => `MSG#${messageId}`;
const key = (pk: string, sk: string): Key => ({ [PK]: pk, [SK]: sk });

const keys = {
  component: (id: string) => key(`COMP#${id}`, 'STATE'),
  service: (id: string) => key(`SVC#${id}`, 'STATE'),
  source: (id: string) => key(`SRC#${id}`, 'STATE'),
  subject: (subject: Transition['subject'], id: string) => `${subject === 'component' ? 'COMP' : 'SVC'}#${id}`,
  transition: (t: Transition) => key(keys.subject(t.subject, t.id), `TR#${t.at}#${t.from}#${t.to}`),
  incident: (id: string) => key(`INC#${id}`, 'META'),
  openSlot: (causeComponentId: string) => key(`OPEN#${causeComponentId}`, 'INCIDENT'),
  notice: (incidentId: string, seq: number) => key(`INC#${incidentId}`, `NOTICE#${pad(seq)}`),
  delivery: (k: DeliveryKey) => key(`INC#${k.incidentId}`, `DLV#${pad(k.seq)}#${k.recipientId}#${k.channel}`),
  publication: (k: PublicationKey) => key(`INC#${k.incidentId}`, `PUB#${pad(k.seq)}#${k.target}`),
  /** Pointer items written before message ids went on gsi1 (read only). */
  message: (messageId: string) => key(messageKey(messageId), 'MSG'),
  rosterEntry: (id: string) => key(ROSTER, `R#${id}`),
  rollCall: (recipientId: string) => key(ROSTER, `RC#${recipientId}`),
};

const incidentIndex = (i: Incident) => ({
  [GSI.partitionKey]: i.status === 'open' ? OPEN_INCIDENTS : RESOLVED_INCIDENTS,
  [GSI.sortKey]: `${i.openedAt}#${i.id}`,
});

/** The domain object as it was saved: table and index keys removed. */
function toDomain<T>(item: Item): T {
  const rest = { ...item };
  for (const attribute of KEY_ATTRIBUTES) delete rest[attribute];
  return rest as T;
}

interface Condition {
  expression: string;
  names: Record<string, string>;
  values: Record<string, unknown>;
}

/** Each stored basis entry, if there is one, is no newer than ours. */
function basisCondition(basis: Record<string, number> | undefined): Condition | undefined {
  const entries = Object.entries(basis ?? {});
  if (entries.length === 0) return undefined;
  const names: Record<string, string> = { '#basis': 'basis' };
  const values: Record<string, unknown> = {};
  const terms = entries.map(([component, version], i) => {
    names[`#b${i}`] = component;
    values[`:b${i}`] = version;
    return `(attribute_not_exists(#basis.#b${i}) OR #basis.#b${i} <= :b${i})`;
  });
  return { expression: terms.join(' AND '), names, values };
}

function isConditionFailure(err: unknown): boolean {
  return err instanceof Error && err.name === 'ConditionalCheckFailedException';
}

function conflict(what: string, message: string, details: Record<string, unknown>): DialtoneError {
  return new DialtoneError('STORE.CONFLICT', `${what}: ${message}`, details);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class DynamoStore implements Store {
  private readonly doc: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(opts: { client: DynamoDBClient; tableName: string }) {
    // Optional domain fields arrive as `undefined`; DynamoDB has no such value.
    this.doc = DynamoDBDocumentClient.from(opts.client, { marshallOptions: { removeUndefinedValues: true } });
    this.tableName = opts.tableName;
  }

  // ── current state ────────────────────────────────────────────────────────────────────────

  getComponentStates(ids: readonly string[]): Promise<Map<string, ComponentState>> {
    return this.getMany(ids, keys.component, (s: ComponentState) => s.componentId);
  }

  saveComponentState(next: ComponentState, expectedVersion: number): Promise<void> {
    return this.putVersioned(`component state ${next.componentId}`, keys.component(next.componentId), next, expectedVersion);
  }

  getServiceStates(ids: readonly string[]): Promise<Map<string, ServiceStateRecord>> {
    return this.getMany(ids, keys.service, (s: ServiceStateRecord) => s.serviceId);
  }

  /** Compare-and-set on the version, and never derived from older components than the stored state. */
  saveServiceState(next: ServiceStateRecord, expectedVersion: number): Promise<void> {
    return this.putVersioned(`service state ${next.serviceId}`, keys.service(next.serviceId), next, expectedVersion, {}, basisCondition(next.basis));
  }

  getSourceStates(ids: readonly string[]): Promise<Map<string, SourceState>> {
    return this.getMany(ids, keys.source, (s: SourceState) => s.sourceId);
  }

  saveSourceState(next: SourceState, expectedVersion: number): Promise<void> {
    return this.putVersioned(`source state ${next.sourceId}`, keys.source(next.sourceId), next, expectedVersion);
  }

  // ── transitions ──────────────────────────────────────────────────────────────────────────

  /** The sort key is derived from the transition, so a retry hits the same item; the first write wins. */
  async appendTransition(t: Transition): Promise<void> {
    await this.putIfAbsent({ ...t, ...keys.transition(t) });
  }

  async listTransitions(subject: Transition['subject'], id: string): Promise<Transition[]> {
    const items = await this.queryPrefix(keys.subject(subject, id), 'TR#');
    return items.map((item) => toDomain<Transition>(item));
  }

  // ── incidents ────────────────────────────────────────────────────────────────────────────

  async getOpenIncident(causeComponentId: string): Promise<Incident | undefined> {
    const slot = await this.get<OpenSlot>(keys.openSlot(causeComponentId));
    if (!slot) return undefined;
    const incident = await this.getIncident(slot.incidentId);
    // Missing: its creator died between the two writes. Resolved: saveIncident died before
    // freeing the slot. Either way there is no open incident to return; createIncident repairs.
    return incident?.status === 'open' ? incident : undefined;
  }

  async createIncident(incident: Incident): Promise<'created' | 'exists'> {
    const created: Incident = { ...incident, version: 1 };
    const slotKey = keys.openSlot(incident.causeComponentId);
    for (let round = 0; round < CREATE_INCIDENT_ROUNDS; round++) {
      const slot: OpenSlot = { incidentId: created.id, incident: created };
      if (await this.putIfAbsent({ ...slot, ...slotKey })) {
        await this.materializeIncident(created);
        return 'created';
      }
      const holder = await this.get<OpenSlot>(slotKey);
      if (!holder) continue; // freed since our put: try again
      if (holder.incidentId === created.id) {
        // A retry of our own create that died after claiming the slot.
        await this.materializeIncident(holder.incident);
        return 'created';
      }
      const current = (await this.getIncident(holder.incidentId)) ?? (await this.materializeIncident(holder.incident));
      if (current.status === 'open') return 'exists';
      await this.releaseSlot(incident.causeComponentId, holder.incidentId);
    }
    throw conflict(`open incident slot for ${incident.causeComponentId}`, 'kept changing while creating', {
      causeComponentId: incident.causeComponentId,
      incidentId: incident.id,
    });
  }

  async getIncident(id: string): Promise<Incident | undefined> {
    return this.get<Incident>(keys.incident(id));
  }

  async saveIncident(next: Incident, expectedVersion: number): Promise<void> {
    await this.putVersioned(`incident ${next.id}`, keys.incident(next.id), next, expectedVersion, incidentIndex(next));
    if (next.status === 'resolved') await this.releaseSlot(next.causeComponentId, next.id);
  }

  /** From the index, which is eventually consistent: a just-created incident may lag briefly. */
  async listOpenIncidents(): Promise<Incident[]> {
    return (await this.queryIndex(OPEN_INCIDENTS)).map((item) => toDomain<Incident>(item));
  }

  async listIncidents(): Promise<Incident[]> {
    const [open, resolved] = await Promise.all([this.queryIndex(OPEN_INCIDENTS), this.queryIndex(RESOLVED_INCIDENTS)]);
    const bySortKey = (a: Item, b: Item) => String(a[GSI.sortKey]).localeCompare(String(b[GSI.sortKey]));
    return [...open, ...resolved].sort(bySortKey).map((item) => toDomain<Incident>(item));
  }

  // ── notices (outbox) ─────────────────────────────────────────────────────────────────────

  async putNotice(notice: Notice): Promise<'created' | 'exists'> {
    const outbox = {
      [GSI.partitionKey]: OUTBOX,
      [GSI.sortKey]: `${notice.createdAt}#${notice.incidentId}#${pad(notice.seq)}`,
    };
    const created = await this.putIfAbsent({ ...notice, ...outbox, ...keys.notice(notice.incidentId, notice.seq) });
    return created ? 'created' : 'exists';
  }

  /** From the sparse index, oldest first; eventually consistent like every index read. */
  async listPendingNotices(): Promise<Notice[]> {
    return (await this.queryIndex(OUTBOX)).map(noticeOf);
  }

  /** Leaves the outbox index and drops any delivery lease; idempotent. The condition stops UpdateItem from creating a stub. */
  async completeNotice(incidentId: string, seq: number): Promise<void> {
    const done = await this.tryWrite(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.notice(incidentId, seq),
          UpdateExpression: 'REMOVE #gpk, #gsk, #holder, #until',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK, '#gpk': GSI.partitionKey, '#gsk': GSI.sortKey, '#holder': LEASE_HOLDER, '#until': LEASE_UNTIL },
        }),
      ),
    );
    if (!done) throw new Error(`notice ${seq} of incident ${incidentId} does not exist`);
  }

  /**
   * One conditional write on the notice item: `holder` may deliver it until `until`. Granted when
   * the notice is still in the outbox and nobody else holds an unexpired lease (or `holder`
   * already does); 'done' when it has left the outbox (or does not exist).
   */
  async leaseNotice(incidentId: string, seq: number, holder: string, now: Date, until: Date): Promise<'leased' | 'busy' | 'done'> {
    const leased = await this.tryWrite(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.notice(incidentId, seq),
          UpdateExpression: 'SET #holder = :holder, #until = :until',
          ConditionExpression: 'attribute_exists(#pk) AND attribute_exists(#gpk) AND (attribute_not_exists(#holder) OR #until <= :now OR #holder = :holder)',
          ExpressionAttributeNames: { '#pk': PK, '#gpk': GSI.partitionKey, '#holder': LEASE_HOLDER, '#until': LEASE_UNTIL },
          ExpressionAttributeValues: { ':holder': holder, ':until': until.toISOString(), ':now': now.toISOString() },
        }),
      ),
    );
    if (leased) return 'leased';
    // The raw item: whether it is still in the outbox is in its index keys.
    const { Item: current } = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: keys.notice(incidentId, seq), ConsistentRead: true }));
    return current?.[GSI.partitionKey] === OUTBOX ? 'busy' : 'done';
  }

  /** Gives a lease back early (the next run need not wait for it to expire); only the holder's. */
  async releaseNotice(incidentId: string, seq: number, holder: string): Promise<void> {
    await this.tryWrite(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.notice(incidentId, seq),
          UpdateExpression: 'REMOVE #holder, #until',
          ConditionExpression: '#holder = :holder',
          ExpressionAttributeNames: { '#holder': LEASE_HOLDER, '#until': LEASE_UNTIL },
          ExpressionAttributeValues: { ':holder': holder },
        }),
      ),
    );
  }

  async listNotices(incidentId: string): Promise<Notice[]> {
    return (await this.queryPrefix(`INC#${incidentId}`, 'NOTICE#')).map(noticeOf);
  }

  // ── deliveries ───────────────────────────────────────────────────────────────────────────

  /**
   * An UpdateItem (which creates a missing item) rather than a put, so a takeover can count the
   * attempt without reading first. The content comes from `d`; status, attempts and lease are ours.
   */
  async claimDelivery(d: Delivery, now: Date, leaseMs: number): Promise<'claimed' | 'sent' | 'busy'> {
    const names: Record<string, string> = {
      '#pk': PK,
      '#status': 'status',
      '#attempts': 'attempts',
      '#leaseUntil': 'leaseUntil',
      '#createdAt': 'createdAt',
    };
    const values: Record<string, unknown> = {
      ':pending': 'pending',
      ':zero': 0,
      ':one': 1,
      ':lease': new Date(now.getTime() + leaseMs).toISOString(),
      ':now': now.toISOString(),
      ':createdAt': d.createdAt,
    };
    const sets = [
      '#status = :pending',
      '#attempts = if_not_exists(#attempts, :zero) + :one',
      '#leaseUntil = :lease',
      '#createdAt = if_not_exists(#createdAt, :createdAt)',
    ];
    Object.entries(d).forEach(([field, value], i) => {
      if (value === undefined || STORE_OWNED_DELIVERY_FIELDS.has(field)) return;
      names[`#c${i}`] = field;
      values[`:c${i}`] = value;
      sets.push(`#c${i} = :c${i}`);
    });
    const claimed = await this.tryWrite(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.delivery(d),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: 'attribute_not_exists(#pk) OR (#status = :pending AND #leaseUntil < :now)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      ),
    );
    if (claimed) return 'claimed';
    // dynalite ignores ReturnValuesOnConditionCheckFailure, so read what beat us.
    const current = await this.get<Delivery>(keys.delivery(d));
    return current?.status === 'sent' ? 'sent' : 'busy';
  }

  async markDeliverySent(k: DeliveryKey, messageId: string, at: Date, bundleId?: string): Promise<void> {
    // An SMS that went out as itself (or a bundle's own record) is found by its message id.
    const indexed = k.channel === 'sms' && bundleId === undefined;
    const marked = await this.tryWrite(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.delivery(k),
          UpdateExpression: `SET #status = :sent, #sentAt = :at, #messageId = :messageId${bundleId !== undefined ? ', #bundleId = :bundleId' : ''}${indexed ? ', #gpk = :gpk, #gsk = :gsk' : ''}`,
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: {
            '#status': 'status',
            '#sentAt': 'sentAt',
            '#messageId': 'messageId',
            ...(bundleId !== undefined ? { '#bundleId': 'bundleId' } : {}),
            ...(indexed ? { '#gpk': GSI.partitionKey, '#gsk': GSI.sortKey } : {}),
          },
          ExpressionAttributeValues: {
            ':sent': 'sent',
            ':pending': 'pending',
            ':at': at.toISOString(),
            ':messageId': messageId,
            ...(bundleId !== undefined ? { ':bundleId': bundleId } : {}),
            ...(indexed ? { ':gpk': messageKey(messageId), ':gsk': 'MSG' } : {}),
          },
        }),
      ),
    );
    if (marked) return;
    const current = await this.get<Delivery>(keys.delivery(k));
    if (current?.status === 'sent' && current.messageId === messageId) return; // a retry of this very mark
    throw conflict(`delivery ${keys.delivery(k)[SK]} of incident ${k.incidentId}`, `is ${current?.status ?? 'missing'}, not pending`, {
      ...k,
      status: current?.status,
    });
  }

  async markDeliveryFailed(k: DeliveryKey, error: string, at: Date, retryAt?: Date): Promise<'pending' | 'failed' | 'unchanged'> {
    return this.markItemFailed(keys.delivery(k), `delivery ${keys.delivery(k)[SK]} of incident ${k.incidentId}`, { ...k }, error, at, retryAt);
  }

  /**
   * pending → pending (reclaimable from retryAt) while attempts remain, else → failed with the
   * dead-letter index keys. Shared by deliveries and publications.
   */
  private async markItemFailed(
    k: Key,
    what: string,
    details: Record<string, unknown>,
    error: string,
    at: Date,
    retryAt: Date | undefined,
  ): Promise<'pending' | 'failed' | 'unchanged'> {
    const failAt = at.toISOString();
    const update = (finalStatus: 'pending' | 'failed', attemptsCondition: string) =>
      this.tryWrite(() =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: k,
            UpdateExpression:
              'SET #status = :status, #error = :error, #lastErrorAt = :at, #leaseUntil = :retryAt' + (finalStatus === 'failed' ? ', #gpk = :dead, #gsk = :deadKey' : ''),
            ConditionExpression: `#status = :pending AND ${attemptsCondition}`,
            ExpressionAttributeNames: {
              '#status': 'status',
              '#attempts': 'attempts',
              '#error': 'error',
              '#lastErrorAt': 'lastErrorAt',
              '#leaseUntil': 'leaseUntil',
              ...(finalStatus === 'failed' ? { '#gpk': GSI.partitionKey, '#gsk': GSI.sortKey } : {}),
            },
            ExpressionAttributeValues: {
              ':status': finalStatus,
              ':pending': 'pending',
              ':error': error,
              ':at': failAt,
              ':retryAt': finalStatus === 'failed' ? failAt : (retryAt ?? at).toISOString(),
              ':max': MAX_DELIVERY_ATTEMPTS,
              ...(finalStatus === 'failed' ? { ':dead': DEAD_LETTERS, ':deadKey': deadLetterSortKey(failAt, k) } : {}),
            },
          }),
        ),
      );
    if (await update('pending', '#attempts < :max')) return 'pending';
    if (await update('failed', '#attempts >= :max')) return 'failed';
    // Not pending: already settled (a late failure report changes nothing) or never claimed.
    if (!(await this.get<Item>(k))) throw conflict(what, 'was never claimed', details);
    return 'unchanged';
  }

  async settleDelivery(k: DeliveryKey, status: 'opted-out', reason: string, at: Date): Promise<void> {
    const settled = await this.tryWrite(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.delivery(k),
          UpdateExpression: 'SET #status = :status, #error = :reason, #lastErrorAt = :at',
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#status': 'status', '#error': 'error', '#lastErrorAt': 'lastErrorAt' },
          ExpressionAttributeValues: { ':status': status, ':pending': 'pending', ':reason': reason, ':at': at.toISOString() },
        }),
      ),
    );
    if (settled) return;
    const current = await this.get<Delivery>(keys.delivery(k));
    if (current?.status === status) return; // a retry of this very settle
    throw conflict(`delivery ${keys.delivery(k)[SK]} of incident ${k.incidentId}`, `is ${current?.status ?? 'missing'}, not pending`, { ...k, status: current?.status });
  }

  /**
   * Writes settled deliveries as they are (BatchWriteItem, 25 a call, unprocessed items retried
   * on a bounded backoff): what a run that holds the notices' leases sent or tried. Unconditional,
   * so only the lease holder calls it; the index keys follow the record (a sent SMS by its message
   * id, a delivery failed for good on the dead-letter list).
   */
  async recordDeliveries(records: readonly Delivery[]): Promise<void> {
    const items = records.map((d) => ({ ...d, ...deliveryIndex(d), ...keys.delivery(d) }));
    const chunks: Item[][] = [];
    for (let i = 0; i < items.length; i += BATCH_WRITE_LIMIT) chunks.push(items.slice(i, i + BATCH_WRITE_LIMIT));
    await Promise.all(chunks.map((chunk) => this.batchWrite(chunk)));
  }

  async listDeadLetters(): Promise<Array<Delivery | Publication>> {
    return (await this.queryIndex(DEAD_LETTERS)).map((item) => toDomain<Delivery | Publication>(item));
  }

  /** The SMS (or bundle) sent as this message: gsi1, set by markDeliverySent; else a pointer item from before. */
  async findDeliveryByMessageId(messageId: string): Promise<Delivery | undefined> {
    const [item] = await this.queryIndex(messageKey(messageId));
    if (item) return toDomain<Delivery>(item);
    const pointer = await this.get<DeliveryKey & { messageId: string }>(keys.message(messageId));
    return pointer ? this.get<Delivery>(keys.delivery(pointer)) : undefined;
  }

  async recordProviderStatus(k: DeliveryKey, status: ProviderStatus): Promise<boolean> {
    return this.tryWrite(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.delivery(k),
          UpdateExpression: 'SET #provider = :provider',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#provider': 'provider', '#pk': PK },
          ExpressionAttributeValues: { ':provider': status },
        }),
      ),
    );
  }

  // ── publications (incident topic, EventBridge) ───────────────────────────────────────────

  async claimPublication(p: PublicationKey, now: Date, leaseMs: number): Promise<'claimed' | 'sent' | 'busy'> {
    const claimed = await this.tryWrite(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.publication(p),
          UpdateExpression:
            'SET #status = :pending, #attempts = if_not_exists(#attempts, :zero) + :one, #leaseUntil = :lease, #createdAt = if_not_exists(#createdAt, :now), #incidentId = :incidentId, #seq = :seq, #target = :target',
          ConditionExpression: 'attribute_not_exists(#pk) OR (#status = :pending AND #leaseUntil < :now)',
          ExpressionAttributeNames: {
            '#pk': PK,
            '#status': 'status',
            '#attempts': 'attempts',
            '#leaseUntil': 'leaseUntil',
            '#createdAt': 'createdAt',
            '#incidentId': 'incidentId',
            '#seq': 'seq',
            '#target': 'target',
          },
          ExpressionAttributeValues: {
            ':pending': 'pending',
            ':zero': 0,
            ':one': 1,
            ':lease': new Date(now.getTime() + leaseMs).toISOString(),
            ':now': now.toISOString(),
            ':incidentId': p.incidentId,
            ':seq': p.seq,
            ':target': p.target,
          },
        }),
      ),
    );
    if (claimed) return 'claimed';
    const current = await this.get<Publication>(keys.publication(p));
    return current?.status === 'sent' ? 'sent' : 'busy';
  }

  async markPublicationSent(p: PublicationKey, messageId: string, at: Date): Promise<void> {
    const marked = await this.tryWrite(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.publication(p),
          UpdateExpression: 'SET #status = :sent, #sentAt = :at, #messageId = :messageId',
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#status': 'status', '#sentAt': 'sentAt', '#messageId': 'messageId' },
          ExpressionAttributeValues: { ':sent': 'sent', ':pending': 'pending', ':at': at.toISOString(), ':messageId': messageId },
        }),
      ),
    );
    if (marked) return;
    const current = await this.get<Publication>(keys.publication(p));
    if (current?.status === 'sent' && current.messageId === messageId) return;
    throw conflict(`publication ${keys.publication(p)[SK]} of incident ${p.incidentId}`, `is ${current?.status ?? 'missing'}, not pending`, { ...p });
  }

  markPublicationFailed(p: PublicationKey, error: string, at: Date, retryAt?: Date): Promise<'pending' | 'failed' | 'unchanged'> {
    return this.markItemFailed(keys.publication(p), `publication ${keys.publication(p)[SK]} of incident ${p.incidentId}`, { ...p }, error, at, retryAt);
  }

  async listPublications(incidentId: string): Promise<Publication[]> {
    return (await this.queryPrefix(`INC#${incidentId}`, 'PUB#')).map((item) => toDomain<Publication>(item));
  }

  // ── roster ───────────────────────────────────────────────────────────────────────────────

  async listRoster(): Promise<RosterEntry[]> {
    return (await this.queryPrefix(ROSTER, 'R#')).map((item) => toDomain<RosterEntry>(item));
  }

  async putRosterEntry(entry: RosterEntry): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: { ...entry, ...keys.rosterEntry(entry.id) } }));
  }

  async deleteRosterEntry(id: string): Promise<boolean> {
    const out = await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: keys.rosterEntry(id), ReturnValues: 'ALL_OLD' }));
    return out.Attributes !== undefined;
  }

  async putRollCall(rollCall: RollCall): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: { ...rollCall, ...keys.rollCall(rollCall.recipientId) } }));
  }

  async listRollCalls(): Promise<RollCall[]> {
    return (await this.queryPrefix(ROSTER, 'RC#')).map((item) => toDomain<RollCall>(item));
  }

  async confirmRollCall(recipientId: string, id: string, via: NonNullable<RollCall['via']>, at: Date): Promise<'confirmed' | 'already' | 'missing'> {
    const confirmed = await this.tryWrite(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.rollCall(recipientId),
          UpdateExpression: 'SET #confirmedAt = :at, #via = :via',
          ConditionExpression: '#id = :id AND attribute_not_exists(#confirmedAt)',
          ExpressionAttributeNames: { '#confirmedAt': 'confirmedAt', '#via': 'via', '#id': 'id' },
          ExpressionAttributeValues: { ':at': at.toISOString(), ':via': via, ':id': id },
        }),
      ),
    );
    if (confirmed) return 'confirmed';
    const current = await this.get<RollCall>(keys.rollCall(recipientId));
    return current?.id === id && current.confirmedAt !== undefined ? 'already' : 'missing';
  }

  async listDeliveries(incidentId: string): Promise<Delivery[]> {
    return (await this.queryPrefix(`INC#${incidentId}`, 'DLV#')).map((item) => toDomain<Delivery>(item));
  }

  async putAck(ack: Acknowledgement): Promise<'created' | 'exists'> {
    return (await this.putIfAbsent({ ...ack, ...key(`INC#${ack.incidentId}`, `ACK#${ack.recipientId}`) })) ? 'created' : 'exists';
  }

  async listAcks(incidentId: string): Promise<Acknowledgement[]> {
    return (await this.queryPrefix(`INC#${incidentId}`, 'ACK#')).map((item) => toDomain<Acknowledgement>(item));
  }

  // ── plumbing ─────────────────────────────────────────────────────────────────────────────

  private async get<T>(k: Key): Promise<T | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: k, ConsistentRead: true }));
    return out.Item ? toDomain<T>(out.Item) : undefined;
  }

  /** Runs a conditional write; false when its condition failed. */
  private async tryWrite(write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /** Writes a history item once; false when it already exists. */
  private putIfAbsent(item: Item): Promise<boolean> {
    return this.tryWrite(() =>
      this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        }),
      ),
    );
  }

  /** Compare-and-set on `version`: 0 means the item must not exist yet. */
  private async putVersioned(what: string, k: Key, next: object, expectedVersion: number, index: Item = {}, extra?: Condition): Promise<void> {
    if (!Number.isInteger(expectedVersion) || expectedVersion < 0) {
      throw new RangeError(`${what}: expectedVersion must be a whole number ≥ 0, got ${expectedVersion}`);
    }
    const created = expectedVersion === 0;
    const base: Condition = created
      ? { expression: 'attribute_not_exists(#pk)', names: { '#pk': PK }, values: {} }
      : { expression: '#version = :expected', names: { '#version': 'version' }, values: { ':expected': expectedVersion } };
    // A new item has nothing stored to compare with: only the base condition applies.
    const condition = extra && !created ? { expression: `${base.expression} AND ${extra.expression}`, names: { ...base.names, ...extra.names }, values: { ...base.values, ...extra.values } } : base;
    const written = await this.tryWrite(() =>
      this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...next, version: expectedVersion + 1, ...index, ...k },
          ConditionExpression: condition.expression,
          ExpressionAttributeNames: condition.names,
          ...(Object.keys(condition.values).length > 0 ? { ExpressionAttributeValues: condition.values } : {}),
        }),
      ),
    );
    if (!written) {
      const message = created ? 'already exists' : extra ? `is no longer at version ${expectedVersion}, or was derived from newer data` : `is no longer at version ${expectedVersion}`;
      throw conflict(what, `${message} (someone else wrote first)`, { pk: k[PK], sk: k[SK], expectedVersion });
    }
  }

  /**
   * Writes the incident item that an open slot points at. If it is already there (written by
   * a concurrent or earlier roll-forward of the same create) the stored one is returned.
   */
  private async materializeIncident(incident: Incident): Promise<Incident> {
    if (await this.putIfAbsent({ ...incident, ...incidentIndex(incident), ...keys.incident(incident.id) })) {
      return incident;
    }
    const existing = await this.getIncident(incident.id);
    if (existing?.causeComponentId === incident.causeComponentId) return existing;
    throw conflict(`incident ${incident.id}`, 'id already used for another cause', {
      incidentId: incident.id,
      causeComponentId: incident.causeComponentId,
    });
  }

  /** Frees a cause's slot only if it still belongs to this incident. */
  private async releaseSlot(causeComponentId: string, incidentId: string): Promise<void> {
    await this.tryWrite(() =>
      this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.openSlot(causeComponentId),
          ConditionExpression: '#incidentId = :id',
          ExpressionAttributeNames: { '#incidentId': 'incidentId' },
          ExpressionAttributeValues: { ':id': incidentId },
        }),
      ),
    );
  }

  private async getMany<T>(ids: readonly string[], keyOf: (id: string) => Key, idOf: (value: T) => string): Promise<Map<string, T>> {
    // BatchGetItem rejects duplicate keys.
    const unique = [...new Set(ids)];
    const chunks: Key[][] = [];
    for (let i = 0; i < unique.length; i += BATCH_GET_LIMIT) chunks.push(unique.slice(i, i + BATCH_GET_LIMIT).map(keyOf));
    const found = new Map<string, T>();
    const worker = async () => {
      for (let chunk = chunks.shift(); chunk; chunk = chunks.shift()) {
        for (const item of await this.batchGet(chunk)) {
          const value = toDomain<T>(item);
          found.set(idOf(value), value);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(BATCH_GET_CONCURRENCY, chunks.length) }, worker));
    return found;
  }

  /** One chunk of puts, with UnprocessedItems (throttling) retried on a bounded exponential backoff. */
  private async batchWrite(chunk: Item[]): Promise<void> {
    let pending = chunk.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 1; ; attempt++) {
      const out = await this.doc.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }));
      pending = (out.UnprocessedItems?.[this.tableName] ?? []) as typeof pending;
      if (pending.length === 0) return;
      if (attempt === BATCH_GET_MAX_ATTEMPTS) throw new Error(`BatchWriteItem left ${pending.length} items unprocessed after ${attempt} attempts`);
      await sleep(BATCH_GET_BASE_DELAY_MS * 2 ** (attempt - 1));
    }
  }

  /** One chunk, with UnprocessedKeys (throttling) retried on a bounded exponential backoff. */
  private async batchGet(chunk: Key[]): Promise<Item[]> {
    const items: Item[] = [];
    let pending = chunk;
    for (let attempt = 1; ; attempt++) {
      const out = await this.doc.send(
        new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } } }),
      );
      items.push(...(out.Responses?.[this.tableName] ?? []));
      pending = (out.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Key[];
      if (pending.length === 0) return items;
      if (attempt === BATCH_GET_MAX_ATTEMPTS) {
        throw new Error(`BatchGetItem left ${pending.length} keys unprocessed after ${attempt} attempts`);
      }
      await sleep(BATCH_GET_BASE_DELAY_MS * 2 ** (attempt - 1));
    }
  }

  private async queryPrefix(pk: string, skPrefix: string): Promise<Item[]> {
    return this.query({
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
      ExpressionAttributeValues: { ':pk': pk, ':prefix': skPrefix },
      ConsistentRead: true,
    });
  }

  private async queryIndex(partition: string): Promise<Item[]> {
    return this.query({
      IndexName: GSI.indexName,
      KeyConditionExpression: '#gpk = :gpk',
      ExpressionAttributeNames: { '#gpk': GSI.partitionKey },
      ExpressionAttributeValues: { ':gpk': partition },
    });
  }

  private async query(input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Item | undefined;
    do {
      const out = await this.doc.send(new QueryCommand({ ...input, TableName: this.tableName, ExclusiveStartKey: startKey }));
      items.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return items;
  }
}
