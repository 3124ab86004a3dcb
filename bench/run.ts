/**
 * `npm run bench`: runs each part in its own process (so CPU time and peak RSS are that part's
 * alone), prints the tables and the targets, and writes bench/results.json. See bench/README.md.
 *
 *   npm run bench                          all parts, N = 100, 1,000, 5,000
 *   npm run bench -- --parts cycle,storm   some parts (cycle, latency, storm, cold)
 *   npm run bench -- --sizes 100,1000      other N for part 1
 */
import { execFileSync, fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { PART_EXEC_ARGV, round } from './harness.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- the parts' results are JSON read back over IPC */
type Json = any;

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const PARTS = arg('parts', 'cycle,latency,storm,cold').split(',');
const SIZES = arg('sizes', '100,1000,5000').split(',').map(Number);
const print = (line = '') => process.stdout.write(`${line}\n`);

function machine() {
  let lscpu: string[] = [];
  try {
    lscpu = execFileSync('lscpu', { encoding: 'utf8' }).split('\n').slice(0, 10).map((l) => l.replace(/\s+/g, ' ').trim());
  } catch {
    // not Linux: the os module's view is enough
  }
  return { cpus: availableParallelism(), model: cpus()[0]?.model ?? '?', memoryGb: round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform} ${process.arch}`, lscpu };
}

/** On a shared machine other work inflates wall times: say so next to the table. */
function loadNote(run: { loadBefore: number; loadAfter: number }): void {
  const cores = availableParallelism();
  const worst = Math.max(run.loadBefore, run.loadAfter);
  if (worst > cores) print(`note: load average ${worst} on ${cores} cores during this part: wall times are inflated; CPU times are the steadier figure.\n`);
}

function runPart(file: string, partArgs: string[] = []): Promise<{ result: Json; seconds: number; loadBefore: number; loadAfter: number }> {
  const t0 = performance.now();
  const loadBefore = loadavg()[0]!;
  return new Promise((resolve, reject) => {
    const child = fork(join(__dirname, file), partArgs, { execArgv: PART_EXEC_ARGV, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: Json;
    child.on('message', (m: { type: string; result: Json }) => {
      if (m.type === 'result') result = m.result;
    });
    child.on('exit', (code) => {
      if (code === 0 && result !== undefined) resolve({ result, seconds: round((performance.now() - t0) / 1000), loadBefore: round(loadBefore, 2), loadAfter: round(loadavg()[0]!, 2) });
      else reject(new Error(`${file} ${partArgs.join(' ')} exited with ${code}`));
    });
  });
}

function table(headers: string[], rows: Array<Array<string | number>>): void {
  const cells = [headers, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? c.toLocaleString('en-US', { maximumFractionDigits: 1 }) : c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const line = (r: Array<string | number>) => `| ${r.map((c, i) => (typeof rows[0]?.[i] === 'number' ? String(c).padStart(widths[i]!) : String(c).padEnd(widths[i]!))).join(' | ')} |`;
  print(line(headers));
  print(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of cells.slice(1)) print(line(r));
  print();
}

interface Target {
  what: string;
  measured: number;
  target: number;
  unit: string;
  /** For "must be 0" targets the ratio is not defined. */
  pass: boolean;
  note?: string;
}

async function main() {
  const started = new Date();
  const m = machine();
  print(`dialtone bench: ${m.cpus} × ${m.model}, ${m.memoryGb} GB, node ${m.node}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  print();
  const parts: Record<string, Json> = {};
  const targets: Target[] = [];

  if (PARTS.includes('cycle')) {
    parts.cycle = {};
    for (const n of SIZES) {
      print(`part 1: poll cycle, N = ${n} …`);
      parts.cycle[n] = await runPart('cycle.ts', [String(n)]);
    }
    print();
    print('## 1. Poll cycle (64 in flight; wall, CPU and peak RSS of the pipeline process; world = dynalite + upstream, another process)');
    print();
    const rows: Array<Array<string | number>> = [];
    for (const n of SIZES) {
      const r = parts.cycle[n].result;
      for (const name of ['unchanged', 'change', 'confirm'] as const) {
        const c = r.cycles[name];
        rows.push([n, name, c.wallMs, c.cpuMs, c.worldCpuMs, c.peakRssMb, c.dynamo.BatchGetItem ?? 0, c.dynamo.Query ?? 0, c.dynamo.GetItem ?? 0, c.dynamo.PutItem ?? 0, c.dynamo.UpdateItem ?? 0, c.dynamo.DeleteItem ?? 0, c.dynamoWrites, `${c.http['200'] ?? 0}/${c.http['304'] ?? 0}`, c.notices, c.deliveries]);
      }
    }
    loadNote({ loadBefore: Math.max(...SIZES.map((n) => parts.cycle[n].loadBefore)), loadAfter: Math.max(...SIZES.map((n) => parts.cycle[n].loadAfter)) });
    table(['N', 'cycle', 'wall ms', 'CPU ms', 'world CPU ms', 'peak RSS MB', 'BatchGet', 'Query', 'Get', 'Put', 'Update', 'Delete', 'writes', 'HTTP 200/304', 'notices', 'deliveries'], rows);
    const k = parts.cycle[1000]?.result;
    if (k) {
      const u = k.cycles.unchanged;
      const maxBatch = Math.ceil(1000 / 100);
      targets.push({ what: 'unchanged 1,000-source cycle: wall', measured: u.wallMs, target: 5000, unit: 'ms', pass: u.wallMs <= 5000 });
      targets.push({ what: 'unchanged 1,000-source cycle: CPU', measured: u.cpuMs, target: 1000, unit: 'ms', pass: u.cpuMs <= 1000 });
      targets.push({ what: 'unchanged 1,000-source cycle: DynamoDB writes', measured: u.dynamoWrites, target: 0, unit: '', pass: u.dynamoWrites === 0 });
      targets.push({
        what: 'unchanged 1,000-source cycle: BatchGetItem calls',
        measured: u.dynamo.BatchGetItem ?? 0,
        target: maxBatch,
        unit: 'calls',
        pass: (u.dynamo.BatchGetItem ?? 0) <= maxBatch,
        note: `${k.n} source states, 100 keys a call; components and services only when a read can change them (shared/app/poll-cycle.ts, "steady state")`,
      });
    }
  }

  if (PARTS.includes('latency')) {
    print('part 2: detection latency …');
    parts.latency = await runPart('latency.ts');
    const r = parts.latency.result;
    print();
    print(`## 2. Detection latency (openAfter ${r.thresholds.openAfter}, closeAfter ${r.thresholds.closeAfter}; schedule = simulated, processing = real)`);
    print();
    const rows = (['critical', 'standard', 'push'] as const).map((cls) => {
      const c = r[cls];
      const label = cls === 'push' ? `push (ingest ${c.detection.ingestMs.median} ms, then the minute poll)` : `${cls} (every ${c.cadenceS} s)`;
      const d = c.detection;
      return [label, d.samples, d.scheduleS.median, d.scheduleS.p99, d.processingToFirstDeliveryMs.median, d.processingToFirstDeliveryMs.p99, d.processingCycleMs.median, d.processingCycleMs.p99, d.polls.median, c.allClear.scheduleS.median, c.allClear.scheduleS.p99];
    });
    loadNote(parts.latency);
    table(['source', 'changes', 'schedule median s', 'schedule p99 s', 'to 1st delivery median ms', 'p99 ms', 'cycle median ms', 'cycle p99 ms', 'reads to confirm', 'all-clear median s', 'all-clear p99 s'], rows);
  }

  if (PARTS.includes('storm')) {
    print('part 3: storm …');
    parts.storm = await runPart('storm.ts');
    const r = parts.storm.result;
    print();
    print(`## 3. Storm: ${r.storm.darkPsaps} PSAPs dark (${r.storm.incidents} incidents), ${r.roster.recipients.toLocaleString('en-US')} recipients on the roster`);
    print();
    loadNote(parts.storm);
    const row = (name: string, x: Json) => [name, x.wallMs, x.cpuMs, x.worldCpuMs ?? '-', x.peakRssMb, x.messages ?? x.sent, x.recipients, x.messagesPerRecipientPerPhase.max, x.messagesPerRecipientPerPhase.mean, x.messagesPerRecipientPerPhasePerChannel.max, x.writes ?? '-'];
    table(
      ['delivery', 'wall ms', 'CPU ms', 'world CPU ms', 'peak RSS MB', 'messages', 'recipients', 'max msgs / recipient / phase', 'mean', 'max per channel', 'writes'],
      [row('route + render + queue (plan, no store)', r.queue), row('full deliverPending (lease → send → record)', r.full)],
    );
    print(`confirming cycle (evaluate + record 500 services, ${r.storm.incidents} incidents, notices): ${r.confirmCycle.wallMs} ms wall, ${r.confirmCycle.cpuMs} ms CPU, ${r.confirmCycle.writes} writes`);
    print();
    const s = r.sms;
    table(['SMS', 'messages', 'parts', 'ETA all @3 MPS', '@20', '@100', 'last neighbour @3', '@20', '@100'], [['seconds', s.messages, s.parts, s.etaAllS['3mps'], s.etaAllS['20mps'], s.etaAllS['100mps'], s.etaLastNeighbourS['3mps'], s.etaLastNeighbourS['20mps'], s.etaLastNeighbourS['100mps']]]);
    targets.push({
      what: 'storm: CPU to route, render and queue (no store writes)',
      measured: r.queue.cpuMs,
      target: 2000,
      unit: 'ms',
      pass: r.queue.cpuMs <= 2000,
      note: `composeMessages + SMS pacing plan: ${r.queue.messages} messages for ${r.queue.units} deliveries, SMS ETA ${r.queue.smsEtaS} s`,
    });
    targets.push({
      what: 'storm: CPU of the full delivery run (deliverPending, counting sender)',
      measured: r.full.cpuMs,
      target: 2000,
      unit: 'ms',
      pass: r.full.cpuMs <= 2000,
      note: `the stricter reading: + a lease per notice and the delivery records (${r.full.writes} writes: conditional leases and BatchWriteItem calls; ${r.full.dynamo?.Query ?? 0} Queries)`,
    });
    targets.push({
      what: 'storm: messages per recipient per phase and channel (max)',
      measured: r.full.messagesPerRecipientPerPhasePerChannel.max,
      target: 1,
      unit: '',
      pass: r.full.messagesPerRecipientPerPhasePerChannel.max <= 1,
    });
    const both = Object.entries(r.full.messagesPerRecipientPerPhase.histogram as Record<string, number>).filter(([n]) => Number(n) >= 2).reduce((sum, [, v]) => sum + v, 0);
    targets.push({
      what: 'storm: messages per recipient per phase, all channels (max)',
      measured: r.full.messagesPerRecipientPerPhase.max,
      target: 1,
      unit: '',
      pass: r.full.messagesPerRecipientPerPhase.max <= 1,
      note: `${both} recipients with SMS and email get one of each (every recipient gets every channel it has)`,
    });
  }

  if (PARTS.includes('cold')) {
    print('part 4: cold start …');
    parts.cold = await runPart('cold-start.ts');
    const r = parts.cold.result;
    print();
    print(`## 4. Cold start (esbuild as the construct does; module init = require() in a fresh node ${r.node}, median of ${r.functions[0]?.bundled.initMs.runs} runs)`);
    print();
    loadNote(parts.cold);
    const rows: Array<Array<string | number>> = [];
    for (const f of r.functions) {
      for (const v of ['bundled', 'external'] as const) {
        const x = f[v];
        rows.push([f.name, `SDK ${v}${x.configured ? ' (configured)' : ''}`, x.bundleKb, x.sourceMapKb, x.initMs.median, x.initMs.p90, x.initMs.cpuMedian, x.initMsWithoutSourceMaps.median, x.top.slice(0, 4).map((t: Json) => `${t.name} ${t.kb}`).join(', ')]);
        if (x.configured) {
          const other = v === 'bundled' ? 'external' : 'bundled';
          targets.push({ what: `bundle size: ${f.name}`, measured: x.bundleKb, target: 500, unit: 'KB', pass: x.bundleKb <= 500, note: `SDK ${other}: ${f[other].bundleKb} KB` });
          targets.push({ what: `module init: ${f.name}`, measured: x.initMs.median, target: 150, unit: 'ms', pass: x.initMs.median <= 150, note: `CPU median ${x.initMs.cpuMedian} ms (wall ≈ CPU when the machine is idle)` });
        }
      }
    }
    table(['function', 'variant', 'bundle KB', 'map KB', 'init median ms', 'init p90 ms', 'init CPU median ms', 'init w/o source maps', 'biggest parts (KB)'], rows);
  }

  print('## Targets');
  print();
  table(
    ['target', 'measured', 'target', 'ratio', 'result', 'note'],
    targets.map((t) => [t.what, `${round(t.measured)} ${t.unit}`.trim(), `${t.target} ${t.unit}`.trim(), t.target === 0 ? (t.measured === 0 ? '-' : '∞') : round(t.measured / t.target, 2).toFixed(2), t.pass ? 'PASS' : 'MISS', t.note ?? '']),
  );
  const finished = new Date();
  const out = { machine: m, startedAt: started.toISOString(), finishedAt: finished.toISOString(), seconds: round((finished.getTime() - started.getTime()) / 1000), loadAverageAtEnd: loadavg(), targets, parts };
  writeFileSync(join(__dirname, 'results.json'), `${JSON.stringify(out, null, 2)}\n`);
  print(`bench/results.json written; ${out.seconds} s in all.`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
