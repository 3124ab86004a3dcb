import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { configDefine } from '../../infra/constructs/dialtone-function';

/**
 * What the Lambda bundles carry (target: bundles ≤ 500 KB, npm run bench part 4), bundled as the
 * construct has NodejsFunction do it (SDK external). A regression guard: the county table, the
 * phone-number library and the source adapters stay out of the functions that do not use them.
 */
const ROOT = resolve(__dirname, '../..');
const functions = readdirSync(join(ROOT, 'functions')).filter((f) => f !== 'common');

async function inputsOf(fn: string): Promise<{ kb: number; inputs: string[] }> {
  const result = await build({
    entryPoints: [join(ROOT, 'functions', fn, 'handler.ts')],
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    write: false,
    outfile: join(ROOT, 'cdk.out', 'bundle-test', fn, 'index.js'),
    external: ['@aws-sdk/*'],
    define: configDefine({}),
    absWorkingDir: ROOT,
    metafile: true,
    logLevel: 'silent',
  });
  const out = Object.values(result.metafile.outputs)[0]!;
  return { kb: out.bytes / 1024, inputs: Object.keys(out.inputs) };
}

describe('Lambda bundles', () => {
  test.each(functions)('%s: under 500 KB, no phone-number library, the county table only in the API (its reports)', async (fn) => {
    const { kb, inputs } = await inputsOf(fn);
    expect(kb).toBeLessThan(500);
    expect(inputs.filter((i) => i.includes('libphonenumber-js'))).toEqual([]);
    expect(inputs.some((i) => i.endsWith('shared/domain/counties.data.json'))).toBe(fn === 'api');
    // Only the poller reads sources.
    expect(inputs.some((i) => i.endsWith('shared/sources/read-source.ts'))).toBe(fn === 'poll');
  });
});
