import { asArray, type Statement } from './support';

/**
 * Just enough of CloudFormation and IAM to ask of a synthesized template what AWS would answer:
 * may this role call this action on this resource? Values are resolved as a deployment would
 * resolve them, with each resource's logical id standing in for its generated name. What this
 * does not know (an intrinsic, a condition key) throws or denies: it never allows by default.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
export interface TemplateJson {
  Resources: Record<string, { Type: string; Properties?: Json }>;
  Outputs?: Record<string, { Value: Json; Export?: { Name: Json } }>;
}
export interface Place {
  region: string;
  account: string;
}

/** The ARN (or name) a Ref / GetAtt Arn of each resource type resolves to. */
function refOf(id: string, type: string, props: Json, p: Place, resolve: (v: Json) => string): string {
  switch (type) {
    case 'AWS::SNS::Topic':
      return `arn:aws:sns:${p.region}:${p.account}:${id}`;
    case 'AWS::SecretsManager::Secret':
      return `arn:aws:secretsmanager:${p.region}:${p.account}:secret:${id}-AbCdEf`;
    case 'AWS::SES::EmailIdentity':
      return resolve(props.EmailIdentity);
    case 'AWS::SQS::Queue':
      return `https://sqs.${p.region}.amazonaws.com/${p.account}/${id}`;
    default:
      return id;
  }
}
function arnOf(id: string, type: string, p: Place): string {
  const arn = (service: string, rest: string) => `arn:aws:${service}:${p.region}:${p.account}:${rest}`;
  switch (type) {
    case 'AWS::Events::EventBus':
      return arn('events', `event-bus/${id}`);
    case 'AWS::KMS::Key':
      return arn('kms', `key/${id}`);
    case 'AWS::SQS::Queue':
      return arn('sqs', id);
    case 'AWS::Logs::LogGroup':
      return arn('logs', `log-group:${id}:*`);
    case 'AWS::Lambda::Function':
      return arn('lambda', `function:${id}`);
    case 'AWS::IAM::Role':
      return `arn:aws:iam::${p.account}:role/${id}`;
    default:
      throw new Error(`iam.ts: no Arn for ${type} (${id}); teach arnOf`);
  }
}

/** Resolves values of one template; Fn::ImportValue looks the export up in any of `all`. */
export function resolver(template: TemplateJson, all: TemplateJson[], p: Place): (value: Json) => string {
  const resolve = (v: Json): string => {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (v && typeof v === 'object') {
      if ('Ref' in v) {
        const PSEUDO: Record<string, string> = { 'AWS::Region': p.region, 'AWS::AccountId': p.account, 'AWS::Partition': 'aws', 'AWS::URLSuffix': 'amazonaws.com' };
        if (PSEUDO[v.Ref]) return PSEUDO[v.Ref]!;
        const r = template.Resources[v.Ref];
        if (!r) throw new Error(`iam.ts: Ref to unknown ${v.Ref}`);
        return refOf(v.Ref, r.Type, r.Properties ?? {}, p, resolve);
      }
      if ('Fn::GetAtt' in v) {
        const [id, attr] = v['Fn::GetAtt'] as [string, string];
        const r = template.Resources[id];
        if (!r) throw new Error(`iam.ts: GetAtt of unknown ${id}`);
        if (attr === 'Arn') return arnOf(id, r.Type, p);
        throw new Error(`iam.ts: GetAtt ${id}.${attr}; teach resolver`);
      }
      if ('Fn::Join' in v) {
        const [sep, parts] = v['Fn::Join'] as [string, Json[]];
        return parts.map(resolve).join(sep);
      }
      if ('Fn::ImportValue' in v) {
        const name = resolve(v['Fn::ImportValue']);
        for (const t of all)
          for (const o of Object.values(t.Outputs ?? {})) if (o.Export && resolver(t, all, p)(o.Export.Name) === name) return resolver(t, all, p)(o.Value);
        throw new Error(`iam.ts: no export ${name}`);
      }
    }
    throw new Error(`iam.ts: cannot resolve ${JSON.stringify(v)}`);
  };
  return resolve;
}

export interface Grant {
  sid?: string;
  effect: 'Allow' | 'Deny';
  actions: string[];
  resources: string[];
  /** operator → key → values, resolved */
  conditions: Record<string, Record<string, string[]>>;
}

export function grantsOf(statements: Statement[], resolve: (v: Json) => string): Grant[] {
  return statements.map((s) => {
    if ('NotAction' in s || 'NotResource' in s || 'Principal' in s) throw new Error(`iam.ts: statement ${s.Sid ?? ''} uses NotAction/NotResource/Principal; teach grantsOf`);
    const conditions: Grant['conditions'] = {};
    for (const [op, keys] of Object.entries(s.Condition ?? {}))
      for (const [key, value] of Object.entries(keys as Record<string, Json>)) (conditions[op] ??= {})[key] = asArray(value).map(resolve);
    return { ...(s.Sid ? { sid: s.Sid } : {}), effect: s.Effect as Grant['effect'], actions: asArray(s.Action), resources: asArray(s.Resource as Json).map(resolve), conditions };
  });
}

/** IAM's wildcards: `*` any run of characters, `?` one. Actions match case-insensitively. */
export function matches(pattern: string, value: string, ignoreCase = false): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, ignoreCase ? 'i' : '');
  return re.test(value);
}

/**
 * Whether a statement's conditions hold for a request with these context keys. A key the
 * request does not carry fails its condition (as IAM does for every operator without IfExists);
 * an operator this does not know throws.
 */
function conditionsHold(g: Grant, context: Record<string, string>): boolean {
  for (const [op, keys] of Object.entries(g.conditions)) {
    for (const [key, values] of Object.entries(keys)) {
      const actual = context[key];
      if (actual === undefined) return false;
      if (op === 'StringEquals' || op === 'ArnEquals') {
        if (!values.includes(actual)) return false;
      } else if (op === 'StringLike' || op === 'ArnLike') {
        if (!values.some((v) => matches(v, actual))) return false;
      } else throw new Error(`iam.ts: condition operator ${op}; teach conditionsHold`);
    }
  }
  return true;
}

/** The statements that allow `action` on `resource` (none when a Deny matches). */
export function allowing(grants: Grant[], action: string, resource: string, context: Record<string, string>): Grant[] {
  const hit = (g: Grant) => g.actions.some((a) => matches(a, action, true)) && g.resources.some((r) => matches(r, resource)) && conditionsHold(g, context);
  if (grants.some((g) => g.effect === 'Deny' && hit(g))) return [];
  return grants.filter((g) => g.effect === 'Allow' && hit(g));
}

/** What a resource is, for people, from its ARN. */
export function kindOfArn(arn: string): string {
  if (arn === '*') return '* (no resource type)';
  const [, , service = '', , , ...rest] = arn.split(':');
  const res = rest.join(':');
  if (service === 'dynamodb') return res.includes('/index/') ? 'table index' : 'table';
  if (service === 'sns') return 'topic';
  if (service === 'events') return 'event bus';
  if (service === 'ses') return res.startsWith('configuration-set/') ? 'configuration set' : 'email identity';
  if (service === 'ssm') return 'parameter';
  if (service === 'secretsmanager') return 'secret';
  if (service === 'kms') return 'key';
  if (service === 'logs') return 'log group';
  if (service === 'sqs') return 'queue';
  if (service === 's3') return 'object';
  return `${service} resource`;
}
