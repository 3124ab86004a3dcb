import { createHash, randomUUID } from 'node:crypto';
import type { RecipientConfig } from '../config/schema.js';
import { opsItemIds, renderBundle, renderOpsItems, type BundlePart, type OpsItem } from '../domain/bundle.js';
import type { Clock } from '../domain/clock.js';
import { maskPhone, redact } from '../domain/mask.js';
import type { Model } from '../domain/model.js';
import { isImpaired } from '../domain/nena.js';
import type { Channel, Delivery, DeliveryKey, Notice, Phase, Publication, PublicationKey, PublicationTarget, Transition } from '../domain/records.js';
import { render, renderKey, type Rendered } from '../domain/render.js';
import { escalationUnreachable, routeNotice, type Route } from '../domain/routing.js';
import { ackLink } from './ack.js';
import { mapLimit, type Log } from './log.js';
import type { DeliveryChannels, OptOuts, Sender, Store, TopicBodies } from './ports.js';
import { rosterModel } from './roster-read.js';
import { MAX_DELIVERY_ATTEMPTS, newDelivery, retryDelayMs } from './send.js';
import { paced, planSms, realSleep, type Sleeper } from './throttle.js';

/**
 * Route & render → deliver (the last two steps of the signal path), for every notice in the outbox.
 *
 * Exactly once, in order, within limits:
 * - A run leases each notice before delivering it (one conditional write on the notice: its
 *   holder may deliver it until the invocation's deadline, or leaseMs), so no two runs deliver
 *   the same notice at once. Bookkeeping is per (incident, seq, recipient, channel): what the run
 *   sent, failed or settled is recorded after the channel answered, in batches (BatchWriteItem,
 *   25 a call: a storm's thousands of deliveries cost a few hundred calls, not two conditional
 *   writes each). A run that dies before recording lets the lease expire, and the next holder
 *   re-sends what is not recorded as sent (the documented duplicate, as with any crash between
 *   send and record). A failed send stays pending and is retried with a backoff (30 s, 1, 2,
 *   4 min); after the last attempt it is `failed` for good (a dead letter, on the DEADLETTER
 *   index) and ops is alerted. Ops alerts, which have no notice, claim each delivery instead.
 * - Notices of an incident are leased in order: while another run holds one, the later ones
 *   wait (their routing reads who was told, which the holder has not recorded yet).
 * - In order: a recipient hears an incident's notices in sequence; a later notice waits while an
 *   earlier one is still owed to that recipient on that channel. Notices of an incident are
 *   delivered in rounds (one notice per incident per round), so an alert and its update issued in
 *   one cycle both go out in this run, in order. Whoever was told hears every later notice.
 * - Storm control: all notices of the same phase due to one recipient on one channel in a round
 *   go out as ONE message (bundle.ts words it). The bundle is itself a delivery record, keyed
 *   (BDL-<time>-<hash>, 1, recipient, channel) and listing its `members`; every member keeps its
 *   own record (its notice's key), claimed before the send and marked sent with the bundle's
 *   messageId and `bundleId` after it, so each incident's history, all-clear rule and report work
 *   as if it had been sent alone. A member another worker holds is left out of the bundle.
 * - Priority: messages go out in the recipients' priority order (default: the dark PSAP's
 *   neighbours, then county managers, the FCC liaison, ops). SMS are paced at the configured
 *   origination MPS (config delivery.smsMps) with the ETA logged; email is not paced. What does
 *   not fit in the invocation's remaining time stays pending, unclaimed, for the next run.
 * - Before fan-out each notice is published once to the incident topic and as EventBridge events
 *   (when the deployment has them), tracked like deliveries: a failed publication keeps the
 *   notice in the outbox and is retried.
 * - Opt-outs: the account's opted-out numbers are listed once per run; an SMS to one is settled as
 *   `opted-out` (never sent); the recipient is reached on its other channel (every recipient
 *   gets every channel it has) and ops is told, once a day per recipient.
 * - A notice leaves the outbox once all its deliveries and publications settled and ops has
 *   heard about its dead letters and opt-outs.
 */

export interface DeliveryReport {
  /** Messages sent by this call (a bundle once, with its `members`). */
  sent: Delivery[];
  failed: Array<DeliveryKey & { error: string }>;
  /** Messages left pending because the invocation's time ran out: the next run sends them. */
  deferred?: number;
  /** When the last SMS of this run was planned to go out, at the configured MPS. */
  smsEta?: string;
  /** Recipients whose SMS number is opted out this run. */
  optedOut?: string[];
  /** Deliveries and publications that failed their last attempt this run. */
  deadLetters?: string[];
  /** Incident topic and EventBridge publications sent this run. */
  published?: Array<PublicationKey & { messageId: string }>;
  /** The account's SMS monthly spend limit (AWS), reported when SMS went out. */
  smsMonthlySpendLimitUsd?: string;
}

