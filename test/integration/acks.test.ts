import { acknowledgeByOperator, acknowledgeLink, acknowledgeReply, ackLink } from '../../shared/app/ack.js';
import { runPollCycle } from '../../shared/app/poll-cycle.js';
import { ackCode } from '../../shared/domain/incident.js';
import { testConfig } from '../support/config.js';
import { startTestPipeline } from '../support/pipeline.js';

type Pipeline = Awaited<ReturnType<typeof startTestPipeline>>;
const minute = 60_000;

describe('acknowledgements', () => {
  let p: Pipeline;
  const open = async () => {
    await runPollCycle(p.deps);
    p.upstream.set('routing', 'major_outage');
    p.clock.advance(minute);
    await runPollCycle(p.deps);
    p.clock.advance(minute);
    await runPollCycle(p.deps);
    return (await p.store.listOpenIncidents())[0]!;
  };
  const cycle = async (minutes: number) => {
    p.clock.advance(minutes * minute);
    return runPollCycle(p.deps);
  };
  afterEach(() => p.stop());

  describe('with a short no-ack clock (10 min) and reminders every 30 min', () => {
    beforeEach(async () => {
      p = await startTestPipeline(testConfig({ escalation: { downMinutes: 120, minPsaps: 5, minStates: 5, noAckMinutes: 10, updateEveryMinutes: 30 } }));
    });

    test('no agency acknowledges: the FCC liaison is told after 10 minutes', async () => {
      await open();
      expect((await cycle(9)).notices).toEqual([]);
      const r = await cycle(1);
      expect(r.notices.map((n) => n.reason)).toEqual(['escalated']);
      expect(r.sent.map((d) => d.recipientId)).toEqual(['fcc']);
      expect(r.sent[0]!.text).toContain('Escalation: this outage met the escalation policy: no agency acknowledged within 10 min.');
    });

    test('an agency replies ACK with the code from its SMS: no escalation; the reminders still reach it, without asking again', async () => {
      const incident = await open();
      const reply = await acknowledgeReply(p.store, p.deps.model, { from: '651-555-0198', text: `ack ${ackCode(incident.id)} - we have it` }, p.clock.now());
      expect(reply).toMatchObject({ ok: true, duplicate: false, ack: { incidentId: incident.id, recipientId: 'ramsey-floor', via: 'reply' } });
      expect((await cycle(9)).notices).toEqual([]);
      const reminder = await cycle(21);
      expect(reminder.notices.map((n) => n.reason)).toEqual(['reminder']);
      const sms = (id: string) => reminder.sent.find((d) => d.recipientId === id && d.channel === 'sms')?.text;
      expect(sms('ramsey-floor')).toMatch(/^911 UPDATE/);
      expect(sms('ramsey-floor')).not.toMatch(/Ack [A-Z0-9]{4}/);
      expect(sms('anoka-floor')).toMatch(new RegExp(`Ack ${ackCode(incident.id)}$`));
      // the all-clear still reaches the one who acknowledged
      p.upstream.set('routing', 'operational');
      await cycle(1);
      const clear = await cycle(1);
      expect(clear.sent.filter((d) => d.phase === 'final').map((d) => d.recipientId)).toContain('ramsey-floor');
    });
  });

  describe('inputs', () => {
    beforeEach(async () => {
      p = await startTestPipeline(testConfig());
    });

    test.each([
      ['no code', 'got it', 400],
      ['a number not on the roster', 'ACK ZZZZ', 400],
    ])('a reply with %s is refused', async (_name, text, status) => {
      await open();
      expect(await acknowledgeReply(p.store, p.deps.model, { from: '+16515550198', text }, p.clock.now())).toMatchObject({ ok: false, status });
    });

    test('a reply from an unknown number or for no open incident is a 404 naming why', async () => {
      const incident = await open();
      expect(await acknowledgeReply(p.store, p.deps.model, { from: '+19995550000', text: `ACK ${ackCode(incident.id)}` }, p.clock.now())).toMatchObject({ ok: false, status: 404, error: expect.stringMatching(/not on the roster/) });
      expect(await acknowledgeReply(p.store, p.deps.model, { from: '+16515550198', text: 'ACK 0000' }, p.clock.now())).toMatchObject({ ok: false, status: 404, error: expect.stringMatching(/no open incident/) });
    });

    test('a signed link acknowledges once; a forged signature is refused', async () => {
      const incident = await open();
      const link = ackLink('https://api.example/prod', 'ack-secret', incident.id, 'hennepin-em');
      const [, , , id, recipient, signature] = new URL(link).pathname.split('/').map(decodeURIComponent);
      expect([id, recipient]).toEqual([incident.id, 'hennepin-em']);
      expect(await acknowledgeLink(p.store, p.deps.model, 'ack-secret', { incidentId: id!, recipientId: recipient!, signature: signature! }, p.clock.now())).toMatchObject({ ok: true, duplicate: false });
      expect(await acknowledgeLink(p.store, p.deps.model, 'ack-secret', { incidentId: id!, recipientId: recipient!, signature: signature! }, p.clock.now())).toMatchObject({ ok: true, duplicate: true });
      expect(await acknowledgeLink(p.store, p.deps.model, 'ack-secret', { incidentId: id!, recipientId: 'ramsey-floor', signature: signature! }, p.clock.now())).toMatchObject({ ok: false, status: 401 });
      expect((await p.store.listAcks(incident.id)).map((a) => a.recipientId)).toEqual(['hennepin-em']);
    });

    test('an operator records an acknowledgement; unknown ids are 404s', async () => {
      const incident = await open();
      expect(await acknowledgeByOperator(p.store, p.deps.model, incident.id, 'pinal-floor', p.clock.now())).toMatchObject({ ok: true, ack: { via: 'cli' } });
      expect(await acknowledgeByOperator(p.store, p.deps.model, 'INC-nope', 'pinal-floor', p.clock.now())).toMatchObject({ ok: false, status: 404 });
      expect(await acknowledgeByOperator(p.store, p.deps.model, incident.id, 'nobody', p.clock.now())).toMatchObject({ ok: false, status: 404 });
    });
  });
});
