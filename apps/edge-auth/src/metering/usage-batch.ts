import avro from 'avsc';
import { batchMessageKey, CURRENT_SCHEMAS, newEventId, type EventCodec } from '@tollgate/events';
import type { OutgoingMessage } from '@tollgate/kafka';

/**
 * Header on every RequestMeteredBatch record: how many events it carries. The spool and the
 * replayer count events by it without decoding; consumers decode the batch and need it not.
 */
export const EVENT_COUNT_HEADER = 'tollgate-event-count';

/** Events a record carries: its event-count header, or 1 for a single RequestMetered. */
export function eventCountOf(headers: Record<string, Buffer | string> | undefined): number {
  const value = headers?.[EVENT_COUNT_HEADER];
  if (value === undefined) return 1;
  const count = Number(value.toString());
  return Number.isSafeInteger(count) && count > 0 ? count : 1;
}

/** Avro's long, for the batch's event count: built once (avsc compiles a type's code when created). */
const LONG = avro.Type.forSchema('long');

interface BatchSchema {
  fields: Array<{ name: string; type: unknown }>;
}

/**
 * Writes RequestMeteredBatch records from RequestMetered events that are already Avro-encoded
 * (on the request thread), without decoding them again: in Avro's binary encoding a record is its
 * fields one after another and an array is `count, items…, 0`, so a batch is the encoded envelope
 * fields, the event count, the events' own bytes and a zero byte. The items of the batch schema are
 * the current RequestMetered schema (codegen refuses two different definitions of one name, and
 * the constructor checks the fingerprints), so each event's bytes inside the batch are exactly the
 * bytes a single RequestMetered record would carry. `usage-batch.test.ts` compares the result with
 * avsc's own encoding of the same batch.
 */
export class RequestMeteredBatchWriter {
  private readonly envelope: avro.Type;
  private readonly headers: Record<string, Buffer>;
  private readonly schemaVersion: number;

  constructor(
    codec: EventCodec,
    private readonly source: { producer: string; edgeInstanceId: string },
  ) {
    const schema = CURRENT_SCHEMAS.RequestMeteredBatch as unknown as BatchSchema;
    const last = schema.fields.at(-1);
    const items = (last?.type as { type?: string; items?: unknown } | undefined)?.items;
    const fingerprint = (s: unknown) =>
      avro.Type.forSchema(s as avro.Schema)
        .fingerprint('sha256')
        .toString('hex');
    if (
      last?.name !== 'events' ||
      items === undefined ||
      fingerprint(items) !== fingerprint(CURRENT_SCHEMAS.RequestMetered)
    )
      throw new Error(
        'RequestMeteredBatch must end with `events`, an array of the current RequestMetered schema',
      );
    this.envelope = avro.Type.forSchema({
      type: 'record',
      name: 'RequestMeteredBatchEnvelope',
      fields: schema.fields.slice(0, -1),
    } as avro.Schema);
    this.headers = codec.headersOf('RequestMeteredBatch');
    this.schemaVersion = codec.currentVersion('RequestMeteredBatch');
  }

  /** One Kafka record holding `events` (each the Avro bytes of one RequestMetered), keyed per `batchMessageKey`. */
  write(
    topic: string,
    events: readonly Buffer[],
    eventBytes: number,
    now: number,
  ): OutgoingMessage & { key: string } {
    if (events.length === 0) throw new RangeError('a batch holds at least one event');
    const eventId = newEventId(now);
    const head = this.envelope.toBuffer({
      eventId,
      occurredAt: now,
      producer: this.source.producer,
      schemaVersion: this.schemaVersion,
      edgeInstanceId: this.source.edgeInstanceId,
    });
    const count = LONG.toBuffer(events.length);
    const value = Buffer.allocUnsafe(head.length + count.length + eventBytes + 1);
    let at = head.copy(value, 0);
    at += count.copy(value, at);
    for (const event of events) at += event.copy(value, at);
    value[at++] = 0;
    if (at !== value.length) throw new Error('eventBytes does not match the events given');
    return {
      topic,
      key: batchMessageKey(this.source.edgeInstanceId, now),
      value,
      headers: { ...this.headers, [EVENT_COUNT_HEADER]: String(events.length) },
    };
  }
}

export interface UsageBatcherOptions {
  writer: RequestMeteredBatchWriter;
  topic: string;
  /** A batch is sealed at this many events… */
  maxEvents: number;
  /** …or this many bytes of events… */
  maxBytes: number;
  /** …or when its first event has waited this long. */
  lingerMs: number;
  now(this: void): number;
  /** A sealed batch and the number of events in it. */
  onBatch(this: void, message: OutgoingMessage, events: number): void;
}

/** Groups encoded RequestMetered events into RequestMeteredBatch records by size or linger time. */
export class UsageBatcher {
  private events: Buffer[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: UsageBatcherOptions) {}

  get pending(): number {
    return this.events.length;
  }

  add(event: Buffer): void {
    if (this.bytes + event.length > this.options.maxBytes && this.events.length > 0) this.seal();
    this.events.push(event);
    this.bytes += event.length;
    if (this.events.length >= this.options.maxEvents) this.seal();
    else this.timer ??= setTimeout(() => this.seal(), this.options.lingerMs);
  }

  /** Hands what is pending over as one batch (nothing when empty). */
  seal(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.events.length === 0) return;
    const events = this.events;
    const message = this.options.writer.write(
      this.options.topic,
      events,
      this.bytes,
      this.options.now(),
    );
    this.events = [];
    this.bytes = 0;
    this.options.onBatch(message, events.length);
  }
}