export interface DeliverInput {
  store: Store;
  model: Model;
  log: Log;
  /** A plain Sender, or DeliveryChannels with topic, events, opt-outs, pacing and a deadline. */
  sender: Sender;
  clock: Clock;
  leaseMs: number;
  /** Signs acknowledgement links in emails when the config names an ack endpoint. */
  ackSecret?: string;
}

/** The dark PSAP's neighbours first, then managers, then the FCC liaison, then ops (a recipient's `priority` overrides). */
export const ROLE_PRIORITY: Record<RecipientConfig['role'], number> = { psap: 10, 'county-manager': 20, 'fcc-liaison': 30, ops: 40 };
const PHASE_ORDER: Record<Phase, number> = { initial: 0, update: 1, final: 2 };

/** Time kept at the end of an invocation for bookkeeping (marking, completing notices). */
export const RESERVE_MS = 5_000;
/** What one send is assumed to take when planning against the deadline. */
const SEND_ESTIMATE_MS = 250;
const EMAIL_CONCURRENCY = 4;
const READ_CONCURRENCY = 8;
const PUBLISH_CONCURRENCY = 8;
/** Deliveries recorded per BatchWriteItem (DynamoDB's maximum). */
const RECORD_BATCH = 25;

export function priorityOf(r: RecipientConfig): number {
  return r.priority ?? ROLE_PRIORITY[r.role];
}

/** Whatever owns a unit: a notice, or an ops item. Settled once everything it caused is settled. */
interface Owner {
  settled: boolean;
}

interface NoticeState extends Owner {
  notice: Notice;
  /** Ops items (ids) this notice caused; it completes only once they are settled too. */
  ops: Set<string>;
  /** The run's lease on the notice; 'waits': an earlier notice of its incident is held elsewhere. */
  lease?: 'leased' | 'busy' | 'done' | 'waits';
}

interface OpsEntry extends Owner {
  item: OpsItem;
}

/** What one recipient is owed on one channel: one member of a message. */
interface Unit {
  key: DeliveryKey;
  owner: Owner;
  recipient: RecipientConfig;
  phase: Phase;
  /** Bundles never mix outages, planned maintenance and ops alerts. */
  kind: 'outage' | 'maintenance' | 'ops';
  previous?: Delivery;
  /** The delivery as it would go alone (rendered). */
  delivery: Delivery;
  part?: BundlePart;
  ops?: OpsItem;
  /** Set when this unit is about the notice (not ops): its state, for dead letters and opt-outs. */
  notice?: NoticeState;
}

/** One message: the units of one recipient, channel, phase and kind in one round. */
export interface Message {
  recipient: RecipientConfig;
  channel: Channel;
  phase: Phase;
  kind: Unit['kind'];
  priority: number;
  units: Unit[];
}

// ── pure: units, messages, words ─────────────────────────────────────────────────────────────

function buildDelivery(notice: Notice, route: Route, channel: Channel, model: Model, now: Date, leaseMs: number, ackSecret?: string, renders?: Map<string, Rendered>): Delivery {
  // Recipients alike (the people of one PSAP, of one county office) get the same words: render once.
  const key = renders && `${notice.incidentId}#${notice.seq}|${renderKey(route, channel)}`;
  let rendered = key ? renders!.get(key) : undefined;
  if (!rendered) {
    rendered = render(route, channel, { notice, model, policy: model.config.escalation });
    if (key) renders!.set(key, rendered);
  }
  const { subject } = rendered;
  const linkBase = model.config.acks.linkBase;
  const text =
    channel === 'email' && linkBase && ackSecret && !route.acked && notice.reason !== 'resolved' && notice.incident.kind !== 'maintenance'
      ? `${rendered.text}Acknowledge online: ${ackLink(linkBase, ackSecret, notice.incidentId, route.recipient.id)}\n`
      : rendered.text;
  return newDelivery(
    { incidentId: notice.incidentId, seq: notice.seq, recipientId: route.recipient.id, channel },
    { phase: notice.phase, reason: notice.reason, role: route.recipient.role, address: (channel === 'sms' ? route.recipient.channels.sms : route.recipient.channels.email)!, subject, text },
    now,
    leaseMs,
  );
}

const sameKey = (a: DeliveryKey, b: DeliveryKey) => a.incidentId === b.incidentId && a.seq === b.seq && a.recipientId === b.recipientId && a.channel === b.channel;

/** Orders messages: priority, then phase, then recipient and channel (stable, deterministic). */
function byPriority(a: Message, b: Message): number {
  return a.priority - b.priority || PHASE_ORDER[a.phase] - PHASE_ORDER[b.phase] || a.recipient.id.localeCompare(b.recipient.id) || a.channel.localeCompare(b.channel);
}

/** Groups units into messages: one per recipient, channel, phase and kind; highest priority first. */
export function groupUnits(units: readonly Unit[]): Message[] {
  const messages = new Map<string, Message>();
  for (const u of units) {
    const k = `${u.recipient.id}|${u.key.channel}|${u.phase}|${u.kind}`;
    let m = messages.get(k);
    if (!m) {
      m = { recipient: u.recipient, channel: u.key.channel, phase: u.phase, kind: u.kind, priority: priorityOf(u.recipient), units: [] };
      messages.set(k, m);
    }
    m.units.push(u);
  }
  return [...messages.values()].sort(byPriority);
}

