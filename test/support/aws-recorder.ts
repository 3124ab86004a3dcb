import { AsyncLocalStorage } from 'node:async_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';

/**
 * Records every AWS SDK v3 command the code under test sends, and what IAM must allow for it.
 *
 * The recorder wraps `send` on the SDK's base client class (every client extends it, the
 * lib-dynamodb DocumentClient too) and, on a client's first send, adds one middleware to its
 * stack. The DocumentClient shares its DynamoDB client's stack and runs its commands through the
 * low-level ones, so its BatchWriteCommand arrives here as BatchWriteItemCommand. Commands to
 * a service marked `passThrough` (DynamoDB, against the embedded store) go on to the endpoint;
 * every other service has no local endpoint and is answered by `answer()`, or fails.
 *
 * Calls are attributed to the function whose invocation sent them (`as(name, run)`, through
 * AsyncLocalStorage): set-up done outside `as` is recorded unattributed.
 *
 * Not combinable with aws-sdk-client-mock in the same test: its stubs replace `send` on the
 * client classes, so nothing would reach the base class.
 */

/** What IAM checks for one command: an action on a resource (its ARN, or `*` when the action has no resource type). */
export interface Access {
  action: string;
  /** IAM allows the call when any one of these is allowed (SES: the address identity or its domain). */
  resources: string[];
  /** What the resource is, for people: table, table index, topic, … */
  kind: string;
}

export interface RecordedCall {
  /** The function whose invocation sent it (`as`); undefined for set-up. */
  fn?: string;
  client: string;
  command: string;
  region: string;
  /** As the code wrote it (a DocumentClient command's input is not yet marshalled). */
  input: Input;
  accesses: Access[];
  /** A command the table below does not know: the test must fail until it is added. */
  unmapped?: true;
}

