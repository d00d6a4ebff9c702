import {
  messageKeyOf,
  topicOf,
  type EventCodec,
  type EventPayloads,
  type EventType,
} from '@tollgate/events';
import type { BatchingProducer } from './batching-producer';

/** Publishes typed events: Avro-encodes them, picks topic and message key from the topic registry. */
export class EventPublisher {
  constructor(
    private readonly producer: BatchingProducer,
    private readonly codec: EventCodec,
    /** Topic per event type when not the registry's (tests use uniquely named topics). */
    private readonly topicOverrides: Partial<Record<EventType, string>> = {},
  ) {}

  publish<T extends EventType>(eventType: T, payload: EventPayloads[T]): Promise<void> {
    const { value, headers } = this.codec.encode(eventType, payload);
    return this.producer.send({
      topic: this.topicOverrides[eventType] ?? topicOf(eventType).name,
      key: messageKeyOf(eventType, payload),
      value,
      headers,
    });
  }
}
