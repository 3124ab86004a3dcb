import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalDeliveryLog, deliveryLogLineSchema, readDeliveryLog } from '../../shared/adapters/local-sender.js';
import { MINUTE, SimulatedClock } from '../../shared/domain/clock.js';
import type { Delivery } from '../../shared/domain/records.js';

const PHONE = '+16125550123';
const EMAIL = 'liaison@fcc.example';
// A PSAP notice quotes 10-digit numbers: they are masked in the log too.
const SMS_TEXT = 'DIALTONE 911: Ramsey ECC DOWN. Rollover: Washington ECC 651-555-0199.';

function delivery(overrides: Partial<Delivery> = {}): Delivery {
  return {
    incidentId: 'inc-1',
    seq: 1,
    recipientId: 'ramsey-floor',
    channel: 'sms',
    phase: 'initial',
    role: 'psap',
    address: PHONE,
    text: SMS_TEXT,
    status: 'pending',
    attempts: 1,
    leaseUntil: '2026-03-01T12:01:00.000Z',
    createdAt: '2026-03-01T12:00:00.000Z',
    ...overrides,
  };
}

const emailDelivery = delivery({
  seq: 2,
  phase: 'update',
  channel: 'email',
  recipientId: 'fcc-desk',
  role: 'fcc-liaison',
  reason: 'escalated',
  address: EMAIL,
  subject: '[dialtone] ESCALATION Ramsey ECC down 30 min',
  text: `Reply to ${EMAIL} or call +16125550123.\nFCC 4.9(h) fields follow.`,
});

describe('LocalDeliveryLog', () => {
  let dir: string;
  let file: string;
  let printed: string[];
  let clock: SimulatedClock;
  let log: LocalDeliveryLog;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dialtone-deliveries-'));
    file = join(dir, 'nested', 'deliveries.jsonl');
    printed = [];
    clock = new SimulatedClock('2026-03-01T12:00:00.000Z');
    log = new LocalDeliveryLog({ file, print: (line) => printed.push(line), clock });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('appends one masked JSON line per send, stamped by the injected clock', async () => {
    await expect(log.send(delivery())).resolves.toEqual({ messageId: 'local-1' });
    clock.advance(5 * MINUTE);
    await expect(log.send(emailDelivery)).resolves.toEqual({ messageId: 'local-2' });

    const raw = readFileSync(file, 'utf8');
    expect(raw.endsWith('\n')).toBe(true);
    const lines = raw.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(deliveryLogLineSchema.safeParse(JSON.parse(line)).success).toBe(true);

    expect(readDeliveryLog(file)).toEqual([
      {
        time: '2026-03-01T12:00:00.000Z',
        incidentId: 'inc-1',
        phase: 'initial',
        seq: 1,
        recipientId: 'ramsey-floor',
        role: 'psap',
        channel: 'sms',
        address: '+1******0123',
        text: 'DIALTONE 911: Ramsey ECC DOWN. Rollover: Washington ECC ***-***-0199.',
      },
      {
        time: '2026-03-01T12:05:00.000Z',
        incidentId: 'inc-1',
        phase: 'update',
        seq: 2,
        recipientId: 'fcc-desk',
        role: 'fcc-liaison',
        channel: 'email',
        address: 'l***@fcc.example',
        subject: '[dialtone] ESCALATION Ramsey ECC down 30 min',
        text: 'Reply to l***@fcc.example or call +1******0123.\nFCC 4.9(h) fields follow.',
        reason: 'escalated',
      },
    ]);
  });

  test('prints one compact line per send: phase and reason, then the text for SMS, the subject for email', async () => {
    await log.send(delivery());
    await log.send(emailDelivery);
    await log.send(delivery({ incidentId: 'BDL-1', reason: 'opened', members: [{ incidentId: 'inc-1', seq: 3, reason: 'changed' }, { incidentId: 'inc-2', seq: 1, reason: 'confirmed' }, { incidentId: 'inc-3', seq: 2, reason: 'changed' }] }));

    expect(printed).toEqual([
      '  → SMS   psap  ramsey-floor  +1******0123  initial  "DIALTONE 911: Ramsey ECC DOWN. Rollover: Washington ECC ***-***-0199."',
      '  → EMAIL fcc-liaison  fcc-desk  l***@fcc.example  update (escalated)  "[dialtone] ESCALATION Ramsey ECC down 30 min"',
      // a bundle: each of its members' reasons, once
      '  → SMS   psap  ramsey-floor  +1******0123  initial (opened, changed, confirmed)  "DIALTONE 911: Ramsey ECC DOWN. Rollover: Washington ECC ***-***-0199."',
    ]);
  });

  test('no raw phone number or email address reaches the file or the console', async () => {
    await log.send(delivery());
    await log.send(emailDelivery);

    const everything = [readFileSync(file, 'utf8'), ...printed].join('\n');
    for (const raw of [PHONE, '6125550123', '651-555-0199', EMAIL]) expect(everything).not.toContain(raw);
  });

  test('works with neither a file nor a console', async () => {
    const quiet = new LocalDeliveryLog({ clock });
    await expect(quiet.send(delivery())).resolves.toEqual({ messageId: 'local-1' });
    await expect(quiet.send(delivery({ seq: 2 }))).resolves.toEqual({ messageId: 'local-2' });
  });
});

describe('readDeliveryLog', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'dialtone-deliveries-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('a log not written yet reads as empty', () => {
    expect(readDeliveryLog(join(dir, 'missing.jsonl'))).toEqual([]);
  });

  test.each([
    ['not JSON', '{"time":', /deliveries\.jsonl:2: not JSON/],
    ['a line of the wrong shape', '{"time":"yesterday"}', /deliveries\.jsonl:2: not a delivery log line:[\s\S]*time/],
  ])('names the file and line of %s', (_name, bad, error) => {
    const file = join(dir, 'deliveries.jsonl');
    const good = JSON.stringify({
      time: '2026-03-01T12:00:00.000Z',
      incidentId: 'inc-1',
      phase: 'initial',
      seq: 1,
      recipientId: 'r',
      role: 'psap',
      channel: 'sms',
      address: '+1******0123',
      text: 't',
    });
    writeFileSync(file, `${good}\n${bad}\n`);
    expect(() => readDeliveryLog(file)).toThrow(error);
  });
});
