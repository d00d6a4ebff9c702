import { DecodeError, type EventCodec } from '@tollgate/events';
import type { KafkaLogSink } from '../kafka-logging';
import type { KafkaMetrics } from '../kafka-metrics';
import type { ConsumedEvent, RawMessage } from './consumed-event';
import type { DeadLetterSink } from './dead-letters';

/** What a reader needs to decode messages and dead-letter the ones it cannot. */
export interface DecodeDependencies {
  codec: EventCodec;
  deadLetters: DeadLetterSink;
  metrics: KafkaMetrics;
  log: KafkaLogSink;
}

export interface DecodeContext extends DecodeDependencies {
  /** Names the reader (consumer group or table) in dead letters, logs and metrics. */
  consumer: string;
}

/** Reconnect back-off shared by the group consumer and the table reader. */
export const CONSUMER_RETRY = { retries: 10, initialRetryTime: 200, maxRetryTime: 5_000 };

/**
 * Decodes one message; a poison message (unknown type, unknown schema, bad bytes) is logged and
 * sent to the dead-letter topic and yields undefined, so one bad record never stops a consumer.
 */
export async function decodeOrDeadLetter(
  ctx: DecodeContext,
  topic: string,
  partition: number,
  message: RawMessage,
): Promise<ConsumedEvent | undefined> {
  try {
    return {
      event: ctx.codec.decode(message.headers, message.value),
      topic,
      partition,
      offset: message.offset,
      key: message.key?.toString() ?? null,
      timestamp: Number(message.timestamp),
    };
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    ctx.log.warn(
      {
        topic,
        partition,
        offset: message.offset,
        reason: err.reason,
        error: err.message,
        deadLetterTopic: ctx.deadLetters.topic,
      },
      'undecodable message sent to the dead-letter topic',
    );
    await ctx.deadLetters.send({
      sourceTopic: topic,
      partition,
      message,
      consumer: ctx.consumer,
      reason: err.reason,
      error: err.message,
    });
    ctx.metrics.deadLettered.inc({ group: ctx.consumer, topic, reason: err.reason });
    return undefined;
  }
}
