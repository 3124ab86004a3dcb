import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Logger } from '@aws-lambda-powertools/logger';
import { AwsDeliveryChannels } from '../../shared/adapters/delivery-channels.js';
import { DynamoStore } from '../../shared/adapters/dynamo-store.js';
import { createAwsSecretResolver } from '../../shared/adapters/secrets.js';
import type { SecretResolver } from '../../shared/sources/parsers.js';
import type { PipelineDeps } from '../../shared/app/poll-cycle.js';
import type { LeaseStore } from '../../shared/app/region-lease.js';
import { readDeliveryEnv } from '../../shared/config/delivery-env.js';
import { readLambdaEnv } from '../../shared/config/env.js';
import type { MonitoringConfig } from '../../shared/config/schema.js';
import { systemClock } from '../../shared/domain/clock.js';
import { buildModel } from '../../shared/domain/model.js';
import { loggerLog, readAwsEnv, type AwsEnv } from './env.js';
import { DynamoLeaseStore } from './region-lease.js';

/**
 * The composition root of the functions that deliver (poll, sweep, deliver, ingest, health-events): the environment the
 * stack gives them (infra/stack.ts), validated once per cold start, and the AWS adapters behind
 * the ports. The last hop is AwsDeliveryChannels: SMS (SNS, opt-outs checked), email (SES, when
 * SES_FROM_ADDRESS is set), the incidents topic (INCIDENT_TOPIC_ARN) and the event bus
 * (EVENT_BUS_NAME). Handlers stay thin: parse the event, call one use case.
 */
export interface AwsPipeline {
  deps: PipelineDeps;
  env: AwsEnv;
  config: MonitoringConfig;
  /** The region lease when this is one of several regions. */
  lease?: LeaseStore;
  /** Starts a run (one invocation): the time it has left, for storm pacing. */
  startRun(remainingMs?: () => number): void;
}

/** What a function that does not poll has in place of a source reader: it never reads a source. */
const notPolling: PipelineDeps['readSource'] = async (source) => {
  throw new Error(`source "${source.id}": this function does not poll (only functions/poll reads sources)`);
};

/**
 * Built once per cold start, on first use. `readSource`: the poll function's reader, given the
 * upstream-credential resolver. Only the poller passes it, so the other functions' bundles carry
 * no source adapter, XML parser or SSRF guard (npm run bench, part 4).
 */
export function awsPipeline(logger: Logger, opts: { readSource?: (secrets: SecretResolver) => PipelineDeps['readSource'] } = {}): AwsPipeline {
  // Written as process.env.DIALTONE_CONFIG_JSON so esbuild's define inlines the synth-time config.
  const { env: base, config } = readLambdaEnv({ ...process.env, DIALTONE_CONFIG_JSON: process.env.DIALTONE_CONFIG_JSON });
  const env = readAwsEnv(process.env);
  const delivery = readDeliveryEnv(process.env);
  const model = buildModel(config);

  const dynamo = new DynamoDBClient({});
  const store = new DynamoStore({ client: dynamo, tableName: base.TABLE_NAME });
  const channels = new AwsDeliveryChannels({
    sns: new SNSClient({}),
    ...(delivery.SES_FROM_ADDRESS || delivery.EMAIL_FROM ? { ses: new SESv2Client({}) } : {}),
    ...(delivery.EVENT_BUS_NAME ? { eventBridge: new EventBridgeClient({}) } : {}),
    env: delivery,
    directory: model,
  });

  const read = opts.readSource ? opts.readSource(createAwsSecretResolver()) : notPolling;

  // Signs the acknowledgement links in emails (config acks.linkBase); the stack passes the
  // generated signing key (infra/stack.ts, AckSigningKey) to every delivering function.
  const ackSecret = process.env.DIALTONE_ACK_SECRET;
  const deps: PipelineDeps = { store, sender: channels, clock: systemClock, model, readSource: read, log: loggerLog(logger), ...(ackSecret ? { ackSecret } : {}) };
  return {
    deps,
    env,
    config,
    ...(env.REGION_LEASE === 'on' ? { lease: new DynamoLeaseStore({ client: dynamo, tableName: base.TABLE_NAME }) } : {}),
    startRun: (remainingMs) => channels.setDeadline(remainingMs),
  };
}
