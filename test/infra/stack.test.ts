import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildApp, ConfigError } from '../../infra/app';
import { configDefine, MAX_INLINED_CONFIG_BYTES } from '../../infra/constructs/dialtone-function';
import { TABLE_KEYS } from '../../shared/adapters/table';

const ROOT = path.resolve(__dirname, '../..');
const fixture = (name: string) => path.join(__dirname, 'fixtures', name);

// Every App gets an outdir under one temp dir, removed at the end (App() alone leaves one per call).
const outRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-infra-test-'));
let outCount = 0;
const appProps = (context: Record<string, unknown>) => ({ context, outdir: path.join(outRoot, String(outCount++)) });
afterAll(() => fs.rmSync(outRoot, { recursive: true, force: true }));

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string };
type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

const asArray = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

function only(template: Template, type: string, props?: Record<string, unknown>): [string, Resource] {
  const found = Object.entries(template.findResources(type, props ? { Properties: props } : undefined));
  expect(found).toHaveLength(1);
  return found[0] as [string, Resource];
}

describe('DialtoneStack', () => {
  let template: Template;
  let tableId: string;
  let functionId: string;
  let pollStatements: Statement[];
  let synthMs: number;
  let assemblyDir: string;

  // One synth (with a real local esbuild bundle) shared by every assertion.
  beforeAll(() => {
    const started = Date.now();
    const { app, stack } = buildApp(appProps({ config: fixture('dialtone.valid.yaml'), smsOriginationNumber: '+18335550100' }));
    template = Template.fromStack(stack);
    synthMs = Date.now() - started;
    assemblyDir = app.synth().directory; // already synthesized: returns the same assembly

    [tableId] = only(template, 'AWS::DynamoDB::GlobalTable');
    [functionId] = only(template, 'AWS::Lambda::Function');
    // The policies attached to the function's execution role (not the Scheduler's role).
    const role = template.findResources('AWS::Lambda::Function')[functionId]!.Properties.Role as { 'Fn::GetAtt': [string, string] };
    const roleId = role['Fn::GetAtt'][0];
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })),
    );
    pollStatements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
  });

  test('synth (incl. bundling) stays quick', () => {
    expect(synthMs).toBeLessThan(20_000);
  });

  describe('state table', () => {
    test('on-demand, PITR, deletion protection, AWS-managed encryption, TTL', () => {
      template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
        TimeToLiveSpecification: { AttributeName: TABLE_KEYS.ttlAttribute, Enabled: true },
        Replicas: [
          Match.objectLike({
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
            DeletionProtectionEnabled: true,
          }),
        ],
      });
    });

    test('is retained on stack delete and on replacement', () => {
      const [, table] = only(template, 'AWS::DynamoDB::GlobalTable');
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.UpdateReplacePolicy).toBe('Retain');
    });

    test('keys and gsi1 come from TABLE_KEYS', () => {
      template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        KeySchema: [
          { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: TABLE_KEYS.partitionKey, AttributeType: 'S' },
          { AttributeName: TABLE_KEYS.sortKey, AttributeType: 'S' },
          { AttributeName: TABLE_KEYS.gsi1.partitionKey, AttributeType: 'S' },
          { AttributeName: TABLE_KEYS.gsi1.sortKey, AttributeType: 'S' },
        ]),
        GlobalSecondaryIndexes: [
          {
            IndexName: TABLE_KEYS.gsi1.indexName,
            KeySchema: [
              { AttributeName: TABLE_KEYS.gsi1.partitionKey, KeyType: 'HASH' },
              { AttributeName: TABLE_KEYS.gsi1.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      });
    });
  });

  describe('poll function', () => {
    test('Node 22+ on ARM64, handler and environment', () => {
      const [, fn] = only(template, 'AWS::Lambda::Function');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      const runtime = fn.Properties.Runtime as string;
      expect(runtime).toMatch(/^nodejs\d+\.x$/);
      expect(Number(/\d+/.exec(runtime)![0])).toBeGreaterThanOrEqual(22);
      expect(fn.Properties.Handler).toBe('index.handler');
      expect(fn.Properties.Timeout).toBeLessThan(60);
      expect(fn.Properties.Environment).toEqual({
        Variables: {
          TABLE_NAME: { Ref: tableId },
          DELIVERY_MODE: 'aws',
          SMS_ORIGINATION_NUMBER: '+18335550100',
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: 'dialtone-poll',
        },
      });
    });

    test('logs to its own log group with a retention', () => {
      const [logGroupId, logGroup] = only(template, 'AWS::Logs::LogGroup');
      expect(logGroup.Properties.RetentionInDays).toBeGreaterThan(0);
      template.hasResourceProperties('AWS::Lambda::Function', { LoggingConfig: { LogGroup: { Ref: logGroupId } } });
    });

    test('no async retries: the next tick supersedes a failed poll', () => {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: functionId },
        MaximumRetryAttempts: 0,
        MaximumEventAgeInSeconds: 60,
      });
    });

    test('the bundle has the validated config inlined, not an env var', () => {
      const [, fn] = only(template, 'AWS::Lambda::Function');
      expect(JSON.stringify(fn.Properties.Environment)).not.toContain('DIALTONE_CONFIG_JSON');
      // The asset staged for the function is the esbuild output of this synth.
      const bundles = fs
        .readdirSync(assemblyDir, { withFileTypes: true })
        .filter((d) => d.isDirectory() && d.name.startsWith('asset.'))
        .map((d) => path.join(assemblyDir, d.name, 'index.js'))
        .filter((f) => fs.existsSync(f));
      expect(bundles).toHaveLength(1);
      const bundled = bundles.map((f) => fs.readFileSync(f, 'utf8'));
      expect(bundled.some((code) => code.includes('psap-hennepin') && code.includes('vendor-ng911-routing'))).toBe(true);
    });
  });

  describe('least privilege', () => {
    const actionsOf = (s: Statement) => asArray(s.Action);

    test('item actions on the table, Query on the table and gsi1', () => {
      const items = pollStatements.find((s) => s.Sid === 'StateTableItems')!;
      expect(actionsOf(items).sort()).toEqual(
        ['dynamodb:BatchGetItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'].sort(),
      );
      expect(items.Resource).toEqual({ 'Fn::GetAtt': [tableId, 'Arn'] });

      const query = pollStatements.find((s) => s.Sid === 'StateTableQuery')!;
      expect(actionsOf(query)).toEqual(['dynamodb:Query']);
      expect(query.Resource).toEqual([
        { 'Fn::GetAtt': [tableId, 'Arn'] },
        { 'Fn::Join': ['', [{ 'Fn::GetAtt': [tableId, 'Arn'] }, `/index/${TABLE_KEYS.gsi1.indexName}`]] },
      ]);
    });

    test('no Scan, no wildcards, no table administration', () => {
      const all = pollStatements.flatMap(actionsOf);
      expect(all.filter((a) => a.startsWith('dynamodb:')).sort()).toEqual(
        ['dynamodb:BatchGetItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'].sort(),
      );
      for (const banned of ['dynamodb:Scan', 'dynamodb:*', '*', 'dynamodb:DeleteTable', 'dynamodb:UpdateTable', 'dynamodb:CreateTable']) {
        expect(all).not.toContain(banned);
      }
      expect(pollStatements.every((s) => s.Effect === 'Allow')).toBe(true);
    });

    test('sns:Publish for SMS, limited to the stack region', () => {
      const sms = pollStatements.find((s) => actionsOf(s).includes('sns:Publish'))!;
      expect(actionsOf(sms)).toEqual(['sns:Publish']);
      expect(sms.Resource).toBe('*');
      expect(sms.Condition).toEqual({ StringEquals: { 'aws:RequestedRegion': { Ref: 'AWS::Region' } } });
    });
  });

  describe('schedule', () => {
    test('invokes the poll function every minute with bounded retries and a DLQ', () => {
      const [queueId] = only(template, 'AWS::SQS::Queue');
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(1 minute)',
        State: 'ENABLED',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: {
          Arn: { 'Fn::GetAtt': [functionId, 'Arn'] },
          RoleArn: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
        },
      });
    });

    test('the DLQ is encrypted and refuses plain HTTP', () => {
      const [queueId] = only(template, 'AWS::SQS::Queue', { SqsManagedSseEnabled: true });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: queueId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });
  });

  test('outputs the table and function names', () => {
    template.hasOutput('TableName', { Value: { Ref: tableId } });
    template.hasOutput('PollFunctionName', { Value: { Ref: functionId } });
  });

  test('only the resources we mean to have', () => {
    const types = Object.values(template.toJSON().Resources as Record<string, Resource>)
      .map((r) => r.Type)
      .sort();
    expect(types).toEqual(
      [
        'AWS::DynamoDB::GlobalTable',
        'AWS::IAM::Policy',
        'AWS::IAM::Policy',
        'AWS::IAM::Role',
        'AWS::IAM::Role',
        'AWS::Lambda::EventInvokeConfig',
        'AWS::Lambda::Function',
        'AWS::Logs::LogGroup',
        'AWS::SQS::Queue',
        'AWS::SQS::QueuePolicy',
        'AWS::Scheduler::Schedule',
      ].sort(),
    );
  });
});

