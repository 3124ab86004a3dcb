import { PublishCommand, type MessageAttributeValue, type PublishCommandOutput, type SNSClient } from '@aws-sdk/client-sns';
import type { Sender } from '../app/ports.js';
import { DialtoneError } from '../domain/errors.js';
import { maskAddress, redact } from '../domain/mask.js';
import type { Delivery } from '../domain/records.js';

export interface SnsSmsSenderOptions {
  client: SNSClient;
  /** A registered toll-free / 10DLC / short code number SNS may send from (E.164). */
  originationNumber?: string;
  /** Per-message price ceiling in USD, e.g. '0.50'; SNS drops the message rather than exceed it. */
  maxPriceUsd?: string;
}

/** Where a delivery is going, in a form safe to log. */
function describe(d: Delivery): string {
  return `${d.channel} to ${d.recipientId} (${maskAddress(d.channel, d.address)}) for ${d.incidentId}#${d.seq}`;
}

function deliveryDetails(d: Delivery): Record<string, unknown> {
  return { incidentId: d.incidentId, seq: d.seq, recipientId: d.recipientId, channel: d.channel };
}

/** SMS straight to a phone number with SNS Publish (no topic subscription to manage). */
export class SnsSmsSender implements Sender {
  private readonly attributes: Record<string, MessageAttributeValue>;

  constructor(private readonly options: SnsSmsSenderOptions) {
    // Transactional: the account default is Promotional (cheapest, least reliable) — wrong for 911.
    this.attributes = { 'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' } };
    if (options.originationNumber !== undefined)
      this.attributes['AWS.MM.SMS.OriginationNumber'] = { DataType: 'String', StringValue: options.originationNumber };
    if (options.maxPriceUsd !== undefined)
      this.attributes['AWS.SNS.SMS.MaxPrice'] = { DataType: 'Number', StringValue: options.maxPriceUsd };
  }

  async send(delivery: Delivery): Promise<{ messageId: string }> {
    if (delivery.channel !== 'sms')
      throw new DialtoneError('DELIVERY.FAILED', `SNS SMS sender cannot send ${describe(delivery)}: it sends SMS only`, deliveryDetails(delivery));

    let output: PublishCommandOutput;
    try {
      output = await this.options.client.send(
        new PublishCommand({ PhoneNumber: delivery.address, Message: delivery.text, MessageAttributes: this.attributes }),
      );
    } catch (err) {
      // SNS error messages can quote the phone number, and callers log and store this message;
      // the raw error is not attached as a cause for the same reason.
      const name = err instanceof Error ? err.name : 'Error';
      const message = err instanceof Error ? err.message : String(err);
      const metadata = (err as { $metadata?: { httpStatusCode?: number; requestId?: string } }).$metadata;
      throw new DialtoneError('DELIVERY.FAILED', `SNS Publish ${describe(delivery)} failed: ${name}: ${redact(message)}`, {
        ...deliveryDetails(delivery),
        awsError: name,
        httpStatusCode: metadata?.httpStatusCode,
        requestId: metadata?.requestId,
      });
    }
    if (!output.MessageId)
      throw new DialtoneError('DELIVERY.FAILED', `SNS Publish ${describe(delivery)} returned no MessageId`, deliveryDetails(delivery));
    return { messageId: output.MessageId };
  }
}

/** Dispatches each delivery to the sender for its channel (SMS via SNS; email via SES later). */
export class ChannelRouterSender implements Sender {
  constructor(private readonly senders: { sms?: Sender; email?: Sender }) {}

  async send(delivery: Delivery): Promise<{ messageId: string }> {
    const sender = this.senders[delivery.channel];
    if (sender === undefined)
      throw new DialtoneError(
        'DELIVERY.FAILED',
        `no sender configured for channel "${delivery.channel}": cannot send ${describe(delivery)}`,
        deliveryDetails(delivery),
      );
    return sender.send(delivery);
  }
}
