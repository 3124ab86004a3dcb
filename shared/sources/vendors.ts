import { decodeAwsCurrentEvents, parseAwsCurrentEvents } from './aws-currentevents.js';
import { decodeAwsRss, parseAwsRss } from './aws-rss.js';
import { decodeAzureServiceHealth, parseAzureServiceHealth } from './azure-service-health.js';
import { decodeAzureStatusRss, parseAzureStatusRss } from './azure-status-rss.js';
import { decodeFirehydrant, parseFirehydrant } from './firehydrant.js';
import { decodeGcpIncidents, parseGcpIncidents } from './gcp-incidents.js';
import type { BodyDecoders, BodyParsers } from './parsers.js';
import { decodeSlackStatus, parseSlackStatus } from './slack-status.js';
import { decodeStatusio, parseStatusio } from './statusio.js';
import { decodeStatuspageSummary, parseStatuspageSummary } from './statuspage.js';
import { decodeStatuspageIncidents, parseStatuspageIncidents } from './statuspage-incidents.js';

/** Body parsers of the vendor-status family (see shared/config/sources-vendors.ts). */
export const vendorParsers = {
  statuspage: parseStatuspageSummary,
  'statuspage-incidents': parseStatuspageIncidents,
  'aws-rss': parseAwsRss,
  'aws-currentevents': parseAwsCurrentEvents,
  'azure-status-rss': parseAzureStatusRss,
  'azure-service-health': parseAzureServiceHealth,
  'gcp-incidents': parseGcpIncidents,
  statusio: parseStatusio,
  'slack-status': parseSlackStatus,
  firehydrant: parseFirehydrant,
} satisfies BodyParsers;

/** Config-free decoders of the same kinds: every upstream item, for `dialtone parse --kind KIND FILE`. */
export const vendorDecoders = {
  statuspage: decodeStatuspageSummary,
  'statuspage-incidents': decodeStatuspageIncidents,
  'aws-rss': decodeAwsRss,
  'aws-currentevents': decodeAwsCurrentEvents,
  'azure-status-rss': decodeAzureStatusRss,
  'azure-service-health': decodeAzureServiceHealth,
  'gcp-incidents': decodeGcpIncidents,
  statusio: decodeStatusio,
  'slack-status': decodeSlackStatus,
  firehydrant: decodeFirehydrant,
} satisfies BodyDecoders;