/** The words of a message carrying these units (one unit: its own words). */
export function wordsOf(units: readonly Unit[], channel: Channel, model: Model): Rendered {
  if (units.length === 1) return { ...(units[0]!.delivery.subject !== undefined ? { subject: units[0]!.delivery.subject } : {}), text: units[0]!.delivery.text };
  if (units[0]!.ops) return renderOpsItems(units.map((u) => u.ops!), channel);
  return renderBundle(units.map((u) => u.part!), channel, model);
}

/** A bundle's id: its time and a hash of what it carries (members claimed by this worker alone). */
export function bundleIdOf(recipientId: string, channel: Channel, phase: Phase, members: readonly DeliveryKey[], at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const hash = createHash('sha256')
    .update([recipientId, channel, phase, ...members.map((k) => `${k.incidentId}#${k.seq}`)].join('\n'))
    .digest('hex')
    .slice(0, 8);
  return `BDL-${stamp}-${hash}`;
}

/**
 * The units a notice owes (pure): routes for the recipients, skipping what is already settled
 * and what must wait for an earlier notice. `known` is the incident's delivery history.
 */
function unitsOfNotice(
  state: NoticeState,
  model: Model,
  known: readonly Delivery[],
  acked: ReadonlySet<string>,
  now: Date,
  build: (route: Route, channel: Channel) => Delivery,
  onSettled: (previous: Delivery, route: Route) => void,
  onUnreachable: (why: string) => void = () => undefined,
): Unit[] {
  const { notice } = state;
  // Everyone we tried to tell before (sent or still retrying) is owed every later notice, the all-clear above all.
  const told = new Set(known.filter((d) => d.seq < notice.seq).map((d) => d.recipientId));
  const units: Unit[] = [];
  const routes = routeNotice(notice, model, told, acked);
  const unreachable = notice.reason === 'escalated' ? escalationUnreachable(routes, model) : undefined;
  if (unreachable) onUnreachable(unreachable);
  for (const route of routes) {
    for (const channel of route.channels) {
      const key: DeliveryKey = { incidentId: notice.incidentId, seq: notice.seq, recipientId: route.recipient.id, channel };
      const previous = known.find((d) => sameKey(d, key));
      if (previous && previous.status !== 'pending') {
        onSettled(previous, route);
        continue;
      }
      // A failed send waits out its backoff (or a claim another worker holds, its lease).
      if (previous && previous.leaseUntil > now.toISOString()) {
        state.settled = false;
        continue;
      }
      // In order: an earlier notice still owed to this recipient on this channel goes first.
      if (known.some((d) => d.seq < notice.seq && d.recipientId === key.recipientId && d.channel === channel && d.status === 'pending')) {
        state.settled = false;
        continue;
      }
      const delivery = build(route, channel);
      units.push({
        key,
        owner: state,
        notice: state,
        recipient: route.recipient,
        phase: notice.phase,
        kind: notice.incident.kind === 'maintenance' ? 'maintenance' : 'outage',
        ...(previous ? { previous } : {}),
        delivery,
        part: { notice, route, rendered: { ...(delivery.subject !== undefined ? { subject: delivery.subject } : {}), text: delivery.text } },
      });
    }
  }
  return units;
}

/**
 * What a set of notices would send if nothing had been sent before (pure; tests and benches):
 * routed, rendered, bundled and ordered exactly as deliverPending sends them in one round.
 */
export function composeMessages(notices: readonly Notice[], model: Model, now: Date): Array<Message & { words: Rendered }> {
  const renders = new Map<string, Rendered>();
  const units = notices.flatMap((notice) =>
    unitsOfNotice({ notice, settled: true, ops: new Set() }, model, [], new Set(), now, (route, channel) => buildDelivery(notice, route, channel, model, now, 60_000, undefined, renders), () => undefined),
  );
  return groupUnits(units).map((m) => ({ ...m, words: wordsOf(m.units, m.channel, model) }));
}

/** The texts of a notice for the incident topic's subscribers: the situation, as a county manager reads it. */
export function topicBodies(notice: Notice, model: Model): TopicBodies {
  const route: Route = {
    recipient: { id: '_topic', name: 'incident topic', role: 'county-manager', jurisdictions: { fips: [], states: [] }, channels: {} },
    darkNeighbours: [],
    channels: ['sms', 'email'],
  };
  const ctx = { notice, model, policy: model.config.escalation };
  const email = render(route, 'email', ctx);
  return { subject: email.subject ?? `[dialtone] ${notice.incidentId} notice ${notice.seq}`, sms: render(route, 'sms', ctx).text, email: email.text };
}

/** ServiceStateChanged for each service whose state differs from the previous notice's snapshot. */
export function serviceChanges(notice: Notice, previous: Notice | undefined): Transition[] {
  const out: Transition[] = [];
  for (const [id, s] of Object.entries(notice.incident.services).sort(([a], [b]) => a.localeCompare(b))) {
    const from = previous?.incident.services[id]?.state ?? 'Normal';
    if (from === s.state) continue;
    out.push({ subject: 'service', id, from, to: s.state, at: s.since, evidence: { causes: isImpaired(s.state) ? [notice.incident.causeComponentId] : [] } });
  }
  return out;
}

