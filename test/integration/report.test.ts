import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoStore } from '../../shared/adapters/dynamo-store.js';
import { startEmbeddedDynamo } from '../../shared/adapters/embedded-dynamo.js';
import { acknowledgeByOperator, acknowledgeLink, ackLink, answerReply } from '../../shared/app/ack.js';
import { applyDeliveryStatuses } from '../../shared/app/delivery-status.js';
import { silentLog } from '../../shared/app/log.js';
import type { DeliveryChannels, OptOuts } from '../../shared/app/ports.js';
import { sendRollCall } from '../../shared/app/roster.js';
import type { Delivery } from '../../shared/domain/records.js';
import { runPollCycle, type PipelineDeps } from '../../shared/app/poll-cycle.js';
import { buildReport, csvField, CSV_COLUMNS, toCsv, toJson, toMarkdown, UnknownIncidentError, type AfterActionReport, type ReportEvent } from '../../shared/app/report.js';
import { runDemo } from '../../shared/cli/demo.js';
import { BUNDLED_SCENARIO, main } from '../../shared/cli/main.js';
import { ScenarioError } from '../../shared/cli/scenario.js';
import { SimulatedClock } from '../../shared/domain/clock.js';
import { buildModel } from '../../shared/domain/model.js';
import { testConfig } from '../support/config.js';
import { RecordingSender, ScriptedUpstream, startTestPipeline } from '../support/pipeline.js';

const minute = 60_000;
const T = (m: number) => new Date(Date.parse('2026-09-29T00:00:00Z') + m * minute).toISOString();

/** RFC 4180 reader, enough to check the writer: quoted fields, doubled quotes, CRLF inside quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const endField = () => {
    row.push(field);
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted && ch === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (ch === '"') {
      quoted = !quoted;
    } else if (!quoted && ch === ',') {
      endField();
    } else if (!quoted && ch === '\r' && text[i + 1] === '\n') {
      endField();
      rows.push(row);
      row = [];
      i++;
    } else {
      field += ch;
    }
  }
  if (field !== '' || row.length > 0) {
    endField();
    rows.push(row);
  }
  return rows;
}

/** A short line per event, for order assertions. */
function line(e: ReportEvent): string {
  switch (e.type) {
    case 'component':
      return `${e.at} component ${e.componentId} [${e.role}] ${e.from}->${e.to}`;
    case 'service':
      return `${e.at} service ${e.serviceId} ${e.from}->${e.to}`;
    case 'notice':
      return `${e.at} notice ${e.seq} ${e.phase}/${e.reason}`;
    case 'delivery':
      return `${e.at} delivery ${e.seq} ${e.recipientId} ${e.channel} ${e.status}`;
    default:
      return `${e.at} ${e.type}`;
  }
}

