import type { Template } from 'aws-cdk-lib/assertions';
import { pollTimeout } from '../../infra/stack';
import { validateConfig } from '../../shared/config/load';
import { actionsOf, asArray, CFN_LIMITS, cleanUp, fixture, logicalId, nagFindings, only, resourcesOf, statementsOf, synth, type Statement, type Synth } from './support';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

afterAll(cleanUp);

/**
 * Everything on: two regions with a global table, customer-managed table keys, SES email, an ops
 * email, a critical poll group, a Microsoft Graph source with its secret in SSM, an aws-health
 * source (rule + target) and an HMAC-signed heartbeat. One synth, cdk-nag as a plugin.
 */
describe('two regions, everything on', () => {
  let s: Synth;
  let primaryState: Template;
  let secondaryState: Template;
  const app = (region: string) => s.templates.get(`Dialtone-${region}`)!;
  const stackOf = (region: string) => s.built.stacks.find((x) => x.region === region)!;
  const fnId = (region: string, name: string) => logicalId(stackOf(region).functions[name]!);
  const policy = (region: string, name: string): Statement[] => statementsOf(app(region), fnId(region, name));

  beforeAll(() => {
    s = synth({
      config: fixture('dialtone.full.yaml'),
      regions: 'us-east-1,us-west-2',
      tableKey: 'customer',
      sesFromAddress: 'dialtone alerts <alerts@example.org>',
      opsEmail: 'ops@example.org,oncall@example.org',
    });
    primaryState = s.templates.get('DialtoneState-us-east-1')!;
    secondaryState = s.templates.get('DialtoneState-us-west-2')!;
  });

  test('stacks per region; deploy order: replica key, table, then each region', () => {
    expect([...s.templates.keys()].sort()).toEqual(['Dialtone-us-east-1', 'Dialtone-us-west-2', 'DialtoneState-us-east-1', 'DialtoneState-us-west-2']);
    const deps = (name: string) => [...s.built.stateStacks, ...s.built.stacks].find((x) => x.stackName === name)!.dependencies.map((d) => d.stackName).sort();
    expect(deps('DialtoneState-us-east-1')).toEqual(['DialtoneState-us-west-2']);
    expect(deps('Dialtone-us-east-1')).toEqual(['DialtoneState-us-east-1']);
    expect(deps('Dialtone-us-west-2')).toEqual(['DialtoneState-us-east-1', 'DialtoneState-us-west-2']);
    for (const st of [...s.built.stateStacks, ...s.built.stacks]) expect(['us-east-1', 'us-west-2']).toContain(st.region);
  });

  describe('global table', () => {
    test('one table in the primary region with a replica in the second; both protected and with PITR', () => {
      const [, table] = only(primaryState, 'AWS::DynamoDB::GlobalTable');
      expect(table.DeletionPolicy).toBe('Retain');
      const replicas = table.Properties.Replicas as Array<Record<string, unknown>>;
      expect(replicas.map((r) => r.Region).sort()).toEqual(['us-east-1', 'us-west-2']);
      for (const r of replicas) expect(r).toMatchObject({ DeletionProtectionEnabled: true, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } });
      expect(table.Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' }); // replication needs it
      expect(resourcesOf(secondaryState, 'AWS::DynamoDB::GlobalTable')).toHaveLength(0);
    });

    test('customer-managed keys: one per region, rotated, retained; each replica encrypted with its region’s key', () => {
      for (const t of [primaryState, secondaryState]) {
        const [keyId, key] = only(t, 'AWS::KMS::Key');
        expect(key.Properties.EnableKeyRotation).toBe(true);
        expect(key.DeletionPolicy).toBe('Retain');
        t.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/dialtone-state', TargetKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
      }
      const [primaryKey] = only(primaryState, 'AWS::KMS::Key');
      const replicas = only(primaryState, 'AWS::DynamoDB::GlobalTable')[1].Properties.Replicas as Array<{ Region: string; SSESpecification: { KMSMasterKeyId: unknown } }>;
      expect(replicas.find((r) => r.Region === 'us-east-1')!.SSESpecification.KMSMasterKeyId).toEqual({ 'Fn::GetAtt': [primaryKey, 'Arn'] });
      expect(JSON.stringify(replicas.find((r) => r.Region === 'us-west-2')!.SSESpecification.KMSMasterKeyId)).toContain(':kms:us-west-2:');
      primaryState.hasResourceProperties('AWS::DynamoDB::GlobalTable', { SSESpecification: { SSEEnabled: true, SSEType: 'KMS' } });
    });

    test('each region’s functions use the table through DynamoDB in their own region, with that region’s key', () => {
      for (const region of ['us-east-1', 'us-west-2']) {
        const key = policy(region, 'sweep').find((x) => x.Sid === 'StateTableKey')!;
        expect(key.Condition).toEqual({ StringEquals: { 'kms:ViaService': `dynamodb.${region}.amazonaws.com` } });
        expect(JSON.stringify(key.Resource)).toContain(`DialtoneState-${region}`); // imported from the region's state stack
        expect(JSON.stringify(policy(region, 'sweep').find((x) => x.Sid === 'StateTableItems')!.Resource)).toContain(`:dynamodb:${region}:`);
        expect(asArray(policy(region, 'api').find((x) => x.Sid === 'StateTableKey')!.Action).sort()).toEqual(['kms:Decrypt', 'kms:DescribeKey']);
      }
    });
  });

  test('both regions run the pipeline, and elect a leader (REGION_LEASE=on)', () => {
    for (const region of ['us-east-1', 'us-west-2']) {
      for (const name of ['poll-critical', 'poll-standard', 'sweep', 'deliver']) {
        const env = (app(region).findResources('AWS::Lambda::Function')[fnId(region, name)]!.Properties.Environment as { Variables: Record<string, string> }).Variables;
        expect(env).toMatchObject({ REGION_LEASE: 'on', TABLE_NAME: 'dialtone-state', SES_FROM_ADDRESS: 'dialtone alerts <alerts@example.org>' });
        // the lease is one conditional PutItem per run (deliver needs PutItem for nothing else)
        expect(asArray(policy(region, name).find((x) => x.Sid === 'StateTableItems')!.Action)).toContain('dynamodb:PutItem');
      }
      expect(resourcesOf(app(region), 'AWS::Scheduler::Schedule')).toHaveLength(4);
    }
  });

  describe('poll groups', () => {
    test('critical: its own function and schedule; a timeout covering 4 cycles 15 s apart', () => {
      const schedules = resourcesOf(app('us-east-1'), 'AWS::Scheduler::Schedule').map(([, r]) => r.Properties as { Target: { Arn: { 'Fn::GetAtt': [string] }; Input?: string } });
      const critical = schedules.find((x) => x.Target.Arn['Fn::GetAtt'][0] === fnId('us-east-1', 'poll-critical'))!;
      expect(JSON.parse(critical.Target.Input!)).toEqual({ group: 'critical', scheduledTime: '<aws.scheduler.scheduled-time>' });
      const timeout = app('us-east-1').findResources('AWS::Lambda::Function')[fnId('us-east-1', 'poll-critical')]!.Properties.Timeout as number;
      expect(timeout).toBe(65); // last slot at 45 s + the 5 s source timeout + margin
    });

    test('pollTimeout grows with the slowest source, and never passes Lambda’s 15 minutes', () => {
      const raw = parse(readFileSync(fixture('dialtone.full.yaml'), 'utf8')) as { sources: Array<Record<string, unknown>> };
      raw.sources[0]!.timeoutMs = 60_000;
      raw.sources[1]!.timeoutMs = 45_000;
      const r = validateConfig(raw);
      if (!r.ok) throw new Error(JSON.stringify(r.problems));
      expect(pollTimeout(r.config, 'critical').toSeconds()).toBe(45 + 60 + 15);
      expect(pollTimeout(r.config, 'standard').toSeconds()).toBe(65);
    });

    test('each group alarms on its own staleness and blindness', () => {
      const names = resourcesOf(app('us-west-2'), 'AWS::CloudWatch::Alarm').map(([, r]) => r.Properties.AlarmName as string);
      for (const g of ['critical', 'standard']) expect(names).toEqual(expect.arrayContaining([`Dialtone-us-west-2-poll-${g}-stale`, `Dialtone-us-west-2-poll-${g}-blind`]));
    });
  });

  describe('least privilege with every feature', () => {
    test('upstream secrets: only the poll group whose source needs one (standard: Microsoft Graph), only under the prefix', () => {
      const secrets = policy('us-east-1', 'poll-standard').find((x) => x.Sid === 'UpstreamSecrets')!;
      expect(asArray(secrets.Action).sort()).toEqual(['secretsmanager:GetSecretValue', 'ssm:GetParameter']);
      const arns = JSON.stringify(secrets.Resource);
      expect(arns).toContain(':ssm:us-east-1:');
      expect(arns).toContain(':parameter/dialtone/*');
      expect(arns).toContain(':secret:dialtone/*');
      for (const name of ['poll-critical', 'sweep', 'deliver', 'api', 'ingest', 'health-events'])
        expect(actionsOf(policy('us-east-1', name)).filter((a) => a.startsWith('ssm:') || a.startsWith('secretsmanager:'))).toEqual([]);
    });

    test('email: ses:SendEmail on the stack’s identity only, for the functions that deliver through SES', () => {
      const [identityId] = only(app('us-east-1'), 'AWS::SES::EmailIdentity', { EmailIdentity: 'alerts@example.org' });
      for (const name of ['poll-critical', 'poll-standard', 'sweep', 'deliver', 'ingest', 'health-events']) {
        const st = policy('us-east-1', name).find((x) => x.Sid === 'EmailSend')!;
        expect(st.Action).toBe('ses:SendEmail');
        expect(JSON.stringify(st.Resource)).toContain(`{"Ref":"${identityId}"}`);
      }
      for (const name of ['api', 'acks']) expect(actionsOf(policy('us-east-1', name))).not.toContain('ses:SendEmail');
    });
  });

  describe('push and events', () => {
    test('aws.health: a rule on the default bus targets the health-events function, with bounded retries and the DLQ', () => {
      const t = app('us-east-1');
      const [queueId] = only(t, 'AWS::SQS::Queue');
      const [, rule] = only(t, 'AWS::Events::Rule');
      expect(rule.Properties.EventBusName).toBeUndefined(); // AWS service events arrive on the default bus
      expect(rule.Properties.EventPattern).toEqual({ source: ['aws.health'] });
      expect(rule.Properties.Targets).toEqual([
        expect.objectContaining({
          Arn: { 'Fn::GetAtt': [fnId('us-east-1', 'health-events'), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
        }),
      ]);
      t.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: fnId('us-east-1', 'health-events') },
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
      });
    });

    test('an HMAC-signed push source: its secret comes from Secrets Manager under the prefix at deploy time', () => {
      const env = (app('us-east-1').findResources('AWS::Lambda::Function')[fnId('us-east-1', 'ingest')]!.Properties.Environment as { Variables: Record<string, string> }).Variables;
      expect(env.HENNEPIN_HEARTBEAT_SECRET).toBe('{{resolve:secretsmanager:dialtone/push/HENNEPIN_HEARTBEAT_SECRET:SecretString:::}}');
    });

    test('ops topic: one email subscription per address', () => {
      const subs = resourcesOf(app('us-west-2'), 'AWS::SNS::Subscription')
        .filter(([, r]) => r.Properties.Protocol === 'email')
        .map(([, r]) => r.Properties.Endpoint);
      expect(subs.sort()).toEqual(['oncall@example.org', 'ops@example.org']);
    });

    test('SMS settings per region (they are regional account attributes)', () => {
      for (const region of ['us-east-1', 'us-west-2']) {
        const [, cr] = only(app(region), 'Custom::AWS');
        expect(JSON.stringify(cr.Properties.Create)).toContain(`dialtone-sms-settings-${region}`);
      }
      const names = resourcesOf(app('us-east-1'), 'AWS::Logs::LogGroup').map(([, r]) => JSON.stringify(r.Properties.LogGroupName ?? ''));
      expect(names.filter((n) => n.includes('sns/us-east-1/') && n.includes('DirectPublishToPhoneNumber'))).toHaveLength(2);
    });
  });

  test('under the CloudFormation limits', () => {
    for (const [, t] of s.templates) {
      const json = t.toJSON() as { Resources: object; Outputs?: object; Parameters?: object };
      expect(Object.keys(json.Resources).length).toBeLessThanOrEqual(CFN_LIMITS.resources);
      expect(Object.keys(json.Outputs ?? {}).length).toBeLessThanOrEqual(CFN_LIMITS.outputs);
      expect(Object.keys(json.Parameters ?? {}).length).toBeLessThanOrEqual(CFN_LIMITS.parameters);
      expect(Buffer.byteLength(JSON.stringify(json))).toBeLessThanOrEqual(CFN_LIMITS.templateBytes);
    }
  });

  test('cdk-nag: 0 unacknowledged findings with every feature on', () => {
    expect(nagFindings(s.built)).toEqual([]);
  });
});
