import type { CustomReaders } from './parsers.js';

/** Readers of the probe family (see shared/config/sources-probe.ts). */
export const probeReaders = {} satisfies CustomReaders;
