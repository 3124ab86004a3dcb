import type { Status } from './status.js';

/** What one read of a source said about one component, on the status scale. */
export interface Observation {
  sourceId: string;
  componentId: string;
  status: Status;
  /** ISO-8601 UTC time of the read. */
  observedAt: string;
  /** The upstream's own words, for evidence and messages. */
  title?: string;
  url?: string;
  upstreamId?: string;
  startedAt?: string;
  updatedAt?: string;
  /** sha256 of the payload the observation came from (evidence). */
  payloadHash?: string;
  /** Why the status is `unknown` (a clear error naming source and field). */
  error?: string;
}
