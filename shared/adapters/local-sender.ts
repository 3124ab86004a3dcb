import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as z from 'zod';
import type { Sender } from '../app/ports.js';
import type { Clock } from '../domain/clock.js';
import { contactKey, maskAddress, redact } from '../domain/mask.js';
import type { Channel, Delivery, Phase } from '../domain/records.js';

/**
 * The local last hop (the pipeline run locally, not on AWS): instead of SNS, every delivery becomes one line in
 * a JSON Lines delivery log and one line on the console. The log is a log, so the address is
 * masked and phone numbers / emails inside the subject and text are redacted too, except the
 * published contact points the config names (fallback numbers, the notifier's desk).
 */

const PHASES = ['initial', 'update', 'final'] as const satisfies readonly Phase[];
const CHANNELS = ['sms', 'email'] as const satisfies readonly Channel[];

export const deliveryLogLineSchema = z.object({
  time: z.iso.datetime(),
  incidentId: z.string().min(1),
  phase: z.enum(PHASES),
  seq: z.number().int().nonnegative(),
  recipientId: z.string().min(1),
  role: z.string().min(1),
  channel: z.enum(CHANNELS),
  /** Masked (maskAddress). */
  address: z.string(),
  subject: z.string().optional(),
  text: z.string(),
  /** Why it went out: the notice's reason (opened, confirmed, changed, escalated, reminder, resolved) or an ops alert's. */
  reason: z.string().min(1).optional(),
  /** A bundle (one message carrying several notices): the notices it carried; incidentId is the bundle's id. */
  members: z.array(z.object({ incidentId: z.string().min(1), seq: z.number().int().nonnegative(), reason: z.string().min(1).optional() })).optional(),
});
export type DeliveryLogLine = z.infer<typeof deliveryLogLineSchema>;

export interface LocalDeliveryLogOptions {
  /** JSON Lines file appended to; its folder is created if missing. */
  file?: string;
  /** Console output, one compact line per delivery (e.g. console.log). */
  print?: (line: string) => void;
  clock: Clock;
  /** Published contact points shown as they are (see redact); recipient addresses are always masked. */
  publicContacts?: Iterable<string>;
}

export class LocalDeliveryLog implements Sender {
  private sent = 0;
  private readonly keep: ReadonlySet<string>;

  constructor(private readonly options: LocalDeliveryLogOptions) {
    if (options.file !== undefined) mkdirSync(dirname(options.file), { recursive: true });
    this.keep = new Set([...(options.publicContacts ?? [])].map(contactKey));
  }

  async send(delivery: Delivery): Promise<{ messageId: string }> {
    const line: DeliveryLogLine = {
      time: this.options.clock.now().toISOString(),
      incidentId: delivery.incidentId,
      phase: delivery.phase,
      seq: delivery.seq,
      recipientId: delivery.recipientId,
      role: delivery.role,
      channel: delivery.channel,
      address: maskAddress(delivery.channel, delivery.address),
      ...(delivery.subject !== undefined && { subject: redact(delivery.subject, this.keep) }),
      text: redact(delivery.text, this.keep),
      ...(delivery.reason !== undefined && { reason: delivery.reason }),
      ...(delivery.members !== undefined && { members: delivery.members }),
    };
    // Synchronous append: the line is on disk before the delivery can be marked sent.
    if (this.options.file !== undefined) appendFileSync(this.options.file, `${JSON.stringify(line)}\n`);
    this.options.print?.(formatDeliveryLine(line));
    this.sent += 1;
    return { messageId: `local-${this.sent}` };
  }
}

/** `  → SMS   psap  ramsey-floor  +1******0123  initial (opened)  "911 ALERT …"` (email shows its subject). */
export function formatDeliveryLine(line: DeliveryLogLine): string {
  const shown = line.channel === 'email' ? (line.subject ?? line.text) : line.text;
  const reasons = reasonsOf(line);
  return `  → ${line.channel.toUpperCase().padEnd(5)} ${line.role}  ${line.recipientId}  ${line.address}  ${line.phase}${reasons.length ? ` (${reasons.join(', ')})` : ''}  ${JSON.stringify(shown)}`;
}

/** Why a line went out: its own reason, or its members' (a bundle), each once. */
export function reasonsOf(line: Pick<DeliveryLogLine, 'reason' | 'members'>): string[] {
  return [...new Set([...(line.reason !== undefined ? [line.reason] : []), ...(line.members ?? []).flatMap((m) => (m.reason !== undefined ? [m.reason] : []))])];
}

/** Reads a delivery log back (tests, the demo summary). A log not yet written reads as empty. */
export function readDeliveryLog(file: string): DeliveryLogLine[] {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return raw.split('\n').flatMap((text, i) => {
    if (text.trim() === '') return [];
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new Error(`${file}:${i + 1}: not JSON: ${(err as Error).message}`, { cause: err });
    }
    // The incident topic and EventBridge lines (local-channels.ts) share the file; they are not deliveries.
    if (typeof json === 'object' && json !== null && 'kind' in json) return [];
    const parsed = deliveryLogLineSchema.safeParse(json);
    if (!parsed.success) throw new Error(`${file}:${i + 1}: not a delivery log line:\n${z.prettifyError(parsed.error)}`);
    return [parsed.data];
  });
}
