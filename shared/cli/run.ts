import { setTimeout as sleep } from 'node:timers/promises';
import { SNSClient } from '@aws-sdk/client-sns';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { consoleLog } from '../adapters/console-log.js';
import { AwsDeliveryChannels } from '../adapters/delivery-channels.js';
import { readDeliveryEnv } from '../config/delivery-env.js';
import { buildModel } from '../domain/model.js';
import { runPollCycle } from '../app/poll-cycle.js';
import { RecheckSchedule } from '../app/recheck.js';
import type { MonitoringConfig } from '../config/schema.js';
import { systemClock } from '../domain/clock.js';
import { dueSources, startLocalPipeline } from './local-pipeline.js';

export interface RunOptions {
  config: MonitoringConfig;
  dataDir: string;
  deliveryLogFile: string;
  /** 'aws' sends through SNS / SES / EventBridge with the default credential chain; 'local' writes the delivery log. */
  deliver: 'local' | 'aws';
  smsOriginationNumber?: string;
  once: boolean;
  print: (line: string) => void;
  signal?: AbortSignal;
}

/** Live polling on the real clock, with the embedded store persisted under a data directory. */
export async function runLive(opts: RunOptions): Promise<void> {
  const log = consoleLog('info');
  // aws: SNS SMS, SES email (SES_FROM_ADDRESS), the incidents topic (INCIDENT_TOPIC_ARN) and EventBridge (EVENT_BUS_NAME), default credential chain.
  const env = opts.deliver === 'aws' ? { ...readDeliveryEnv(process.env), ...(opts.smsOriginationNumber ? { SMS_ORIGINATION_NUMBER: opts.smsOriginationNumber } : {}) } : undefined;
  const sender = env
    ? new AwsDeliveryChannels({
        sns: new SNSClient({}),
        ...((env.SES_FROM_ADDRESS ?? env.EMAIL_FROM) ? { ses: new SESv2Client({}) } : {}),
        ...(env.EVENT_BUS_NAME ? { eventBridge: new EventBridgeClient({}) } : {}),
        env,
        directory: buildModel(opts.config),
      })
    : undefined;
  const pipeline = await startLocalPipeline({
    config: opts.config,
    clock: systemClock,
    log,
    dataDir: opts.dataDir,
    deliveryLogFile: opts.deliveryLogFile,
    print: opts.print,
    ...(sender ? { sender } : {}),
  });
  opts.print(`dialtone run: ${opts.config.sources.length} source(s), ${opts.config.services.length} service(s); store ${opts.dataDir}; delivery ${opts.deliver === 'aws' ? 'AWS (SNS, SES, EventBridge as configured)' : opts.deliveryLogFile}`);
  let prev: number | undefined;
  // A read that would change a component is confirmed seconds later, not an interval later.
  const rechecks = new RecheckSchedule(opts.config.thresholds);
  try {
    do {
      const now = systemClock.now().getTime();
      const scheduled = dueSources(opts.config, prev, now);
      rechecks.drop(scheduled.map((s) => s.id));
      const due = [...scheduled, ...rechecks.takeDue(now)];
      if (due.length > 0) {
        const r = await runPollCycle(pipeline.deps, due);
        rechecks.afterCycle(systemClock.now().getTime(), due, new Set(scheduled.map((s) => s.id)), new Set(r.awaitingConfirmation));
        for (const t of [...r.componentTransitions, ...r.serviceTransitions]) opts.print(`${r.at}  ${t.subject} ${t.id}: ${t.from} -> ${t.to}`);
        for (const n of r.notices) opts.print(`${r.at}  incident ${n.incidentId} ${n.phase} (${n.reason})`);
        for (const s of r.sources.filter((x) => x.kind === 'failed')) opts.print(`${r.at}  source ${s.sourceId} could not be read: ${s.error}`);
        prev = now;
      }
      if (!opts.once) await sleep(1000, undefined, { signal: opts.signal }).catch(() => undefined);
    } while (!opts.once && !opts.signal?.aborted);
  } finally {
    await pipeline.stop();
  }
}
