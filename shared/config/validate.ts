import { county, countyLabel, retiredCountyNote } from '../domain/counties.js';
import type { MonitoringConfig } from './schema.js';
import { validateConfigShape, type ConfigProblem, type ConfigResult } from './shape.js';

/**
 * The full config check: shape and cross-references (shape.ts), then every service's county
 * FIPS against the county table (it exists, and lies in the service's state). A valid config
 * comes back with each service's `county` filled in with the Census name of its FIPS where the
 * config does not name it ("Hennepin County", "Richmond city"), so messages never need the table:
 * the CDK app validates here and inlines the filled config into the Lambda bundles, which check
 * the shape only (env.ts → shape.ts) and carry no county table.
 * load.ts re-exports this for the CLI, the CDK app and tests; it reads no YAML.
 */

export { formatPath, validateConfigShape, type ConfigProblem, type ConfigResult } from './shape.js';

/** Validates an already-parsed config and lists every problem (not just the first). */
export function validateConfig(value: unknown): ConfigResult {
  const shape = validateConfigShape(value);
  const counties = countyProblems(shape.ok ? shape.config.services : value);
  if (!shape.ok) return { ok: false, problems: [...shape.problems, ...counties] };
  if (counties.length > 0) return { ok: false, problems: counties };
  return { ok: true, config: withCountyNames(shape.config) };
}

/** Unknown county codes, and codes in another state (read leniently: the shape may be wrong too). */
export function countyProblems(services: unknown): ConfigProblem[] {
  const list = Array.isArray(services) ? services : ((services as { services?: unknown } | null)?.services ?? []);
  if (!Array.isArray(list)) return [];
  const problems: ConfigProblem[] = [];
  list.forEach((s: unknown, i) => {
    const { fips, state } = (s ?? {}) as { fips?: unknown; state?: unknown };
    // A malformed code is already a problem of its own (the fips regex).
    if (typeof fips !== 'string' || !/^\d{5}$/.test(fips)) return;
    const known = county(fips);
    if (!known) {
      const note = retiredCountyNote(fips);
      problems.push({ path: `services[${i}].fips`, message: `unknown county FIPS "${fips}"${note ? `: ${note}` : ''}` });
    } else if (typeof state === 'string' && known.state !== state) {
      problems.push({ path: `services[${i}].state`, message: `state ${state} disagrees with county FIPS ${fips} (${countyLabel(fips)})` });
    }
  });
  return problems;
}

/** Each service's `county`: the config's own words, else the Census name of its FIPS. */
export function withCountyNames(config: MonitoringConfig): MonitoringConfig {
  return { ...config, services: config.services.map((s) => (s.county !== undefined ? s : { ...s, county: county(s.fips)!.fullName })) };
}
