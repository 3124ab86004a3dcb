import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { z } from 'zod';
import { DynamoStore } from '../../shared/adapters/dynamo-store.js';
import { ChannelRouterSender, SnsSmsSender } from '../../shared/adapters/sns-sender.js';
import { runPollCycle, type PipelineDeps } from '../../shared/app/poll-cycle.js';
import { readLambdaEnv } from '../../shared/config/env.js';
import { isPolled } from '../../shared/config/schema.js';
import { systemClock } from '../../shared/domain/clock.js';
import { buildModel } from '../../shared/domain/model.js';
import { redact } from '../../shared/domain/mask.js';
import { readSource } from '../../shared/sources/read-source.js';

/** EventBridge Scheduler sends its fixed input; a poll group may name the sources it polls. */
const pollEventSchema = z.object({ sourceIds: z.array(z.string()).optional() }).passthrough();

export interface PollResult {
  at: string;
  sources: number;
  failedSources: number;
  transitions: number;
  notices: number;
  sent: number;
  failedDeliveries: number;
}

const logger = new Logger({ serviceName: 'dialtone-poll' });

/** The handler's logic with its dependencies injected: tests pass an embedded store and a fake sender. */
export function createPollHandler(deps: PipelineDeps) {
  return async (event: unknown): Promise<PollResult> => {
    const input = pollEventSchema.parse(event ?? {});
    const due = input.sourceIds ? deps.model.config.sources.filter(isPolled).filter((s) => input.sourceIds!.includes(s.id)) : undefined;
    const r = await runPollCycle(deps, due);
    const result: PollResult = {
      at: r.at,
      sources: r.sources.length,
      failedSources: r.sources.filter((s) => s.kind === 'failed').length,
      transitions: r.componentTransitions.length + r.serviceTransitions.length,
      notices: r.notices.length,
      sent: r.sent.length,
      failedDeliveries: r.failed.length,
    };
    deps.log.info('poll cycle', { ...result });
    return result;
  };
}

/** Clients and config are built once per cold start, on first use. */
let coldStart: PipelineDeps | undefined;
function awsDeps(): PipelineDeps {
  if (coldStart) return coldStart;
  // Written as process.env.DIALTONE_CONFIG_JSON so esbuild's define inlines the synth-time config.
  const { env, config } = readLambdaEnv({ ...process.env, DIALTONE_CONFIG_JSON: process.env.DIALTONE_CONFIG_JSON });
  const store = new DynamoStore({ client: new DynamoDBClient({}), tableName: env.TABLE_NAME });
  const sms = new SnsSmsSender({ client: new SNSClient({}), ...(env.SMS_ORIGINATION_NUMBER ? { originationNumber: env.SMS_ORIGINATION_NUMBER } : {}) });
  const log = {
    debug: (m: string, e?: Record<string, unknown>) => logger.debug(redact(m), e ?? {}),
    info: (m: string, e?: Record<string, unknown>) => logger.info(redact(m), e ?? {}),
    warn: (m: string, e?: Record<string, unknown>) => logger.warn(redact(m), e ?? {}),
    error: (m: string, e?: Record<string, unknown>) => logger.error(redact(m), e ?? {}),
  };
  coldStart = { store, sender: new ChannelRouterSender({ sms }), clock: systemClock, model: buildModel(config), readSource, log };
  return coldStart;
}

export const handler = middy((event: unknown) => createPollHandler(awsDeps())(event)).use(injectLambdaContext(logger));
