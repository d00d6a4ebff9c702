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

  /**
   * One Kafka record holding the events of `runs` (each run the Avro bytes of one or more
   * RequestMetered, back to back), keyed per `batchMessageKey`.
   */
  write(topic: string, runs: EventRuns, now: number): OutgoingMessage & { key: string } {
    if (runs.events === 0) throw new RangeError('a batch holds at least one event');
    const eventId = newEventId(now);
    const head = this.envelope.toBuffer({
      eventId,
      occurredAt: now,
      producer: this.source.producer,
      schemaVersion: this.schemaVersion,
      edgeInstanceId: this.source.edgeInstanceId,
    });
    const count = LONG.toBuffer(runs.events);
    const value = Buffer.allocUnsafe(head.length + count.length + runs.bytes + 1);
    let at = head.copy(value, 0);
    at += count.copy(value, at);
    for (const part of runs.parts) at += part.copy(value, at);
    value[at++] = 0;
    if (at !== value.length) throw new Error('runs.bytes does not match the runs given');
    return {
      topic,
      key: batchMessageKey(this.source.edgeInstanceId, now),
      value,
      headers: { ...this.headers, [EVENT_COUNT_HEADER]: String(runs.events) },
    };
  }
}

/** Encoded RequestMetered events as runs of bytes: `events` events in `bytes` bytes in all. */
export interface EventRuns {
  parts: readonly Buffer[];
  events: number;
  bytes: number;
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
  private parts: Buffer[] = [];
  private events = 0;
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: UsageBatcherOptions) {}

  get pending(): number {
    return this.events;
  }

  add(event: Buffer): void {
    this.addEvents(event, [event.length]);
  }

  /**
   * Adds the events in `bytes`, back to back, where event i ends at `ends[i]` (an `EventChunk`
   * from the request thread). Whole runs of them join the batch as one part each: a chunk is split
   * only where a batch reaches its event or byte bound. An event bigger than the byte bound goes
   * in a batch of its own.
   */
  addEvents(bytes: Buffer, ends: ArrayLike<number>): void {
    const { maxEvents, maxBytes } = this.options;
    let first = 0;
    let start = 0;
    while (first < ends.length) {
      // The most of the remaining events this batch can still take: by count, then by bytes.
      let last = Math.min(ends.length, first + maxEvents - this.events);
      const room = maxBytes - this.bytes + start;
      if (ends[last - 1]! > room) last = lastEndWithin(ends, first, last, room);
      if (last === first) {
        if (this.events > 0) {
          this.seal();
          continue;
        }
        last = first + 1;
      }
      const end = ends[last - 1]!;
      this.parts.push(bytes.subarray(start, end));
      this.events += last - first;
      this.bytes += end - start;
      first = last;
      start = end;
      if (this.events >= maxEvents || this.bytes >= maxBytes) this.seal();
    }
    if (this.events > 0) this.timer ??= setTimeout(() => this.seal(), this.options.lingerMs);
  }

  /** Hands what is pending over as one batch (nothing when empty). */
  seal(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.events === 0) return;
    const runs: EventRuns = { parts: this.parts, events: this.events, bytes: this.bytes };
    const message = this.options.writer.write(this.options.topic, runs, this.options.now());
    this.parts = [];
    this.events = 0;
    this.bytes = 0;
    this.options.onBatch(message, runs.events);
  }
}

/** The largest `last` in [first, limit) with `ends[last - 1] <= room` (`first` when none). */
function lastEndWithin(
  ends: ArrayLike<number>,
  first: number,
  limit: number,
  room: number,
): number {
  let lo = first;
  let hi = limit - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (ends[mid - 1]! <= room) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