/** The record of a unit as this attempt settles it: what it was first created as, and its last error, kept. */
function recordOf(u: Unit, patch: Partial<Delivery>): Delivery {
  const kept = u.previous ? { createdAt: u.previous.createdAt, ...(u.previous.error !== undefined ? { error: u.previous.error, lastErrorAt: u.previous.lastErrorAt } : {}) } : {};
  return { ...u.delivery, ...kept, attempts: attemptOf(u), ...patch };
}

/** This send's attempt number: one more than the record's (as an ops alert's claim counted it). */
function attemptOf(u: Unit): number {
  return (u.previous?.attempts ?? 0) + 1;
}

export function optOutItem(r: RecipientConfig, at: Date): OpsItem {
  return {
    kind: 'opted-out',
    id: opsItemIds.optOut(r.id, at),
    recipientId: r.id,
    recipientName: r.name,
    maskedPhone: r.channels.sms ? maskPhone(r.channels.sms) : 'none',
    otherChannel: r.channels.email !== undefined,
    at: at.toISOString(),
  };
}

function deadLetterItem(what: { incidentId: string; seq: number; channel?: string; recipientId?: string; target?: string }, error: string, attempts: number, at: Date): OpsItem {
  const label = what.target ? `${what.target} publication of ${what.incidentId} notice ${what.seq}` : `${what.incidentId} notice ${what.seq} ${what.channel} to ${what.recipientId}`;
  return { kind: 'dead-letter', id: opsItemIds.deadLetter(what), what: label, error, attempts, at: at.toISOString() };
}

// ── the run ──────────────────────────────────────────────────────────────────────────────────

function isSimulated(clock: Clock): boolean {
  return typeof (clock as { advance?: unknown }).advance === 'function';
}

class DeliveryRun {
  private readonly channels: DeliveryChannels;
  private readonly histories = new Map<string, Delivery[]>();
  private readonly acks = new Map<string, ReadonlySet<string>>();
  private readonly publications = new Map<string, Publication[]>();
  private readonly noticeLists = new Map<string, Notice[]>();
  /** Rendered words by notice and renderKey: each distinct text is rendered once per run. */
  private readonly renders = new Map<string, Rendered>();
  readonly notices: NoticeState[] = [];
  private readonly opsItems = new Map<string, OpsEntry>();
  private optOuts?: OptOuts;
  private optOutsListed = false;
  private spendLimitReported = false;
  /** Pacing continuity across rounds: the earliest time the next SMS part may go. */
  private smsFreeAt?: number;
  private readonly sleep: Sleeper;
  private readonly mps: number;
  private readonly errors: unknown[] = [];
  /** Who this run is, on the notices it leases. */
  private readonly holder = randomUUID();
  /** Incidents whose next notice is held by another run: their later notices wait too. */
  private readonly waiting = new Set<string>();
  /** Settled deliveries not yet recorded (written in batches: flush). */
  private unrecorded: Delivery[] = [];

  constructor(
    private readonly input: DeliverInput,
    private readonly model: Model,
    private readonly report: DeliveryReport,
  ) {
    this.channels = input.sender as DeliveryChannels;
    this.mps = model.config.delivery?.smsMps ?? 3;
    const clock = input.clock;
    // A simulated clock (demo, tests) is not moved by pacing, and nothing sleeps: the plan and its
    // ETA are the same, the sends just happen at once. Tests that watch pacing pass a sleeper.
    this.sleep = this.channels.sleep ? (ms) => this.channels.sleep!(ms) : isSimulated(clock) ? async () => undefined : realSleep;
  }

  private get store() {
    return this.input.store;
  }
  private get log() {
    return this.input.log;
  }
  private now(): Date {
    return this.input.clock.now();
  }
  /** Milliseconds this run may still spend sending (Infinity without a deadline). */
  private budget(): number {
    const left = this.channels.remainingMs?.();
    return left === undefined ? Infinity : left - RESERVE_MS;
  }

  /** How long a lease is held: the invocation cannot outlive its deadline (without one: leaseMs). */
  private leaseMs(): number {
    const left = this.channels.remainingMs?.();
    return left === undefined ? this.input.leaseMs : Math.max(this.input.leaseMs, left + 1_000);
  }

