import type { MonitoringConfig } from '../shared/config/schema.js';
import type { ConfigProblem } from '../shared/config/load.js';

/**
 * Deployment options from CDK context (`-c key=value` or cdk.json), validated together so a bad
 * deploy command lists every problem at once, like the monitoring config does.
 *
 * | key | default | meaning |
 * |---|---|---|
 * | config | (required) | path to the monitoring config (YAML) |
 * | regions | the CLI's region | `us-east-1,us-west-2`: the first is the primary (holds the global table), all run the pipeline |
 * | tableName | dialtone-state | the DynamoDB table's name (fixed: regions find it by name) |
 * | tableKey | aws | `aws` (AWS-managed KMS key) or `customer` (a customer-managed key per region, rotated yearly) |
 * | smsOriginationNumber | account default | E.164 toll-free / 10DLC / short code number SNS sends from |
 * | smsType | Transactional | account default SMS type (Transactional or Promotional) |
 * | smsMonthlySpendLimit | 1 | USD; SNS stops sending SMS past it; must not exceed the account's SMS spend quota |
 * | smsSettings | true | `false`: leave the account's SMS attributes alone (another stack manages them) |
 * | sesFromAddress | (none) | sender for email deliveries; creates the SES identity (address, or its domain with sesIdentity=domain) |
 * | sesIdentity | email | `email` (verify the address) or `domain` (verify the domain with Easy DKIM) |
 * | secretsPrefix | dialtone/ | SSM parameters (/dialtone/…) and Secrets Manager secrets (dialtone/…) the pollers may read |
 * | opsEmail | (none) | comma-separated addresses subscribed to the ops topic (alarms) |
 * | apiRateLimit, apiBurstLimit | 20, 40 | HTTP API throttling (requests per second, burst) |
 * | capDomain | the notifier's mail domain | CAP sender `dialtone@<capDomain>` |
 */
export interface DeploymentOptions {
  /** Concrete regions, primary first; empty = one region-agnostic deployment (the CLI's region). */
  regions: string[];
  tableName: string;
  tableKey: 'aws' | 'customer';
  smsOriginationNumber?: string;
  smsType: 'Transactional' | 'Promotional';
  smsMonthlySpendLimit: number;
  manageSmsSettings: boolean;
  sesFromAddress?: string;
  sesIdentity: 'email' | 'domain';
  secretsPrefix: string;
  opsEmails: string[];
  /** Email subscriptions on the incidents topic, each filtered to notices that touch its states. */
  incidentTopicEmails: Array<{ email: string; states: string[] }>;
  apiRateLimit: number;
  apiBurstLimit: number;
  capDomain?: string;
}

const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
const isE164 = (v: string) => /^\+[1-9]\d{6,14}$/.test(v);

/** The address part of `Name <addr@example.org>` or a bare address. */
export function addressOf(from: string): string {
  return /<([^>]+)>\s*$/.exec(from)?.[1]?.trim() ?? from.trim();
}

type Get = (key: string) => unknown;

