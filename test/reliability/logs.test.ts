/**
 * The log rule (no phone number, email address or secret in logs): the bundled
 * demo, end to end, with everything it says captured: every printed line (its log lines are
 * printed too), anything written to stdout or stderr or through console.* while it runs, and
 * every line of its JSON Lines delivery log. No recipient's phone number or email address may
 * appear in any of them, in any common spelling. The contact points the config publishes on
 * purpose (PSAP fallback numbers, the notifier's desk: README "Rules and the choices behind
 * them", mask.ts redact's `keep`) must appear as they are, and nothing else may slip: every line
 * must come out of redact() unchanged with only those kept.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { consoleLog } from '../../shared/adapters/console-log.js';
import { runPollCycle } from '../../shared/app/poll-cycle.js';
import type { Sender } from '../../shared/app/ports.js';
import { runDemo, type DemoSummary } from '../../shared/cli/demo.js';
import { startLocalPipeline } from '../../shared/cli/local-pipeline.js';
import { SimulatedClock } from '../../shared/domain/clock.js';
import type { Delivery } from '../../shared/domain/records.js';
import { BUNDLED_SCENARIO } from '../../shared/cli/main.js';
import { bindConfig, loadScenario } from '../../shared/cli/scenario.js';
import { contactKey, redact } from '../../shared/domain/mask.js';
import { buildModel } from '../../shared/domain/model.js';
import { ScriptedUpstream } from '../support/pipeline.js';

interface Captured {
  where: string;
  text: string;
}

/** The ways people write a NANP number: +16515550198, 16515550198, 651-555-0198, (651) 555-0198 … */
export function phoneSpellings(e164: string): string[] {
  const digits = e164.replace(/\D/g, '');
  const national = digits.length === 11 && digits.startsWith('1') ? digits.slice(1) : digits;
  if (national.length !== 10) return [e164, digits];
  const [a, b, c] = [national.slice(0, 3), national.slice(3, 6), national.slice(6)];
  return [
    e164,
    `+1${national}`,
    `1${national}`,
    national,
    `${a}-${b}-${c}`,
    `(${a}) ${b}-${c}`,
    `(${a})${b}-${c}`,
    `${a}.${b}.${c}`,
    `${a} ${b} ${c}`,
    `+1 ${a} ${b} ${c}`,
    `+1 (${a}) ${b}-${c}`,
    `+1-${a}-${b}-${c}`,
    `+1.${a}.${b}.${c}`,
    `1-${a}-${b}-${c}`,
    `1 (${a}) ${b}-${c}`,
  ];
}

export function emailSpellings(email: string): string[] {
  return [email, email.toLowerCase(), email.toUpperCase(), encodeURIComponent(email), email.replace('@', ' at ')];
}

describe('the bundled demo logs no recipient contact', () => {
  const config = bindConfig(loadScenario(BUNDLED_SCENARIO), 'http://127.0.0.1:1');
  const model = buildModel(config);
  const keep = new Set(model.publicContacts.map(contactKey));
  const captured: Captured[] = [];
  let summary: DemoSummary;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dialtone-logs-'));
    const out = join(dir, 'deliveries.jsonl');
    const record = (where: string) => (...args: unknown[]) => {
      captured.push({ where, text: args.map((a) => (typeof a === 'string' ? a : a instanceof Uint8Array ? Buffer.from(a).toString('utf8') : JSON.stringify(a))).join(' ') });
    };
    const spies = [
      ...(['log', 'info', 'warn', 'error', 'debug', 'trace'] as const).map((m) => jest.spyOn(console, m).mockImplementation(record(`console.${m}`))),
      ...(['stdout', 'stderr'] as const).map((stream) => {
        const original = process[stream].write.bind(process[stream]);
        return jest.spyOn(process[stream], 'write').mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
          record(stream)(chunk);
          return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
        }) as typeof process.stdout.write);
      }),
    ];
    try {
      summary = await runDemo({ scenarioFile: BUNDLED_SCENARIO, speed: 0, out, print: record('printed') });
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    for (const line of readFileSync(out, 'utf8').split('\n').filter(Boolean)) captured.push({ where: 'delivery log', text: line });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const lines = () => captured.flatMap((c) => c.text.split('\n').map((text) => ({ where: c.where, text })));

  test('the demo ran: deliveries were printed and logged', () => {
    expect(summary.deliveries.length).toBeGreaterThan(10);
    expect(captured.filter((c) => c.where === 'printed' && /→ (SMS|EMAIL)/.test(c.text)).length).toBeGreaterThan(10);
    // One line per delivery, plus the incident topic's and events' publications.
    expect(captured.filter((c) => c.where === 'delivery log').length).toBeGreaterThanOrEqual(summary.deliveries.length);
  });

  type Line = { where: string; text: string };
  const phoneLeaks = (ls: Line[]) =>
    model.recipients.flatMap((r) =>
      r.channels.sms ? phoneSpellings(r.channels.sms).flatMap((spelling) => ls.filter((l) => l.text.includes(spelling)).map((l) => `${r.id} as "${spelling}" in ${l.where}: ${l.text}`)) : [],
    );
  const emailLeaks = (ls: Line[]) =>
    model.recipients.flatMap((r) =>
      r.channels.email
        ? emailSpellings(r.channels.email).flatMap((spelling) => ls.filter((l) => l.text.toLowerCase().includes(spelling.toLowerCase())).map((l) => `${r.id} as "${spelling}" in ${l.where}: ${l.text}`))
        : [],
    );
  const slipped = (ls: Line[]) => ls.filter(({ text }) => redact(text, keep) !== text).map(({ where, text }) => `${where}: ${text}\n   redacted: ${redact(text, keep)}`);

  test('no recipient phone number appears, in any spelling', () => {
    expect(model.recipients.filter((r) => r.channels.sms).length).toBeGreaterThan(2);
    expect(phoneLeaks(lines())).toEqual([]);
  });

  test('no recipient email address appears, in any spelling', () => {
    expect(model.recipients.filter((r) => r.channels.email).length).toBeGreaterThan(2);
    expect(emailLeaks(lines())).toEqual([]);
  });

  test('the published contact points are shown as they are: the dark PSAPs’ fallback numbers and the notifier’s desk', () => {
    const all = lines().map((l) => l.text);
    const shown = (contact: string) => all.some((text) => (contact.includes('@') ? text.includes(contact) : phoneSpellings(contact).some((s) => text.includes(s))));
    const dark = summary.incidents.flatMap((i) => i.services);
    const fallbacks = config.services.filter((s) => dark.includes(s.id)).flatMap((s) => s.fallbackNumbers);
    expect(fallbacks.length).toBeGreaterThan(0);
    for (const number of fallbacks) expect([number, shown(number)]).toEqual([number, true]);
    // FCC 4.9(h) field 2, in the emails' bodies (the delivery log carries them whole).
    expect(shown(config.notifier.email)).toBe(true);
    expect(shown(config.notifier.phone)).toBe(true);
    // And they are not personal data: no recipient uses one.
    for (const r of model.recipients) for (const c of [r.channels.sms, r.channels.email]) if (c) expect(keep.has(contactKey(c))).toBe(false);
  });

  test('nothing else slips: every line is unchanged by redact() with only the published contacts kept', () => {
    expect(slipped(lines())).toEqual([]);
  });

  test('the checks themselves catch a leak', () => {
    const leak = (text: string) => [{ where: 'synthetic', text }];
    expect(phoneLeaks(leak('WARN delivery failed for (651) 555-0198'))).toHaveLength(1);
    expect(phoneLeaks(leak('to 651.555.0198 at 10:02'))).toHaveLength(1);
    expect(emailLeaks(leak('{"to":"Floor@Ramsey-ECC.example"}'))).not.toHaveLength(0);
    expect(emailLeaks(leak('ack?r=floor%40ramsey-ecc.example'))).toHaveLength(1);
    expect(slipped(leak('call +1 415 555 0134 or jane.doe@county.example'))).toHaveLength(1);
    expect(slipped(leak('public fallback 612-555-0100, desk +1 555 010 0199'))).toEqual([]);
    expect(slipped(leak('→ SMS   psap  ramsey-floor  +1******0198  "911 ALERT"'))).toEqual([]);
  });
});

