import { gzipSync } from 'node:zlib';
import { createDeliveryStatusHandler } from '../../functions/delivery-status/handler.js';
import { deliverPending } from '../../shared/app/deliver.js';
import { silentLog, type Log } from '../../shared/app/log.js';
import { runPollCycle } from '../../shared/app/poll-cycle.js';
import type { DeliveryChannels, EventSink, IncidentFeed, OptOutAnswer, OptOuts, TopicBodies } from '../../shared/app/ports.js';
import { MAX_DELIVERY_ATTEMPTS } from '../../shared/adapters/dynamo-store.js';
import { issueNotice, openIncident, updateIncident } from '../../shared/domain/incident.js';
import type { Delivery, Notice, Transition } from '../../shared/domain/records.js';
import { testConfig } from '../support/config.js';
import { RecordingSender, startTestPipeline } from '../support/pipeline.js';

type Pipeline = Awaited<ReturnType<typeof startTestPipeline>>;
const minute = 60_000;
const keyOf = (d: { incidentId: string; seq: number; recipientId: string; channel: string }) => `${d.incidentId}/${d.seq}/${d.recipientId}/${d.channel}`;

/** DeliveryChannels for tests: the recording sender plus a topic, a bus, opt-outs, pacing and a deadline, all observable. */
class TestChannels implements DeliveryChannels {
  readonly topicCalls: Array<{ notice: Notice; bodies: TopicBodies }> = [];
  readonly eventCalls: Array<{ notice: Notice; changes: readonly Transition[] }> = [];
  failTopic = 0;
  optedOut = new Set<string>();
  optOutLists = 0;
  sendTimes: number[] = [];
  deadlineAt?: number;
  readonly topic: IncidentFeed;
  readonly events: EventSink;

  constructor(
    readonly inner: RecordingSender,
    private readonly p: Pipeline,
  ) {
    this.topic = {
      publish: async (notice, bodies) => {
        if (this.failTopic > 0) {
          this.failTopic--;
          throw new Error('SNS Publish to the incident topic failed: ThrottlingException');
        }
        this.topicCalls.push({ notice, bodies });
        return { messageId: `topic-${this.topicCalls.length}` };
      },
    };
    this.events = {
      publish: async (notice, changes) => {
        this.eventCalls.push({ notice, changes });
        return { messageId: `ev-${this.eventCalls.length}` };
      },
    };
  }

  async send(d: Delivery) {
    this.sendTimes.push(this.p.clock.now().getTime());
    return this.inner.send(d);
  }
  optOuts(): OptOuts {
    this.optOutLists++;
    const set = this.optedOut;
    return {
      listOptedOut: async () => ({ count: set.size, complete: true }),
      check: async (phone: string): Promise<OptOutAnswer> => (set.has(phone) ? { status: 'opted-out' } : { status: 'opted-in' }),
    };
  }
  /** Pacing waits move the simulated clock: nothing sleeps. */
  async sleep(ms: number) {
    this.p.clock.advance(ms);
  }
  remainingMs() {
    return this.deadlineAt === undefined ? undefined : this.deadlineAt - this.p.clock.now().getTime();
  }
}

/** Captures log lines (message + fields) to check what was logged. */
function capture(): Log & { lines: Array<{ message: string; extra?: Record<string, unknown> }> } {
  const lines: Array<{ message: string; extra?: Record<string, unknown> }> = [];
  const at = (message: string, extra?: Record<string, unknown>) => void lines.push({ message, ...(extra ? { extra } : {}) });
  return { lines, debug: at, info: at, warn: at, error: at };
}

// az-state gets an SMS number too, so both of its channels can be bundled.
const config = (over: Parameters<typeof testConfig>[0] = {}) =>
  testConfig({
    recipients: testConfig().recipients.map((r) => (r.id === 'az-state' ? { ...r, channels: { ...r.channels, sms: '+16025550177' } } : r)),
    ...over,
  });

