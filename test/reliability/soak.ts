/**
 * `npm run test:soak`: the fault suite (faults.test.ts) with DIALTONE_SOAK cases (10,000 by
 * default), split into one jest process per core, each from its own seed, then one report of the
 * summed counts: cases, faults injected, lost, duplicates. Exits non-zero when a shard failed
 * (its jest output, with the failing case's seed and path, is printed above the report).
 *
 *   DIALTONE_SOAK=20000 npm run test:soak       more cases
 *   DIALTONE_SOAK_SHARDS=1 npm run test:soak    one process
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tally } from '../support/faults.js';
import { report } from './report.js';

interface ShardResult {
  cases: number;
  wallMs: number;
  transport: string;
  tally: Array<[string, number]>;
}

const total = Number(process.env.DIALTONE_SOAK ?? 10_000);
const shards = Math.max(1, Number(process.env.DIALTONE_SOAK_SHARDS ?? availableParallelism()));
const baseSeed = Number(process.env.DIALTONE_SEED ?? Date.now() % 1_000_000_007);
const dir = mkdtempSync(join(tmpdir(), 'dialtone-soak-'));

function runShard(i: number): Promise<{ code: number; out: string; file: string; seed: number }> {
  const cases = Math.ceil(total / shards);
  const seed = (baseSeed + i * 7_919) | 0;
  const file = join(dir, `shard-${i}.json`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [require.resolve('jest/bin/jest'), 'test/reliability/faults', '--silent'], {
      env: { ...process.env, DIALTONE_SOAK: String(cases), DIALTONE_SEED: String(seed), DIALTONE_FAULTS_OUT: file, DIALTONE_FAULTS_REPORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      const text = d.toString();
      // progress lines as they come; the rest (jest's verdict, a failure) is kept for the end
      for (const line of text.split('\n')) if (line.startsWith('fault suite:')) process.stderr.write(`shard ${i + 1}/${shards} (seed ${seed}): ${line.slice('fault suite: '.length)}\n`);
      out += text;
    });
    child.on('close', (code) => resolve({ code: code ?? 1, out, file, seed }));
  });
}

async function main(): Promise<void> {
  process.stderr.write(`fault suite soak: ${total} cases in ${shards} shard(s), seeds from ${baseSeed}\n`);
  const results = await Promise.all(Array.from({ length: shards }, (_, i) => runShard(i)));
  const totals = new Tally();
  let cases = 0;
  let wallMs = 0;
  let transport = 'in-process';
  for (const r of results) {
    if (r.code !== 0) process.stdout.write(`\n--- shard with seed ${r.seed} failed (exit ${r.code}) ---\n${r.out}\n`);
    let shard: ShardResult;
    try {
      shard = JSON.parse(readFileSync(r.file, 'utf8')) as ShardResult;
    } catch {
      continue; // the shard died before writing its counts: its failure is printed above
    }
    for (const [k, v] of shard.tally) totals.add(k, v);
    cases += shard.cases;
    wallMs = Math.max(wallMs, shard.wallMs);
    transport = shard.transport;
  }
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`${report(totals, cases, wallMs, `${transport}, ${shards} shard(s) in parallel; wall = the slowest shard`)}\n`);
  const failed = results.filter((r) => r.code !== 0).length;
  if (failed > 0 || cases < total) {
    process.stdout.write(`\nFAILED: ${failed} shard(s) failed; ${cases} of ${total} cases ran.\n`);
    process.exitCode = 1;
  }
}

void main();