/**
 * The demo logs at error level and nothing fails in it. Here the same config runs through the
 * real pipeline with every log line kept (debug and up), while the channel refuses every other
 * message with an error that quotes the recipient's address and text, and a source goes blind
 * (ops alerts): the failure paths' log lines must keep the rule too.
 */
describe('the pipeline’s log lines at every level, under failures', () => {
  test('no recipient contact in any log line, printed line or delivery-log line', async () => {
    const config = bindConfig(loadScenario(BUNDLED_SCENARIO), 'http://127.0.0.1:1');
    const model = buildModel(config);
    const keep = new Set(model.publicContacts.map(contactKey));
    const dir = mkdtempSync(join(tmpdir(), 'dialtone-logs-'));
    const lines: string[] = [];
    const clock = new SimulatedClock('2026-09-28T23:40:00Z');
    const pipeline = await startLocalPipeline({ config, clock, log: consoleLog('debug', (l) => lines.push(l)), deliveryLogFile: join(dir, 'deliveries.jsonl'), print: (l) => lines.push(l) });
    let sends = 0;
    const local = pipeline.deps.sender;
    const flaky = new Proxy(local, {
      get(target, prop, receiver) {
        if (prop !== 'send') return Reflect.get(target, prop, receiver);
        return async (d: Delivery) => {
          if (sends++ % 2 === 0) throw new Error(`SNS refused the message to ${d.address} (${d.channel}): ${d.text.slice(0, 60)}`);
          return (target as Sender).send(d);
        };
      },
    });
    const upstream = new ScriptedUpstream();
    const deps = { ...pipeline.deps, sender: flaky, readSource: upstream.read };
    try {
      for (let minute = 0; minute < 60; minute++) {
        clock.advance(60_000);
        upstream.set('meridian-routing', minute >= 2 && minute < 40 ? 'major_outage' : 'operational');
        upstream.set('prairie-routing', minute >= 10 && minute < 20 ? 'major_outage' : 'operational');
        upstream.failing = new Set(minute >= 5 && minute < 15 ? ['contoso-status'] : []);
        await runPollCycle(deps);
      }
      for (const line of readFileSync(join(dir, 'deliveries.jsonl'), 'utf8').split('\n').filter(Boolean)) lines.push(line);
    } finally {
      await pipeline.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(lines.some((l) => l.startsWith('ERROR delivery failed'))).toBe(true);
    expect(lines.some((l) => /contoso-status/.test(l))).toBe(true);
    const all = lines.flatMap((l) => l.split('\n'));
    const contacts = model.recipients.flatMap((r) => [
      ...(r.channels.sms ? phoneSpellings(r.channels.sms) : []),
      ...(r.channels.email ? emailSpellings(r.channels.email).map((e) => e.toLowerCase()) : []),
    ]);
    expect(all.filter((l) => contacts.some((c) => l.toLowerCase().includes(c.toLowerCase())))).toEqual([]);
    expect(all.filter((l) => redact(l, keep) !== l)).toEqual([]);
  });
});
