import avro from 'avsc';
import { CURRENT_SCHEMAS, RELEASED_SCHEMAS } from '../generated/event-schemas';
import type { EventPayloads } from '../generated/event-types';
import { DecodeError } from './decode-error';
import {
  EVENT_TYPE_HEADER,
  EVENT_TYPES,
  isEventType,
  SCHEMA_FINGERPRINT_HEADER,
  type EventType,
  type TollgateEvent,
} from './event-types';

export interface EncodedEvent {
  value: Buffer;
  headers: Record<string, Buffer>;
}

export interface WriterSchema {
  type: EventType;
  version: number;
  schema: object;
}

type HeaderValue = Buffer | string | (Buffer | string)[] | undefined;

interface Reader {
  type: avro.Type;
  version: number;
  headers: Record<string, Buffer>;
}

interface Writer {
  eventType: EventType;
  version: number;
  decode(buf: Buffer): unknown;
}

function fingerprintOf(type: avro.Type): string {
  return type.fingerprint('sha256').toString('hex');
}

function headerString(value: HeaderValue): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

/**
 * Avro encoding of Tollgate events. Producers write the current schema; the Kafka headers name
 * the event type and the writer schema's fingerprint, and the reader resolves any known writer
 * schema (every released version) to the current one, so old data stays readable.
 */
export class EventCodec {
  private readonly readers = new Map<EventType, Reader>();
  private readonly writers = new Map<string, Writer>();

  constructor(released: readonly WriterSchema[] = RELEASED_SCHEMAS) {
    for (const eventType of EVENT_TYPES) {
      const type = avro.Type.forSchema(CURRENT_SCHEMAS[eventType] as unknown as avro.Schema);
      const fingerprint = fingerprintOf(type);
      const version = released.find(
        (r) =>
          r.type === eventType &&
          fingerprintOf(avro.Type.forSchema(r.schema as avro.Schema)) === fingerprint,
      )?.version;
      if (version === undefined) {
        throw new Error(
          `the current ${eventType} schema is not among the released versions; release it first`,
        );
      }
      this.readers.set(eventType, {
        type,
        version,
        headers: {
          [EVENT_TYPE_HEADER]: Buffer.from(eventType),
          [SCHEMA_FINGERPRINT_HEADER]: Buffer.from(fingerprint),
        },
      });
    }
    for (const writer of released) this.addWriter(writer);
  }

  /** Registers another writer schema (e.g. a version only older producers still write). */
  addWriter(writer: WriterSchema): void {
    const reader = this.readers.get(writer.type);
    if (!reader) throw new Error(`unknown event type ${writer.type}`);
    const writerType = avro.Type.forSchema(writer.schema as avro.Schema);
    const fingerprint = fingerprintOf(writerType);
    if (fingerprint === fingerprintOf(reader.type)) {
      this.writers.set(fingerprint, {
        eventType: writer.type,
        version: writer.version,
        decode: (buf): unknown => reader.type.fromBuffer(buf),
      });
      return;
    }
    const resolver = reader.type.createResolver(writerType);
    this.writers.set(fingerprint, {
      eventType: writer.type,
      version: writer.version,
      decode: (buf): unknown => reader.type.fromBuffer(buf, resolver),
    });
  }

  /** The schema version a producer of this event type writes today. */
  currentVersion(eventType: EventType): number {
    return this.reader(eventType).version;
  }

  /** The Kafka headers `encode` puts on this event type (the same Buffers every time). */
  headersOf(eventType: EventType): Record<string, Buffer> {
    return this.reader(eventType).headers;
  }

  encode<T extends EventType>(eventType: T, payload: EventPayloads[T]): EncodedEvent {
    const reader = this.reader(eventType);
    return { value: reader.type.toBuffer(payload), headers: reader.headers };
  }

  decode(headers: Record<string, HeaderValue> | undefined, value: Buffer | null): TollgateEvent {
    const eventType = headerString(headers?.[EVENT_TYPE_HEADER]);
    const fingerprint = headerString(headers?.[SCHEMA_FINGERPRINT_HEADER]);
    if (!eventType || !fingerprint) {
      throw new DecodeError(
        'missing_headers',
        `headers ${EVENT_TYPE_HEADER} and ${SCHEMA_FINGERPRINT_HEADER} are required`,
      );
    }
    if (!isEventType(eventType)) {
      throw new DecodeError(
        'unknown_event_type',
        `event type ${JSON.stringify(eventType.slice(0, 64))} is not known`,
      );
    }
    const writer = this.writers.get(fingerprint);
    if (!writer || writer.eventType !== eventType) {
      throw new DecodeError(
        'unknown_schema',
        `no ${eventType} schema has fingerprint ${fingerprint.slice(0, 64)}`,
      );
    }
    if (!value) throw new DecodeError('malformed_payload', 'message has no value');
    try {
      return { type: eventType, payload: writer.decode(value) } as TollgateEvent;
    } catch (err) {
      throw new DecodeError('malformed_payload', err instanceof Error ? err.message : String(err));
    }
  }

  private reader(eventType: EventType): Reader {
    const reader = this.readers.get(eventType);
    if (!reader) throw new Error(`unknown event type ${eventType}`);
    return reader;
  }
}