interface Where {
  region: string;
  account: string;
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Input = Record<string, any>;
type Rule = (input: Input, where: Where) => Access[];

const arn = (w: Where, service: string, rest: string) => `arn:aws:${service}:${w.region}:${w.account}:${rest}`;
const one = (action: string, resource: string, kind: string): Access => ({ action, resources: [resource], kind });

/** DynamoDB: the table, or the index when the request names one (Query and Scan on an index are authorized on the index ARN). */
const dynamo = (action: string, w: Where, table: string, index?: string): Access =>
  index ? one(`dynamodb:${action}`, arn(w, 'dynamodb', `table/${table}/index/${index}`), 'table index') : one(`dynamodb:${action}`, arn(w, 'dynamodb', `table/${table}`), 'table');

/** TransactWriteItems is authorized item by item, each with the action of its single-item twin. */
const TRANSACT_WRITE = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem' } as const;

/** The address in `Name <addr@host>` or a bare address. */
const addressOf = (from: string) => /<([^>]+)>\s*$/.exec(from)?.[1]?.trim() ?? from.trim();

/**
 * Command → IAM action(s) and resource, by client and command name (the low-level name: the
 * DocumentClient's commands arrive as these). The one place this mapping is written.
 */
export const IAM_OF_COMMAND: Record<string, Record<string, Rule>> = {
  DynamoDBClient: {
    GetItemCommand: (i, w) => [dynamo('GetItem', w, i.TableName)],
    PutItemCommand: (i, w) => [dynamo('PutItem', w, i.TableName)],
    UpdateItemCommand: (i, w) => [dynamo('UpdateItem', w, i.TableName)],
    DeleteItemCommand: (i, w) => [dynamo('DeleteItem', w, i.TableName)],
    BatchGetItemCommand: (i, w) => Object.keys(i.RequestItems ?? {}).map((t) => dynamo('BatchGetItem', w, t)),
    BatchWriteItemCommand: (i, w) => Object.keys(i.RequestItems ?? {}).map((t) => dynamo('BatchWriteItem', w, t)),
    QueryCommand: (i, w) => [dynamo('Query', w, i.TableName, i.IndexName)],
    ScanCommand: (i, w) => [dynamo('Scan', w, i.TableName, i.IndexName)],
    TransactWriteItemsCommand: (i, w) =>
      (i.TransactItems as Input[]).flatMap((item) => Object.entries(TRANSACT_WRITE).flatMap(([k, action]) => (item[k] ? [dynamo(action, w, item[k].TableName)] : []))),
    TransactGetItemsCommand: (i, w) => (i.TransactItems as Input[]).map((item) => dynamo('GetItem', w, item.Get.TableName)),
    DescribeTableCommand: (i, w) => [dynamo('DescribeTable', w, i.TableName)],
  },
  SNSClient: {
    // To a phone number there is no resource ARN: IAM evaluates it against Resource "*".
    PublishCommand: (i) => [i.PhoneNumber ? one('sns:Publish', '*', 'phone number (no resource)') : one('sns:Publish', i.TopicArn ?? i.TargetArn, i.TopicArn ? 'topic' : 'endpoint')],
    PublishBatchCommand: (i) => [one('sns:Publish', i.TopicArn, 'topic')],
    CheckIfPhoneNumberIsOptedOutCommand: () => [one('sns:CheckIfPhoneNumberIsOptedOut', '*', 'SMS account (no resource)')],
    ListPhoneNumbersOptedOutCommand: () => [one('sns:ListPhoneNumbersOptedOut', '*', 'SMS account (no resource)')],
    GetSMSAttributesCommand: () => [one('sns:GetSMSAttributes', '*', 'SMS account (no resource)')],
  },
  SESv2Client: {
    // Authorized on the identity SES verifies the sender by (the address, else its domain) and on the configuration set.
    SendEmailCommand: (i, w) => {
      const from = addressOf(i.FromEmailAddress ?? '');
      const identities = i.FromEmailAddressIdentityArn ? [i.FromEmailAddressIdentityArn as string] : [arn(w, 'ses', `identity/${from}`), arn(w, 'ses', `identity/${from.split('@')[1] ?? from}`)];
      return [
        { action: 'ses:SendEmail', resources: identities, kind: 'email identity' },
        ...(i.ConfigurationSetName ? [one('ses:SendEmail', arn(w, 'ses', `configuration-set/${i.ConfigurationSetName}`), 'configuration set')] : []),
      ];
    },
  },
  EventBridgeClient: {
    PutEventsCommand: (i, w) => {
      const buses = new Set((i.Entries as Input[]).map((e) => (e.EventBusName as string | undefined) ?? 'default'));
      return [...buses].map((b) => one('events:PutEvents', b.startsWith('arn:') ? b : arn(w, 'events', `event-bus/${b}`), 'event bus'));
    },
  },
  SSMClient: {
    GetParameterCommand: (i, w) => [one('ssm:GetParameter', arn(w, 'ssm', `parameter/${String(i.Name).replace(/^\//, '')}`), 'parameter')],
  },
  SecretsManagerClient: {
    // A secret's ARN ends in "-" and six random characters after its name.
    GetSecretValueCommand: (i, w) => [one('secretsmanager:GetSecretValue', String(i.SecretId).startsWith('arn:') ? i.SecretId : arn(w, 'secretsmanager', `secret:${i.SecretId}-AbCdEf`), 'secret')],
  },
  S3Client: {
    GetObjectCommand: (i) => [one('s3:GetObject', `arn:aws:s3:::${i.Bucket}/${i.Key}`, 'object')],
    PutObjectCommand: (i) => [one('s3:PutObject', `arn:aws:s3:::${i.Bucket}/${i.Key}`, 'object')],
  },
};

/**
 * What a service asks KMS for on the caller's behalf (condition kms:ViaService) when the
 * resource is encrypted with a customer-managed key. Not visible to the recorder (the service
 * makes the KMS call), so derived from the recorded command: DynamoDB as aws-cdk-lib's
 * TableV2 grantReadData / grantWriteData grant on the table key; SNS publishers to an
 * encrypted topic need GenerateDataKey and Decrypt (SNS developer guide, SSE).
 */
const DYNAMO_READS = new Set(['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:DescribeTable']);
export function kmsViaService(action: string): { service: string; actions: string[] } | undefined {
  if (action.startsWith('dynamodb:'))
    return { service: 'dynamodb', actions: DYNAMO_READS.has(action) ? ['kms:Decrypt', 'kms:DescribeKey'] : ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'] };
  if (action === 'sns:Publish') return { service: 'sns', actions: ['kms:GenerateDataKey', 'kms:Decrypt'] };
  return undefined;
}

/** Every client class the project uses; they share the base class whose `send` is wrapped. */
const CLIENTS = [DynamoDBClient, SNSClient, SESv2Client, EventBridgeClient, SSMClient, SecretsManagerClient, S3Client];

type Answer = (input: Input) => Input | Promise<Input>;
interface Sendable {
  send: (command: unknown, ...rest: unknown[]) => unknown;
}
interface ClientLike {
  middlewareStack: { add: (mw: unknown, opts: Record<string, unknown>) => void };
  config: { region?: string | (() => Promise<string>) };
}

export interface AwsRecorder {
  readonly calls: RecordedCall[];
  /** Runs `run` as function `fn`: every command it sends (however deep, however async) is attributed to `fn`. */
  as<T>(fn: string, run: () => Promise<T>): Promise<T>;
  /** The answer to a command of a service without a local endpoint; it may throw (a failure path). */
  answer(client: string, command: string, answer: Answer): void;
  /** Calls of one function. */
  of(fn: string): RecordedCall[];
  stop(): void;
}

export function startAwsRecorder(opts: { passThrough: string[]; account: string }): AwsRecorder {
  const calls: RecordedCall[] = [];
  const current = new AsyncLocalStorage<string>();
  const answers = new Map<string, Answer>();
  const installed = new WeakSet<object>();
  const passThrough = new Set(opts.passThrough);
  let stopped = false;

  const install = (client: ClientLike) => {
    if (installed.has(client.middlewareStack)) return;
    installed.add(client.middlewareStack);
    client.middlewareStack.add(
      (next: (args: { input: Input }) => Promise<unknown>, context: { clientName: string; commandName: string }) =>
        async (args: { input: Input }) => {
          // A client built under an earlier recorder keeps this middleware: once stopped, it only passes on.
          if (stopped) return next(args);
          const { clientName, commandName } = context;
          const r = client.config.region;
          const region = typeof r === 'function' ? await r() : (r ?? 'unknown');
          const rule = IAM_OF_COMMAND[clientName]?.[commandName];
          const fn = current.getStore();
          calls.push({ ...(fn ? { fn } : {}), client: clientName, command: commandName, region, input: args.input, accesses: rule ? rule(args.input, { region, account: opts.account }) : [], ...(rule ? {} : { unmapped: true as const }) });
          if (passThrough.has(clientName)) return next(args);
          const answer = answers.get(`${clientName}.${commandName}`);
          if (!answer) throw new Error(`aws-recorder: ${clientName} ${commandName} has no local endpoint and no answer`);
          return { output: { $metadata: {}, ...(await answer(args.input)) }, response: {} };
        },
      { step: 'initialize', name: 'awsRecorder', priority: 'high', override: true },
    );
  };

  const bases = new Set(CLIENTS.map((c) => Object.getPrototypeOf(c.prototype) as Sendable));
  const originals = new Map<Sendable, Sendable['send']>();
  for (const base of bases) {
    if (!Object.prototype.hasOwnProperty.call(base, 'send')) throw new Error('aws-recorder: the SDK base client has no send of its own; the SDK changed shape');
    const original = base.send;
    originals.set(base, original);
    base.send = function (this: ClientLike, command: unknown, ...rest: unknown[]) {
      install(this);
      return original.call(this, command, ...rest);
    };
  }

  return {
    calls,
    as: (fn, run) => current.run(fn, run),
    answer: (client, command, answer) => void answers.set(`${client}.${command}`, answer),
    of: (fn) => calls.filter((c) => c.fn === fn),
    stop: () => {
      stopped = true;
      for (const [base, original] of originals) base.send = original;
    },
  };
}
