import { gunzipSync } from 'node:zlib';
import * as z from 'zod';

/**
 * SNS SMS delivery status logs (SetSMSAttributes DeliveryStatusIAMRole): SNS writes one JSON line
 * per SMS to CloudWatch Logs (log groups sns/<region>/<account>/DirectPublishToPhoneNumber and
 * …/Failure); a subscription filter hands them to a Lambda as { awslogs: { data } }, the data
 * gzip-compressed and base64-encoded. Parsed with zod at the boundary: a line that is not a
 * status is reported by its log event id, never with its content (it holds the phone number).
 */

export const logsSubscriptionEventSchema = z.object({ awslogs: z.object({ data: z.string().min(1) }) });

const logsDataSchema = z.object({
  messageType: z.enum(['DATA_MESSAGE', 'CONTROL_MESSAGE']),
  logGroup: z.string().optional(),
  logStream: z.string().optional(),
  logEvents: z.array(z.object({ id: z.string(), timestamp: z.number(), message: z.string() })).default([]),
});

/** One status line (the fields we use; the rest, destination included, are ignored). */
export const smsStatusLineSchema = z.object({
  notification: z.object({ messageId: z.string().min(1), timestamp: z.string().optional() }),
  delivery: z
    .object({
      providerResponse: z.string().optional(),
      numberOfMessageParts: z.number().optional(),
      priceInUSD: z.number().optional(),
      dwellTimeMs: z.number().optional(),
    })
    .passthrough(),
  status: z.enum(['SUCCESS', 'FAILURE']),
});

export interface SmsDeliveryStatus {
  messageId: string;
  status: 'delivered' | 'failed';
  /** The provider's words (providerResponse). */
  reason?: string;
  /** When SNS logged it (ISO-8601 UTC). */
  at: string;
  priceUsd?: number;
  parts?: number;
}

export interface DecodedStatuses {
  statuses: SmsDeliveryStatus[];
  /** Log events that were not status lines: their ids and why. */
  problems: string[];
  control: boolean;
}

/** "2016-06-28 00:40:34.558" (UTC) → ISO-8601; the log event's own time when absent or odd. */
function statusTime(stamp: string | undefined, fallbackMs: number): string {
  const iso = stamp && /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?$/.test(stamp) ? Date.parse(`${stamp.replace(' ', 'T')}Z`) : NaN;
  return new Date(Number.isNaN(iso) ? fallbackMs : iso).toISOString();
}

/** Throws (with the zod path) when the event itself is not a CloudWatch Logs subscription event. */
export function decodeLogsEvent(event: unknown): DecodedStatuses {
  const { awslogs } = logsSubscriptionEventSchema.parse(event);
  let json: unknown;
  try {
    json = JSON.parse(gunzipSync(Buffer.from(awslogs.data, 'base64')).toString('utf8'));
  } catch (err) {
    throw new Error(`awslogs.data: not gzip-compressed base64 JSON (${(err as Error).message})`, { cause: err });
  }
  const data = logsDataSchema.parse(json);
  const out: DecodedStatuses = { statuses: [], problems: [], control: data.messageType === 'CONTROL_MESSAGE' };
  if (out.control) return out;
  for (const e of data.logEvents) {
    let line: unknown;
    try {
      line = JSON.parse(e.message);
    } catch {
      out.problems.push(`log event ${e.id}: not JSON`);
      continue;
    }
    const parsed = smsStatusLineSchema.safeParse(line);
    if (!parsed.success) {
      out.problems.push(`log event ${e.id}: not an SMS delivery status (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`);
      continue;
    }
    const s = parsed.data;
    out.statuses.push({
      messageId: s.notification.messageId,
      status: s.status === 'SUCCESS' ? 'delivered' : 'failed',
      ...(s.delivery.providerResponse !== undefined ? { reason: s.delivery.providerResponse } : {}),
      at: statusTime(s.notification.timestamp, e.timestamp),
      ...(s.delivery.priceInUSD !== undefined ? { priceUsd: s.delivery.priceInUSD } : {}),
      ...(s.delivery.numberOfMessageParts !== undefined ? { parts: s.delivery.numberOfMessageParts } : {}),
    });
  }
  return out;
}