  async round(batch: readonly Notice[]): Promise<void> {
    const all = batch.map((notice) => {
      const s: NoticeState = { notice, settled: true, ops: new Set() };
      this.notices.push(s);
      return s;
    });
    const leasedAt = this.now();
    const until = new Date(leasedAt.getTime() + this.leaseMs());
    await mapLimit(all, READ_CONCURRENCY, async (s) => {
      const { incidentId, seq } = s.notice;
      s.lease = this.waiting.has(incidentId) ? 'waits' : await this.store.leaseNotice(incidentId, seq, this.holder, leasedAt, until);
      if (s.lease === 'busy' || s.lease === 'waits') {
        s.settled = false;
        this.waiting.add(incidentId);
      }
    });
    const states = all.filter((s) => s.lease === 'leased');
    // Histories are read after the lease: whatever the last holder recorded is in them.
    const fresh = [...new Set(states.map((s) => s.notice.incidentId))].filter((id) => !this.histories.has(id));
    await mapLimit(fresh, READ_CONCURRENCY, async (id) => {
      const [history, acks] = await Promise.all([this.store.listDeliveries(id), this.store.listAcks(id)]);
      this.histories.set(id, history);
      this.acks.set(id, new Set(acks.map((a) => a.recipientId)));
    });

    // Before fan-out: the incident topic and EventBridge, once per notice.
    if (this.channels.topic || this.channels.events) await mapLimit(states, PUBLISH_CONCURRENCY, (s) => this.publish(s));

    const now = this.now();
    const units = states.flatMap((s) =>
      unitsOfNotice(
        s,
        this.model,
        this.histories.get(s.notice.incidentId)!,
        this.acks.get(s.notice.incidentId)!,
        now,
        (route, channel) => buildDelivery(s.notice, route, channel, this.model, now, this.input.leaseMs, this.input.ackSecret, this.renders),
        (previous, route) => {
          if (previous.status === 'failed') this.needOps(s, deadLetterItem(previous, previous.error ?? 'unknown error', previous.attempts, new Date(previous.lastErrorAt ?? now)));
          if (previous.status === 'opted-out') this.needOps(s, optOutItem(route.recipient, new Date(previous.lastErrorAt ?? now)));
        },
        (why) => {
          this.log.error('escalation undeliverable', { incidentId: s.notice.incidentId, seq: s.notice.seq, why });
          this.needOps(s, { kind: 'escalation-undeliverable', id: opsItemIds.escalation(s.notice.incidentId, s.notice.seq), incidentId: s.notice.incidentId, why, at: s.notice.createdAt });
        },
      ),
    );
    await this.send(units);
    await this.flush();
  }

  /** Ops hears about what the notices' deliveries ran into: bundled per ops recipient and channel. */
  async opsRound(): Promise<void> {
    if (this.opsItems.size === 0) return;
    const ops = this.model.recipients.filter((r) => r.role === 'ops');
    if (ops.length === 0) {
      this.log.warn('delivery problems to report, but no recipient has role ops', { items: [...this.opsItems.keys()] });
      return;
    }
    const now = this.now();
    const units: Unit[] = [];
    await mapLimit([...this.opsItems.values()], READ_CONCURRENCY, async (entry) => {
      const known = await this.store.listDeliveries(entry.item.id);
      for (const r of ops) {
        for (const channel of (['sms', 'email'] as const).filter((c) => r.channels[c] !== undefined)) {
          const key: DeliveryKey = { incidentId: entry.item.id, seq: 1, recipientId: r.id, channel };
          const previous = known.find((d) => sameKey(d, key));
          if (previous && previous.status !== 'pending') continue;
          const words = renderOpsItems([entry.item], channel);
          units.push({
            key,
            owner: entry,
            recipient: r,
            phase: 'initial',
            kind: 'ops',
            ...(previous ? { previous } : {}),
            ops: entry.item,
            delivery: newDelivery(key, { phase: 'initial', reason: entry.item.kind, role: r.role, address: r.channels[channel]!, subject: words.subject, text: words.text }, now, this.input.leaseMs),
          });
        }
      }
    });
    units.sort((a, b) => a.key.incidentId.localeCompare(b.key.incidentId));
    await this.send(units);
    await this.flush();
  }

  /** Records what was settled since the last flush (batched writes). */
  private async flush(): Promise<void> {
    const records = this.unrecorded;
    this.unrecorded = [];
    if (records.length > 0) await this.store.recordDeliveries(records);
  }

  /** A settled delivery, recorded with the next flush (at once when a batch is full). */
  private async record(d: Delivery): Promise<void> {
    this.unrecorded.push(d);
    if (this.unrecorded.length >= RECORD_BATCH) await this.flush();
  }

  /**
   * Records what is left, then: a notice leaves the outbox once it and the ops alerts it caused
   * are settled; the others' leases are given back for the next run. After an error nothing is
   * given back (the leases expire), so nothing is re-sent sooner than a crash would allow.
   */
  async complete(): Promise<void> {
    await this.flush();
    if (this.errors.length > 0) throw this.errors[0];
    for (const s of this.notices) {
      if (s.lease !== 'leased') {
        if (s.lease !== 'done') this.log.info('notice is being delivered by another run (or waits for one); left to it', { incidentId: s.notice.incidentId, seq: s.notice.seq });
        continue;
      }
      const opsSettled = [...s.ops].every((id) => this.opsItems.get(id)?.settled !== false);
      if (s.settled && opsSettled) await this.store.completeNotice(s.notice.incidentId, s.notice.seq);
      else {
        this.log.warn('notice has deliveries still pending; retried next cycle', { incidentId: s.notice.incidentId, seq: s.notice.seq });
        await this.store.releaseNotice(s.notice.incidentId, s.notice.seq, this.holder);
      }
    }
  }

