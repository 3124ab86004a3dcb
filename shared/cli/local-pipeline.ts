import { startEmbeddedDynamo } from '../adapters/embedded-dynamo.js';
import { DynamoStore } from '../adapters/dynamo-store.js';
import { LocalDeliveryChannels } from '../adapters/local-channels.js';
import { LocalDeliveryLog } from '../adapters/local-sender.js';
import type { Log } from '../app/log.js';
import type { PipelineDeps } from '../app/poll-cycle.js';
import type { Sender } from '../app/ports.js';
import { isPolled, type MonitoringConfig } from '../config/schema.js';
import type { Clock } from '../domain/clock.js';
import { buildModel } from '../domain/model.js';
import { readSource } from '../sources/read-source.js';
import { createAwsSecretResolver } from '../adapters/secrets.js';

/**
 * The pipeline's local home: the same use cases on the embedded store (dynalite in-process on
 * loopback); only the last hop is the delivery log instead of SNS/SES/EventBridge (topic and
 * event lines in the same log: local-channels.ts).
 */
export async function startLocalPipeline(opts: {
  config: MonitoringConfig;
  clock: Clock;
  log: Log;
  deliveryLogFile?: string;
  print?: (line: string) => void;
  dataDir?: string;
  sender?: Sender;
}): Promise<{ deps: PipelineDeps; stop: () => Promise<void> }> {
  const db = await startEmbeddedDynamo(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {});
  const store = new DynamoStore({ client: db.client, tableName: db.tableName });
  const model = buildModel(opts.config);
  // The local last hop: the delivery log, plus the incidents topic and EventBridge as lines in it.
  const logOptions = {
    clock: opts.clock,
    publicContacts: model.publicContacts,
    ...(opts.deliveryLogFile !== undefined ? { file: opts.deliveryLogFile } : {}),
    ...(opts.print !== undefined ? { print: opts.print } : {}),
  };
  const sender = opts.sender ?? new LocalDeliveryChannels(new LocalDeliveryLog(logOptions), { ...logOptions, directory: model });
  // Upstream credentials ({ env } refs locally; SSM / Secrets Manager with the default AWS chain), resolved only when a source asks.
  const secrets = createAwsSecretResolver();
  const read: PipelineDeps['readSource'] = (source, prev, ctx) => readSource(source, prev, { ...ctx, secrets });
  const deps: PipelineDeps = { store, sender, clock: opts.clock, model, readSource: read, log: opts.log };
  return { deps, stop: () => db.stop() };
}

/** A source is due when its cadence boundary falls inside (prev, now]. */
export function dueSources(config: MonitoringConfig, prevMs: number | undefined, nowMs: number) {
  return config.sources.filter(isPolled).filter((s) => {
    const every = s.everySeconds * 1000;
    return prevMs === undefined || Math.floor(nowMs / every) > Math.floor(prevMs / every);
  });
}