describe('the after-action report, on the embedded store', () => {
  let dataDir: string;
  let report: AfterActionReport;
  let incidentId: string;
  let deps: PipelineDeps;
  let stopDb: () => Promise<void>;
  const config = testConfig();

  /**
   * Minutes: 1-2 the office suite (not a dependency) goes down; 3-4 the vendor's routing goes
   * down and the incident opens (one send fails and is retried at 5); 5-8 Hennepin's ALI
   * dependency degrades and recovers while the office suite recovers; 9-10 routing recovers and
   * the incident resolves.
   */
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'dialtone-report-'));
    const db = await startEmbeddedDynamo({ dataDir });
    stopDb = () => db.stop();
    const store = new DynamoStore({ client: db.client, tableName: db.tableName });
    const clock = new SimulatedClock(T(0));
    const upstream = new ScriptedUpstream();
    const sender = new RecordingSender();
    deps = { store, sender, clock, model: buildModel(config), readSource: upstream.read, log: silentLog, leaseMs: minute };
    const script: Record<number, () => void> = {
      1: () => upstream.set('mail', 'major_outage'),
      3: () => upstream.set('routing', 'major_outage'),
      4: () => (sender.failNext = 1),
      5: () => (upstream.set('ali', 'degraded'), upstream.set('mail', 'operational')),
      7: () => upstream.set('ali', 'operational'),
      9: () => upstream.set('routing', 'operational'),
    };
    for (let m = 0; m <= 11; m++) {
      clock.set(new Date(T(m)));
      script[m]?.();
      await runPollCycle(deps);
    }
    const incidents = await store.listIncidents();
    expect(incidents.map((i) => i.causeComponentId)).toEqual(['routing']);
    incidentId = incidents[0]!.id;
    report = await buildReport(store, deps.model, incidentId);
  });
  afterAll(async () => {
    await stopDb();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('the incident: times, duration, cause with provider, concurrent, services with counties', () => {
    expect(report.incident).toMatchObject({
      id: incidentId,
      status: 'resolved',
      openedAt: T(4),
      resolvedAt: T(10),
      durationMinutes: 6,
      duration: '6 min',
      cause: { componentId: 'routing', name: 'NG911 routing', provider: 'Meridian NG911 Inc.', sourceId: 'vendor' },
      concurrent: [{ componentId: 'mail', name: 'Mail', provider: 'Contoso', status: 'major_outage', since: T(1) }],
    });
    expect(report.incident.services).toEqual([
      { serviceId: 'hennepin', name: 'Hennepin County 911', kind: 'psap', fips: '27053', county: 'Hennepin County, MN', state: 'MN', worst: 'Down', lastState: 'Normal', since: T(10), darkSince: T(3) },
      expect.objectContaining({ serviceId: 'hennepin-text', kind: 'text-to-911', psap: 'hennepin', county: 'Hennepin County, MN', worst: 'Partial' }),
      expect.objectContaining({ serviceId: 'maricopa', county: 'Maricopa County, AZ', state: 'AZ', worst: 'Down', darkSince: T(3) }),
    ]);
    expect(report.window).toEqual({ from: T(3), to: T(10) });
  });

  test('every transition in the window, in time order, with its role', () => {
    const transitions = report.events.filter((e) => e.type === 'component' || e.type === 'service').map(line);
    expect(transitions).toEqual([
      `${T(4)} component routing [cause] operational->major_outage`,
      `${T(4)} service hennepin Normal->Down`,
      `${T(4)} service hennepin-text Normal->Partial`,
      `${T(4)} service maricopa Normal->Down`,
      `${T(6)} component ali [dependency] operational->degraded`,
      `${T(6)} component mail [concurrent] major_outage->operational`,
      `${T(8)} component ali [dependency] degraded->operational`,
      `${T(10)} component routing [cause] major_outage->operational`,
      `${T(10)} service hennepin Down->Normal`,
      `${T(10)} service hennepin-text Partial->Normal`,
      `${T(10)} service maricopa Down->Normal`,
    ]);
    // The office suite went down before the window: it is concurrent, not on the timeline.
    expect(report.events.some((e) => e.type === 'component' && e.componentId === 'mail' && e.to === 'major_outage')).toBe(false);
  });

  test('component transitions carry their evidence', () => {
    const opened = report.events.find((e) => e.type === 'component' && e.componentId === 'routing')!;
    expect(opened).toMatchObject({ provider: 'Meridian NG911 Inc.', evidence: { sourceId: 'vendor', observedStatus: 'major_outage', observedAt: T(4) } });
    const service = report.events.find((e) => e.type === 'service' && e.serviceId === 'maricopa')!;
    expect(service).toMatchObject({ causes: ['routing'], county: 'Maricopa County, AZ', state: 'AZ' });
  });

  test('notices open and close the incident; every delivery follows its notice', () => {
    const notices = report.events.filter((e) => e.type === 'notice');
    expect(notices[0]).toEqual({ type: 'notice', at: T(4), seq: 1, phase: 'initial', reason: 'opened' });
    expect(notices.at(-1)).toMatchObject({ at: T(10), phase: 'final', reason: 'resolved' });
    expect(notices.map((n) => n.seq)).toEqual([...notices.keys()].map((i) => i + 1));
    const index = (e: ReportEvent) => report.events.indexOf(e);
    for (const d of report.events.filter((e) => e.type === 'delivery')) {
      const notice = notices.find((n) => n.seq === d.seq)!;
      expect(index(d)).toBeGreaterThan(index(notice));
    }
    expect(report.counts.notices).toBe(notices.length);
  });

  test.each([
    // recipient, channel, notice phase, masked address
    ['ramsey-floor', 'sms', 'initial', '+1******0198'],
    ['ramsey-floor', 'email', 'initial', 'f***@ramsey.example'],
    ['anoka-floor', 'sms', 'initial', '+1******0187'],
    ['pinal-floor', 'sms', 'initial', '+1******0166'],
    ['hennepin-em', 'email', 'initial', 'e***@hennepin.example'],
    ['az-state', 'email', 'initial', 'a***@az.example'],
    ['ramsey-floor', 'sms', 'final', '+1******0198'],
    ['hennepin-em', 'email', 'final', 'e***@hennepin.example'],
  ])('%s got the %s (%s notice) at %s', (recipientId, channel, phase, address) => {
    const d = report.events.find((e) => e.type === 'delivery' && e.recipientId === recipientId && e.channel === channel && e.phase === phase);
    expect(d).toMatchObject({ status: 'sent', address, messageId: expect.stringMatching(/^m-\d+$/) });
  });

  test('the failed send shows its error (masked) and the retry that delivered it', () => {
    const retried = report.events.filter((e) => e.type === 'delivery' && e.attempts > 1);
    expect(retried).toHaveLength(1);
    const d = retried[0]!;
    expect(d).toMatchObject({ status: 'sent', attempts: 2, at: T(5), sentAt: T(5), error: expect.stringMatching(/^channel unavailable for /) });
    expect(d.type === 'delivery' && d.error).not.toMatch(/\d{10}|@ramsey\.example|@hennepin/);
    const full = JSON.stringify(report);
    for (const r of config.recipients) for (const address of Object.values(r.channels)) expect(full).not.toContain(address);
  });

  test('markdown: the summary, the services and exact timeline lines', () => {
    const md = toMarkdown(report).split('\n');
    expect(md[0]).toBe(`# After-action report: ${incidentId}`);
    expect(md).toEqual(
      expect.arrayContaining([
        '| Status | resolved (suspected) |',
        '| Duration | 6 min |',
        '| Cause | Meridian NG911 Inc.: NG911 routing (routing) |',
        '| Concurrent, not the cause | Contoso: Mail (mail), major_outage since 2026-09-29 00:01:00 UTC |',
        '| Hennepin County 911 (hennepin) | psap | Hennepin County, MN | MN | Down | Normal | 2026-09-29 00:03:00 |',
        '| 2026-09-29 00:04:00 | component | Meridian NG911 Inc.: NG911 routing (routing) [cause]: operational → major_outage | source vendor; read major_outage |',
        '| 2026-09-29 00:04:00 | service | Maricopa Region 911 (maricopa), Maricopa County, AZ: Normal → Down | via routing |',
        '| 2026-09-29 00:04:00 | notice | notice 1: initial (opened) |  |',
        '| 2026-09-29 00:06:00 | component | Contoso: Mail (mail) [concurrent, not the cause]: major_outage → operational | source office; read operational |',
      ]),
    );
    const timeline = md.slice(md.indexOf('| Time (UTC) | Event | What | Evidence / outcome |') + 2).filter((l) => l.startsWith('|'));
    expect(timeline).toHaveLength(report.events.length);
  });

  test('csv: a header and one row per event, RFC 4180, and it parses back', () => {
    const csv = toCsv(report);
    expect(csv.endsWith('\r\n')).toBe(true);
    const rows = parseCsv(csv);
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    expect(rows).toHaveLength(report.events.length + 1);
    expect(rows.every((r) => r.length === CSV_COLUMNS.length)).toBe(true);
    const col = (name: (typeof CSV_COLUMNS)[number]) => CSV_COLUMNS.indexOf(name);
    expect(rows.slice(1).map((r) => r[col('event')])).toEqual(report.events.map((e) => e.type));
    expect(rows[1]!.slice(0, 7)).toEqual([T(4), 'component', 'routing', 'NG911 routing', 'cause', 'operational', 'major_outage']);
  });

  test.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\r\nlines', '"two\r\nlines"'],
    [undefined, ''],
    [3, '3'],
  ])('csv field %j is written %j', (value, written) => {
    expect(csvField(value)).toBe(written);
    if (value !== undefined) expect(parseCsv(`${written}\r\n`)).toEqual([[String(value)]]);
  });

  test('json is the report itself', () => {
    expect(JSON.parse(toJson(report))).toEqual(report);
  });

  test('an unknown incident id is a clear error that names the ones there are', async () => {
    const err = await buildReport(deps.store, deps.model, 'INC-20260101-000000').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownIncidentError);
    expect((err as Error).message).toBe(`unknown incident "INC-20260101-000000": the store holds 1 incident(s); latest: ${incidentId}`);
  });

  test('without a config the report still reads, by id', async () => {
    const bare = await buildReport(deps.store, undefined, incidentId);
    expect(bare.incident.cause).toEqual({ componentId: 'routing', name: 'routing' });
    expect(bare.events.filter((e) => e.type === 'service')).toHaveLength(6);
    // Dependencies come from what the service transitions name; ALI never caused one.
    expect(bare.events.filter((e) => e.type === 'component').map((e) => e.type === 'component' && e.componentId)).toEqual(['routing', 'mail', 'routing']);
  });

  describe('dialtone report', () => {
    let configFile: string;
    let stderr: string[];
    beforeAll(async () => {
      await stopDb(); // the store is one process's at a time: let go of it, as `dialtone run` would on exit
      configFile = join(dataDir, '..', `${incidentId}-config.json`);
      writeFileSync(configFile, JSON.stringify(config));
    });
    afterAll(() => rmSync(configFile, { force: true }));
    beforeEach(() => {
      stderr = [];
      jest.spyOn(process.stderr, 'write').mockImplementation((s) => (stderr.push(String(s)), true));
    });
    afterEach(() => jest.restoreAllMocks());

    async function run(...args: string[]) {
      const out: string[] = [];
      const code = await main(['node', 'dialtone', 'report', ...args], (l) => out.push(l));
      return { code, out: out.join('\n') };
    }

    test.each([
      ['json', (out: string) => expect(JSON.parse(out)).toEqual(report)],
      ['csv', (out: string) => expect(parseCsv(`${out}\r\n`)).toHaveLength(report.events.length + 1)],
      ['md', (out: string) => expect(`${out}\n`).toBe(toMarkdown(report))],
    ])('--format %s prints the report from the store under --data-dir', async (format, check) => {
      const r = await run(incidentId, '--data-dir', dataDir, '--config', configFile, '--format', format);
      expect(r.code).toBe(0);
      check(r.out);
    });

    test.each([
      [['INC-20260101-000000'], /unknown incident "INC-20260101-000000"/],
      [[], /no store under/, join(tmpdir(), 'dialtone-no-such-store')],
      [['--format', 'xml'], /argument 'xml' is invalid/],
    ])('bad input exits 2 with a clear message: %j', async (extra, message, dir = dataDir) => {
      const id = extra[0]?.startsWith('INC-') ? extra.shift()! : incidentId;
      const r = await run(id, '--data-dir', dir, '--config', configFile, ...extra);
      expect(r.code).toBe(2);
      expect(stderr.join('')).toMatch(message);
    });
  });
});

