import { deliveryParts, paced, planSms, smsParts, type PlanItem } from '../../shared/app/throttle.js';
import { SimulatedClock } from '../../shared/domain/clock.js';

const START = new Date('2026-09-29T00:10:00.000Z');
const sms = (length: number, ch = 'a'): PlanItem => ({ channel: 'sms', text: ch.repeat(length) });
const email = (): PlanItem => ({ channel: 'email', text: 'x'.repeat(5000) });
const ones = (n: number) => Array.from({ length: n }, () => sms(160));

describe('smsParts', () => {
  test.each([
    ['empty (still one message)', 1, ''],
    ['160 GSM-7 characters', 1, 'a'.repeat(160)],
    ['161 GSM-7 characters', 2, 'a'.repeat(161)],
    ['306 GSM-7 characters (2 × 153)', 2, 'a'.repeat(306)],
    ['307 GSM-7 characters', 3, 'a'.repeat(307)],
    ['80 extended characters (2 septets each)', 1, '€'.repeat(80)],
    ['81 extended characters', 2, '€'.repeat(81)],
    ['70 UCS-2 characters', 1, 'ж'.repeat(70)],
    ['71 UCS-2 characters', 2, 'ж'.repeat(71)],
    ['one emoji flips 100 characters to UCS-2', 2, `${'a'.repeat(98)}😀`],
  ])('%s → %i part(s)', (_name, parts, text) => {
    expect(smsParts(text)).toBe(parts);
  });

  test('email costs no SMS parts', () => {
    expect(deliveryParts(email())).toBe(0);
    expect(deliveryParts(sms(161))).toBe(2);
  });
});

describe('planSms', () => {
  test.each([
    // mps, messages, first offsets, ETA (ms)
    ['toll-free 3 MPS, 10 one-part messages', 3, ones(10), [0, 334, 667, 1000, 1334], 3334],
    ['10DLC 20 MPS, 100 one-part messages', 20, ones(100), [0, 50, 100, 150, 200], 5000],
    ['short code 100 MPS, 1000 one-part messages', 100, ones(1000), [0, 10, 20, 30, 40], 10_000],
    ['3 MPS, multi-part messages count per part', 3, [sms(160), sms(200), sms(400), sms(10)], [0, 334, 1000, 2000], 2334],
    ['20 MPS, multi-part messages count per part', 20, [sms(306), sms(307), sms(71, 'ж'), sms(1)], [0, 100, 250, 350], 400],
    ['100 MPS, a 10-part message delays the next by 100 ms', 100, [sms(1530), sms(1)], [0, 100], 110],
  ])('%s', (_name, mps, items, offsets, etaMs) => {
    const plan = planSms(items, mps, START);

    expect(plan.sends.slice(0, offsets.length).map((s) => s.offsetMs)).toEqual(offsets);
    expect(plan.etaMs).toBe(etaMs);
    expect(plan.eta).toBe(new Date(START.getTime() + etaMs).toISOString());
    expect(plan.totalParts).toBe(items.reduce((n, i) => n + smsParts(i.text), 0));
    // Never faster than the rate: by the time a message starts, the parts before it fit in the elapsed time.
    let before = 0;
    for (const s of plan.sends) {
      expect(before).toBeLessThanOrEqual((s.offsetMs * mps) / 1000 + 1e-9);
      before += s.parts;
    }
    expect(plan.sends.at(-1)!.doneMs).toBe(etaMs);
  });

  test('keeps priority order; email is not rate-limited and is due at once', () => {
    const items = [sms(160), email(), sms(160), email(), sms(160)];
    const plan = planSms(items, 3, START);

    expect(plan.sends.map((s) => [s.index, s.parts, s.offsetMs])).toEqual([
      [0, 1, 0],
      [1, 0, 0],
      [2, 1, 334],
      [3, 0, 0],
      [4, 1, 667],
    ]);
    expect(plan.etaMs).toBe(1000);
  });

  test('nothing to send: ETA is now', () => {
    expect(planSms([email()], 3, START)).toMatchObject({ totalParts: 0, etaMs: 0, eta: START.toISOString() });
  });

  test.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('refuses an MPS of %s', (mps) => {
    expect(() => planSms(ones(1), mps, START)).toThrow(RangeError);
  });
});

describe('paced', () => {
  function harness(sendMs = 0) {
    const clock = new SimulatedClock(START);
    const slept: number[] = [];
    const sentAt: Array<[number, number]> = [];
    const sleep = async (ms: number) => {
      slept.push(ms);
      clock.advance(ms);
    };
    const send = async (item: PlanItem, index: number) => {
      sentAt.push([index, clock.now().getTime() - START.getTime()]);
      clock.advance(sendMs);
      if (item.text === 'boom') throw new Error('throttled');
      return `msg-${index}`;
    };
    return { clock, slept, sentAt, sleep, send };
  }

  test.each([
    [3, [0, 334, 667, 1000]],
    [20, [0, 50, 100, 150]],
    [100, [0, 10, 20, 30]],
  ])('at %i MPS, sends on the plan without real waiting', async (mps, expected) => {
    const h = harness();
    const items = ones(4);

    const results = await paced(items, h.send, { mps, partsOf: deliveryParts, clock: h.clock, sleep: h.sleep });

    expect(h.sentAt.map(([, t]) => t)).toEqual(expected);
    expect(h.sentAt.map(([, t]) => t)).toEqual(planSms(items, mps, START).sends.map((s) => s.offsetMs));
    expect(results.map((r) => r.ok && r.value)).toEqual(['msg-0', 'msg-1', 'msg-2', 'msg-3']);
  });

  test('multi-part messages hold the next one back per part', async () => {
    const h = harness();
    await paced([sms(400), sms(10), sms(10)], h.send, { mps: 3, partsOf: deliveryParts, clock: h.clock, sleep: h.sleep });
    expect(h.sentAt.map(([, t]) => t)).toEqual([0, 1000, 1334]);
  });

  test('time spent sending counts towards the wait', async () => {
    const h = harness(40);
    await paced(ones(3), h.send, { mps: 20, partsOf: deliveryParts, clock: h.clock, sleep: h.sleep });
    expect(h.sentAt.map(([, t]) => t)).toEqual([0, 50, 100]);
    expect(h.slept).toEqual([10, 10]);
  });

  test('a slow API is not slowed further: no sleep once behind schedule', async () => {
    const h = harness(500);
    await paced(ones(3), h.send, { mps: 100, partsOf: deliveryParts, clock: h.clock, sleep: h.sleep });
    expect(h.slept).toEqual([]);
    expect(h.sentAt.map(([, t]) => t)).toEqual([0, 500, 1000]);
  });

  test('a failed send is a result, and the rest still go out', async () => {
    const h = harness();
    const results = await paced([sms(10), { channel: 'sms', text: 'boom' }, sms(10)], h.send, { mps: 3, partsOf: deliveryParts, clock: h.clock, sleep: h.sleep });

    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    expect(results[1]).toMatchObject({ ok: false, index: 1, error: new Error('throttled'), startedAt: '2026-09-29T00:10:00.334Z' });
    expect(h.sentAt).toHaveLength(3);
  });

  test('email in the list does not wait for the SMS rate', async () => {
    const h = harness();
    await paced([sms(10), email(), sms(10)], h.send, { mps: 3, partsOf: deliveryParts, clock: h.clock, sleep: h.sleep });
    expect(h.sentAt).toEqual([
      [0, 0],
      [1, 0],
      [2, 334],
    ]);
  });
});