  /** An ops item that no notice of this run caused (delivery receipts): sent by opsRound. */
  addOps(item: OpsItem): void {
    if (!this.opsItems.has(item.id)) this.opsItems.set(item.id, { item, settled: true });
  }

  private needOps(owner: NoticeState, item: OpsItem): void {
    if (!this.opsItems.has(item.id)) this.opsItems.set(item.id, { item, settled: true });
    owner.ops.add(item.id);
  }

  // ── publications ──────────────────────────────────────────────────────────────────────────

  private async publish(state: NoticeState): Promise<void> {
    const { notice } = state;
    if (!this.publications.has(notice.incidentId)) this.publications.set(notice.incidentId, await this.store.listPublications(notice.incidentId));
    const targets: PublicationTarget[] = [...(this.channels.topic ? ['topic' as const] : []), ...(this.channels.events ? ['events' as const] : [])];
    for (const target of targets) {
      const key: PublicationKey = { incidentId: notice.incidentId, seq: notice.seq, target };
      const previous = this.publications.get(notice.incidentId)!.find((p) => p.seq === notice.seq && p.target === target);
      if (previous?.status === 'sent') continue;
      if (previous?.status === 'failed') {
        this.needOps(state, deadLetterItem(key, previous.error ?? 'unknown error', previous.attempts, new Date(previous.lastErrorAt ?? this.now())));
        continue;
      }
      const claim = await this.store.claimPublication(key, this.now(), this.input.leaseMs);
      if (claim === 'sent') continue;
      if (claim === 'busy') {
        state.settled = false;
        continue;
      }
      let messageId: string;
      try {
        messageId =
          target === 'topic'
            ? (await this.channels.topic!.publish(notice, topicBodies(notice, this.model))).messageId
            : (await this.channels.events!.publish(notice, serviceChanges(notice, await this.previousNotice(notice)))).messageId;
      } catch (err) {
        const error = redact((err as Error).message);
        const at = this.now();
        const attempt = (previous?.attempts ?? 0) + 1;
        const became = await this.store.markPublicationFailed(key, error, at, new Date(at.getTime() + retryDelayMs(attempt)));
        this.log.error('publication failed', { ...key, error, final: became === 'failed' });
        if (became === 'failed') {
          this.needOps(state, deadLetterItem(key, error, attempt, at));
          (this.report.deadLetters ??= []).push(`${key.incidentId}#${key.seq}/${target}`);
        } else state.settled = false;
        continue;
      }
      await this.store.markPublicationSent(key, messageId, this.now());
      (this.report.published ??= []).push({ ...key, messageId });
    }
  }

  private async previousNotice(notice: Notice): Promise<Notice | undefined> {
    if (notice.seq <= 1) return undefined;
    if (!this.noticeLists.has(notice.incidentId)) this.noticeLists.set(notice.incidentId, await this.store.listNotices(notice.incidentId));
    return this.noticeLists
      .get(notice.incidentId)!
      .filter((n) => n.seq < notice.seq)
      .sort((a, b) => b.seq - a.seq)[0];
  }

  // ── sending ───────────────────────────────────────────────────────────────────────────────

  private async send(units: readonly Unit[]): Promise<void> {
    if (units.length === 0) return;
    const live: Unit[] = [];
    const sms = units.filter((u) => u.key.channel === 'sms');
    if (sms.length > 0) await this.startOptOuts();
    for (const u of units) {
      if (u.key.channel === 'sms' && this.optOuts && (await this.isOptedOut(u.delivery.address))) await this.settleOptedOut(u);
      else live.push(u);
    }
    await this.dispatch(groupUnits(live));
  }

  private async startOptOuts(): Promise<void> {
    if (this.optOutsListed || !this.channels.optOuts) return;
    this.optOutsListed = true;
    this.optOuts = this.channels.optOuts();
    try {
      const listing = await this.optOuts.listOptedOut();
      if (!listing.complete) this.log.warn('opted-out numbers could not all be listed; numbers are checked one by one', { error: listing.error });
      else this.log.info('opted-out SMS numbers in the account', { count: listing.count });
    } catch (err) {
      // Not knowing is not a reason to stay silent: numbers are checked one by one (unknown sends).
      this.log.warn('opted-out numbers could not be listed; numbers are checked one by one', { error: redact((err as Error).message) });
    }
  }

  private async isOptedOut(phone: string): Promise<boolean> {
    try {
      return (await this.optOuts!.check(phone)).status === 'opted-out';
    } catch {
      return false; // unknown: send (SNS drops it if it is opted out; the other channel still goes)
    }
  }

