import * as z from 'zod';
import { polledSource } from './source-base.js';

const name = z.string().min(1);

/** A Statuspage-like component list: match a component by upstream id, exact name (case and spacing ignored), or the whole page. */
const componentListMatch = z.union([z.object({ id: name }).strict(), z.object({ name }).strict(), z.object({ page: z.literal(true) }).strict()]);

/** Atlassian Statuspage v2 summary.json: match a component by upstream id, exact name, or the page indicator. */
export const statuspageSource = polledSource('statuspage', componentListMatch);

/**
 * Atlassian Statuspage v2 incidents/unresolved.json (and scheduled-maintenances/active.json, or
 * any body with `incidents[]` / `scheduled_maintenances[]`): open incidents → worst impact of
 * the incidents listing the component (by id, group id or name), or of every open incident for
 * `{ page: true }`; an in-progress maintenance → maintenance. Nothing listed = operational.
 */
export const statuspageIncidentsSource = polledSource('statuspage-incidents', componentListMatch);

const awsService = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'an AWS Health service id in lower case, e.g. "ec2", "lambda", "route53"')
  .describe('AWS Health service id (the RSS guid / currentevents key before the region)');
const awsRegion = z
  .string()
  .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'an AWS region code, e.g. "us-east-1"')
  .describe('AWS region code; omit for global services (route53, cloudfront, billingconsole) or to match every region');
const awsMatch = z.object({ service: awsService, region: awsRegion.optional() }).strict();

/** AWS Health Dashboard RSS (all.rss or <service>-<region>.rss): the newest item per service-region decides. */
export const awsRssSource = polledSource('aws-rss', awsMatch);

/** health.aws.amazon.com/public/currentevents (UTF-16, unofficial): open public events and their impacted services. */
export const awsCurrentEventsSource = polledSource('aws-currentevents', awsMatch);

/** Azure status RSS: keywords matched against an item's categories and title (both given = both must match). */
export const azureStatusRssSource = polledSource(
  'azure-status-rss',
  z
    .object({
      service: name.optional().describe('an Azure service as the feed names it, e.g. "Azure Front Door", "Virtual Machines"'),
      region: name.optional().describe('an Azure region, e.g. "West US 2" (or "westus2")'),
    })
    .strict(),
);

/** Azure Service Health events (ARM Microsoft.ResourceHealth/events list, or SDK-shaped events). */
export const azureServiceHealthSource = polledSource(
  'azure-service-health',
  z
    .object({
      service: name.optional().describe('impactedService, e.g. "App Service", or its impactedServiceGuid'),
      region: name.optional().describe('impactedRegion, e.g. "Southeast Asia" (or "southeastasia"); a Global impact matches every region'),
    })
    .strict(),
  {
    unlisted: z
      .enum(['unknown', 'operational'])
      .default('unknown')
      .describe('what a component that no event mentions is: unknown (default), or operational when the URL lists every event of the subscription'),
  },
);

/** Google Cloud (or Workspace) status incidents.json: open incidents (no `end`) by product, optionally by location. */
export const gcpIncidentsSource = polledSource(
  'gcp-incidents',
  z
    .object({
      product: name.describe('affected_products title (e.g. "Cloud Run") or id'),
      location: name.optional().describe('a location id such as "us-central1" or "europe-west2"; incidents in "global" match every location'),
    })
    .strict(),
);

/** Status.io public status API (api.status.io/1.0/status/<page id>). */
export const statusioSource = polledSource(
  'statusio',
  z.union([
    z.object({ id: name, container: name.optional() }).strict(),
    z.object({ name, container: name.optional() }).strict(),
    z.object({ page: z.literal(true) }).strict(),
  ]),
);

/** Slack status API v2 (slack-status.com/api/v2.0.0/current or /history): by affected service, or the whole page. */
export const slackStatusSource = polledSource(
  'slack-status',
  z.union([z.object({ service: name.describe('a Slack service as listed, e.g. "Messaging", "Login/SSO"') }).strict(), z.object({ page: z.literal(true) }).strict()]),
);

/** FireHydrant-hosted status page (`/data/payload.json`). */
export const firehydrantSource = polledSource('firehydrant', componentListMatch);

/** Vendor and cloud status pages (Statuspage, AWS, Azure, Google Cloud, other vendors' APIs). */
export const vendorSourceSchemas = [
  statuspageSource,
  statuspageIncidentsSource,
  awsRssSource,
  awsCurrentEventsSource,
  azureStatusRssSource,
  azureServiceHealthSource,
  gcpIncidentsSource,
  statusioSource,
  slackStatusSource,
  firehydrantSource,
] as const;
