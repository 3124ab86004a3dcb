import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DeliveryChannels, EventSink, IncidentFeed, TopicBodies } from '../app/ports.js';
import type { Clock } from '../domain/clock.js';
import { contactKey, redact } from '../domain/mask.js';
import type { Delivery, Notice, Transition } from '../domain/records.js';
import { eventKey, eventsFor, type EventDirectory } from './events.js';
import { topicMessage } from './incident-topic.js';
import type { LocalDeliveryLog } from './local-sender.js';

/**
 * The local equivalents of the incidents topic and the EventBridge bus, when the pipeline runs locally:
 * each publication is a line in the same JSON Lines delivery log as the deliveries, marked with a
 * `kind` ("topic" or "event"), and a line on the console, so the demo shows what integrations
 * would receive. The topic line carries the subject, the SMS body and the message attributes
 * exactly as SNS would get them (topicMessage); event lines carry the validated detail.
 * readDeliveryLog skips these lines: they are not deliveries to a recipient.
 */

interface LineOptions {
  file?: string;
  print?: (line: string) => void;
  clock: Clock;
  /** Published contact points shown as they are (see redact). */
  publicContacts?: Iterable<string>;
}

class LocalLines {
  private count = 0;
  private readonly keep: ReadonlySet<string>;
  constructor(private readonly options: LineOptions) {
    if (options.file !== undefined) mkdirSync(dirname(options.file), { recursive: true });
    this.keep = new Set([...(options.publicContacts ?? [])].map(contactKey));
  }
  redact(text: string): string {
    return redact(text, this.keep);
  }
  write(line: Record<string, unknown>, shown: string): number {
    if (this.options.file !== undefined) appendFileSync(this.options.file, `${JSON.stringify({ time: this.options.clock.now().toISOString(), ...line })}\n`);
    this.options.print?.(shown);
    return ++this.count;
  }
}

export class LocalIncidentFeed implements IncidentFeed {
  private readonly lines: LocalLines;
  constructor(
    options: LineOptions,
    private readonly services: EventDirectory['services'],
  ) {
    this.lines = new LocalLines(options);
  }

  async publish(notice: Notice, bodies: TopicBodies): Promise<{ messageId: string }> {
    const message = topicMessage(notice, bodies, this.services);
    const attributes = Object.fromEntries(Object.entries(message.MessageAttributes).map(([k, v]) => [k, v.StringValue]));
    const subject = this.lines.redact(message.Subject);
    const n = this.lines.write(
      { kind: 'topic', incidentId: notice.incidentId, seq: notice.seq, phase: notice.phase, subject, sms: this.lines.redact(bodies.sms), attributes },
      `  → TOPIC incidents  ${notice.phase} #${notice.seq}  severity=${attributes.severity} state=${attributes.state ?? '-'}  ${JSON.stringify(subject)}`,
    );
    return { messageId: `local-topic-${n}` };
  }
}

export class LocalEventBus implements EventSink {
  private readonly lines: LocalLines;
  constructor(
    options: LineOptions,
    private readonly directory: EventDirectory,
  ) {
    this.lines = new LocalLines(options);
  }

  async publish(notice: Notice, changes: readonly Transition[]): Promise<{ messageId: string }> {
    const events = [...eventsFor(notice, this.directory), ...changes.flatMap((t) => eventsFor(t, this.directory))];
    const ids: string[] = [];
    for (const e of events) {
      const what = e.detailType === 'ServiceStateChanged.v1' ? `${e.detail.serviceId}: ${e.detail.from} -> ${e.detail.to}` : `${e.detail.incidentId} #${e.detail.seq} ${e.detail.reason}`;
      const n = this.lines.write({ kind: 'event', source: e.source, detailType: e.detailType, key: eventKey(e), detail: e.detail }, `  → EVENT ${e.detailType}  ${what}`);
      ids.push(`local-event-${n}`);
    }
    return { messageId: ids.join(',') };
  }
}

/** The delivery log plus the local topic and bus: what `dialtone demo` and `dialtone run` deliver to. */
export class LocalDeliveryChannels implements DeliveryChannels {
  readonly topic: IncidentFeed;
  readonly events: EventSink;

  constructor(
    private readonly log: LocalDeliveryLog,
    options: LineOptions & { directory: EventDirectory },
  ) {
    this.topic = new LocalIncidentFeed(options, options.directory.services);
    this.events = new LocalEventBus(options, options.directory);
  }

  send(delivery: Delivery): Promise<{ messageId: string }> {
    return this.log.send(delivery);
  }
}