  private async settleOptedOut(u: Unit): Promise<void> {
    if (!(await this.claim(u))) return;
    const at = this.now();
    const reason = 'the number replied STOP (opted out): not sent';
    await this.record(recordOf(u, { status: 'opted-out', error: reason, lastErrorAt: at.toISOString() }));
    this.remember(u, 'opted-out');
    const ids = (this.report.optedOut ??= []);
    if (!ids.includes(u.recipient.id)) ids.push(u.recipient.id);
    this.log.warn('SMS number opted out: not sent; the other channel and ops are told', { recipientId: u.recipient.id, incidentId: u.key.incidentId, seq: u.key.seq });
    if (u.notice) this.needOps(u.notice, optOutItem(u.recipient, at));
  }

  /**
   * Two lanes in priority order: SMS paced at the MPS, email beside it (not paced, a few at a
   * time). Email starts once the first SMS has gone, so the very first message of a run is the
   * highest-priority one, and a storm's emails never wait behind the SMS pacing.
   */
  private async dispatch(messages: readonly Message[]): Promise<void> {
    const sms = messages.filter((m) => m.channel === 'sms');
    const email = messages.filter((m) => m.channel === 'email');
    let firstSmsGone: () => void = () => undefined;
    const firstSms = new Promise<void>((resolve) => (firstSmsGone = resolve));
    const smsLane = async () => {
      try {
        await this.smsLane(sms, firstSmsGone);
      } finally {
        firstSmsGone();
      }
    };
    const emailLane = async () => {
      if (email.length === 0) return;
      await firstSms;
      await mapLimit(email, EMAIL_CONCURRENCY, async (m) => {
        try {
          await this.sendMessage(m);
        } catch (err) {
          this.errors.push(err);
        }
      });
    };
    await Promise.all([smsLane(), emailLane()]);
  }

  private async smsLane(sms: readonly Message[], firstGone: () => void): Promise<void> {
    if (sms.length === 0) return;
    await this.reportSpendLimit(sms.length);
    const start = this.now().getTime();
    const waitMs = Math.max(0, (this.smsFreeAt ?? start) - start);
    const plan = planSms(
      sms.map((m) => ({ channel: 'sms' as const, text: m.units[0]!.delivery.text })),
      this.mps,
      new Date(start + waitMs),
    );
    const budget = this.budget();
    const fits = plan.sends.filter((s) => waitMs + s.offsetMs + SEND_ESTIMATE_MS <= budget).length;
    const planned = plan.sends[fits - 1];
    const eta = planned ? new Date(start + waitMs + planned.doneMs).toISOString() : undefined;
    this.log.info('SMS send plan', {
      messages: sms.length,
      sending: fits,
      deferred: sms.length - fits,
      mps: this.mps,
      eta,
      etaSeconds: planned ? Math.round((waitMs + planned.doneMs) / 100) / 10 : 0,
    });
    if (eta) this.report.smsEta = eta;
    for (const m of sms.slice(fits)) this.defer(m);
    if (fits === 0) return;
    if (waitMs > 0) await this.sleep(waitMs);
    const laneStart = this.now().getTime();
    const results = await paced(
      sms.slice(0, fits),
      async (m, i) => {
        try {
          await this.sendMessage(m);
        } finally {
          if (i === 0) firstGone();
        }
      },
      { mps: this.mps, partsOf: () => 1, clock: this.input.clock, sleep: this.sleep },
    );
    this.smsFreeAt = laneStart + Math.ceil((fits * 1000) / this.mps);
    for (const r of results) if (!r.ok) this.errors.push(r.error);
  }

  private defer(m: Message): void {
    for (const u of m.units) u.owner.settled = false;
    this.report.deferred = (this.report.deferred ?? 0) + 1;
  }

  private async reportSpendLimit(messages: number): Promise<void> {
    if (this.spendLimitReported || !this.channels.smsAccount) return;
    this.spendLimitReported = true;
    try {
      const limit = await this.channels.smsAccount.monthlySpendLimitUsd();
      if (limit !== undefined) this.report.smsMonthlySpendLimitUsd = limit;
      this.log.info('SMS monthly spend limit (SNS stops sending past it; infra alarms near it)', { monthlySpendLimitUsd: limit ?? 'account default', messagesThisRun: messages });
    } catch (err) {
      this.log.warn('could not read the SMS monthly spend limit', { error: redact((err as Error).message) });
    }
  }

  /** Keeps the in-memory history in step with the record (later rounds read it for "told" and order). */
  private remember(u: Unit, status: Delivery['status'], patch: Partial<Delivery> = {}): void {
    if (u.kind === 'ops') return;
    const known = this.histories.get(u.key.incidentId);
    if (!known) return;
    const existing = known.find((d) => sameKey(d, u.key));
    if (existing) Object.assign(existing, { status, ...patch });
    else known.push({ ...u.delivery, status, ...patch });
  }

  /**
   * May this run send the unit? A notice's units are covered by the notice's lease; an ops
   * alert's delivery is claimed on its own (a conditional write).
   */
  private async claim(u: Unit): Promise<boolean> {
    if (u.notice) return true;
    const claim = await this.store.claimDelivery(u.delivery, this.now(), this.input.leaseMs);
    if (claim === 'busy') u.owner.settled = false;
    return claim === 'claimed';
  }