describe('county names in messages', () => {
  test('the email names a county the config leaves out by its FIPS (Ramsey: 27123)', async () => {
    const p = await startTestPipeline(testConfig());
    try {
      await runPollCycle(p.deps);
      p.upstream.set('sr', 'major_outage');
      for (let i = 0; i < 2; i++) {
        p.clock.advance(minute);
        await runPollCycle(p.deps);
      }
      const email = p.sender.sent.find((d) => d.recipientId === 'ramsey-em' && d.channel === 'email');
      expect(email?.text).toContain('Ramsey County MN (FIPS 27123)');
      expect(email?.text).not.toContain('FIPS 27123 MN');
    } finally {
      await p.stop();
    }
  });
});

/** The recording sender with an opted-out number and an address whose every send fails. */
class TroubledChannels extends RecordingSender implements DeliveryChannels {
  readonly optedOut = new Set(['+15205550166']); // pinal-floor
  readonly broken = new Set(['em@hennepin.example']); // hennepin-em
  override async send(d: Delivery) {
    if (this.broken.has(d.address)) throw new Error(`mailbox unavailable: ${d.address}`);
    return super.send(d);
  }
  optOuts(): OptOuts {
    return {
      listOptedOut: async () => ({ count: this.optedOut.size, complete: true }),
      check: async (phone) => (this.optedOut.has(phone) ? { status: 'opted-out' } : { status: 'opted-in' }),
    };
  }
}

