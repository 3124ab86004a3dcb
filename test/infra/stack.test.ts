import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildApp, ConfigError } from '../../infra/app';
import { configDefine, MAX_INLINED_CONFIG_BYTES } from '../../infra/constructs/dialtone-function';
import { ACK_ROUTE, PUSH_ROUTES, READ_ROUTES } from '../../infra/constructs/http-api';
import { StateStack } from '../../infra/state-stack';
import { TABLE_KEYS } from '../../shared/adapters/table';
import { METRIC, METRICS_NAMESPACE } from '../../shared/app/pipeline-metrics';
import {
  acknowledgements,
  actionsOf,
  appProps,
  asArray,
  CFN_LIMITS,
  cleanUp,
  fixture,
  logicalId,
  nagFindings,
  only,
  resourcesOf,
  statementsOf,
  synth,
  type Statement,
  type Synth,
} from './support';

const ROOT = path.resolve(__dirname, '../..');
afterAll(cleanUp);

/**
 * The default deployment: one region (region-agnostic, as `npm run synth` offline), AWS-managed
 * table encryption, SMS settings managed, an ops email, an origination number. One synth (with
 * real local esbuild bundles and cdk-nag as a synth plugin) shared by every assertion.
 */
describe('one region (default)', () => {
  let s: Synth;
  let state: Template;
  let app: Template;
  let fnId: (name: string) => string;
  let policy: (name: string) => Statement[];

  beforeAll(() => {
    s = synth({ config: fixture('dialtone.valid.yaml'), smsOriginationNumber: '+18335550100', opsEmail: 'ops@example.org', smsMonthlySpendLimit: '50', incidentTopicEmails: 'ecn-duty@mn.example:MN,az911@az.example:AZ|NM' });
    state = s.templates.get('DialtoneState')!;
    app = s.templates.get('Dialtone')!;
    fnId = (name) => logicalId(s.built.stack.functions[name]!);
    policy = (name) => statementsOf(app, fnId(name));
  });

  test('two stacks: state apart from stateless, and the stateless one waits for the state', () => {
    expect([...s.templates.keys()]).toEqual(['DialtoneState', 'Dialtone']);
    expect(s.built.stack.dependencies.map((d) => d.stackName)).toEqual(['DialtoneState']);
  });

  test('synth (bundling and cdk-nag included) stays quick', () => {
    expect(s.ms).toBeLessThan(30_000);
  });

  describe('state table', () => {
    test('on-demand, PITR, deletion protection, AWS-managed encryption, TTL, fixed name', () => {
      state.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        TableName: 'dialtone-state',
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
        TimeToLiveSpecification: { AttributeName: TABLE_KEYS.ttlAttribute, Enabled: true },
        Replicas: [
          Match.objectLike({
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
            DeletionProtectionEnabled: true,
            SSESpecification: Match.absent(),
          }),
        ],
      });
      expect(resourcesOf(state, 'AWS::KMS::Key')).toHaveLength(0);
    });

    test('-c tableKey=customer in one region-agnostic stack: a rotated, retained key of its own encrypts the (only) replica', () => {
      const custom = Template.fromStack(new StateStack(new App(), 'S', { tableName: 'dialtone-state', primary: true, tableKey: 'customer' }));
      const [keyId, key] = only(custom, 'AWS::KMS::Key');
      expect(key.Properties.EnableKeyRotation).toBe(true);
      expect(key.DeletionPolicy).toBe('Retain');
      custom.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
        Replicas: [Match.objectLike({ SSESpecification: { KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } } })],
      });
    });

    test('is retained on stack delete and on replacement', () => {
      const [, table] = only(state, 'AWS::DynamoDB::GlobalTable');
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.UpdateReplacePolicy).toBe('Retain');
    });

    test('keys and gsi1 come from TABLE_KEYS', () => {
      state.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        KeySchema: [
          { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
        ],
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

  describe('functions', () => {
    test('the set: poll (standard group only: no critical source), sweep, deliver, api, ingest, acks, delivery-status', () => {
      expect(Object.keys(s.built.stack.functions).sort()).toEqual(['acks', 'api', 'deliver', 'delivery-status', 'ingest', 'poll-standard', 'sweep']);
      expect(s.built.stack.pollGroups).toEqual(['standard']);
    });

    test('every function: Node 22+ on ARM64, source maps, Powertools service, its own log group with retention, its own role', () => {
      for (const name of Object.keys(s.built.stack.functions)) {
        const fn = app.findResources('AWS::Lambda::Function')[fnId(name)]!;
        const p = fn.Properties as Record<string, unknown> & { Environment: { Variables: Record<string, string> }; LoggingConfig: { LogGroup: { Ref: string } } };
        expect(p.Architectures).toEqual(['arm64']);
        expect(p.Runtime).toMatch(/^nodejs\d+\.x$/);
        expect(Number(/\d+/.exec(p.Runtime as string)![0])).toBeGreaterThanOrEqual(22);
        expect(p.Handler).toBe('index.handler');
        expect(p.Environment.Variables).toMatchObject({ NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_SERVICE_NAME: `dialtone-${name}`, TABLE_NAME: 'dialtone-state' });
        const logGroup = app.findResources('AWS::Logs::LogGroup')[p.LoggingConfig.LogGroup.Ref]!;
        expect(logGroup.Properties.RetentionInDays).toBeGreaterThan(0);
        expect(logGroup.DeletionPolicy).toBe('Retain');
        // statementsOf also asserts: no managed policy (AWSLambdaBasicExecutionRole) on the role
        const logs = policy(name).filter((st) => asArray(st.Action).some((a) => a.startsWith('logs:')));
        expect(logs).toEqual([expect.objectContaining({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [p.LoggingConfig.LogGroup.Ref, 'Arn'] } })]);
      }
    });

    test('environment: each function gets what its code reads', () => {
      const env = (name: string) => (app.findResources('AWS::Lambda::Function')[fnId(name)]!.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      const ref = (c: { node: { defaultChild?: unknown } }) => ({ Ref: s.built.stack.getLogicalId(c.node.defaultChild as never) });
      // the generated ack signing key, resolved at deploy time (as the HMAC push secrets are)
      const ackSecret = { 'Fn::Join': ['', ['{{resolve:secretsmanager:', ref(s.built.stack.ackSigningKey), ':SecretString:::}}']] };
      // every function that delivers (ingest too: the same delivery channels) signs email ack links
      for (const name of ['poll-standard', 'sweep', 'deliver', 'ingest'])
        expect(env(name)).toEqual({
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: `dialtone-${name}`,
          TABLE_NAME: 'dialtone-state',
          REGION_LEASE: 'off',
          SMS_ORIGINATION_NUMBER: '+18335550100',
          INCIDENT_TOPIC_ARN: ref(s.built.stack.incidentTopic),
          EVENT_BUS_NAME: ref(s.built.stack.eventBus),
          DIALTONE_ACK_SECRET: ackSecret,
        });
      expect(env('acks')).toEqual({ NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_SERVICE_NAME: 'dialtone-acks', TABLE_NAME: 'dialtone-state', DIALTONE_ACK_SECRET: ackSecret });
      // delivery-status makes a failed SMS good by email or tells ops: the delivery channels, no topic, bus or lease
      expect(env('delivery-status')).toEqual({ NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_SERVICE_NAME: 'dialtone-delivery-status', TABLE_NAME: 'dialtone-state', SMS_ORIGINATION_NUMBER: '+18335550100' });
      expect(env('api')).toEqual({ NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_SERVICE_NAME: 'dialtone-api', TABLE_NAME: 'dialtone-state' });
      expect(JSON.stringify(app.toJSON())).not.toContain('DIALTONE_CONFIG_JSON');
    });

    test('timeouts: poll and sweep end before the next minute; deliver may finish a storm', () => {
      const timeout = (name: string) => app.findResources('AWS::Lambda::Function')[fnId(name)]!.Properties.Timeout as number;
      expect(timeout('poll-standard')).toBeLessThan(60);
      expect(timeout('sweep')).toBeLessThan(60);
      expect(timeout('deliver')).toBe(300);
      expect(timeout('api')).toBeLessThanOrEqual(29); // under API Gateway's integration timeout
    });

    test('the bundles have the validated config inlined, not an env var', () => {
      const bundles = fs
        .readdirSync(s.assemblyDir, { withFileTypes: true })
        .filter((d) => d.isDirectory() && d.name.startsWith('asset.'))
        .map((d) => path.join(s.assemblyDir, d.name, 'index.js'))
        .filter((f) => fs.existsSync(f));
      const withConfig = bundles.filter((f) => {
        const code = fs.readFileSync(f, 'utf8');
        return code.includes('psap-hennepin') && code.includes('vendor-ng911-routing');
      });
      // every function
      expect(withConfig.length).toBe(Object.keys(s.built.stack.functions).length);
    });
  });

  describe('failure paths', () => {
    test('scheduled functions: no Lambda retry (the next tick supersedes), failures to the DLQ', () => {
      const [queueId] = only(app, 'AWS::SQS::Queue');
      for (const name of ['poll-standard', 'sweep', 'deliver'])
        app.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
          FunctionName: { Ref: fnId(name) },
          MaximumRetryAttempts: 0,
          MaximumEventAgeInSeconds: 60,
          DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
        });
    });

    test('the DLQ: encrypted, TLS only, 14 days', () => {
      const [queueId] = only(app, 'AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
      app.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: queueId }],
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
        },
      });
    });
  });

  describe('schedules (EventBridge Scheduler)', () => {
    test('poll per group, sweep and deliver: every minute, 2 retries within a minute, then the DLQ', () => {
      const [queueId] = only(app, 'AWS::SQS::Queue');
      const schedules = resourcesOf(app, 'AWS::Scheduler::Schedule');
      expect(schedules).toHaveLength(3);
      const byTarget = new Map(schedules.map(([, r]) => [((r.Properties.Target as { Arn: { 'Fn::GetAtt': [string] } }).Arn['Fn::GetAtt'][0]), r.Properties]));
      expect([...byTarget.keys()].sort()).toEqual([fnId('deliver'), fnId('poll-standard'), fnId('sweep')].sort());
      for (const p of byTarget.values()) {
        expect(p).toMatchObject({
          ScheduleExpression: 'rate(1 minute)',
          State: 'ENABLED',
          FlexibleTimeWindow: { Mode: 'OFF' },
          Target: { RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 }, DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
        });
      }
      expect(JSON.parse((byTarget.get(fnId('poll-standard'))!.Target as { Input: string }).Input)).toEqual({ group: 'standard', scheduledTime: '<aws.scheduler.scheduled-time>' });
    });

    test('one scheduler role: invoke exactly the scheduled functions, send to the DLQ, trusted by Scheduler for this account only', () => {
      const roles = resourcesOf(app, 'AWS::IAM::Role').filter(([, r]) => JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('scheduler.amazonaws.com'));
      expect(roles).toHaveLength(1);
      expect(JSON.stringify(roles[0]![1].Properties.AssumeRolePolicyDocument)).toContain('aws:SourceAccount');
      const statements = Object.values(app.findResources('AWS::IAM::Policy'))
        .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roles[0]![0] }]))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
      expect(actionsOf(statements)).toEqual(['lambda:InvokeFunction', 'sqs:SendMessage']);
      const invoked = statements.filter((st) => st.Action === 'lambda:InvokeFunction').map((st) => (asArray(st.Resource)[0] as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0]);
      expect(invoked.sort()).toEqual([fnId('deliver'), fnId('poll-standard'), fnId('sweep')].sort());
    });
  });

  describe('least privilege, per function', () => {
    const tableArn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':dynamodb:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':table/dialtone-state']] } as const;

    test('poll, sweep: item reads and writes on the table (deliveries recorded in batches), Query on the table and gsi1; no Scan', () => {
      for (const name of ['poll-standard', 'sweep']) {
        const st = policy(name);
        const items = st.find((x) => x.Sid === 'StateTableItems')!;
        expect(asArray(items.Action).sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
        expect(items.Resource).toEqual(tableArn);
        const query = st.find((x) => x.Sid === 'StateTableQuery')!;
        expect(query.Action).toBe('dynamodb:Query');
        const indexArn = { 'Fn::Join': ['', [...tableArn['Fn::Join'][1].slice(0, -1), `:table/dialtone-state/index/${TABLE_KEYS.gsi1.indexName}`]] };
        expect(query.Resource).toEqual([tableArn, indexArn]);
      }
    });

    test('exact action sets', () => {
      const table = ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'];
      // SMS, opt-outs and the spend limit; the incidents topic (and its key, via SNS); the event bus
      const sms = ['sns:CheckIfPhoneNumberIsOptedOut', 'sns:GetSMSAttributes', 'sns:ListPhoneNumbersOptedOut', 'sns:Publish', 'kms:Decrypt', 'kms:GenerateDataKey', 'events:PutEvents'];
      const logs = ['logs:CreateLogStream', 'logs:PutLogEvents'];
      const dlq = ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'];
      // DynamoStore.recordDeliveries writes a leased notice's deliveries with BatchWriteItem
      const write = ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];
      const sorted = (...xs: string[][]) => xs.flat().sort();
      expect(actionsOf(policy('poll-standard'))).toEqual(sorted(table, write, sms, logs, dlq));
      expect(actionsOf(policy('sweep'))).toEqual(sorted(table, write, sms, logs, dlq));
      // deliver leases, claims and records deliveries: reads no state (no BatchGetItem), writes no
      // new item (no PutItem: one region, no lease), frees nothing (no DeleteItem)
      expect(actionsOf(policy('deliver'))).toEqual(sorted(['dynamodb:GetItem', 'dynamodb:Query'], ['dynamodb:BatchWriteItem', 'dynamodb:UpdateItem'], sms, logs, dlq));
      // the read API reads: no PutItem, no UpdateItem, no DeleteItem, no SNS
      expect(actionsOf(policy('api'))).toEqual(sorted(table, logs));
      // ingest delivers through the pipeline's channels (opt-outs, topic, events); invoked synchronously: no DLQ
      expect(actionsOf(policy('ingest'))).toEqual(sorted(table, write, sms, logs));
      // acks: the incident (GetItem), the ack once (PutItem), open incidents by code and the roster (Query), a roll call confirmed (UpdateItem); SNS failures to the DLQ
      expect(actionsOf(policy('acks'))).toEqual(sorted(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'], logs, dlq));
      // delivery-status: find the delivery by message id (Query gsi1, an older pointer by GetItem), record the provider's outcome;
      // a failed SMS: the roster and the incident's deliveries (Query), a fallback email or ops alert claimed (UpdateItem) and
      // recorded (BatchWriteItem), sent by SMS (with the opt-out check) or email; no topic, no bus
      const smsOnly = sms.filter((a) => a.startsWith('sns:'));
      expect(actionsOf(policy('delivery-status'))).toEqual(sorted(['dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'], smsOnly, logs, dlq));
    });

    test('nothing reads secrets unless a source needs one; nothing sends email without an SES identity', () => {
      for (const name of Object.keys(s.built.stack.functions)) {
        const all = actionsOf(policy(name));
        expect(all).not.toContain('secretsmanager:GetSecretValue');
        expect(all).not.toContain('ssm:GetParameter');
        expect(all).not.toContain('ses:SendEmail');
        for (const banned of ['dynamodb:Scan', 'dynamodb:*', '*', 'dynamodb:DeleteTable', 'dynamodb:UpdateTable', 'dynamodb:TransactWriteItems', 'kms:*', 'sns:*'])
          expect(all).not.toContain(banned);
        // batch writes only where deliveries are recorded
        if (['api', 'acks'].includes(name)) expect(all).not.toContain('dynamodb:BatchWriteItem');
        expect(policy(name).every((st) => st.Effect === 'Allow')).toBe(true);
      }
    });

    test('publications: sns:Publish on the incidents topic, its key only through SNS, PutEvents on the bus only', () => {
      const st = policy('deliver');
      const topic = st.find((x) => x.Sid === 'IncidentTopicPublish')!;
      expect(topic.Resource).toEqual({ Ref: s.built.stack.getLogicalId(s.built.stack.incidentTopic.node.defaultChild as never) });
      const key = st.find((x) => x.Sid === 'IncidentTopicKey')!;
      expect(asArray(key.Action).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
      expect(key.Condition).toEqual({ StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['sns.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } });
      const events = st.find((x) => x.Sid === 'EventsPut')!;
      expect(events.Resource).toEqual({ 'Fn::GetAtt': [s.built.stack.getLogicalId(s.built.stack.eventBus.node.defaultChild as never), 'Arn'] });
    });

    test('acks: GetItem, PutItem and UpdateItem on the table, Query on the table (roster, roll calls) and gsi1; no SNS, no secret reads', () => {
      const st = policy('acks');
      const items = st.find((x) => x.Sid === 'StateTableItems')!;
      expect(asArray(items.Action).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
      expect(items.Resource).toEqual(tableArn);
      const query = st.find((x) => x.Sid === 'StateTableQuery')!;
      expect(query.Action).toBe('dynamodb:Query');
      expect(query.Resource).toEqual([tableArn, { 'Fn::Join': ['', [...tableArn['Fn::Join'][1].slice(0, -1), `:table/dialtone-state/index/${TABLE_KEYS.gsi1.indexName}`]] }]);
      expect(actionsOf(st).filter((a) => a.startsWith('sns:') || a.startsWith('secretsmanager:') || a.startsWith('kms:'))).toEqual([]);
    });

    test('delivery-status: GetItem, UpdateItem and BatchWriteItem on the table, Query on the table (roster, deliveries) and gsi1 (a delivery by its message id)', () => {
      const st = policy('delivery-status');
      expect(asArray(st.find((x) => x.Sid === 'StateTableItems')!.Action).sort()).toEqual(['dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem']);
      expect(st.find((x) => x.Sid === 'StateTableQuery')!.Resource).toEqual([tableArn, { 'Fn::Join': ['', [...tableArn['Fn::Join'][1].slice(0, -1), `:table/dialtone-state/index/${TABLE_KEYS.gsi1.indexName}`]] }]);
    });

    test('SMS: sns:Publish and the opt-out check on "*" (no resource type) but only in the stack region', () => {
      for (const name of ['poll-standard', 'sweep', 'deliver', 'ingest']) {
        for (const sid of ['SmsPublish', 'SmsAccountReads']) {
          const st = policy(name).find((x) => x.Sid === sid)!;
          expect(st.Resource).toBe('*');
          expect(st.Condition).toEqual({ StringEquals: { 'aws:RequestedRegion': { Ref: 'AWS::Region' } } });
        }
      }
    });
  });

  describe('topics', () => {
    test('ops, incident and inbound SMS topics: KMS (a rotated customer key CloudWatch may use), TLS only', () => {
      const topics = resourcesOf(app, 'AWS::SNS::Topic');
      expect(topics).toHaveLength(3);
      const [keyId, key] = only(app, 'AWS::KMS::Key');
      expect(key.Properties.EnableKeyRotation).toBe(true);
      for (const [id, t] of topics) {
        expect(t.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
        app.hasResourceProperties('AWS::SNS::TopicPolicy', {
          Topics: [{ Ref: id }],
          PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
        });
      }
      const keyPolicy = JSON.stringify(key.Properties.KeyPolicy);
      expect(keyPolicy).toContain('cloudwatch.amazonaws.com');
    });

    test('InboundSms: the two-way SMS channel (sms-voice, this account) may publish; the acks function is subscribed; its ARN is an output', () => {
      const topicId = s.built.stack.getLogicalId(s.built.stack.inboundSmsTopic.node.defaultChild as never);
      app.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'lambda', TopicArn: { Ref: topicId }, Endpoint: { 'Fn::GetAtt': [fnId('acks'), 'Arn'] } });
      app.hasResourceProperties('AWS::Lambda::Permission', { Action: 'lambda:InvokeFunction', Principal: 'sns.amazonaws.com', SourceArn: { Ref: topicId }, FunctionName: { 'Fn::GetAtt': [fnId('acks'), 'Arn'] } });
      app.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{ Ref: topicId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Sid: 'InboundSmsPublish', Effect: 'Allow', Principal: { Service: 'sms-voice.amazonaws.com' }, Action: 'sns:Publish', Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } }),
          ]),
        },
      });
      expect(JSON.stringify(only(app, 'AWS::KMS::Key')[1].Properties.KeyPolicy)).toContain('sms-voice.amazonaws.com');
      // SNS invokes asynchronously: bounded retries, then the DLQ
      const [queueId] = only(app, 'AWS::SQS::Queue');
      app.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: fnId('acks') },
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
      });
      app.hasOutput('InboundSmsTopicArn', { Value: { Ref: topicId } });
    });

    test('the ack signing key: one generated Secrets Manager secret, no function reads it at run time', () => {
      const [id, secret] = only(app, 'AWS::SecretsManager::Secret');
      expect(id).toBe(s.built.stack.getLogicalId(s.built.stack.ackSigningKey.node.defaultChild as never));
      expect(secret.Properties.GenerateSecretString).toMatchObject({ PasswordLength: 64, ExcludePunctuation: true });
      for (const name of Object.keys(s.built.stack.functions)) expect(actionsOf(policy(name))).not.toContain('secretsmanager:GetSecretValue');
    });

    test('incident topic email subscriptions, each filtered by state (-c incidentTopicEmails)', () => {
      const topic = { Ref: s.built.stack.getLogicalId(s.built.stack.incidentTopic.node.defaultChild as never) };
      app.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ecn-duty@mn.example', TopicArn: topic, FilterPolicy: { state: ['MN'] } });
      app.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'az911@az.example', TopicArn: topic, FilterPolicy: { state: ['AZ', 'NM'] } });
    });

    test('ops email subscription from -c opsEmail', () => {
      app.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.org', TopicArn: { Ref: s.built.stack.getLogicalId(s.built.stack.opsTopic.node.defaultChild as never) } });
    });
  });

  describe('SMS account settings', () => {
    test('SetSMSAttributes: Transactional, the spend limit, the delivery-status role; on create and update', () => {
      const [, cr] = only(app, 'Custom::AWS');
      const [roleId] = resourcesOf(app, 'AWS::IAM::Role').find(([, r]) => JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('sns.amazonaws.com'))!;
      for (const phase of ['Create', 'Update']) {
        const call = JSON.stringify(cr.Properties[phase]);
        expect(call).toContain('\\"action\\":\\"setSMSAttributes\\"');
        expect(call).toContain('\\"DefaultSMSType\\":\\"Transactional\\"');
        expect(call).toContain('\\"MonthlySpendLimit\\":\\"50\\"');
        expect(call).toContain(`"Fn::GetAtt":["${roleId}","Arn"]`);
      }
      expect(cr.Properties.Delete).toBeUndefined();
    });

    test('least privilege: the provider may set SMS attributes and pass only the delivery-status role, to SNS', () => {
      only(app, 'Custom::AWS');
      const statements = Object.values(app.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
      const set = statements.find((x) => x.Sid === 'SetSmsAttributes')!;
      expect(set).toMatchObject({ Action: 'sns:SetSMSAttributes', Resource: '*' });
      const pass = statements.find((x) => x.Sid === 'PassDeliveryStatusRole')!;
      expect(pass.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'sns.amazonaws.com' } });
      const logs = statements.find((x) => x.Sid === 'SmsDeliveryStatusLogs')!;
      expect(asArray(logs.Resource)).toHaveLength(2);
    });

    test('delivery statuses flow back: a subscription filter on each delivery-status log group invokes delivery-status', () => {
      const filters = resourcesOf(app, 'AWS::Logs::SubscriptionFilter');
      expect(filters).toHaveLength(2);
      for (const [, f] of filters) expect(f.Properties).toMatchObject({ DestinationArn: { 'Fn::GetAtt': [fnId('delivery-status'), 'Arn'] }, FilterPattern: '' });
      app.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { FunctionName: { Ref: fnId('delivery-status') }, MaximumRetryAttempts: 2 });
    });

    test('delivery-status log groups are created with a retention (they hold phone numbers)', () => {
      const groups = resourcesOf(app, 'AWS::Logs::LogGroup').filter(([, r]) => JSON.stringify(r.Properties.LogGroupName ?? '').includes('DirectPublishToPhoneNumber'));
      expect(groups).toHaveLength(2);
      for (const [, g] of groups) expect(g.Properties.RetentionInDays).toBeGreaterThan(0);
    });
  });

  describe('HTTP API', () => {
    test('read routes are IAM-authorized GETs; push routes are POSTs and the ack link a GET, authenticated in code', () => {
      const routes = resourcesOf(app, 'AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties as { RouteKey: string; AuthorizationType?: string });
      expect(routes.map((r) => r.RouteKey).sort()).toEqual([...READ_ROUTES.map((p) => `GET ${p}`), ...PUSH_ROUTES.map((p) => `POST ${p}`), `GET ${ACK_ROUTE}`, `POST ${ACK_ROUTE}`].sort());
      for (const r of routes) expect(r.AuthorizationType).toBe(r.RouteKey.startsWith('GET ') && r.RouteKey !== `GET ${ACK_ROUTE}` ? 'AWS_IAM' : 'NONE');
    });

    test('GET and POST /ack/{incidentId}/{recipientId}/{signature} (a confirm page, then its button) integrate the acks function; their missing authorizer is acknowledged with a reason', () => {
      const [, route] = resourcesOf(app, 'AWS::ApiGatewayV2::Route').find(([, r]) => r.Properties.RouteKey === `GET ${ACK_ROUTE}`)!;
      const integrationId = (route.Properties.Target as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1].map((x) => (x as { Ref?: string }).Ref).find(Boolean)!;
      expect(JSON.stringify(app.findResources('AWS::ApiGatewayV2::Integration')[integrationId]!.Properties.IntegrationUri)).toContain(fnId('acks'));
      const apig4 = acknowledgements(s.built).filter((a) => a.id === 'AwsSolutions-APIG4');
      expect(apig4).toHaveLength(PUSH_ROUTES.length + 2);
      expect(apig4.filter((a) => /Acknowledgement links/.test(a.reason) && /HMAC-SHA256 signature/.test(a.reason))).toHaveLength(2);
    });

    test('$default stage: throttled, auto-deployed, JSON access logs naming the route template (never the path: push tokens)', () => {
      const [, stage] = only(app, 'AWS::ApiGatewayV2::Stage');
      expect(stage.Properties).toMatchObject({ StageName: '$default', AutoDeploy: true, DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 } });
      const format = (stage.Properties.AccessLogSettings as { Format: string }).Format;
      expect(JSON.parse(format)).toMatchObject({ routeKey: '$context.routeKey', requestId: '$context.requestId' });
      expect(format).not.toContain('$context.path');
    });
  });

  test('a custom event bus; no aws.health rule without an aws-health source', () => {
    only(app, 'AWS::Events::EventBus');
    expect(resourcesOf(app, 'AWS::Events::Rule')).toHaveLength(0);
  });

  describe('self-monitoring', () => {
    const alarms = () => resourcesOf(app, 'AWS::CloudWatch::Alarm').map(([, r]) => r.Properties as Record<string, unknown> & { AlarmName: string });
    const alarm = (suffix: string) => alarms().find((a) => a.AlarmName === `Dialtone-${suffix}`)!;
    let opsTopicRef: unknown;
    beforeAll(() => {
      opsTopicRef = { Ref: s.built.stack.getLogicalId(s.built.stack.opsTopic.node.defaultChild as never) };
    });

    test('the alarm set', () => {
      const names = alarms().map((a) => a.AlarmName).sort();
      const fns = Object.keys(s.built.stack.functions);
      expect(names).toEqual(
        [
          ...fns.flatMap((f) => [`Dialtone-${f}-errors`, `Dialtone-${f}-throttles`]),
          'Dialtone-dlq-depth',
          'Dialtone-poll-standard-stale',
          'Dialtone-poll-standard-blind',
          'Dialtone-delivery-failure-rate',
          'Dialtone-sms-spend',
        ].sort(),
      );
    });

    test('every alarm notifies the ops topic on ALARM and on OK', () => {
      for (const a of alarms()) {
        expect(a.AlarmActions).toEqual([opsTopicRef]);
        expect(a.OKActions).toEqual([opsTopicRef]);
      }
    });

    test('function errors and throttles', () => {
      expect(alarm('sweep-errors')).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnId('sweep') } }], Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
      expect(alarm('poll-standard-errors')).toMatchObject({ EvaluationPeriods: 3, DatapointsToAlarm: 2, Period: 60 });
      expect(alarm('deliver-throttles')).toMatchObject({ MetricName: 'Throttles', Threshold: 1 });
    });

    test('DLQ depth', () => {
      const [queueId] = only(app, 'AWS::SQS::Queue');
      expect(alarm('dlq-depth')).toMatchObject({ Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }], Threshold: 1 });
    });

    test('poller staleness: no cycle (or standby) for 3 minutes, missing data breaches', () => {
      const a = alarm('poll-standard-stale');
      expect(a).toMatchObject({ EvaluationPeriods: 3, DatapointsToAlarm: 3, Threshold: 1, ComparisonOperator: 'LessThanThreshold', TreatMissingData: 'breaching' });
      const metrics = a.Metrics as Array<{ Id: string; Expression?: string; MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: unknown[] }; Period: number; Stat: string } }>;
      expect(metrics.find((m) => m.Expression)?.Expression).toBe('FILL(c, 0) + FILL(s, 0)');
      const c = metrics.find((m) => m.Id === 'c')!.MetricStat!;
      expect(c).toMatchObject({ Metric: { Namespace: METRICS_NAMESPACE, MetricName: METRIC.pollCycles }, Period: 60, Stat: 'Sum' });
      expect(c.Metric.Dimensions).toEqual(expect.arrayContaining([{ Name: 'group', Value: 'standard' }, { Name: 'service', Value: 'dialtone' }]));
      expect(metrics.find((m) => m.Id === 's')!.MetricStat!.Metric.MetricName).toBe(METRIC.standby);
    });

    test('all sources blind: failed / read ≥ 1 for 3 minutes', () => {
      const a = alarm('poll-standard-blind');
      const metrics = a.Metrics as Array<{ Id: string; Expression?: string; MetricStat?: { Metric: { MetricName: string } } }>;
      expect(metrics.find((m) => m.Expression)?.Expression).toBe('IF(p > 0, f / p, 0)');
      expect(metrics.find((m) => m.Id === 'p')!.MetricStat!.Metric.MetricName).toBe(METRIC.sourcesPolled);
      expect(metrics.find((m) => m.Id === 'f')!.MetricStat!.Metric.MetricName).toBe(METRIC.sourcesFailed);
      expect(a).toMatchObject({ Threshold: 1, EvaluationPeriods: 3, DatapointsToAlarm: 3, TreatMissingData: 'notBreaching' });
    });

    test('delivery failure rate over 20 % in 15 minutes', () => {
      const a = alarm('delivery-failure-rate');
      const metrics = a.Metrics as Array<{ Id: string; Expression?: string; MetricStat?: { Metric: { MetricName: string }; Period: number } }>;
      expect(metrics.find((m) => m.Expression)?.Expression).toMatch(/100 \* FILL\(f, 0\) \/ \(FILL\(s, 0\) \+ FILL\(f, 0\)\)/);
      expect(metrics.find((m) => m.Id === 'f')!.MetricStat).toMatchObject({ Metric: { MetricName: METRIC.deliveriesFailed }, Period: 900 });
      expect(a).toMatchObject({ Threshold: 20, ComparisonOperator: 'GreaterThanThreshold' });
    });

    test('SMS spend at 80 % of the limit (AWS/SNS SMSMonthToDateSpentUSD)', () => {
      expect(alarm('sms-spend')).toMatchObject({ Namespace: 'AWS/SNS', MetricName: 'SMSMonthToDateSpentUSD', Statistic: 'Maximum', Threshold: 40, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    });

    test('a dashboard', () => {
      const [, d] = only(app, 'AWS::CloudWatch::Dashboard');
      expect(d.Properties.DashboardName).toBe('Dialtone');
      expect(JSON.stringify(d.Properties.DashboardBody)).toContain(METRIC.pollCycles);
    });
  });

  test('outputs: API URL, topics, bus, DLQ, dashboard, function names', () => {
    const outputs = Object.keys(app.toJSON().Outputs as object);
    expect(outputs).toEqual(expect.arrayContaining(['ApiUrl', 'OpsTopicArn', 'IncidentTopicArn', 'EventBusName', 'DeadLetterQueueUrl', 'DashboardName', 'PollStandardFunctionName', 'SweepFunctionName']));
    state.hasOutput('TableName', {});
  });

  test('under the CloudFormation limits (resources, outputs, parameters, template size)', () => {
    for (const [name, t] of s.templates) {
      const json = t.toJSON() as { Resources: object; Outputs?: object; Parameters?: object };
      expect({ name, resources: Object.keys(json.Resources).length <= CFN_LIMITS.resources }).toEqual({ name, resources: true });
      expect(Object.keys(json.Outputs ?? {}).length).toBeLessThanOrEqual(CFN_LIMITS.outputs);
      expect(Object.keys(json.Parameters ?? {}).length).toBeLessThanOrEqual(CFN_LIMITS.parameters);
      expect(Buffer.byteLength(JSON.stringify(json))).toBeLessThanOrEqual(CFN_LIMITS.templateBytes);
    }
  });

  describe('cdk-nag (AwsSolutions)', () => {
    test('0 unacknowledged errors or warnings (the synth above ran it as a plugin too)', () => {
      expect(nagFindings(s.built)).toEqual([]);
    });

    test('every acknowledgement names one rule (or finding) and gives a reason', () => {
      const acks = acknowledgements(s.built);
      expect(acks.length).toBeGreaterThan(0);
      for (const a of acks) {
        expect(a.id).toMatch(/^AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
        expect(a.reason.length).toBeGreaterThan(40);
      }
    });

    test('the app registers AwsSolutions as a synth plugin, so `cdk synth` and `cdk deploy` fail on a new finding', () => {
      // Stage#_validationPlugins: what Validations.of(app).addPlugins() registered (read-only copy).
      const plugins = (s.built.app as unknown as { _validationPlugins: unknown[] })._validationPlugins;
      expect(plugins.some((p) => p instanceof AwsSolutionsChecks)).toBe(true);
    });
  });
});

