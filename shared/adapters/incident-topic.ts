import { PublishCommand, type MessageAttributeValue, type PublishCommandInput, type PublishCommandOutput, type SNSClient } from '@aws-sdk/client-sns';
import { DialtoneError } from '../domain/errors.js';
import { redact } from '../domain/mask.js';
import type { Notice } from '../domain/records.js';
import { composeSms, fitsOneSms } from '../domain/text.js';
import { incidentArea, type EventDirectory } from './events.js';
import { emailSubject } from './ses-sender.js';
import { incidentSeverity } from '../domain/severity.js';

/**
 * The incident topic (deliver): every notice is published once to an SNS topic that
 * integrations subscribe to (SQS, Lambda, HTTPS, a team's SMS or email), with message attributes
 * their filter policies can match: state, fips, severity, phase, incidentId, seq, reason, kind
 * (outage | maintenance), certainty (suspected | confirmed) and cause: ten, the SNS maximum, so a
 * new attribute has to replace one.
 */

/** The texts rendered for the topic's audience (the caller decides how they are rendered). */
export interface TopicRendering {
  /** Email subject (and the Subject of JSON envelopes): one line, under 100 characters. */
  subject: string;
  /** One GSM-7 segment (160 septets); longer text is cut to fit. */
  sms: string;
  /** The plain-text body: what email subscribers get. */
  email: string;
  /** What every other protocol (SQS, Lambda, HTTP/S, …) gets; defaults to the email body. */
  default?: string;
}


/** SNS caps a message, attributes included, at 256 KiB. */
export const MAX_SNS_MESSAGE_BYTES = 256 * 1024;
/** SNS allows at most 10 message attributes (and so do we, for filter policies to stay simple). */
export const MAX_MESSAGE_ATTRIBUTES = 10;
const TRUNCATED = '\n\n[truncated: the full notice is too long for the topic]\n';

const str = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });
const strArray = (values: readonly string[]): MessageAttributeValue => ({ DataType: 'String.Array', StringValue: JSON.stringify(values) });

function attributeBytes(attributes: Record<string, MessageAttributeValue>): number {
  return Object.entries(attributes).reduce(
    (n, [name, v]) => n + Buffer.byteLength(name) + Buffer.byteLength(v.DataType ?? '') + Buffer.byteLength(v.StringValue ?? ''),
    0,
  );
}

export interface TopicMessage {
  Subject: string;
  Message: string;
  MessageStructure: 'json';
  MessageAttributes: Record<string, MessageAttributeValue>;
}

/**
 * The Publish parameters for a notice (pure). Message is the `MessageStructure: 'json'` object:
 * `default` (required by SNS), `sms` and `email`. Attribute values are never empty (SNS rejects
 * an empty String): an incident with no known service simply has no `state`/`fips` attribute.
 * When the whole message would exceed 256 KiB, the long bodies are cut with a marker.
 */
export function topicMessage(notice: Notice, rendered: TopicRendering, services: EventDirectory['services']): TopicMessage {
  const inc = notice.incident;
  const area = incidentArea(inc, services);
  const attributes: Record<string, MessageAttributeValue> = {
    incidentId: str(notice.incidentId),
    seq: { DataType: 'Number', StringValue: String(notice.seq) },
    phase: str(notice.phase),
    reason: str(notice.reason),
    severity: str(incidentSeverity(inc)),
    kind: str(inc.kind ?? 'outage'),
    certainty: str(inc.certainty),
    cause: str(inc.causeComponentId),
    ...(area.states.length ? { state: strArray(area.states) } : {}),
    ...(area.fips.length ? { fips: strArray(area.fips) } : {}),
  };

  const sms = fitsOneSms(rendered.sms) ? rendered.sms : composeSms([{ text: rendered.sms }]);
  let email = rendered.email;
  let fallback = rendered.default ?? rendered.email;
  const subject = emailSubject(rendered.subject);
  const build = () => JSON.stringify({ default: fallback, sms, email });
  let message = build();
  const budget = MAX_SNS_MESSAGE_BYTES - attributeBytes(attributes) - Buffer.byteLength(subject);
  // JSON escaping makes byte counts non-linear: cut by the excess (plus the marker) until it fits.
  // Bounded: each pass cuts at least the excess from the longer body (the SMS is 160 at most).
  for (let pass = 0, excess = Buffer.byteLength(message) - budget; excess > 0 && pass < 8; pass++, excess = Buffer.byteLength(message) - budget) {
    const cut = (text: string) => `${text.slice(0, Math.max(0, text.length - excess - TRUNCATED.length))}${TRUNCATED}`;
    if (email.length >= fallback.length) email = cut(email);
    else fallback = cut(fallback);
    message = build();
  }
  return { Subject: subject, Message: message, MessageStructure: 'json', MessageAttributes: attributes };
}

export interface IncidentTopicOptions {
  client: SNSClient;
  topicArn: string;
  /** Where each service is (county FIPS, state): the domain Model's services map fits. */
  services: EventDirectory['services'];
}

/** Publishes each notice once to the incident topic; resolves with the SNS MessageId. */
export class IncidentTopicPublisher {
  constructor(private readonly options: IncidentTopicOptions) {}

  input(notice: Notice, rendered: TopicRendering): PublishCommandInput {
    return { TopicArn: this.options.topicArn, ...topicMessage(notice, rendered, this.options.services) };
  }

  async publish(notice: Notice, rendered: TopicRendering): Promise<{ messageId: string }> {
    const where = `notice ${notice.incidentId}#${notice.seq} to the incident topic`;
    const details = { incidentId: notice.incidentId, seq: notice.seq, topicArn: this.options.topicArn };
    let output: PublishCommandOutput;
    try {
      output = await this.options.client.send(new PublishCommand(this.input(notice, rendered)));
    } catch (err) {
      const name = err instanceof Error ? err.name : 'Error';
      const message = err instanceof Error ? err.message : String(err);
      const metadata = (err as { $metadata?: { httpStatusCode?: number; requestId?: string } }).$metadata;
      throw new DialtoneError('DELIVERY.FAILED', `SNS Publish ${where} failed: ${name}: ${redact(message)}`, {
        ...details,
        awsError: name,
        httpStatusCode: metadata?.httpStatusCode,
        requestId: metadata?.requestId,
      });
    }
    if (!output.MessageId) throw new DialtoneError('DELIVERY.FAILED', `SNS Publish ${where} returned no MessageId`, details);
    return { messageId: output.MessageId };
  }
}
