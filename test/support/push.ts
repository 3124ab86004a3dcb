import { createHash, createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { validateConfig } from '../../shared/config/load.js';
import type { MonitoringConfig } from '../../shared/config/schema.js';
import { testConfig } from './config.js';

/** Tokens of the push sources below (only their sha256 is in the config). */
export const TOKENS = { hook: 'hook-token-0123456789', aws: 'aws-token-0123456789', heartbeat: 'hb-token-0123456789', report: 'report-token-0123456789', signed: 'signed-token-0123456789' };
/** The HMAC secret of `signed-hook`, handed to ingest through `secrets` (auth.hmac.secretEnv). */
export const SIGNING_SECRET = 'whsec-test-secret';
export const SIGNING_ENV = 'DIALTONE_TEST_SIGNING_SECRET';
export const secrets = (name: string) => (name === SIGNING_ENV ? SIGNING_SECRET : undefined);

const sha = (t: string) => createHash('sha256').update(t).digest('hex');

/** HMAC-SHA256 over "<timestamp>.<body>", as a signing sender computes it. */
export function sign(body: string, timestamp: number, secret = SIGNING_SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * The two-state test world plus one source of every push kind:
 * - vendor-hook (Statuspage webhook): hook-db (by id), hook-portal (by name), hook-page (page);
 *   Ramsey depends on hook-db;
 * - signed-hook (Statuspage webhook, token + HMAC): signed-db;
 * - aws (AWS Health): EC2 in us-east-1 / us-west-2, FAKE (global), EKS, ECS, AWS_EC2;
 * - hennepin-hb (heartbeat, 120 s grace): Hennepin depends on it with effect Unreachable;
 * - maricopa-report (agency report): Maricopa depends on it (Down).
 */
export function pushConfig(over: { awsAcceptTestEvents?: boolean } = {}): MonitoringConfig {
  const base = testConfig();
  const raw = {
    ...base,
    sources: [
      ...base.sources,
      {
        id: 'vendor-hook',
        kind: 'statuspage-webhook',
        auth: { tokenSha256: sha(TOKENS.hook) },
        components: [
          { id: 'hook-db', name: 'Vendor database', provider: 'Vendor', match: { id: 'sqm6pl84wzjc' } },
          { id: 'hook-portal', name: 'Vendor portal', provider: 'Vendor', match: { name: 'Management Portal (example)' } },
          { id: 'hook-page', name: 'Vendor page', provider: 'Vendor', match: { page: true } },
        ],
      },
      {
        id: 'signed-hook',
        kind: 'statuspage-webhook',
        auth: { tokenSha256: sha(TOKENS.signed), hmac: { secretEnv: SIGNING_ENV, toleranceSeconds: 300 } },
        components: [{ id: 'signed-db', name: 'Signed database', provider: 'Vendor', match: { id: 'sqm6pl84wzjc' } }],
      },
      {
        id: 'aws',
        kind: 'aws-health',
        auth: { tokenSha256: sha(TOKENS.aws) },
        ...(over.awsAcceptTestEvents ? { acceptTestEvents: true } : {}),
        components: [
          { id: 'aws-ec2-use1', name: 'EC2 us-east-1', provider: 'AWS', match: { service: 'EC2', region: 'us-east-1' } },
          { id: 'aws-ec2-usw2', name: 'EC2 us-west-2', provider: 'AWS', match: { service: 'ec2', region: 'us-west-2' } },
          { id: 'aws-fake', name: 'FAKE service', provider: 'AWS', match: { service: 'FAKE', region: 'us-east-1' } },
          { id: 'aws-eks', name: 'EKS', provider: 'AWS', match: { service: 'EKS' } },
          { id: 'aws-ecs', name: 'ECS', provider: 'AWS', match: { service: 'ECS' } },
          { id: 'aws-bad', name: 'AWS_EC2 (test events)', provider: 'AWS', match: { service: 'AWS_EC2' } },
        ],
      },
      { id: 'hennepin-hb', kind: 'heartbeat', auth: { tokenSha256: sha(TOKENS.heartbeat) }, graceSeconds: 120, components: [{ id: 'hennepin-heartbeat', name: 'Hennepin CAD heartbeat', provider: 'Hennepin County' }] },
      { id: 'maricopa-report', kind: 'agency-report', auth: { tokenSha256: sha(TOKENS.report) }, components: [{ id: 'maricopa-self', name: 'Maricopa self-report', provider: 'Maricopa Region 911' }] },
    ],
    services: base.services.map((s) => {
      if (s.id === 'hennepin') return { ...s, dependsOn: [...s.dependsOn, { component: 'hennepin-heartbeat', effect: 'Unreachable' }] };
      if (s.id === 'maricopa') return { ...s, dependsOn: [...s.dependsOn, { component: 'maricopa-self', effect: 'Down' }] };
      if (s.id === 'ramsey') return { ...s, dependsOn: [...s.dependsOn, { component: 'hook-db' }] };
      return s;
    }),
  };
  const result = validateConfig(raw);
  if (!result.ok) throw new Error(`push test config invalid: ${JSON.stringify(result.problems)}`);
  return result.config;
}

/** ../shared/fixtures beside the checkout (absent on a user's machine: tests skip with a message). */
export const FIXTURES = path.resolve(__dirname, '../../../shared/fixtures');
export const haveFixtures = (folder: string) => existsSync(path.join(FIXTURES, folder));

/** An API Gateway HTTP API (payload 2.0) event for POST /push/{sourceId}[/{token}]. */
export function httpEvent(sourceId: string, body: string, opts: { headers?: Record<string, string>; token?: string; query?: Record<string, string>; method?: string; base64?: boolean } = {}) {
  return {
    version: '2.0',
    routeKey: opts.token ? 'POST /push/{sourceId}/{token}' : 'POST /push/{sourceId}',
    rawPath: `/push/${sourceId}`,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...(opts.headers ?? {}) },
    ...(opts.query ? { queryStringParameters: opts.query } : {}),
    requestContext: { http: { method: opts.method ?? 'POST', path: `/push/${sourceId}` }, requestId: 'r-1', timeEpoch: 0 },
    pathParameters: { sourceId, ...(opts.token ? { token: opts.token } : {}) },
    body: opts.base64 ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: opts.base64 ?? false,
  };
}
