import { SendEmailCommand, type MessageTag, type SendEmailCommandInput, type SendEmailCommandOutput, type SESv2Client } from '@aws-sdk/client-sesv2';
import type { Sender } from '../app/ports.js';
import { DialtoneError } from '../domain/errors.js';
import { maskAddress, redact } from '../domain/mask.js';
import type { Delivery } from '../domain/records.js';
import { SUBJECT_LIMIT, truncate } from '../domain/text.js';

export interface SesEmailSenderOptions {
  client: SESv2Client;
  /** A verified SES identity (address or domain), optionally with a display name: 'dialtone <alerts@example.org>'. */
  fromEmailAddress: string;
  /**
   * An SES configuration set (event destinations for bounces/complaints/deliveries). When set,
   * the message also carries EmailTags (incident, notice, phase, role) so those events can be
   * matched back to the delivery; without one, tags would go nowhere and are left out.
   */
  configurationSetName?: string;
  /** An HTML alternative for a delivery (the plain text body is always sent). */
  html?: (delivery: Delivery) => string | undefined;
}

/** Used when a delivery has no subject: SES requires one. */
const DEFAULT_SUBJECT = '[dialtone] 911 outage notice';

/** Where a delivery is going, in a form safe to log. */
function describe(d: Delivery): string {
  return `${d.channel} to ${d.recipientId} (${maskAddress(d.channel, d.address)}) for ${d.incidentId}#${d.seq}`;
}

function deliveryDetails(d: Delivery): Record<string, unknown> {
  return { incidentId: d.incidentId, seq: d.seq, recipientId: d.recipientId, channel: d.channel };
}

/**
 * A subject SES and mail clients accept: one line (no CR/LF or other control characters: a
 * line break in a subject is a header injection), whitespace collapsed, under 100 characters.
 */
export function emailSubject(subject: string | undefined): string {
  // eslint-disable-next-line no-control-regex
  const oneLine = (subject ?? '').replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').trim();
  return truncate(oneLine || DEFAULT_SUBJECT, SUBJECT_LIMIT);
}

/** SES tag values: ASCII letters, digits, '_' and '-', at most 256 characters. */
function tagValue(value: string): string {
  return value.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 256) || '_';
}

function tags(d: Delivery): MessageTag[] {
  return [
    { Name: 'incidentId', Value: tagValue(d.incidentId) },
    { Name: 'seq', Value: tagValue(String(d.seq)) },
    { Name: 'phase', Value: tagValue(d.phase) },
    { Name: 'role', Value: tagValue(d.role) },
  ];
}

/**
 * Email with SES v2 SendEmail (simple content), one recipient per message: a shared To: list
 * would disclose every recipient's address to the others, and one bad address would fail the
 * rest. SES, not SNS email: SNS email bodies cannot be formatted, carry an unsubscribe link
 * any reader of a shared mailbox can click, and suspend above 10 messages/s.
 */
export class SesEmailSender implements Sender {
  constructor(private readonly options: SesEmailSenderOptions) {}

  /** The exact SendEmail input for a delivery (also what the tests pin). */
  input(delivery: Delivery): SendEmailCommandInput {
    const html = this.options.html?.(delivery);
    return {
      FromEmailAddress: this.options.fromEmailAddress,
      Destination: { ToAddresses: [delivery.address] },
      Content: {
        Simple: {
          Subject: { Data: emailSubject(delivery.subject), Charset: 'UTF-8' },
          Body: {
            Text: { Data: delivery.text, Charset: 'UTF-8' },
            ...(html !== undefined ? { Html: { Data: html, Charset: 'UTF-8' } } : {}),
          },
        },
      },
      ...(this.options.configurationSetName !== undefined
        ? { ConfigurationSetName: this.options.configurationSetName, EmailTags: tags(delivery) }
        : {}),
    };
  }

  async send(delivery: Delivery): Promise<{ messageId: string }> {
    if (delivery.channel !== 'email')
      throw new DialtoneError('DELIVERY.FAILED', `SES email sender cannot send ${describe(delivery)}: it sends email only`, deliveryDetails(delivery));

    let output: SendEmailCommandOutput;
    try {
      output = await this.options.client.send(new SendEmailCommand(this.input(delivery)));
    } catch (err) {
      // SES messages quote addresses ("Email address is not verified … jane@…"), and callers log
      // and store this message: redact it, and do not attach the raw error as a cause.
      const name = err instanceof Error ? err.name : 'Error';
      const message = err instanceof Error ? err.message : String(err);
      const metadata = (err as { $metadata?: { httpStatusCode?: number; requestId?: string } }).$metadata;
      throw new DialtoneError('DELIVERY.FAILED', `SES SendEmail ${describe(delivery)} failed: ${name}: ${redact(message)}`, {
        ...deliveryDetails(delivery),
        awsError: name,
        httpStatusCode: metadata?.httpStatusCode,
        requestId: metadata?.requestId,
      });
    }
    if (!output.MessageId)
      throw new DialtoneError('DELIVERY.FAILED', `SES SendEmail ${describe(delivery)} returned no MessageId`, deliveryDetails(delivery));
    return { messageId: output.MessageId };
  }
}