describe('config validation at synth time', () => {
  const problemsOf = (context: Record<string, unknown>) => {
    try {
      buildApp(appProps(context));
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
    throw new Error('expected a ConfigError');
  };

  test('lists every shape problem with its path, not just the first', () => {
    const problems = problemsOf({ config: fixture('dialtone.invalid.yaml') });
    expect(problems.map((p) => p.path).sort()).toEqual(
      ['notifier.email', 'recipients[0].channels.sms', 'services[0].fips', 'sources[0].url'].sort(),
    );
    expect(problems.every((p) => p.message.length > 0)).toBe(true);
  });

  test('lists cross-reference problems once the shape is valid', () => {
    const problems = problemsOf({ config: fixture('dialtone.invalid-refs.yaml') });
    expect(problems).toEqual([
      { path: 'services[0].dependsOn[0].component', message: 'unknown component "no-such-component"' },
      { path: 'services[0].neighbours[0]', message: 'unknown service "psap-nowhere"' },
    ]);
  });

  test('a missing file, a missing context value and a bad origination number are problems too', () => {
    expect(problemsOf({ config: fixture('nope.yaml') })[0]?.message).toMatch(/cannot read/);
    expect(problemsOf({ config: '' })[0]?.path).toBe('config');
    expect(problemsOf({ config: fixture('dialtone.valid.yaml'), smsOriginationNumber: '555-0100' })[0]?.path).toBe(
      'smsOriginationNumber',
    );
  });

  test('the CDK app exits non-zero and prints every problem', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
      cwd: ROOT,
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ config: fixture('dialtone.invalid.yaml') }) },
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    for (const p of ['notifier.email', 'recipients[0].channels.sms', 'services[0].fips', 'sources[0].url']) {
      expect(run.stderr).toContain(`- ${p}: `);
    }
  });

  test('an oversized inlined config is refused with advice, before esbuild fails obscurely', () => {
    expect(() => configDefine({ big: 'x'.repeat(MAX_INLINED_CONFIG_BYTES) })).toThrow(/SSM Parameter Store or S3/);
    expect(configDefine({ a: 1 })).toEqual({ 'process.env.DIALTONE_CONFIG_JSON': '"{\\"a\\":1}"' });
  });
});