describe('the report is the evidence: acknowledgements, roll calls, receipts, opt-outs, dead letters, an undeliverable escalation', () => {
  let report: AfterActionReport;
  let stop: () => Promise<void>;
  const SECRET = 'ack-secret';
  const SUP = { id: 'ramsey-sup', name: 'Ramsey supervisor', role: 'psap', psap: 'ramsey', jurisdictions: { fips: [], states: [] }, channels: { sms: '+16515550177', email: 'sup@ramsey.example' } };
  // Two dark PSAPs escalate at once (minPsaps 2), and no FCC liaison is on the roster.
  const config = testConfig({
    escalation: { downMinutes: 30, minPsaps: 2, minStates: 3, noAckMinutes: 600, updateEveryMinutes: 120 },
    recipients: testConfig().recipients.filter((r) => r.role !== 'fcc-liaison'),
  });
  const of = <K extends ReportEvent['type']>(type: K) => report.events.filter((e): e is Extract<ReportEvent, { type: K }> => e.type === type);

  beforeAll(async () => {
    const p = await startTestPipeline(config);
    stop = p.stop;
    const channels = new TroubledChannels();
    const deps: PipelineDeps = { ...p.deps, sender: channels };
    const { store, clock } = p;
    await store.putRosterEntry({ id: SUP.id, recipient: SUP, updatedAt: T(0) });
    // Roll calls before the outage: Ramsey's floor confirms by SMS reply, Anoka's never answers.
    const rc = await sendRollCall({ store, sender: channels, clock, log: silentLog }, config.recipients.find((r) => r.id === 'ramsey-floor')!);
    await sendRollCall({ store, sender: channels, clock, log: silentLog }, config.recipients.find((r) => r.id === 'anoka-floor')!);
    clock.set(new Date(Date.parse(T(0)) + 30_000));
    expect((await answerReply(store, deps.model, { from: '+16515550198', text: `ACK ${rc.rollCall.code}` }, clock.now())).kind).toBe('roll-call');

    const smsId = (recipientId: string) => `m-${channels.sent.findIndex((d) => d.recipientId === recipientId && d.channel === 'sms' && d.incidentId.startsWith('INC-')) + 1}`;
    let incidentId = '';
    for (let m = 1; m <= 16; m++) {
      clock.set(new Date(T(m)));
      if (m === 1) p.upstream.set('routing', 'major_outage');
      if (m === 14) p.upstream.set('routing', 'operational');
      await runPollCycle(deps);
      const open = (await store.listOpenIncidents())[0];
      if (open && !incidentId) incidentId = open.id;
      if (m === 4) {
        const code = /\bAck ([0-9A-F]{4})\b/.exec(channels.sent.find((d) => d.recipientId === 'ramsey-floor' && d.incidentId === incidentId && d.channel === 'sms')!.text)![1];
        expect((await answerReply(store, deps.model, { from: '+1 651 555 0198', text: `ACK ${code}` }, clock.now())).result).toMatchObject({ ok: true });
        const [, , id, who, sig] = new URL(ackLink('https://ack.example', SECRET, incidentId, SUP.id)).pathname.split('/').map(decodeURIComponent);
        expect(await acknowledgeLink(store, deps.model, SECRET, { incidentId: id!, recipientId: who!, signature: sig! }, clock.now())).toMatchObject({ ok: true });
      }
      if (m === 5) {
        expect(await acknowledgeByOperator(store, deps.model, incidentId, 'ramsey-em', clock.now())).toMatchObject({ ok: true });
        const statuses = [
          { messageId: smsId('ramsey-floor'), status: 'delivered' as const, reason: 'Message has been accepted by phone carrier', at: new Date(Date.parse(T(4)) + 2_000).toISOString() },
          { messageId: smsId('anoka-floor'), status: 'failed' as const, reason: 'Phone is currently unreachable/unavailable', at: new Date(Date.parse(T(4)) + 3_000).toISOString() },
        ];
        await applyDeliveryStatuses(store, statuses, silentLog, { model: deps.model, sender: channels, clock });
      }
    }
    expect(incidentId).toMatch(/^INC-/);
    expect((await store.getIncident(incidentId))!.status).toBe('resolved');
    report = await buildReport(store, deps.model, incidentId);
  });
  afterAll(() => stop());

  test('every acknowledgement: who (the DynamoDB roster too), when, via', () => {
    expect(of('ack').map((e) => [e.recipientId, e.recipientName, e.via, e.at])).toEqual([
      ['ramsey-floor', 'Ramsey floor', 'reply', T(4)],
      ['ramsey-sup', 'Ramsey supervisor', 'link', T(4)],
      ['ramsey-em', 'Ramsey EM', 'cli', T(5)],
    ]);
    expect(report.counts.acks).toBe(3);
  });

  test('the roll calls of its recipients: confirmed (when, via) and unanswered', () => {
    expect(of('roll-call').map((e) => [e.recipientId, e.status, e.via, e.at])).toEqual([
      ['anoka-floor', 'unanswered', undefined, T(0)],
      ['ramsey-floor', 'confirmed', 'reply', new Date(Date.parse(T(0)) + 30_000).toISOString()],
    ]);
    expect(report.counts.rollCalls).toEqual({ confirmed: 1, unanswered: 1 });
  });

  test('carrier receipts: status, words and time; the failed one with what followed', () => {
    expect(of('receipt')).toEqual([
      expect.objectContaining({ recipientId: 'ramsey-floor', channel: 'sms', status: 'delivered', reason: 'Message has been accepted by phone carrier', at: new Date(Date.parse(T(4)) + 2_000).toISOString() }),
      expect.objectContaining({ recipientId: 'anoka-floor', status: 'failed', reason: 'Phone is currently unreachable/unavailable', fallback: 'ops', opsAlerted: ['ops'] }),
    ]);
    expect(report.counts.receipts).toEqual({ delivered: 1, failed: 1 });
  });

  test('opt-outs: not sent, not reached by another channel, ops told', () => {
    const optOuts = of('opt-out');
    expect(optOuts.length).toBeGreaterThan(0);
    expect(optOuts[0]).toMatchObject({ recipientId: 'pinal-floor', by: 'list', address: '+1******0166', reachedByEmail: false, opsAlerted: ['ops'] });
    expect(report.counts.optOuts).toBe(optOuts.length);
  });

  test('dead letters: what, attempts, the last error (masked), ops told', () => {
    const dead = of('dead-letter');
    expect(dead.length).toBeGreaterThan(0);
    expect(dead[0]).toMatchObject({ what: 'email to hennepin-em', attempts: 5, error: expect.stringMatching(/^mailbox unavailable: /), opsAlerted: ['ops'] });
    expect(JSON.stringify(report)).not.toContain('em@hennepin.example');
  });

  test('an escalation no FCC liaison received, with why and ops told', () => {
    expect(of('escalation-undeliverable')).toEqual([expect.objectContaining({ why: 'no recipient has role fcc-liaison', opsAlerted: ['ops'] })]);
    expect(report.counts.escalationsUndeliverable).toBe(1);
  });

  test('markdown, csv and json carry each kind', () => {
    const md = toMarkdown(report);
    expect(md).toContain('| Acknowledged | Ramsey floor (ramsey-floor) 2026-09-29 00:04:00 UTC via SMS reply; Ramsey supervisor (ramsey-sup) 2026-09-29 00:04:00 UTC via email link; Ramsey EM (ramsey-em) 2026-09-29 00:05:00 UTC via operator (dialtone ack) |');
    expect(md).toContain('| 2026-09-29 00:04:00 | ack | acknowledged by Ramsey supervisor (ramsey-sup), psap | via email link |');
    expect(md).toMatch(/\| roll-call \| roll call RC-\S+ to Anoka floor \(anoka-floor\) \(sms\) \| sent 2026-09-29 00:00:00 UTC, NOT CONFIRMED \|/);
    expect(md).toMatch(/\| receipt \| carrier receipt: notice 1 → Anoka floor \(anoka-floor\), sms \| failed, "Phone is currently unreachable\/unavailable", message m-\d+, NOT REACHED, ops alerted \(ops\) \|/);
    expect(md).toMatch(/\| opt-out \| opted out: Pinal floor \(pinal-floor\), sms \+1\*{6}0166 \| on the opted-out list, not sent, NOT REACHED by another channel, ops alerted \(ops\) \|/);
    expect(md).toMatch(/\| dead-letter \| DEAD LETTER: notice \d+ email to hennepin-em \| 5 attempts, error: mailbox unavailable: /);
    expect(md).toMatch(/\| escalation-undeliverable \| ESCALATION UNDELIVERABLE: notice \d+ \| no recipient has role fcc-liaison; ops alerted \(ops\) \|/);

    const rows = parseCsv(toCsv(report));
    const col = (name: (typeof CSV_COLUMNS)[number]) => CSV_COLUMNS.indexOf(name);
    expect(rows.every((r) => r.length === CSV_COLUMNS.length)).toBe(true);
    const kinds = new Set(rows.slice(1).map((r) => r[col('event')]));
    for (const k of ['ack', 'roll-call', 'receipt', 'opt-out', 'dead-letter', 'escalation-undeliverable']) expect(kinds).toContain(k);
    const ack = rows.find((r) => r[col('event')] === 'ack' && r[col('id')] === 'ramsey-floor')!;
    expect([ack[col('at')], ack[col('name')], ack[col('via')]]).toEqual([T(4), 'Ramsey floor', 'reply']);
    const receipt = rows.find((r) => r[col('event')] === 'receipt' && r[col('status')] === 'failed')!;
    expect([receipt[col('id')], receipt[col('detail')], receipt[col('fallback')], receipt[col('ops_alerted')]]).toEqual(['anoka-floor', 'Phone is currently unreachable/unavailable', 'ops', 'ops']);

    expect(JSON.parse(toJson(report))).toEqual(report);
    for (const r of [...config.recipients, SUP]) for (const address of Object.values(r.channels)) expect(toJson(report) + toCsv(report) + md).not.toContain(address);
  });
});

