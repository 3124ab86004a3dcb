import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../shared/cli/main.js';

const bundledConfig = join(__dirname, '../../shared/scenarios/ng911-vendor-outage/dialtone.yaml');

async function run(...args: string[]) {
  const out: string[] = [];
  const code = await main(['node', 'dialtone', ...args], (l) => out.push(l));
  return { code, out: out.join('\n') };
}

describe('the dialtone CLI', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dialtone-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('check-config accepts a valid config', async () => {
    const r = await run('check-config', bundledConfig);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/OK - 4 source\(s\), 5 component\(s\), 5 service\(s\), 8 recipient\(s\)/);
  });

  test('check-config lists every problem with its path and exits 2', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'notifier: { name: x, phone: "1", email: bad }\nsources: []\nservices: []\n');
    const r = await run('check-config', file);
    expect(r.code).toBe(2);
    expect(r.out).toContain('3 problem(s)');
    expect(r.out).toContain('notifier.email: Invalid email address');
    expect(r.out).toContain('sources: Too small');
  });

  test('run --once polls, records under the data directory, and exits', async () => {
    // A loopback upstream that is down: the source reads as failed (named), nothing is sent.
    const server = createServer((_req, res) => res.writeHead(503).end('maintenance'));
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const port = (server.address() as AddressInfo).port;
    const config = readFileSync(bundledConfig, 'utf8')
      .replace(/https:\/\/[a-z0-9.-]+\.example/g, `http://127.0.0.1:${port}`)
      .replace('allow: []', 'allow: ["127.0.0.1"]');
    const file = join(dir, 'live.yaml');
    writeFileSync(file, config);
    try {
      const r = await run('run', '--config', file, '--once', '--data-dir', join(dir, 'data'), '--out', join(dir, 'deliveries.jsonl'));
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/dialtone run: 4 source\(s\), 5 service\(s\)/);
      expect(r.out).toMatch(/source meridian-status could not be read: source "meridian-status": .*503/);
    } finally {
      server.closeAllConnections();
      await new Promise((ok) => server.close(ok));
    }
  });

  test('ack records an operator acknowledgement in the demo store, once', async () => {
    const data = join(dir, 'demo-store');
    const demo = await run('demo', '--out', join(dir, 'demo.jsonl'), '--data-dir', data);
    expect(demo.code).toBe(0);
    const incidentId = /incident\s+(INC-\d{8}-[0-9a-f]{6}) initial/.exec(demo.out)![1]!;
    const first = await run('ack', incidentId, '--recipient', 'pinal-floor', '--config', bundledConfig, '--data-dir', data);
    expect(first).toMatchObject({ code: 0, out: expect.stringMatching(new RegExp(`pinal-floor acknowledged ${incidentId} at `)) });
    expect((await run('ack', incidentId, '--recipient', 'pinal-floor', '--config', bundledConfig, '--data-dir', data)).out).toBe(`pinal-floor had already acknowledged ${incidentId}`);
    expect(await run('ack', 'INC-00000000-000000', '--recipient', 'pinal-floor', '--config', bundledConfig, '--data-dir', data)).toMatchObject({ code: 2, out: 'dialtone ack: unknown incident "INC-00000000-000000"' });
  });

  test('parse prints the normalized observations of a payload as JSON', async () => {
    const file = join(dir, 'summary.json');
    writeFileSync(file, JSON.stringify({ page: { id: 'p', url: 'https://status.vendor.example' }, status: { indicator: 'major' }, components: [{ id: 'r1', name: 'NG911 Routing', status: 'major_outage' }, { id: 'a1', name: 'ALI', status: 'sparkly' }] }));
    const r = await run('parse', '--kind', 'statuspage', file);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual([
      expect.objectContaining({ component: 'page', status: 'partial_outage' }), // indicator "major"
      expect.objectContaining({ component: 'r1', name: 'NG911 Routing', status: 'major_outage' }),
      // an unrecognised value is never healthy
      expect.objectContaining({ component: 'a1', name: 'ALI', status: 'unknown', error: expect.stringContaining('unrecognised status "sparkly"') }),
    ]);
  });

  test.each([
    ['statuspage', '{"page":', /not JSON/],
    ['carrier-pigeon', '{}', /unknown kind "carrier-pigeon"/],
  ])('parse --kind %s on bad input exits 2 with a clear message', async (kind, body, message) => {
    const file = join(dir, `bad-${kind}.json`);
    writeFileSync(file, body);
    const r = await run('parse', '--kind', kind, file);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(message);
    expect(r.out).toContain(file);
  });

  test('classify prints the verdict with the deciding phrases', async () => {
    const r = await run('classify', 'UPDATE: 911 service has been restored and calls are being received normally.');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ label: 'restored', phrases: expect.arrayContaining([expect.stringMatching(/restored|calls are being received/)]) });
  });

  test('a bad scenario file is a clear error and exit 2', async () => {
    const file = join(dir, 'scenario.yaml');
    writeFileSync(file, 'name: x\nstart: yesterday\n');
    const r = await run('demo', '--scenario', file, '--out', join(dir, 'd.jsonl'));
    expect(r.code).toBe(2);
  });
});
