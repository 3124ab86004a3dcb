import { setTimeout as sleep } from 'node:timers/promises';
import { SNSClient } from '@aws-sdk/client-sns';
import { consoleLog } from '../adapters/console-log.js';
import { ChannelRouterSender, SnsSmsSender } from '../adapters/sns-sender.js';
import { runPollCycle } from '../app/poll-cycle.js';
import type { MonitoringConfig } from '../config/schema.js';
import { systemClock } from '../domain/clock.js';
import { dueSources, startLocalPipeline } from './local-pipeline.js';

export interface RunOptions {
  config: MonitoringConfig;
  dataDir: string;
  deliveryLogFile: string;
  /** 'aws' sends SMS through SNS with the default credential chain; 'local' writes the delivery log. */
  deliver: 'local' | 'aws';
  smsOriginationNumber?: string;
  once: boolean;
  print: (line: string) => void;
  signal?: AbortSignal;
}

/** Live polling on the real clock, with the embedded store persisted under a data directory. */
export async function runLive(opts: RunOptions): Promise<void> {
  const log = consoleLog('info');
  const sender =
    opts.deliver === 'aws'
      ? new ChannelRouterSender({ sms: new SnsSmsSender({ client: new SNSClient({}), ...(opts.smsOriginationNumber ? { originationNumber: opts.smsOriginationNumber } : {}) }) })
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
  opts.print(`dialtone run: ${opts.config.sources.length} source(s), ${opts.config.services.length} service(s); store ${opts.dataDir}; delivery ${opts.deliver === 'aws' ? 'SNS' : opts.deliveryLogFile}`);
  let prev: number | undefined;
  try {
    do {
      const now = systemClock.now().getTime();
      const due = dueSources(opts.config, prev, now);
      if (due.length > 0) {
        const r = await runPollCycle(pipeline.deps, due);
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
