import type { Kafka, Producer } from 'kafkajs';
import { TOPICS } from '@tollgate/events';
import type { RawMessage } from './consumed-event';

export const DEAD_LETTER_HEADERS = {
  sourceTopic: 'tollgate-dlq-source-topic',
  sourcePartition: 'tollgate-dlq-source-partition',
  sourceOffset: 'tollgate-dlq-source-offset',
  consumerGroup: 'tollgate-dlq-consumer-group',
  reason: 'tollgate-dlq-reason',
  error: 'tollgate-dlq-error',
  failedAt: 'tollgate-dlq-failed-at',
} as const;

export interface DeadLetter {
  sourceTopic: string;
  partition: number;
  message: RawMessage;
  consumer: string;
  reason: string;
  error: string;
}

/**
 * Where messages that cannot be decoded go, byte for byte with their original key and headers,
 * plus headers saying where they came from and why they failed. Writes are acknowledged before
 * the consumer moves past the message, so nothing is dropped silently.
 */
export class DeadLetterSink {
  private readonly producer: Producer;
  private connected: Promise<void> | undefined;

  constructor(
    kafka: Kafka,
    readonly topic: string = TOPICS.deadLetters.name,
  ) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
  }

  async send(letter: DeadLetter, now: number = Date.now()): Promise<void> {
    this.connected ??= this.producer.connect();
    await this.connected;
    const original: Record<string, Buffer | string> = {};
    for (const [name, value] of Object.entries(letter.message.headers ?? {})) {
      if (value === undefined) continue;
      original[name] = Array.isArray(value) ? (value[0] ?? '') : value;
    }
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: [
        {
          key: letter.message.key,
          value: letter.message.value,
          headers: {
            ...original,
            [DEAD_LETTER_HEADERS.sourceTopic]: letter.sourceTopic,
            [DEAD_LETTER_HEADERS.sourcePartition]: String(letter.partition),
            [DEAD_LETTER_HEADERS.sourceOffset]: letter.message.offset,
            [DEAD_LETTER_HEADERS.consumerGroup]: letter.consumer,
            [DEAD_LETTER_HEADERS.reason]: letter.reason,
            [DEAD_LETTER_HEADERS.error]: letter.error.slice(0, 500),
            [DEAD_LETTER_HEADERS.failedAt]: String(now),
          },
        },
      ],
    });
  }

  async close(): Promise<void> {
    if (this.connected)
      await this.connected.then(
        () => this.producer.disconnect(),
        () => undefined,
      );
    this.connected = undefined;
  }
}
