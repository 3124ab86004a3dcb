import { feedSourceSchemas } from './sources-feeds.js';
import { probeSourceSchemas } from './sources-probe.js';
import { vendorSourceSchemas } from './sources-vendors.js';

export { statuspageSource } from './sources-vendors.js';

/** Every kind fetched on a schedule; each family keeps its kinds in its own file. */
export const polledSourceSchemas = [...vendorSourceSchemas, ...feedSourceSchemas, ...probeSourceSchemas] as const;