  /** Send one message (alone or a bundle) for the units it may send, then record each. */
  private async sendMessage(m: Message): Promise<void> {
    if (this.budget() < SEND_ESTIMATE_MS) {
      this.defer(m);
      return;
    }
    const now = this.now();
    const claimed: Unit[] = [];
    for (const u of m.units) if (await this.claim(u)) claimed.push(u);
    if (claimed.length === 0) return;

    let out: Delivery;
    let bundleId: string | undefined;
    if (claimed.length === 1) out = claimed[0]!.delivery;
    else {
      bundleId = bundleIdOf(m.recipient.id, m.channel, m.phase, claimed.map((u) => u.key), now);
      const words = wordsOf(claimed, m.channel, this.model);
      const { subject: _s, reason: _r, ...base } = claimed[0]!.delivery;
      out = {
        ...base,
        incidentId: bundleId,
        seq: 1,
        phase: m.phase,
        ...(words.subject !== undefined ? { subject: words.subject } : {}),
        text: words.text,
        members: claimed.map((u) => ({ incidentId: u.key.incidentId, seq: u.key.seq, ...(u.delivery.reason !== undefined ? { reason: u.delivery.reason } : {}) })),
      };
    }

    let messageId: string;
    try {
      messageId = (await this.input.sender.send(out)).messageId;
    } catch (err) {
      const error = redact((err as Error).message);
      const at = this.now();
      this.log.error('delivery failed; it will be retried', { recipientId: m.recipient.id, channel: m.channel, members: claimed.length, error });
      for (const u of claimed) {
        const attempt = attemptOf(u);
        const dead = attempt >= MAX_DELIVERY_ATTEMPTS;
        // Pending until its backoff is over (then retried), or failed for good: a dead letter.
        const failed = recordOf(u, { status: dead ? 'failed' : 'pending', error, lastErrorAt: at.toISOString(), leaseUntil: (dead ? at : new Date(at.getTime() + retryDelayMs(attempt))).toISOString() });
        await this.record(failed);
        this.report.failed.push({ ...u.key, error });
        this.remember(u, failed.status, failed);
        if (dead) {
          (this.report.deadLetters ??= []).push(`${u.key.incidentId}#${u.key.seq}/${u.key.recipientId}/${u.key.channel}`);
          this.log.error('delivery failed its last attempt: dead letter', { ...u.key, error });
          if (u.notice) this.needOps(u.notice, deadLetterItem(u.key, error, attempt, at));
        } else u.owner.settled = false;
      }
      return;
    }

    const at = this.now();
    const sent = { status: 'sent' as const, messageId, sentAt: at.toISOString() };
    // A bundle's own record: what went out, once (a failed bundle leaves none; its members carry
    // the error and are re-bundled on their retry).
    if (bundleId !== undefined) await this.record({ ...out, ...sent, attempts: 1 });
    for (const u of claimed) {
      const record = recordOf(u, { ...sent, ...(bundleId ? { bundleId } : {}) });
      await this.record(record);
      this.remember(u, 'sent', record);
    }
    this.report.sent.push({ ...out, ...sent });
  }
}

/**
 * Routes, renders and sends every pending notice (see the module comment). Callers: the poll
 * cycle, the sweep and the deliver function; a plain Sender gets SMS/email only, DeliveryChannels
 * adds the topic, events, opt-outs, pacing and the invocation's deadline.
 */
export async function deliverPending(input: DeliverInput): Promise<DeliveryReport> {
  const report: DeliveryReport = { sent: [], failed: [] };
  const pending = (await input.store.listPendingNotices()).sort((a, b) => a.incidentId.localeCompare(b.incidentId) || a.seq - b.seq);
  if (pending.length === 0) return report;
  // The roster is read only when there is something to send: a steady cycle reads nothing more.
  const model = await rosterModel(input.model, input.store, input.log);
  const run = new DeliveryRun(input, model, report);
  const byIncident = new Map<string, Notice[]>();
  for (const n of pending) byIncident.set(n.incidentId, [...(byIncident.get(n.incidentId) ?? []), n]);
  for (let round = 0; ; round++) {
    const batch = [...byIncident.values()].map((list) => list[round]).filter((n): n is Notice => n !== undefined);
    if (batch.length === 0) break;
    await run.round(batch);
  }
  await run.opsRound();
  await run.complete();
  return report;
}

/**
 * Ops items raised outside a notice's delivery (a carrier's receipt: shared/app/delivery-status.ts),
 * sent to the ops recipients of the merged roster like the ones deliverPending raises: claimed per
 * ops delivery (its key is the item's id), bundled per recipient and channel, told once.
 */
export async function deliverOpsItems(input: DeliverInput, items: readonly OpsItem[]): Promise<DeliveryReport> {
  const report: DeliveryReport = { sent: [], failed: [] };
  if (items.length === 0) return report;
  const run = new DeliveryRun(input, await rosterModel(input.model, input.store, input.log), report);
  for (const item of items) run.addOps(item);
  await run.opsRound();
  await run.complete();
  return report;
}
