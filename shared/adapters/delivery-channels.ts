import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { GetSMSAttributesCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { DeliveryChannels, EventSink, IncidentFeed, OptOuts, SmsAccount } from '../app/ports.js';
import type { DeliveryEnv } from '../config/delivery-env.js';
import { DialtoneError } from '../domain/errors.js';
import type { Delivery, Notice, Transition } from '../domain/records.js';
import { EventPublisher, eventsFor, type EventDirectory } from './events.js';
import { IncidentTopicPublisher } from './incident-topic.js';
import { SnsOptOutChecker } from './opt-out.js';
import { SesEmailSender } from './ses-sender.js';
import { ChannelRouterSender, SnsSmsSender } from './sns-sender.js';

/**
 * The AWS last hop behind the DeliveryChannels port: SMS with SNS Publish, email with SES v2
 * (when a sender identity is configured), the incidents topic, the EventBridge bus, opt-outs and
 * the SMS spend limit. Built once per cold start; `setDeadline` per invocation.
 */

/** EventBridge behind the EventSink port: a notice's events and its services' changes, put together. */
export class EventBridgeSink implements EventSink {
  constructor(
    private readonly publisher: Pick<EventPublisher, 'publish'>,
    private readonly directory: EventDirectory,
  ) {}

  async publish(notice: Notice, changes: readonly Transition[]): Promise<{ messageId: string }> {
    const events = [...eventsFor(notice, this.directory), ...changes.flatMap((t) => eventsFor(t, this.directory))];
    const report = await this.publisher.publish(events);
    if (report.failed.length > 0)
      throw new DialtoneError(
        'DELIVERY.FAILED',
        `EventBridge: ${report.failed.length} of ${events.length} events for ${notice.incidentId}#${notice.seq} not put: ${report.failed
          .slice(0, 3)
          .map((f) => `${f.detailType} ${f.key}: ${f.errorCode}`)
          .join('; ')}`,
        { incidentId: notice.incidentId, seq: notice.seq },
      );
    const ids = report.sent.map((s) => s.eventId);
    return { messageId: ids.length > 5 ? `${ids.slice(0, 5).join(',')},+${ids.length - 5}` : ids.join(',') };
  }
}

/** GetSMSAttributes MonthlySpendLimit, read once per cold start (a failed read is asked again). */
export class SnsSmsAccount implements SmsAccount {
  private cached?: Promise<string | undefined>;
  constructor(private readonly client: SNSClient) {}

  monthlySpendLimitUsd(): Promise<string | undefined> {
    if (!this.cached) {
      const read = this.client.send(new GetSMSAttributesCommand({ attributes: ['MonthlySpendLimit'] })).then((o) => o?.attributes?.MonthlySpendLimit);
      this.cached = read;
      read.catch(() => {
        if (this.cached === read) this.cached = undefined;
      });
    }
    return this.cached;
  }
}

export interface AwsChannelsOptions {
  sns: SNSClient;
  /** Needed when SES_FROM_ADDRESS (or EMAIL_FROM) is set. */
  ses?: SESv2Client;
  /** Needed when EVENT_BUS_NAME is set. */
  eventBridge?: EventBridgeClient;
  env: DeliveryEnv;
  /** Where services are (FIPS, state) and what components are called: the domain Model fits. */
  directory: EventDirectory;
}

export class AwsDeliveryChannels implements DeliveryChannels {
  readonly topic?: IncidentFeed;
  readonly events?: EventSink;
  readonly smsAccount: SmsAccount;
  private readonly router: ChannelRouterSender;
  private deadline?: () => number;

  constructor(private readonly options: AwsChannelsOptions) {
    const { env } = options;
    const sms = new SnsSmsSender({ client: options.sns, ...(env.SMS_ORIGINATION_NUMBER ? { originationNumber: env.SMS_ORIGINATION_NUMBER } : {}) });
    const from = env.SES_FROM_ADDRESS ?? env.EMAIL_FROM;
    const email =
      from && options.ses
        ? new SesEmailSender({ client: options.ses, fromEmailAddress: from, ...(env.SES_CONFIGURATION_SET ? { configurationSetName: env.SES_CONFIGURATION_SET } : {}) })
        : undefined;
    this.router = new ChannelRouterSender({ sms, ...(email ? { email } : {}) });
    if (env.INCIDENT_TOPIC_ARN) this.topic = new IncidentTopicPublisher({ client: options.sns, topicArn: env.INCIDENT_TOPIC_ARN, services: options.directory.services });
    if (env.EVENT_BUS_NAME && options.eventBridge)
      this.events = new EventBridgeSink(new EventPublisher({ client: options.eventBridge, eventBusName: env.EVENT_BUS_NAME }), options.directory);
    this.smsAccount = new SnsSmsAccount(options.sns);
  }

  send(delivery: Delivery): Promise<{ messageId: string }> {
    return this.router.send(delivery);
  }

  /** Answers are cached per run, so a fresh checker per invocation (a number can be opted back in). */
  optOuts(): OptOuts {
    return new SnsOptOutChecker({ client: this.options.sns });
  }

  remainingMs(): number | undefined {
    return this.deadline?.();
  }

  /** Per invocation: the Lambda context's getRemainingTimeInMillis (undefined: no limit). */
  setDeadline(remaining: (() => number) | undefined): void {
    this.deadline = remaining;
  }
}
