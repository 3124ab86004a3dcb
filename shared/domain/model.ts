import type { ComponentConfig, MonitoringConfig, RecipientConfig, ServiceConfig } from '../config/schema.js';

/** The monitoring config indexed for the domain: lookups the rules need, computed once. */
export interface Model {
  config: MonitoringConfig;
  services: ReadonlyMap<string, ServiceConfig>;
  components: ReadonlyMap<string, ComponentConfig & { sourceId: string }>;
  recipients: readonly RecipientConfig[];
  /** Neighbours are symmetric: if A lists B, B is A's neighbour too. */
  neighboursOf(psapId: string): ReadonlySet<string>;
  /** The PSAP a service belongs to (a PSAP belongs to itself). */
  psapOf(serviceId: string): string;
  /** Services that declare a dependency on the component. */
  dependentsOf(componentId: string): readonly ServiceConfig[];
  /** Who speaks through a source (config `witness`, else its provider and host): corroboration counts witnesses, not sources. */
  witnessOf(sourceId: string): string;
  /** Contact points the config publishes in notices (fallback numbers, the notifier): not personal data. */
  publicContacts: readonly string[];
}

export function buildModel(config: MonitoringConfig): Model {
  const services = new Map(config.services.map((s) => [s.id, s]));
  const components = new Map(config.sources.flatMap((src) => src.components.map((c) => [c.id, { ...c, sourceId: src.id }] as const)));
  const neighbours = new Map<string, Set<string>>();
  const link = (a: string, b: string) => {
    if (!neighbours.has(a)) neighbours.set(a, new Set());
    neighbours.get(a)!.add(b);
  };
  for (const s of config.services) {
    for (const n of s.neighbours) {
      link(s.id, n);
      link(n, s.id);
    }
  }
  const dependents = new Map<string, ServiceConfig[]>();
  for (const s of config.services)
    for (const d of s.dependsOn) dependents.set(d.component, [...(dependents.get(d.component) ?? []), s]);
  const empty: ReadonlySet<string> = new Set();
  const witnesses = new Map(config.sources.map((src) => [src.id, witnessOfSource(src)]));
  return {
    config,
    services,
    components,
    recipients: config.recipients,
    neighboursOf: (id) => neighbours.get(id) ?? empty,
    psapOf: (id) => services.get(id)?.psap ?? id,
    dependentsOf: (id) => dependents.get(id) ?? [],
    witnessOf: (id) => witnesses.get(id) ?? id,
    publicContacts: [...config.services.flatMap((s) => s.fallbackNumbers), config.notifier.phone, config.notifier.email],
  };
}

/**
 * Two reads of one vendor's page (its summary and its incident list) are one witness; a vendor's
 * page and an agency's post are two. By default a source speaks for its components' provider at
 * its host (a push source: at its kind), unless the config names the witness.
 */
function witnessOfSource(src: MonitoringConfig['sources'][number]): string {
  if (src.witness !== undefined) return src.witness;
  const provider = src.components[0]?.provider ?? src.id;
  const url = 'url' in src && typeof src.url === 'string' && URL.canParse(src.url) ? new URL(src.url) : undefined;
  return `${provider} at ${url ? url.hostname : src.kind}`;
}
