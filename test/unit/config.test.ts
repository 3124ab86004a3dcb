import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { configJsonSchema, loadConfigFile, parseConfigText } from '../../shared/config/load.js';

const bundled = resolve(__dirname, '../../shared/scenarios/ng911-vendor-outage/dialtone.yaml');

describe('the monitoring config', () => {
  test('the bundled config is valid and gets the defaults filled in', () => {
    const r = loadConfigFile(bundled);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.config.sources.map((s) => s.id)).toEqual(['meridian-status', 'contoso-status', 'hennepin-sheriff-news', 'prairie-status']);
    expect(r.config.sources[0]).toMatchObject({ timeoutMs: 5000, maxBytes: 2 * 1024 * 1024 });
    expect(r.config.services.find((s) => s.id === 'psap-ramsey')).toMatchObject({ textTo911: false, timeZone: 'America/Chicago' });
  });

  test('every problem is listed with its path, not just the first', () => {
    const r = parseConfigText(`
notifier: { name: Desk, phone: "1", email: not-an-email }
thresholds: { openAfter: 0 }
sources:
  - id: vendor
    kind: carrier-pigeon
    url: https://status.example/x
    components: [{ id: routing, name: Routing, provider: V }]
  - id: vendor2
    kind: statuspage
    url: ftp://status.example/api/v2/summary.json
    components: [{ id: routing2, name: Routing again, provider: V }]
services:
  - id: psap-a
    name: A
    kind: psap
    fips: "2705"
    state: Minnesota
    dependsOn: [{ component: nothing-here }]
    neighbours: [psap-z, psap-a]
    backup: psap-q
    fallbackNumbers: ["612-555-0100"]
recipients:
  - { id: r1, name: R, role: psap, channels: {} }
  - { id: m1, name: M, role: county-manager, channels: { email: m@x.example } }
surprise: true
`);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const paths = r.problems.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'notifier.email',
        'thresholds.openAfter',
        'sources[0].kind',
        'sources[1].url',
        'services[0].fips',
        'services[0].state',
        'services[0].fallbackNumbers[0]',
        'recipients[0].channels',
        '(root)',
      ]),
    );
    expect(r.problems.find((p) => p.path === '(root)')?.message).toMatch(/surprise/);
  });

  test('cross-references are checked once the shapes are right', () => {
    const r = parseConfigText(`
notifier: { name: Desk, phone: "+1 555 0100", email: desk@x.example }
sources:
  - { id: vendor, kind: statuspage, url: "https://s.example/a", components: [{ id: routing, name: R, provider: V }] }
  - { id: vendor, kind: statuspage, url: "https://s.example/b", components: [{ id: routing, name: R2, provider: V }] }
services:
  - { id: psap-a, name: A, kind: psap, fips: "27053", state: MN, dependsOn: [{ component: nothing-here }], neighbours: [psap-z, psap-a], backup: psap-q }
recipients:
  - { id: r1, name: R, role: psap, channels: { sms: "+16125550100" } }
  - { id: m1, name: M, role: county-manager, channels: { email: m@x.example } }
`);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual(
      expect.arrayContaining([
        { path: 'sources[1].id', message: 'duplicate source id "vendor"' },
        { path: 'sources[1].components[0].id', message: 'duplicate component id "routing"' },
        { path: 'services[0].dependsOn[0].component', message: 'unknown component "nothing-here"' },
        { path: 'services[0].neighbours[0]', message: 'unknown service "psap-z"' },
        { path: 'services[0].neighbours[1]', message: 'a service cannot be its own neighbour' },
        { path: 'services[0].backup', message: 'unknown service "psap-q"' },
        { path: 'recipients[0].psap', message: 'a psap recipient names the PSAP it works at' },
        { path: 'recipients[1].jurisdictions', message: 'a county manager needs at least one county FIPS or state' },
      ]),
    );
  });

  test('a YAML syntax error names the line', () => {
    const r = parseConfigText('sources: [\n  - id: x\n');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]!.path).toMatch(/^line \d+, column \d+$/);
  });

  test('a missing file is a problem, not a crash', () => {
    const r = loadConfigFile('/nonexistent/dialtone.yaml');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]!.message).toMatch(/cannot read config/);
  });

  test('the committed JSON Schema for editors matches the zod schema (run `npm run schema` after changing it)', () => {
    const committed = JSON.parse(readFileSync(resolve(__dirname, '../../shared/config/dialtone.schema.json'), 'utf8'));
    expect(committed).toEqual(configJsonSchema());
  });
});
