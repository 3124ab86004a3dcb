/**
 * Part 4: cold start. Every Lambda entry (functions/*\/handler.ts) is bundled with esbuild the way
 * infra/constructs/dialtone-function.ts has NodejsFunction do it (node22 target, CJS, minified,
 * source map without sources content, the monitoring config inlined with `define`, the AWS SDK
 * bundled or external as `bundleAwsSDK` says), into a temp dir. Reported: bundle size, the
 * biggest contributors, and module-init time: `require()` of the bundle in a fresh `node`
 * process, RUNS times, median — with NODE_OPTIONS=--enable-source-maps as the function's
 * environment sets it, and without.
 *
 * Both SDK choices are measured: bundled (today's setting) and external (`bundleAwsSDK: false`:
 * the Lambda runtime's SDK; emulated here with NODE_PATH pointing at node_modules, as the
 * runtime's NODE_PATH points at /var/runtime/node_modules).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { median, percentile, report, round } from './harness.js';

const ROOT = resolve(__dirname, '..');
const RUNS = Number(process.env.BENCH_INIT_RUNS ?? 10);
/** What NodejsFunction uses when bundleAwsSDK is false and the Smithy flag is unset. */
const SDK_EXTERNALS = ['@aws-sdk/*'];

/** A small valid monitoring config, as synth would inline it. */
const SMALL_CONFIG = {
  notifier: { name: 'Watch desk', phone: '+1 555 010 0199', email: 'desk@dialtone.example' },
  network: { allow: ['127.0.0.1'] },
  sources: [{ id: 'vendor', kind: 'statuspage', url: 'http://127.0.0.1:9/api/v2/summary.json', components: [{ id: 'routing', name: 'NG911 routing', provider: 'Meridian NG911 Inc.', match: { name: 'Routing' } }] }],
  services: [{ id: 'hennepin', name: 'Hennepin County 911', kind: 'psap', fips: '27053', state: 'MN', dependsOn: [{ component: 'routing' }], fallbackNumbers: ['+16125550100'] }],
  recipients: [{ id: 'ops', name: 'Ops', role: 'ops', channels: { email: 'ops@dialtone.example' } }],
};

/** bundleAwsSDK as the construct sets it today (read from its source, so the bench follows the product). */
function configuredBundleAwsSdk(): boolean {
  const source = readFileSync(join(ROOT, 'infra/constructs/dialtone-function.ts'), 'utf8');
  const m = /bundleAwsSDK:\s*(true|false)/.exec(source);
  return m ? m[1] === 'true' : false; // NodejsFunction's default is false
}

function packageOf(input: string): string {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  return m ? m[1]! : input.split('/').slice(0, 2).join('/');
}

async function bundle(entry: string, outdir: string, sdkExternal: boolean) {
  const outfile = join(outdir, 'index.js');
  const result = await build({
    entryPoints: [join(ROOT, entry)],
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    outfile,
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    external: sdkExternal ? SDK_EXTERNALS : [],
    // configDefine() in the construct: a JS string literal holding the JSON text.
    define: { 'process.env.DIALTONE_CONFIG_JSON': JSON.stringify(JSON.stringify(SMALL_CONFIG)) },
    absWorkingDir: ROOT,
    metafile: true,
    logLevel: 'error',
  });
  const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint !== undefined)!;
  const byPackage = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) byPackage.set(packageOf(input), (byPackage.get(packageOf(input)) ?? 0) + bytesInOutput);
  const top = [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([name, bytes]) => ({ name, kb: round(bytes / 1024) }));
  return { outfile, bytes: statSync(outfile).size, mapBytes: statSync(`${outfile}.map`).size, top };
}

interface InitRun {
  wallMs: number;
  cpuMs: number;
}

/** Module init: require() of the bundle in one fresh node process. */
function initOnce(outfile: string, opts: { sourceMaps: boolean; nodePath?: string }): InitRun {
  const script = `const c0 = process.cpuUsage(); const t0 = performance.now(); require(${JSON.stringify(outfile)}); const t1 = performance.now(); const c = process.cpuUsage(c0); process.stdout.write(JSON.stringify({ wallMs: t1 - t0, cpuMs: (c.user + c.system) / 1000 }));`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    TABLE_NAME: 'dialtone-bench',
    DIALTONE_CONFIG_JSON: JSON.stringify(SMALL_CONFIG),
    AWS_REGION: 'us-east-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    POWERTOOLS_SERVICE_NAME: 'dialtone',
    ...(opts.sourceMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
    ...(opts.nodePath ? { NODE_PATH: opts.nodePath } : {}),
  };
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { env, cwd: tmpdir(), encoding: 'utf8', timeout: 30_000 })) as InitRun;
}

const summarise = (runs: InitRun[]) => ({
  median: round(median(runs.map((r) => r.wallMs))),
  p90: round(percentile(runs.map((r) => r.wallMs), 90)),
  cpuMedian: round(median(runs.map((r) => r.cpuMs))),
  runs: runs.length,
});

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'dialtone-bundles-'));
  try {
    const configured = configuredBundleAwsSdk();
    const entries = readdirSync(join(ROOT, 'functions'))
      .map((name) => `functions/${name}/handler.ts`)
      .filter((entry) => {
        try {
          return statSync(join(ROOT, entry)).isFile();
        } catch {
          return false;
        }
      });
    const functions: unknown[] = [];
    for (const entry of entries) {
      const name = entry.split('/')[1]!;
      const variants: Record<string, unknown> = {};
      const built = {
        bundled: await bundle(entry, join(dir, name, 'bundled'), false),
        external: await bundle(entry, join(dir, name, 'external'), true),
      };
      // The SDK-external bundle finds the SDK on NODE_PATH, as the runtime's /var/runtime/node_modules.
      const opts = (sdk: keyof typeof built, sourceMaps: boolean) => ({ sourceMaps, ...(sdk === 'external' ? { nodePath: join(ROOT, 'node_modules') } : {}) });
      const runs = { bundled: { maps: [] as InitRun[], plain: [] as InitRun[] }, external: { maps: [] as InitRun[], plain: [] as InitRun[] } };
      // Interleaved, so a burst of load on the machine hits both variants alike.
      for (let i = 0; i < RUNS; i++) {
        for (const sdk of ['bundled', 'external'] as const) {
          runs[sdk].maps.push(initOnce(built[sdk].outfile, opts(sdk, true)));
          runs[sdk].plain.push(initOnce(built[sdk].outfile, opts(sdk, false)));
        }
      }
      for (const sdk of ['bundled', 'external'] as const) {
        const b = built[sdk];
        variants[sdk] = {
          configured: (sdk === 'bundled') === configured,
          bundleKb: round(b.bytes / 1024),
          sourceMapKb: round(b.mapBytes / 1024),
          top: b.top,
          initMs: { ...summarise(runs[sdk].maps), nodeOptions: '--enable-source-maps' },
          initMsWithoutSourceMaps: summarise(runs[sdk].plain),
        };
      }
      functions.push({ name, entry, ...variants });
    }
    report({ bundleAwsSDK: configured, node: process.version, functions });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
