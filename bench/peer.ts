/**
 * `npm run bench:peer`: the same 1,000 loopback Statuspage-style pages watched at once by dialtone
 * and by the open-source stack a county IT team would reach for: Prometheus scraping
 * blackbox_exporter (an HTTP probe that fails when the page says `major_outage`) with an alert
 * rule, and Alertmanager posting to a webhook. The peer runs twice, with its default settings and
 * with its fastest sensible ones. Pages flip to a major outage at seeded random moments; for each
 * system: CPU seconds per 1,000 checks (the whole system: every process it needs), peak RSS, and
 * detection latency from flip to notification (median, p95) in real seconds. See bench/README.md.
 *
 *   npm run bench:peer                         1,000 pages, 6 minutes measured, 24 flips
 *   npm run bench:peer -- --sources 200 --minutes 3 --flips 10
 *
 * Everything listens on 127.0.0.1; every process is started here with its own config files in a
 * temporary folder and stopped at the end (also on Ctrl-C or an error). The Debian packages
 * prometheus, prometheus-blackbox-exporter and prometheus-alertmanager are installed when missing
 * (root with apt-get only).
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { seededRandom } from '../test/support/random.js';
import { deliveryLogLineSchema } from '../shared/adapters/local-sender.js';
import { cycleConfigFile, pagePath } from './fixtures.js';
import { median, percentile, PART_EXEC_ARGV, round } from './harness.js';
import type { WorldReply, WorldRequest, WorldUsage } from './world.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? Number(args[i + 1]) : fallback;
};
const N = arg('sources', 1000);
const MEASURED_S = arg('minutes', 6) * 60;
const FLIPS = arg('flips', 24);
/** Every system has read every page at least once and dialtone's first (cold) cycle is behind it. */
const WARM_UP_S = arg('warmup', 90);
/** Flips stop this long before the end, so even the peer's default grouping has had time to notify. */
const SETTLE_S = 150;
const print = (line = '') => process.stdout.write(`${line}\n`);

// ── the peer's two profiles ──────────────────────────────────────────────────────────────────

interface PeerProfile {
  name: string;
  /** Prometheus: scrape and rule evaluation interval. */
  scrapeInterval: string;
  evaluationInterval: string;
  /** The alert rule's `for:`. */
  forDuration: string;
  /** Alertmanager route. */
  groupBy?: string[];
  groupWait: string;
  groupInterval: string;
  why: string;
}

const PROFILES: PeerProfile[] = [
  {
    name: 'peer-default',
    scrapeInterval: '1m',
    evaluationInterval: '1m',
    forDuration: '0s',
    groupWait: '30s',
    groupInterval: '5m',
    why: 'Prometheus defaults (scrape and evaluation every 1 m), the usual blackbox rule `probe_success == 0` with no `for:`, Alertmanager defaults (one group, group_wait 30 s, group_interval 5 m)',
  },
  {
    name: 'peer-fast',
    scrapeInterval: '10s',
    evaluationInterval: '10s',
    forDuration: '0s',
    groupBy: ['instance'],
    groupWait: '1s',
    groupInterval: '10s',
    why: 'scrape and evaluation every 10 s, no `for:`, one Alertmanager group per page, group_wait 1 s, group_interval 10 s',
  },
];

// ── processes ────────────────────────────────────────────────────────────────────────────────

const BINARIES = { prometheus: 'prometheus', blackbox: 'prometheus-blackbox-exporter', alertmanager: 'prometheus-alertmanager' } as const;

function which(bin: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && existsSync(join(dir, bin))) return join(dir, bin);
  return undefined;
}

function ensurePeerInstalled(): void {
  const missing = Object.values(BINARIES).filter((b) => !which(b));
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0 || !which('apt-get')) throw new Error(`bench:peer needs ${missing.join(', ')} (Debian packages prometheus, prometheus-blackbox-exporter, prometheus-alertmanager)`);
  print(`installing ${missing.join(', ')} with apt-get …`);
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore' });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'prometheus', 'prometheus-blackbox-exporter', 'prometheus-alertmanager'], { stdio: 'ignore' });
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const { port } = s.address() as AddressInfo;
  await new Promise((ok) => s.close(ok));
  return port;
}

const running: ChildProcess[] = [];

function start(name: string, bin: string, argv: string[], logFile: string): ChildProcess {
  const child = spawn(bin, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-20_000);
  });
  child.on('exit', () => writeFileSync(logFile, err));
  child.on('error', (e) => print(`${name}: ${e.message}`));
  running.push(child);
  return child;
}

