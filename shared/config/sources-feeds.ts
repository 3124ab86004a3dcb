import * as z from 'zod';
import { componentOf, idSchema, polledFields, polledSource, witness } from './source-base.js';

/**
 * Agency and public feeds (RSS/Atom, Statuspage history, CAP, NWS) and Microsoft 365 service
 * health through Microsoft Graph. Parsers: shared/sources/feeds.ts.
 */

const keywordsMatch = z
  .object({
    keywords: z
      .array(z.string().trim().min(1))
      .min(1)
      .describe('only items whose title or text names one of these words (whole words, any case) count for this component'),
  })
  .strict();

const feedExtra = {
  maxAgeHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 90)
    .default(72)
    .describe('items older than this are not read at all'),
  holdHours: z
    .number()
    .min(0.25)
    .max(24 * 90)
    .default(12)
    .describe('an outage or degraded post decides for this long after it was posted; after that, with no newer post, the component reads operational again (a post nobody closed does not keep a PSAP dark)'),
};

/** An agency's RSS 2.0 / RSS 1.0 news feed: every item is classified as 911 down / degraded / restored / nothing. */
export const rssSource = polledSource('rss', keywordsMatch, feedExtra);
/** The same for an Atom feed (either kind reads either format; the kind says what you expect). */
export const atomSource = polledSource('atom', keywordsMatch, feedExtra);

/** A Statuspage `/history.atom`: each entry is an incident or maintenance; its latest marker says open or closed. */
export const statuspageHistorySource = polledSource(
  'statuspage-history',
  z
    .object({
      keywords: z.array(z.string().trim().min(1)).min(1).describe('only entries whose title names one of these words count (e.g. "Actions")'),
    })
    .strict(),
);

const countyFips = z.string().regex(/^\d{5}$/, 'county FIPS is a 5-digit string, e.g. "27053" (a state alone: "27000")');
const areaMatch = z
  .object({
    fips: z
      .array(countyFips)
      .min(1)
      .describe('counties this component covers; an alert for SAME "0"+FIPS, a subdivision of it, or the whole state (CCC 000) matches'),
  })
  .strict();

const textEvents = z
  .array(z.string().regex(/^[A-Z]{3}$/, 'a 3-letter SAME event code, e.g. LAE'))
  .default(['LAE', 'CEM'])
  .describe('other SAME event codes whose text is read by the 911 classifier (Local Area Emergency, Civil Emergency Message); [] for TOE only');

/** A CAP 1.1/1.2 document or an NWS/IPAWS Atom index of CAP entries: "911 Telephone Outage Emergency" (SAME TOE) alerts by county. */
export const capSource = polledSource('cap', areaMatch, { textEvents });
/** api.weather.gov `/alerts/active` (GeoJSON or JSON-LD), best filtered: `?event=911%20Telephone%20Outage%20Emergency&area=MN`. */
export const nwsAlertsSource = polledSource('nws-alerts', areaMatch, { textEvents });

const secretRef = z.union([
  z.object({ ssm: z.string().min(1).describe('SSM parameter name (SecureString), read WithDecryption') }).strict(),
  z.object({ secretsManager: z.string().min(1).describe('Secrets Manager secret id or ARN (SecretString)') }).strict(),
  z.object({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).describe('environment variable (local runs)') }).strict(),
]);

const { url: _anyUrl, ...polledTiming } = polledFields;

/**
 * Microsoft 365 service health through Microsoft Graph (client credentials, ServiceHealth.Read.All).
 * Built by hand rather than with polledSource(): its `url` (the Graph base, "graphUrl") has a default.
 */
export const m365GraphSource = z
  .object({
    id: idSchema,
    kind: z.literal('m365-graph'),
    url: z
      .url({ protocol: /^https?$/ })
      .default('https://graph.microsoft.com/v1.0')
      .describe('Microsoft Graph base URL ("graphUrl"); issues are read from <url>/admin/serviceAnnouncement/issues'),
    ...polledTiming,
    witness,
    components: z
      .array(
        componentOf(
          z
            .object({
              service: z.string().min(1).describe('Graph service name, e.g. "Exchange Online", "Microsoft Teams" (any case)'),
              feature: z.string().min(1).optional().describe('only issues whose feature or featureGroup is this (any case)'),
            })
            .strict(),
        ),
      )
      .min(1),
    tenantId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9.-]{0,253}$/, 'tenantId is a GUID or a domain like contoso.onmicrosoft.com'),
    clientId: z.string().min(1),
    clientSecret: secretRef.describe('where the client secret lives; never the secret itself'),
    tokenUrl: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe('default https://login.microsoftonline.com/<tenantId>/oauth2/v2.0/token'),
    maxPages: z.number().int().min(1).max(50).default(10).describe('most @odata.nextLink pages read per poll'),
  })
  .strict();

export const feedSourceSchemas = [rssSource, atomSource, statuspageHistorySource, capSource, nwsAlertsSource, m365GraphSource] as const;
