import * as z from 'zod';
import { componentOf, pushSource } from './source-base.js';

/**
 * Every kind that pushes to us (webhooks, heartbeats, events). Add a kind here and its ingest in
 * shared/app/ingest.ts. Pushes arrive at POST /push/{sourceId} (functions/ingest) and, for
 * aws-health, from an EventBridge rule (functions/health-events).
 *
 * Secrets never sit in the config: a token is stored as its sha256 (hex) and compared in
 * constant time; an HMAC signing secret is named by the environment variable that holds it.
 */

const sha256Hex = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, 'the sha256 of the token as 64 hex digits, e.g. `printf %s "$TOKEN" | sha256sum`');

export const pushAuthSchema = z
  .object({
    tokenSha256: sha256Hex
      .optional()
      .describe('sha256 (hex) of the bearer token: sent as "Authorization: Bearer <token>", an X-Dialtone-Token header, the last path segment (/push/{sourceId}/{token}) or ?token=<token>'),
    hmac: z
      .object({
        secretEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'the name of the environment variable holding the signing secret').describe('environment variable that holds the signing secret'),
        signatureHeader: z.string().regex(/^[a-z0-9-]+$/, 'a lower-case header name').default('x-dialtone-signature').describe('hex HMAC-SHA256 of "<timestamp>.<body>", optionally prefixed "sha256="'),
        timestampHeader: z.string().regex(/^[a-z0-9-]+$/, 'a lower-case header name').default('x-dialtone-timestamp').describe('Unix time in seconds when the sender signed'),
        toleranceSeconds: z.number().int().min(30).max(3600).default(300).describe('a signed push older or newer than this is refused as a replay (409)'),
      })
      .strict()
      .optional()
      .describe('for senders that can sign: HMAC-SHA256 over timestamp + body, with a replay window'),
  })
  .strict()
  .refine((a) => a.tokenSha256 !== undefined || a.hmac !== undefined, 'push auth needs tokenSha256, hmac, or both');

const statuspageMatch = z.union([
  z.object({ id: z.string().min(1) }).strict(),
  z.object({ name: z.string().min(1) }).strict(),
  z.object({ page: z.literal(true) }).strict(),
]);

/** Statuspage webhook notifications (component_update, incident): a hint; see README for the confirm-by-polling policy. */
export const statuspageWebhookSource = pushSource('statuspage-webhook', statuspageMatch, { auth: pushAuthSchema });

const awsHealthMatch = z
  .object({
    service: z.string().min(1).describe('detail.service, e.g. EC2 (case-insensitive)'),
    region: z.string().min(1).optional().describe('the affected region (detail.eventRegion); omitted = any; a "global" event matches every region'),
    entities: z.array(z.string().min(1)).optional().describe('watched resources: only their IMPAIRED status makes an open issue a major outage'),
  })
  .strict();

/** AWS Health events from EventBridge (source aws.health), matched by service and optional region / entities. */
export const awsHealthSource = pushSource(
  'aws-health',
  awsHealthMatch,
  {
    components: z.array(componentOf(awsHealthMatch).required({ match: true })).min(1),
    auth: pushAuthSchema.optional().describe('needed only for POST /push/{sourceId} (e.g. an EventBridge API destination); the EventBridge rule target needs none'),
    accounts: z.array(z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id')).optional().describe('only events of these accounts; omitted = any'),
    acceptTestEvents: z.boolean().default(false).describe('also accept events whose source is not aws.health (PutEvents test events)'),
  },
);

const single = z.array(componentOf(z.object({}).strict())).length(1, 'this kind watches exactly one component (one agency per source)');

/** A PSAP's system pings us; a missed window reads as major_outage for its component. */
export const heartbeatSource = pushSource('heartbeat', z.object({}).strict(), {
  components: single,
  auth: pushAuthSchema,
  graceSeconds: z.number().int().min(10).max(86_400).default(180).describe('no heartbeat for this long and the component reads major_outage'),
});

/** A PSAP declares its own NENA i3 ServiceState. */
export const agencyReportSource = pushSource('agency-report', z.object({}).strict(), {
  components: single,
  auth: pushAuthSchema,
});

export const pushSourceSchemas = [statuspageWebhookSource, awsHealthSource, heartbeatSource, agencyReportSource] as const;
