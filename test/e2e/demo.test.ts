import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo, type DemoSummary } from '../../shared/cli/demo.js';
import { BUNDLED_SCENARIO } from '../../shared/cli/main.js';

/** The bundled demo, end to end: loopback upstream, real adapters, embedded store, simulated clock. */
describe('the bundled demo scenario', () => {
  let dir: string;
  let summary: DemoSummary;
  const printed: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dialtone-demo-'));
    summary = await runDemo({ scenarioFile: BUNDLED_SCENARIO, speed: 0, out: join(dir, 'deliveries.jsonl'), print: (l) => printed.push(l) });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const sent = (recipientId: string, phase?: string) => summary.deliveries.filter((d) => d.recipientId === recipientId && (phase === undefined || d.phase === phase));

  test('1-2: the vendor outage takes two PSAPs in different states Down, as one incident', () => {
    expect(printed.some((l) => /component\s+Meridian NG911 call routing: operational -> major_outage/.test(l))).toBe(true);
    expect(printed.some((l) => /service\s+Hennepin County 911 \(MN\): Normal -> Down/.test(l))).toBe(true);
    expect(printed.some((l) => /service\s+Maricopa Region 911 \(AZ\): Normal -> Down/.test(l))).toBe(true);
    expect(summary.incidents).toHaveLength(1);
    expect(summary.incidents[0]!.services.sort()).toEqual(['psap-hennepin', 'psap-maricopa']);
  });

  test('3: the neighbours get an SMS naming the dark PSAP and its fallback number', () => {
    const ramsey = sent('ramsey-floor', 'initial').find((d) => d.channel === 'sms')!;
    expect(ramsey.text).toMatch(/^911 ALERT \(suspected\): neighbor PSAP Hennepin County 911 MN DOWN since \d\d:\d\d CDT, fallback 612-555-0100\. Expect rollover\./);
    expect(sent('anoka-floor', 'initial')[0]!.text).toContain('Hennepin County 911'); // Hennepin's backup partner
    expect(sent('pinal-floor', 'initial')[0]!.text).toContain('Maricopa Region 911 AZ DOWN');
    expect(sent('pinal-floor', 'initial')[0]!.text).toContain('602-555-0142');
  });

  test('4: the county managers get the situation', () => {
    expect(sent('hennepin-em', 'initial').map((d) => d.channel).sort()).toEqual(['email', 'sms']);
    expect(sent('maricopa-em', 'initial')[0]!.subject).toMatch(/^\[dialtone\] ALERT: 911 /);
    expect(sent('mn-ecn', 'initial')).toHaveLength(1);
  });

  test('5: the concurrent office-cloud incident is shown as concurrent, never as the cause', () => {
    expect(summary.incidents[0]!.concurrent).toEqual(['contoso-mail']);
    const email = sent('hennepin-em', 'initial').find((d) => d.channel === 'email')!;
    expect(email.text).toContain('NOT known to be the cause');
    const causeLine = email.text.split('\n').find((l) => l.includes('Best-known cause'))!;
    expect(causeLine).toContain('Meridian NG911');
    expect(causeLine).not.toContain('Contoso');
  });

  test('6: after 30 simulated minutes the FCC liaison gets an escalation email', () => {
    const fcc = sent('fcc-liaison');
    const escalation = fcc.find((d) => d.phase === 'update')!;
    expect(escalation.subject).toMatch(/^\[dialtone\] ESCALATION: /);
    const incident = summary.incidents[0]!;
    const downFor = Date.parse(incident.escalatedAt!) - Date.parse(incident.openedAt);
    expect(downFor).toBeGreaterThanOrEqual(29 * 60_000); // dark since the first bad read, a minute before discovery
    expect(downFor).toBeLessThanOrEqual(31 * 60_000);
    expect(sent('ops-desk')).toHaveLength(0); // ops hears about blind monitors, not incidents
  });

  test('7: the vendor recovers and everyone who was told gets an all-clear', () => {
    expect(summary.incidents[0]!.resolvedAt).toBeDefined();
    expect(summary.missingAllClears).toEqual([]);
    for (const id of ['ramsey-floor', 'anoka-floor', 'pinal-floor', 'hennepin-em', 'maricopa-em', 'mn-ecn', 'fcc-liaison']) {
      expect(sent(id, 'final').length).toBeGreaterThan(0);
    }
  });

  test('the sheriff\'s post corroborates the vendor page: suspected, then confirmed, in one incident', () => {
    expect(sent('ramsey-floor', 'initial').find((d) => d.channel === 'sms')!.text).toMatch(/^911 ALERT \(suspected\):/);
    expect(printed.some((l) => /incident\s+INC-\S+ update \(confirmed\)/.test(l))).toBe(true);
    expect(sent('ramsey-floor', 'update').find((d) => d.channel === 'sms')!.text).toMatch(/^911 CONFIRMED:/);
    expect(summary.incidents).toHaveLength(1); // the agency feed joins the vendor's incident, it does not open a second one
  });

  test('Ramsey acknowledges by replying to its SMS, so the no-ack clock does not escalate', () => {
    expect(printed.some((l) => /ack\s+ramsey-floor replied "ACK [0-9A-F]{4}": acknowledged INC-/.test(l))).toBe(true);
    const incident = summary.incidents[0]!;
    // escalation came from the 30-minute dark clock, not the 20-minute no-ack clock
    expect(Date.parse(incident.escalatedAt!) - Date.parse(incident.openedAt)).toBeGreaterThanOrEqual(29 * 60_000);
  });

  test('no delivery is duplicated anywhere', () => {
    expect(summary.duplicates).toBe(0);
  });

  test('every SMS fits one segment and no address is printed unmasked', () => {
    for (const d of summary.deliveries.filter((x) => x.channel === 'sms')) expect(d.text.length).toBeLessThanOrEqual(160);
    const all = printed.join('\n');
    expect(all).not.toMatch(/\+1\d{10}/);
    expect(all).not.toMatch(/[a-z]{2,}@[a-z-]+\.example/);
    expect(all).toContain('summary');
  });
});