describe('dialtone demo --data-dir, then dialtone report', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dialtone-demo-report-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('the demo leaves its store behind, replaces its own on a rerun, and never a foreign one', async () => {
    const dataDir = join(dir, 'store');
    const lines: string[] = [];
    const demo = () => runDemo({ scenarioFile: BUNDLED_SCENARIO, speed: 0, out: join(dir, 'deliveries.jsonl'), print: (l) => lines.push(l), dataDir });
    await demo();
    const summary = await demo(); // same start time, same ids: only a fresh store gives the same story
    const id = summary.incidents[0]!.id;
    expect(lines).toContain(`  report                dialtone report ${id} --data-dir ${dataDir} --config ${BUNDLED_SCENARIO}`);

    const out: string[] = [];
    const code = await main(['node', 'dialtone', 'report', id, '--data-dir', dataDir, '--config', BUNDLED_SCENARIO], (l) => out.push(l));
    expect(code).toBe(0);
    expect(out.join('\n')).toContain('| Hennepin County 911 (psap-hennepin) | psap | Hennepin County, MN | MN | Down |');
    // the demo's acknowledgement: Ramsey's floor supervisor replied to its SMS
    expect(out.join('\n')).toMatch(/\| Acknowledged \| Ramsey County ECC floor supervisor \(ramsey-floor\) \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC via SMS reply \|/);
    expect(out.join('\n')).toMatch(/\| ack \| acknowledged by Ramsey County ECC floor supervisor \(ramsey-floor\), psap \| via SMS reply \|/);

    // A directory the demo did not make is refused, and left as it was.
    writeFileSync(join(dir, 'keep.txt'), 'not a store');
    await expect(runDemo({ scenarioFile: BUNDLED_SCENARIO, speed: 0, out: join(dir, 'd2.jsonl'), print: () => undefined, dataDir: dir })).rejects.toThrow(ScenarioError);
    expect(readFileSync(join(dir, 'keep.txt'), 'utf8')).toBe('not a store');
  });
});