describe('config and context validation at synth time', () => {
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
    expect(problems.map((p) => p.path).sort()).toEqual(['notifier.email', 'recipients[0].channels.sms', 'services[0].fips', 'sources[0].url'].sort());
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
    expect(problemsOf({ config: fixture('dialtone.valid.yaml'), smsOriginationNumber: '555-0100' })[0]?.path).toBe('smsOriginationNumber');
  });

  test('every bad flag is listed together with the config problems', () => {
    const problems = problemsOf({
      config: fixture('dialtone.invalid.yaml'),
      regions: 'us-east-1,mars-north-1,us-east-1',
      tableKey: 'mine',
      smsType: 'Urgent',
      smsMonthlySpendLimit: '-5',
      sesFromAddress: 'not-an-address',
      secretsPrefix: '/dialtone',
      opsEmail: 'ops@example.org,nobody',
      incidentTopicEmails: 'ecn@mn.example:Minnesota',
      apiRateLimit: 'fast',
    });
    expect(problems.map((p) => p.path)).toEqual(
      expect.arrayContaining(['sources[0].url', 'regions[1]', 'regions', 'tableKey', 'smsType', 'smsMonthlySpendLimit', 'sesFromAddress', 'secretsPrefix', 'opsEmail[1]', 'incidentTopicEmails[0]', 'apiRateLimit']),
    );
  });

  test('an upstream secret outside the secrets prefix is refused at synth (the IAM grant would not cover it)', () => {
    const problems = problemsOf({ config: fixture('dialtone.full.yaml'), secretsPrefix: 'other/' });
    expect(problems).toEqual([{ path: 'sources[1].clientSecret.ssm', message: expect.stringMatching(/outside the secrets prefix "\/other\/"/) }]);
  });

  test('the CDK app exits non-zero and prints every problem', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
      cwd: ROOT,
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ config: fixture('dialtone.invalid.yaml'), tableKey: 'mine' }) },
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    for (const p of ['notifier.email', 'recipients[0].channels.sms', 'services[0].fips', 'sources[0].url', 'tableKey']) expect(run.stderr).toContain(`- ${p}: `);
  });

  test('an oversized inlined config is refused with advice, before esbuild fails obscurely', () => {
    expect(() => configDefine({ big: 'x'.repeat(MAX_INLINED_CONFIG_BYTES) })).toThrow(/SSM Parameter Store or S3/);
    expect(configDefine({ a: 1 })).toEqual({ 'process.env.DIALTONE_CONFIG_JSON': '"{\\"a\\":1}"' });
  });
});