describe('delivery on the embedded store', () => {
  let p: Pipeline;
  let channels: TestChannels;
  const start = async (cfg = config()) => {
    p = await startTestPipeline(cfg);
    channels = new TestChannels(p.sender, p);
    p.deps.sender = channels;
  };
  const cycle = async (ms = minute) => {
    p.clock.advance(ms);
    return runPollCycle(p.deps);
  };
  afterEach(() => p.stop());

  describe('storm control: one message per recipient per phase, across incidents', () => {
    // no escalation at once (the selective-router outage darkens three PSAPs)
    beforeEach(() => start(config({ escalation: { downMinutes: 30, minPsaps: 5, minStates: 3, noAckMinutes: 600, updateEveryMinutes: 120 } })));

    test('two outages at once: az-state gets ONE SMS and ONE email carrying both; every incident keeps its own records', async () => {
      await cycle(0);
      p.upstream.set('routing', 'major_outage');
      p.upstream.set('sr', 'major_outage');
      await cycle();
      const r = await cycle();
      expect(r.notices.map((n) => n.reason)).toEqual(['opened', 'opened']);
      const [a, b] = r.notices.map((n) => n.incidentId).sort();

      const az = p.sender.sent.filter((d) => d.recipientId === 'az-state');
      expect(az.map((d) => d.channel).sort()).toEqual(['email', 'sms']);
      for (const d of az) {
        expect(d.incidentId).toMatch(/^BDL-\d{8}T\d{6}Z-[0-9a-f]{8}$/);
        expect(d.members!.map((m) => m.incidentId).sort()).toEqual([a, b]);
      }
      expect(az.find((d) => d.channel === 'sms')!.text).toMatch(/^911 ALERT \(suspected\): 6 911 services in 2 incidents: Maricopa Region 911 AZ DOWN; Pinal County 911 AZ DOWN; \+4 more, see email\. Inc INC-\S+ \+1$/);

      // each member: its own record, sent, with the bundle's message id; the bundle: one record listing them
      const sms = az.find((d) => d.channel === 'sms')!;
      for (const id of [a!, b!]) {
        const member = (await p.store.listDeliveries(id)).find((d) => d.recipientId === 'az-state' && d.channel === 'sms')!;
        expect(member).toMatchObject({ status: 'sent', bundleId: sms.incidentId, messageId: expect.stringMatching(/^m-\d+$/) });
      }
      const [bundle] = await p.store.listDeliveries(sms.incidentId);
      expect(bundle).toMatchObject({ status: 'sent', recipientId: 'az-state', channel: 'sms', members: sms.members });
      // the rest got what concerns them alone, one message per recipient and channel
      const keys = p.sender.sent.map((d) => `${d.recipientId}/${d.channel}/${d.phase}`);
      expect(keys.length).toBe(new Set(keys).size);
      expect(await p.store.listPendingNotices()).toEqual([]);

      // one outage ends: its all-clear goes alone; then the other's
      p.upstream.set('sr', 'operational');
      await cycle();
      const clearB = await cycle();
      expect(clearB.notices.map((n) => `${n.incidentId}:${n.reason}`)).toEqual([`${b === clearB.notices[0]!.incidentId ? b : a}:resolved`]);
      const clearedIncident = clearB.notices[0]!.incidentId;
      expect(clearB.sent.filter((d) => d.recipientId === 'az-state').map((d) => `${d.incidentId}/${d.channel}/${d.phase}`).sort()).toEqual([
        `${clearedIncident}/email/final`,
        `${clearedIncident}/sms/final`,
      ]);
      p.upstream.set('routing', 'operational');
      await cycle();
      await cycle();

      // every recipient told about an incident (alone or in a bundle) got its all-clear on each channel
      for (const id of [a!, b!]) {
        const records = await p.store.listDeliveries(id);
        const told = new Set(records.filter((d) => d.phase !== 'final').map((d) => `${d.recipientId}/${d.channel}`));
        const cleared = new Set(records.filter((d) => d.phase === 'final' && d.status === 'sent').map((d) => `${d.recipientId}/${d.channel}`));
        expect([...told].filter((k) => !cleared.has(k))).toEqual([]);
      }
      const all = p.sender.sent.flatMap((d) => (d.members ?? [d]).map((m) => keyOf({ ...d, incidentId: m.incidentId, seq: m.seq })));
      expect(all.length).toBe(new Set(all).size);
    });

    test('the topic and the events go out once per notice, before fan-out; the events carry the services that changed', async () => {
      await cycle(0);
      p.upstream.set('routing', 'major_outage');
      await cycle();
      await cycle();
      expect(channels.topicCalls.map((c) => `${c.notice.incidentId}#${c.notice.seq}`)).toHaveLength(1);
      const [topic] = channels.topicCalls;
      expect(topic!.bodies.subject).toMatch(/^\[dialtone\] ALERT: 911 /);
      expect(topic!.bodies.email).toContain('FCC 47 CFR 4.9(h) notice fields');
      expect(channels.eventCalls[0]!.changes.map((t) => `${t.id}:${t.from}->${t.to}`)).toEqual(['hennepin:Normal->Down', 'hennepin-text:Normal->Partial', 'maricopa:Normal->Down']);
      const pubs = await p.store.listPublications(topic!.notice.incidentId);
      expect(pubs.map((x) => `${x.target}:${x.status}`).sort()).toEqual(['events:sent', 'topic:sent']);

      p.upstream.set('routing', 'operational');
      await cycle();
      await cycle();
      expect(channels.eventCalls.at(-1)!.changes.map((t) => `${t.id}:${t.from}->${t.to}`)).toEqual(['hennepin:Down->Normal', 'hennepin-text:Partial->Normal', 'maricopa:Down->Normal']);
      expect(channels.topicCalls).toHaveLength(2);
    });

    test('a failed topic publish keeps the notice in the outbox (people are still told) and is retried after its backoff', async () => {
      await cycle(0);
      p.upstream.set('routing', 'major_outage');
      await cycle();
      channels.failTopic = 1;
      const r = await cycle();
      expect(r.sent.length).toBeGreaterThan(0);
      expect(await p.store.listPendingNotices()).toHaveLength(1);
      const [pub] = (await p.store.listPublications(r.notices[0]!.incidentId)).filter((x) => x.target === 'topic');
      expect(pub).toMatchObject({ status: 'pending', attempts: 1, error: expect.stringContaining('ThrottlingException') });

      await cycle(10_000); // inside the 30 s backoff: not retried
      expect(channels.topicCalls).toHaveLength(0);
      const sent = p.sender.sent.length;
      await cycle(30_000);
      expect(channels.topicCalls).toHaveLength(1);
      expect(p.sender.sent).toHaveLength(sent); // nobody is told twice
      expect(await p.store.listPendingNotices()).toHaveLength(0);
    });
  });

  describe('opt-outs', () => {
    beforeEach(() => start());

    test('an opted-out number is settled as opted-out, the recipient is reached by email, and ops is told (once a day)', async () => {
      channels.optedOut.add('+16515550198'); // ramsey-floor (sms + email)
      channels.optedOut.add('+15205550166'); // pinal-floor (sms only)
      await cycle(0);
      p.upstream.set('routing', 'major_outage');
      await cycle();
      const r = await cycle();
      expect(r.optedOut!.sort()).toEqual(['pinal-floor', 'ramsey-floor']);
      expect(p.sender.sent.filter((d) => d.channel === 'sms').map((d) => d.recipientId)).not.toContain('ramsey-floor');
      expect(p.sender.sent.filter((d) => d.recipientId === 'ramsey-floor').map((d) => d.channel)).toEqual(['email']);
      const incident = r.notices[0]!.incidentId;
      const records = await p.store.listDeliveries(incident);
      expect(records.find((d) => d.recipientId === 'ramsey-floor' && d.channel === 'sms')).toMatchObject({ status: 'opted-out' });
      expect(records.find((d) => d.recipientId === 'pinal-floor')).toMatchObject({ status: 'opted-out' });

      // ops hears once, in one email, about both; pinal is not reached at all
      const ops = p.sender.sent.filter((d) => d.recipientId === 'ops');
      expect(ops).toHaveLength(1);
      expect(ops[0]!.members).toHaveLength(2);
      expect(ops[0]!.subject).toBe('[dialtone] OPS: 2 opted-out numbers');
      expect(ops[0]!.text).toMatch(/Pinal floor \(pinal-floor\): SMS number \+1\*{6}0166 is opted out .*NOT REACHED: no other channel/);
      expect(ops[0]!.text).toMatch(/Ramsey floor \(ramsey-floor\): .*reached by email instead/);
      expect(ops[0]!.text).not.toMatch(/\d{10}/);
      expect(await p.store.listPendingNotices()).toHaveLength(0);
      expect(channels.optOutLists).toBe(1); // listed once per run

      // the all-clear: the same numbers are opted out, ops has already been told today
      p.upstream.set('routing', 'operational');
      await cycle();
      await cycle();
      expect(p.sender.sent.filter((d) => d.recipientId === 'ops')).toHaveLength(1);
      expect(p.sender.sent.filter((d) => d.recipientId === 'ramsey-floor' && d.phase === 'final').map((d) => d.channel)).toEqual(['email']);
    });
  });

  describe('retries, backoff and the dead-letter path', () => {
    beforeEach(() => start());

    test('a send that keeps failing backs off, becomes a dead letter after the last attempt, and ops is alerted', async () => {
      const failing = new RecordingSender();
      const inner = channels.inner;
      channels.send = async (d: Delivery) => (d.recipientId === 'anoka-floor' ? failing.send({ ...d }).then(() => Promise.reject(new Error(`carrier rejected ${d.address}`))) : inner.send(d));
      await cycle(0);
      p.upstream.set('routing', 'major_outage');
      await cycle();
      const first = await cycle();
      const incident = first.notices[0]!.incidentId;
      const anoka = async () => (await p.store.listDeliveries(incident)).find((d) => d.recipientId === 'anoka-floor')!;
      expect(await anoka()).toMatchObject({ status: 'pending', attempts: 1, error: 'carrier rejected +1******0187' });

      // backoff: after attempt n the delivery is not reclaimable for 30 s, 1, 2, 4 minutes
      const backoffs: number[] = [];
      const tries = new Set<number>();
      for (let i = 0; i < 70 && (await anoka()).status === 'pending'; i++) {
        const d = await anoka();
        if (!tries.has(d.attempts)) {
          tries.add(d.attempts);
          backoffs.push((Date.parse(d.leaseUntil) - Date.parse(d.lastErrorAt!)) / 1000);
        }
        await cycle(15_000);
      }
      expect(backoffs).toEqual([30, 60, 120, 240]);
      const dead = await anoka();
      expect(dead).toMatchObject({ status: 'failed', attempts: MAX_DELIVERY_ATTEMPTS });
      expect((await p.store.listDeadLetters()).map((d) => keyOf(d as Delivery))).toEqual([`${incident}/1/anoka-floor/sms`]);

      const ops = p.sender.sent.filter((d) => d.recipientId === 'ops');
      expect(ops).toHaveLength(1);
      expect(ops[0]!.subject).toBe('[dialtone] OPS: 1 dead letter');
      expect(ops[0]!.text).toContain(`DEAD LETTER: ${incident} notice 1 sms to anoka-floor failed 5 attempts; last error: carrier rejected +1******0187`);
      expect(await p.store.listPendingNotices()).toHaveLength(0);
      // nothing else was sent twice
      const keys = p.sender.sent.map(keyOf);
      expect(keys.length).toBe(new Set(keys).size);
    });

    test('in order: while a recipient\'s earlier notice is still owed, the later one waits for it', async () => {
      const model = p.deps.model;
      const t0 = p.clock.now();
      const views = [{ serviceId: 'hennepin', state: 'Down' as const, since: t0.toISOString(), causes: ['routing'] }];
      const opened = issueNotice(openIncident('routing', views, [], t0), 'opened', t0);
      const changed = issueNotice(updateIncident(opened.incident, [...views, { serviceId: 'maricopa', state: 'Down' as const, since: t0.toISOString(), causes: ['routing'] }], [], t0).incident, 'changed', t0);
      await p.store.putNotice(opened.notice);
      await p.store.putNotice(changed.notice);
      const inner = channels.inner;
      let fail = 1;
      channels.send = async (d: Delivery) => {
        if (d.recipientId === 'ramsey-floor' && d.channel === 'sms' && fail > 0) {
          fail--;
          throw new Error('timeout');
        }
        return inner.send(d);
      };
      const run = () => deliverPending({ store: p.store, model, log: silentLog, sender: channels, clock: p.clock, leaseMs: minute });

      await run();
      const ramsey = () => p.sender.sent.filter((d) => d.recipientId === 'ramsey-floor' && d.channel === 'sms').map((d) => d.seq);
      expect(ramsey()).toEqual([]); // seq 1 failed, so seq 2 waited
      expect(p.sender.sent.filter((d) => d.recipientId === 'anoka-floor').map((d) => d.seq)).toEqual([1, 2]);
      expect(await p.store.listPendingNotices()).toHaveLength(2);

      p.clock.advance(31_000);
      await run();
      expect(ramsey()).toEqual([1, 2]);
      expect(await p.store.listPendingNotices()).toHaveLength(0);
    });
  });

  describe('pacing and the invocation\'s deadline', () => {
    test('SMS go out at the configured MPS, with the ETA logged; what does not fit in the time left stays pending for the next run', async () => {
      await start(config({ delivery: { smsMps: 1 } }));
      const log = capture();
      p.deps.log = log;
      await cycle(0);
      p.upstream.set('routing', 'major_outage');
      await cycle();
      // 5 s of bookkeeping reserve + 2 s: two SMS at 1 MPS fit (at 0 s and 1 s, 250 ms each), the rest does not
      const now = p.clock.now().getTime() + minute;
      channels.deadlineAt = now + 7_000;
      const r = await cycle();
      const sms = r.sent.filter((d) => d.channel === 'sms');
      expect(sms).toHaveLength(2);
      expect(sms.every((d) => d.role === 'psap')).toBe(true); // the dark PSAP's neighbours first
      expect(r.deferred).toBeGreaterThan(0);
      const plan = log.lines.find((l) => l.message === 'SMS send plan')!;
      expect(plan.extra).toMatchObject({ messages: 4, sending: 2, deferred: 2, mps: 1, etaSeconds: 2 });
      // paced: a second apart on the (simulated) clock
      const smsTimes = channels.sendTimes.filter((_, i) => p.sender.sent[i]!.channel === 'sms');
      expect(smsTimes[1]! - smsTimes[0]!).toBe(1000);
      expect(await p.store.listPendingNotices()).toHaveLength(1);

      // the next run, without a deadline, sends the rest: the neighbours first, nobody twice
      channels.deadlineAt = undefined;
      const next = await cycle();
      expect(next.sent.filter((d) => d.channel === 'sms')).toHaveLength(2);
      const keys = p.sender.sent.map(keyOf);
      expect(keys.length).toBe(new Set(keys).size);
      expect(await p.store.listPendingNotices()).toHaveLength(0);
    });
  });

  describe('the roster in DynamoDB', () => {
    beforeEach(() => start());

    test('an added recipient is told, a removed one is not, an override wins, a bad entry is left out', async () => {
      const at = p.clock.now().toISOString();
      await p.store.putRosterEntry({ id: 'hennepin-duty', recipient: { id: 'hennepin-duty', name: 'Hennepin duty officer', role: 'county-manager', jurisdictions: { fips: ['27053'] }, channels: { sms: '+1 612 555 0142' } }, updatedAt: at });
      await p.store.putRosterEntry({ id: 'hennepin-em', removed: true, updatedAt: at });
      await p.store.putRosterEntry({ id: 'pinal-floor', recipient: { id: 'pinal-floor', name: 'Pinal floor (new number)', role: 'psap', psap: 'pinal', channels: { sms: '+15205550111' } }, updatedAt: at });
      await p.store.putRosterEntry({ id: 'broken', recipient: { id: 'broken', name: 'x', role: 'psap', psap: 'nowhere', channels: { sms: '+10005550100' } }, updatedAt: at });
      await cycle(0);
      p.upstream.set('routing', 'major_outage');
      await cycle();
      await cycle();
      const told = new Set(p.sender.sent.map((d) => d.recipientId));
      expect(told.has('hennepin-duty')).toBe(true);
      expect(p.sender.sent.find((d) => d.recipientId === 'hennepin-duty')!.address).toBe('+16125550142'); // E.164
      expect(told.has('hennepin-em')).toBe(false);
      expect(p.sender.sent.find((d) => d.recipientId === 'pinal-floor')!.address).toBe('+15205550111');
      expect(told.has('broken')).toBe(false);
    });
  });

  describe('SNS SMS delivery status fed back onto the record', () => {
    beforeEach(() => start());

    const logsEvent = (lines: object[]) => ({
      awslogs: {
        data: gzipSync(
          JSON.stringify({
            messageType: 'DATA_MESSAGE',
            owner: '123456789012',
            logGroup: 'sns/us-east-1/123456789012/DirectPublishToPhoneNumber/Failure',
            logStream: 'x',
            subscriptionFilters: ['dialtone'],
            logEvents: lines.map((l, i) => ({ id: String(i), timestamp: Date.parse('2026-09-29T00:03:05Z'), message: JSON.stringify(l) })),
          }),
        ).toString('base64'),
      },
    });
    const status = (messageId: string, ok: boolean, reason: string) => ({
      notification: { messageId, timestamp: '2026-09-29 00:03:04.250' },
      delivery: { destination: '+16515550198', smsType: 'Transactional', providerResponse: reason, priceInUSD: 0.00581, numberOfMessageParts: 1, dwellTimeMs: 420 },
      status: ok ? 'SUCCESS' : 'FAILURE',
    });

    test('delivered / failed with the provider\'s reason, matched by message id (a bundle updates its members too)', async () => {
      await cycle(0);
      p.upstream.set('routing', 'major_outage');
      p.upstream.set('sr', 'major_outage');
      await cycle();
      await cycle();
      const ramsey = p.sender.sent.find((d) => d.recipientId === 'ramsey-floor' && d.channel === 'sms')!;
      const bundle = p.sender.sent.find((d) => d.recipientId === 'az-state' && d.channel === 'sms')!;
      const ramseyId = `m-${p.sender.sent.indexOf(ramsey) + 1}`;
      const bundleId = `m-${p.sender.sent.indexOf(bundle) + 1}`;

      const log = capture();
      const handle = createDeliveryStatusHandler({ store: p.store, log });
      const result = await handle(
        logsEvent([status(ramseyId, false, 'Phone is currently unreachable/unavailable'), status(bundleId, true, 'Message has been accepted by phone carrier'), status('not-ours', true, 'x'), { hello: 'world' }]),
      );
      expect(result).toEqual({ received: 3, updated: 4, unknown: 1, undelivered: 1, skipped: 1 });

      const record = (await p.store.listDeliveries(ramsey.incidentId)).find((d) => d.recipientId === 'ramsey-floor' && d.channel === 'sms')!;
      expect(record).toMatchObject({ status: 'sent', provider: { status: 'failed', reason: 'Phone is currently unreachable/unavailable', at: '2026-09-29T00:03:04.250Z' } });
      for (const m of bundle.members!) {
        const member = (await p.store.listDeliveries(m.incidentId)).find((d) => d.recipientId === 'az-state' && d.channel === 'sms')!;
        expect(member.provider).toEqual({ status: 'delivered', reason: 'Message has been accepted by phone carrier', at: '2026-09-29T00:03:04.250Z' });
      }
      // the phone number in the log line never reaches our logs
      expect(JSON.stringify(log.lines)).not.toMatch(/6515550198/);
      expect(log.lines.some((l) => l.message === 'SMS not delivered by the carrier')).toBe(true);
    });

    describe('a failed SMS reaches the recipient on its email, or ops hears it reached nobody', () => {
      const SUP = { id: 'anoka-sup', name: 'Anoka supervisor', role: 'psap', psap: 'anoka', jurisdictions: { fips: [], states: [] }, channels: { sms: '+17635550150' } };
      const alert = async () => {
        await p.store.putRosterEntry({ id: SUP.id, recipient: SUP, updatedAt: p.clock.now().toISOString() });
        await cycle(0);
        p.upstream.set('routing', 'major_outage');
        await cycle();
        await cycle();
        const incident = (await p.store.listOpenIncidents())[0]!.id;
        const smsOf = (recipientId: string) => {
          const d = p.sender.sent.find((x) => x.recipientId === recipientId && x.channel === 'sms' && x.incidentId === incident)!;
          return { delivery: d, messageId: `m-${p.sender.sent.indexOf(d) + 1}` };
        };
        return { incident, smsOf };
      };
      const handler = () => createDeliveryStatusHandler({ store: p.store, log: silentLog, fallback: { model: p.deps.model, sender: channels, clock: p.clock } });
      const record = async (incident: string, recipientId: string, channel = 'sms') => (await p.store.listDeliveries(incident)).find((d) => d.recipientId === recipientId && d.channel === channel);

      test('the receipt lands on the record (carrier status, words, time); a recipient whose email already went is reached: nothing more is sent', async () => {
        const { incident, smsOf } = await alert();
        const before = p.sender.sent.length;
        const r = await handler()(logsEvent([status(smsOf('ramsey-floor').messageId, false, 'Phone is currently unreachable/unavailable')]));
        expect(r).toMatchObject({ received: 1, updated: 1, undelivered: 1 });
        expect(await record(incident, 'ramsey-floor')).toMatchObject({
          status: 'sent',
          provider: { status: 'failed', reason: 'Phone is currently unreachable/unavailable', at: '2026-09-29T00:03:04.250Z', fallback: 'email' },
        });
        expect((await record(incident, 'ramsey-floor', 'email'))!.status).toBe('sent');
        expect(p.sender.sent.length).toBe(before);
      });

      test('no other channel: ops is alerted (NOT REACHED), once, however often the receipt comes', async () => {
        const { incident, smsOf } = await alert();
        const failed = status(smsOf('anoka-floor').messageId, false, 'Unknown error attempting to reach phone');
        const r = await handler()(logsEvent([failed]));
        expect(r.opsItems).toEqual([`OPS-UNREACHED-${incident}-1-anoka-floor`]);
        expect((await record(incident, 'anoka-floor'))!.provider).toMatchObject({ status: 'failed', fallback: 'ops' });
        const ops = p.sender.sent.filter((d) => d.recipientId === 'ops');
        expect(ops).toHaveLength(1);
        expect(ops[0]).toMatchObject({ channel: 'email', incidentId: `OPS-UNREACHED-${incident}-1-anoka-floor`, subject: '[dialtone] OPS: 1 recipient not reached' });
        expect(ops[0]!.text).toContain(`NOT REACHED: Anoka floor (anoka-floor): the carrier could not deliver the SMS of ${incident} notice 1 to +1******0187 (Unknown error attempting to reach phone)`);
        expect(ops[0]!.text).not.toMatch(/7635550187/);
        // the subscription retries, or the carrier reports twice: ops is not told again
        await handler()(logsEvent([failed]));
        expect(p.sender.sent.filter((d) => d.recipientId === 'ops')).toHaveLength(1);
      });

      test('a roster recipient given an email since the alert gets the SMS\'s words by email, once', async () => {
        const { incident, smsOf } = await alert();
        const sms = smsOf(SUP.id);
        await p.store.putRosterEntry({ id: SUP.id, recipient: { ...SUP, channels: { ...SUP.channels, email: 'sup@anoka.example' } }, updatedAt: p.clock.now().toISOString() });
        const r = await handler()(logsEvent([status(sms.messageId, false, 'Phone carrier has blocked this message')]));
        expect(r).toMatchObject({ fallbackEmails: 1 });
        const email = p.sender.sent.filter((d) => d.recipientId === SUP.id && d.channel === 'email');
        expect(email).toHaveLength(1);
        expect(email[0]).toMatchObject({ incidentId: incident, seq: 1, address: 'sup@anoka.example', subject: `[dialtone] ${incident}: our text to you was not delivered` });
        expect(email[0]!.text).toContain('carrier: Phone carrier has blocked this message');
        expect(email[0]!.text).toContain(sms.delivery.text);
        expect(await record(incident, SUP.id, 'email')).toMatchObject({ status: 'sent' });
        expect((await record(incident, SUP.id))!.provider).toMatchObject({ fallback: 'email' });
        expect(p.sender.sent.filter((d) => d.recipientId === 'ops')).toHaveLength(0);
        await handler()(logsEvent([status(sms.messageId, false, 'Phone carrier has blocked this message')]));
        expect(p.sender.sent.filter((d) => d.recipientId === SUP.id && d.channel === 'email')).toHaveLength(1);
      });

      test('the carrier says the number opted out: ops hears it as an opt-out (reached by email instead)', async () => {
        const { incident, smsOf } = await alert();
        await handler()(logsEvent([status(smsOf('ramsey-floor').messageId, false, 'Phone has opted out')]));
        expect((await record(incident, 'ramsey-floor'))!.provider).toMatchObject({ optedOut: true, fallback: 'email' });
        const ops = p.sender.sent.filter((d) => d.recipientId === 'ops');
        expect(ops).toHaveLength(1);
        expect(ops[0]!.text).toMatch(/Ramsey floor \(ramsey-floor\): SMS number \+1\*{6}0198 is opted out .*reached by email instead/);
      });
    });

    test('a payload that is not a subscription event is dropped with an error, not retried forever', async () => {
      const log = capture();
      const result = await createDeliveryStatusHandler({ store: p.store, log })({ awslogs: { data: 'bm90IGd6aXA=' } });
      expect(result).toEqual({ received: 0, updated: 0, unknown: 0, undelivered: 0, skipped: 0 });
      expect(log.lines[0]!.message).toMatch(/not a CloudWatch Logs subscription event/);
    });
  });
});
