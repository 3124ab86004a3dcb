import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * The conformance rule: every payload in ../shared/fixtures is asserted by name in one of the
 * conformance tables in this folder (each table asserts the statuses worked out by reading it).
 */
const FIXTURES = path.resolve(__dirname, '../../../shared/fixtures');
const present = existsSync(FIXTURES);
if (!present) console.warn(`conformance: ${FIXTURES} is absent (it sits beside the checkout for developers and CI); skipping`);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === 'schema' ? [] : files(full);
    return name.endsWith('.md') ? [] : [path.relative(FIXTURES, full)];
  });
}

(present ? describe : describe.skip)('every fixture is covered by a conformance table', () => {
  const tables = readdirSync(__dirname)
    .filter((f) => f.endsWith('.ts') && f !== path.basename(__filename))
    .map((f) => readFileSync(path.join(__dirname, f), 'utf8'))
    .join('\n');
  const all = present ? files(FIXTURES) : [];

  test('the fixture folder holds the payloads it should', () => {
    expect(all.length).toBeGreaterThanOrEqual(60);
  });

  test.each(all.map((f) => [f]))('%s', (file) => {
    expect(tables).toContain(path.basename(file));
  });
});