export function readDeploymentOptions(get: Get, defaultRegion?: string): { ok: true; options: DeploymentOptions } | { ok: false; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const str = (key: string): string | undefined => {
    const v = get(key);
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v === 'string') return v.trim();
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    problems.push({ path: key, message: `must be a string (got ${JSON.stringify(v)})` });
    return undefined;
  };
  const oneOf = <T extends string>(key: string, allowed: readonly T[], fallback: T): T => {
    const v = str(key);
    if (v === undefined) return fallback;
    if ((allowed as readonly string[]).includes(v)) return v as T;
    problems.push({ path: key, message: `must be one of ${allowed.join(', ')} (got ${JSON.stringify(v)})` });
    return fallback;
  };
  const number = (key: string, fallback: number, min: number, max: number): number => {
    const v = str(key);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) {
      problems.push({ path: key, message: `must be a number from ${min} to ${max} (got ${JSON.stringify(v)})` });
      return fallback;
    }
    return n;
  };

  const regionsRaw = str('regions');
  const regions = regionsRaw ? regionsRaw.split(',').map((r) => r.trim()).filter(Boolean) : defaultRegion ? [defaultRegion] : [];
  regions.forEach((r, i) => {
    if (!REGION.test(r)) problems.push({ path: `regions[${i}]`, message: `not an AWS region name: ${JSON.stringify(r)}` });
  });
  if (new Set(regions).size !== regions.length) problems.push({ path: 'regions', message: 'a region is listed twice' });

  const tableName = str('tableName') ?? 'dialtone-state';
  if (!/^[A-Za-z0-9_.-]{3,255}$/.test(tableName)) problems.push({ path: 'tableName', message: '3-255 letters, digits, "_", "-" or "."' });

  const sms = str('smsOriginationNumber');
  if (sms !== undefined && !isE164(sms)) problems.push({ path: 'smsOriginationNumber', message: `must be E.164, e.g. +18335550100 (got ${JSON.stringify(sms)})` });

  const ses = str('sesFromAddress');
  if (ses !== undefined && !EMAIL.test(addressOf(ses))) problems.push({ path: 'sesFromAddress', message: `must be an email address, optionally "Name <address>" (got ${JSON.stringify(ses)})` });

  const secretsPrefix = str('secretsPrefix') ?? 'dialtone/';
  if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*\/$/.test(secretsPrefix))
    problems.push({ path: 'secretsPrefix', message: 'a path prefix ending in "/", without a leading "/", e.g. dialtone/' });

  const opsEmails = (str('opsEmail') ?? '').split(',').map((e) => e.trim()).filter(Boolean);
  opsEmails.forEach((e, i) => {
    if (!EMAIL.test(e)) problems.push({ path: `opsEmail[${i}]`, message: `not an email address: ${JSON.stringify(e)}` });
  });

  // -c incidentTopicEmails=ecn-duty@mn.example:MN,az911@az.example:AZ|NM
  const incidentTopicEmails = (str('incidentTopicEmails') ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)
    .map((entry, i) => {
      const [email = '', states = ''] = entry.split(':');
      const list = states.split('|').map((s) => s.trim()).filter(Boolean);
      if (!EMAIL.test(email)) problems.push({ path: `incidentTopicEmails[${i}]`, message: `not an email address: ${JSON.stringify(email)} (write email:STATE|STATE)` });
      if (list.length === 0 || list.some((s) => !/^[A-Z]{2}$/.test(s))) problems.push({ path: `incidentTopicEmails[${i}]`, message: `needs one or more 2-letter states after ":", e.g. ${email || 'ecn@mn.example'}:MN|WI` });
      return { email, states: list };
    });

  const smsSettings = oneOf('smsSettings', ['true', 'false'] as const, 'true');
  const capDomain = str('capDomain');
  if (capDomain !== undefined && !/^[a-z0-9.-]+\.[a-z]{2,}$/i.test(capDomain)) problems.push({ path: 'capDomain', message: 'a DNS domain, e.g. example.org' });

  const options: DeploymentOptions = {
    regions,
    tableName,
    tableKey: oneOf('tableKey', ['aws', 'customer'] as const, 'aws'),
    ...(sms !== undefined ? { smsOriginationNumber: sms } : {}),
    smsType: oneOf('smsType', ['Transactional', 'Promotional'] as const, 'Transactional'),
    smsMonthlySpendLimit: number('smsMonthlySpendLimit', 1, 0, 1_000_000),
    manageSmsSettings: smsSettings === 'true',
    ...(ses !== undefined ? { sesFromAddress: ses } : {}),
    sesIdentity: oneOf('sesIdentity', ['email', 'domain'] as const, 'email'),
    secretsPrefix,
    opsEmails,
    incidentTopicEmails,
    apiRateLimit: number('apiRateLimit', 20, 1, 10_000),
    apiBurstLimit: number('apiBurstLimit', 40, 1, 5_000),
    ...(capDomain !== undefined ? { capDomain } : {}),
  };
  return problems.length ? { ok: false, problems } : { ok: true, options };
}

/**
 * Upstream credentials must live under the configured prefix: the pollers' IAM grant covers
 * only `parameter/<prefix>*` and `secret:<prefix>*`, so a reference elsewhere would fail at
 * 3 a.m. instead of at synth.
 */
export function secretRefProblems(config: MonitoringConfig, prefix: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  config.sources.forEach((source, i) => {
    const ref = (source as { clientSecret?: unknown }).clientSecret as { ssm?: string; secretsManager?: string } | undefined;
    if (!ref) return;
    if (ref.ssm !== undefined && !ref.ssm.replace(/^\//, '').startsWith(prefix))
      problems.push({ path: `sources[${i}].clientSecret.ssm`, message: `SSM parameter "${ref.ssm}" is outside the secrets prefix "/${prefix}" the pollers may read (-c secretsPrefix=…)` });
    if (ref.secretsManager !== undefined) {
      const name = /:secret:(.+)$/.exec(ref.secretsManager)?.[1] ?? ref.secretsManager;
      if (!name.startsWith(prefix))
        problems.push({ path: `sources[${i}].clientSecret.secretsManager`, message: `secret "${ref.secretsManager}" is outside the secrets prefix "${prefix}" the pollers may read (-c secretsPrefix=…)` });
    }
  });
  return problems;
}

/** The sources whose reads need a secret (their poll group gets the read grant). */
export function sourcesWithSecrets(config: MonitoringConfig): Set<string> {
  return new Set(
    config.sources.filter((s) => {
      const ref = (s as { clientSecret?: Record<string, unknown> }).clientSecret;
      return ref !== undefined && ('ssm' in ref || 'secretsManager' in ref);
    }).map((s) => s.id),
  );
}