function stopAll(): void {
  for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
}
process.on('SIGINT', () => {
  stopAll();
  process.exit(130);
});

/** utime + stime of a process, in seconds (Linux /proc). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100; // USER_HZ is 100 on Linux
}

/** Peak resident set of a process, in MB. */
function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

async function waitHttp(url: string, what: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await sleep(250);
  }
  throw new Error(`${what} did not come up at ${url}`);
}

// ── the world ────────────────────────────────────────────────────────────────────────────────

class Upstream {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}
  static async start(): Promise<Upstream> {
    const child = fork(join(__dirname, 'world.ts'), [], { execArgv: PART_EXEC_ARGV, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const ready = await new Promise<WorldReply>((ok) => child.once('message', ok));
    if (ready.type !== 'ready') throw new Error('world did not start');
    return new Upstream(child, ready.upstream);
  }
  private ask(req: WorldRequest): Promise<WorldReply> {
    return new Promise((ok) => {
      this.child.once('message', ok);
      this.child.send(req);
    });
  }
  async flip(i: number): Promise<void> {
    await this.ask({ type: 'status', updates: [[i, 'major_outage']] });
  }
  async usage(): Promise<WorldUsage> {
    return (await this.ask({ type: 'usage' })) as WorldUsage & { type: 'usage' };
  }
  stop(): void {
    if (this.child.connected) this.child.send({ type: 'stop' });
  }
  kill(): void {
    this.child.kill('SIGTERM');
  }
}

/** Peer notifications: Alertmanager's webhook, the first time each page's alert is posted as firing. */
async function webhookReceiver(): Promise<{ url: string; firstFiring: Map<string, Map<number, number>>; close: () => void }> {
  const firstFiring = new Map<string, Map<number, number>>();
  const body = (req: IncomingMessage) => new Promise<string>((ok) => {
    let s = '';
    req.on('data', (d: Buffer) => (s += d.toString()));
    req.on('end', () => ok(s));
  });
  const server = createServer(async (req, res) => {
    const at = Date.now();
    const profile = (req.url ?? '').split('/').pop() ?? '?';
    const payload = JSON.parse(await body(req)) as { alerts?: Array<{ status: string; labels: Record<string, string> }> };
    const seen = firstFiring.get(profile) ?? new Map<number, number>();
    firstFiring.set(profile, seen);
    for (const a of payload.alerts ?? []) {
      const m = /\/src-(\d+)\//.exec(a.labels.instance ?? '');
      if (a.status === 'firing' && m && !seen.has(Number(m[1]))) seen.set(Number(m[1]), at);
    }
    res.writeHead(200).end();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, firstFiring, close: () => server.close() };
}

interface PeerStack {
  profile: PeerProfile;
  pids: number[];
}

async function startPeer(profile: PeerProfile, dir: string, upstream: string, hook: string, pages: number[]): Promise<PeerStack> {
  const [bbPort, promPort, amPort] = [await freePort(), await freePort(), await freePort()];
  const d = join(dir, profile.name);
  execFileSync('mkdir', ['-p', join(d, 'tsdb'), join(d, 'am')]);
  writeFileSync(
    join(d, 'blackbox.yml'),
    stringify({
      modules: {
        statuspage_ok: {
          prober: 'http',
          timeout: '5s',
          // A page that says any component is in a major outage fails the probe.
          http: { valid_status_codes: [200], fail_if_body_matches_regexp: ['"status":\\s*"major_outage"'] },
        },
      },
    }),
  );
  writeFileSync(
    join(d, 'rules.yml'),
    stringify({ groups: [{ name: 'statuspages', rules: [{ alert: 'StatusPageMajorOutage', expr: 'probe_success == 0', for: profile.forDuration, labels: { severity: 'critical' } }] }] }),
  );
  writeFileSync(
    join(d, 'prometheus.yml'),
    stringify({
      global: { scrape_interval: profile.scrapeInterval, evaluation_interval: profile.evaluationInterval, scrape_timeout: '10s' },
      rule_files: [join(d, 'rules.yml')],
      alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${amPort}`] }] }] },
      scrape_configs: [
        {
          job_name: 'blackbox',
          metrics_path: '/probe',
          params: { module: ['statuspage_ok'] },
          static_configs: [{ targets: pages.map((i) => `${upstream}${pagePath(i)}?via=${profile.name}`) }],
          relabel_configs: [
            { source_labels: ['__address__'], target_label: '__param_target' },
            { source_labels: ['__param_target'], target_label: 'instance' },
            { target_label: '__address__', replacement: `127.0.0.1:${bbPort}` },
          ],
        },
      ],
    }),
  );
  writeFileSync(
    join(d, 'alertmanager.yml'),
    stringify({
      route: { receiver: 'hook', ...(profile.groupBy ? { group_by: profile.groupBy } : {}), group_wait: profile.groupWait, group_interval: profile.groupInterval, repeat_interval: '4h' },
      receivers: [{ name: 'hook', webhook_configs: [{ url: `${hook}/${profile.name}`, send_resolved: false }] }],
    }),
  );
  const bb = start(`${profile.name} blackbox`, BINARIES.blackbox, [`--config.file=${join(d, 'blackbox.yml')}`, `--web.listen-address=127.0.0.1:${bbPort}`, '--log.level=warn'], join(d, 'blackbox.log'));
  // --cluster.listen-address= turns off Alertmanager's gossip listener (it would bind every interface).
  const am = start(`${profile.name} alertmanager`, BINARIES.alertmanager, [`--config.file=${join(d, 'alertmanager.yml')}`, `--storage.path=${join(d, 'am')}`, `--web.listen-address=127.0.0.1:${amPort}`, '--cluster.listen-address=', '--log.level=warn'], join(d, 'alertmanager.log'));
  const prom = start(`${profile.name} prometheus`, BINARIES.prometheus, [`--config.file=${join(d, 'prometheus.yml')}`, `--storage.tsdb.path=${join(d, 'tsdb')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn'], join(d, 'prometheus.log'));
  await waitHttp(`http://127.0.0.1:${bbPort}/metrics`, 'blackbox_exporter');
  await waitHttp(`http://127.0.0.1:${amPort}/-/ready`, 'alertmanager');
  await waitHttp(`http://127.0.0.1:${promPort}/-/ready`, 'prometheus');
  return { profile, pids: [prom.pid!, bb.pid!, am.pid!] };
}

/** dialtone's own notifications: the first delivery in the local delivery log that names the flipped page's PSAP. */
function dialtoneFirstDelivery(logFile: string, flips: Map<number, number>, psapOf: (page: number) => number): Map<number, number> {
  const out = new Map<number, number>();
  if (!existsSync(logFile)) return out;
  const lines = readFileSync(logFile, 'utf8').split('\n').filter(Boolean);
  for (const line of lines) {
    // Other lines of the log (ops alerts, incident-topic events) are not deliveries to a person.
    const parsed = deliveryLogLineSchema.safeParse(JSON.parse(line));
    if (!parsed.success) continue;
    const d = parsed.data;
    const at = Date.parse(d.time);
    const words = `${d.subject ?? ''} ${d.text}`;
    for (const [page, flippedAt] of flips) {
      if (out.has(page) || at < flippedAt) continue;
      if (new RegExp(`\\bPSAP ${psapOf(page)} [A-Z]{2}\\b`).test(words)) out.set(page, at);
    }
  }
  return out;
}

function latencies(flips: Map<number, number>, notified: Map<number, number>) {
  const s = [...flips].filter(([p]) => notified.has(p)).map(([p, t]) => (notified.get(p)! - t) / 1000);
  return { flips: flips.size, notified: s.length, missed: flips.size - s.length, medianS: s.length ? round(median(s)) : NaN, p95S: s.length ? round(percentile(s, 95)) : NaN, maxS: s.length ? round(Math.max(...s)) : NaN };
}

async function main() {
  ensurePeerInstalled();
  const dir = mkdtempSync(join(tmpdir(), 'dialtone-peer-'));
  const machine = `${availableParallelism()} × ${cpus()[0]?.model ?? '?'}, ${round(totalmem() / 2 ** 30)} GB, node ${process.version}`;
  print(`dialtone bench:peer: ${N} pages, ${MEASURED_S / 60} min measured after ${WARM_UP_S} s warm-up, ${FLIPS} flips; ${machine}; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const upstream = await Upstream.start();
  const hook = await webhookReceiver();
  try {
    // Only pages a Down dependency hangs off flip (page 4p: PSAP p goes Down), so every flip is an outage a PSAP's neighbours must hear about.
    const pages = Array.from({ length: N }, (_, i) => i);
    const peers: PeerStack[] = [];
    for (const p of PROFILES) peers.push(await startPeer(p, dir, upstream.url, hook.url, pages));

    const configFile = join(dir, 'dialtone.yaml');
    writeFileSync(configFile, stringify(cycleConfigFile(N, upstream.url)));
    const deliveries = join(dir, 'deliveries.jsonl');
    const dialtone = start('dialtone', process.execPath, [join(__dirname, '..', 'shared', 'cli', 'bin.js'), 'run', '--config', configFile, '--data-dir', join(dir, 'data'), '--out', deliveries], join(dir, 'dialtone.log'));

    await sleep(WARM_UP_S * 1000);
    const systems = [...peers.map((p) => ({ name: p.profile.name, pids: p.pids })), { name: 'dialtone', pids: [dialtone.pid!] }];
    const cpu0 = systems.map((s) => s.pids.map(cpuSeconds).reduce((a, b) => a + b, 0));
    const served0 = await upstream.usage();
    const t0 = Date.now();

    // Seeded flip moments and pages, spread over the measured span less the settling time.
    const rnd = seededRandom(20260928);
    const candidates = pages.filter((i) => i % 4 === 0);
    const flipPlan = Array.from({ length: FLIPS }, () => ({ at: t0 + rnd() * (MEASURED_S - SETTLE_S) * 1000 })).sort((a, b) => a.at - b.at);
    const flips = new Map<number, number>();
    for (const step of flipPlan) {
      let page: number;
      do page = candidates[Math.floor(rnd() * candidates.length)]!;
      while (flips.has(page));
      await sleep(Math.max(0, step.at - Date.now()));
      await upstream.flip(page);
      flips.set(page, Date.now());
    }
    await sleep(Math.max(0, t0 + MEASURED_S * 1000 - Date.now()));

    const span = (Date.now() - t0) / 1000;
    const served1 = await upstream.usage();
    const rows = systems.map((s, k) => {
      const cpu = s.pids.map(cpuSeconds).reduce((a, b) => a + b, 0) - cpu0[k]!;
      const checks = (served1.byReader[s.name] ?? 0) - (served0.byReader[s.name] ?? 0);
      const rss = s.pids.map(peakRssMb).reduce((a, b) => a + b, 0);
      const notified = s.name === 'dialtone' ? dialtoneFirstDelivery(deliveries, flips, (page) => page / 4) : (hook.firstFiring.get(s.name) ?? new Map<number, number>());
      return { system: s.name, processes: s.pids.length, checks, cpuS: round(cpu, 2), cpuPer1000ChecksS: checks ? round((cpu / checks) * 1000, 3) : NaN, peakRssMb: round(rss), detection: latencies(flips, notified) };
    });
    const dt = rows.find((r) => r.system === 'dialtone')!;
    const ratios = rows.filter((r) => r !== dt).map((r) => ({ vs: r.system, cpuPerCheck: round(dt.cpuPer1000ChecksS / r.cpuPer1000ChecksS, 2), peakRss: round(dt.peakRssMb / r.peakRssMb, 2), medianLatency: round(dt.detection.medianS / r.detection.medianS, 2) }));

    print();
    print(`measured ${round(span)} s; load at end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    print();
    print('| system | processes | checks | CPU s | CPU s / 1,000 checks | peak RSS MB | flips notified | latency median s | p95 s | max s |');
    print('|---|---|---|---|---|---|---|---|---|---|');
    for (const r of rows) print(`| ${r.system} | ${r.processes} | ${r.checks} | ${r.cpuS} | ${r.cpuPer1000ChecksS} | ${r.peakRssMb} | ${r.detection.notified}/${r.detection.flips} | ${r.detection.medianS} | ${r.detection.p95S} | ${r.detection.maxS} |`);
    print();
    for (const r of ratios) print(`dialtone / ${r.vs}: CPU per check ${r.cpuPerCheck}, peak RSS ${r.peakRss}, median latency ${r.medianLatency}`);
    for (const p of PROFILES) print(`${p.name}: ${p.why}`);
    writeFileSync(join(__dirname, 'peer-results.json'), `${JSON.stringify({ machine, sources: N, measuredS: round(span), warmUpS: WARM_UP_S, profiles: PROFILES, rows, ratios, loadAtEnd: loadavg() }, null, 2)}\n`);
    print('bench/peer-results.json written');
  } finally {
    stopAll();
    upstream.stop();
    hook.close();
    await sleep(500);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  stopAll();
  process.exit(1);
});
