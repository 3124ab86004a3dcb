import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo, type DemoSummary } from '../../shared/cli/demo.js';

/** The second bundled scenario: a notified maintenance window, then a flapping router. */
describe('the carrier maintenance and flapping scenario', () => {
  let dir: string;
  let summary: DemoSummary;
  const printed: string[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dialtone-demo2-'));
    const scenarioFile = join(__dirname, '../../shared/scenarios/carrier-maintenance-flapping/scenario.yaml');
    summary = await runDemo({ scenarioFile, speed: 0, out: join(dir, 'deliveries.jsonl'), print: (l) => printed.push(l) });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const lines = (re: RegExp) => printed.filter((l) => re.test(l));

  test('the window is announced at its start and its end, to the PSAP next door and the county manager', () => {
    const window = summary.incidents.find((i) => i.id.startsWith('MNT-prairie-router-upgrade-'))!;
    expect(window).toMatchObject({ openedAt: '2026-10-04T06:00:00.000Z', resolvedAt: '2026-10-04T07:00:00.000Z' });
    const notices = summary.deliveries.filter((d) => d.incidentId === window.id);
    expect(notices.map((d) => `${d.recipientId}/${d.phase}`).sort()).toEqual(['ramsey-em/final', 'ramsey-em/initial', 'washington-floor/final', 'washington-floor/initial']);
    // One SMS: the component's long name gives way first, the window's times and reference never do.
    const sms = notices.find((d) => d.recipientId === 'washington-floor' && d.phase === 'initial')!.text;
    expect(sms).toMatch(/^911 MAINTENANCE: Prairie Telecom Prairie 911 \S+, 01:00 CDT-02:00 CDT, planned\. Affects Ramsey County ECC MN\. Ref MNT-prairie-router-upgrade-\S+$/);
    expect(sms.length).toBeLessThanOrEqual(160);
    const email = notices.find((d) => d.recipientId === 'ramsey-em' && d.phase === 'initial' && d.channel === 'email');
    if (email) expect(email.text).toContain('What: Prairie Telecom Prairie 911 selective routing');
  });

  test('degraded service inside the window is planned maintenance, not an outage', () => {
    expect(lines(/component\s+Prairie 911 selective routing: maintenance -> degraded/)).toHaveLength(1);
    expect(lines(/service\s+Ramsey County ECC \(MN\): Normal -> ScheduledMaintenanceAvailable/)).toHaveLength(1);
    expect(lines(/service\s+Ramsey County ECC \(MN\): \w+ -> Partial/)).toHaveLength(0);
  });

  test('the flapping router alerts until it is held, then not on every change, and clears once stable', () => {
    expect(lines(/\(flapping: held, not re-alerted\)/)).toHaveLength(1);
    expect(lines(/\(stable again: released\)/)).toHaveLength(1);
    const outages = summary.incidents.filter((i) => i.id.startsWith('INC-'));
    // seven upstream flips: two incidents before the hold, none after it
    expect(outages).toHaveLength(2);
    for (const o of outages) expect(o.resolvedAt).toBeDefined();
    expect(summary.missingAllClears).toEqual([]);
    expect(summary.duplicates).toBe(0);
  });
});
