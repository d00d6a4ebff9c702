import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { ConsumedEvent } from './consumed-event';
import {
  CONSUMER_RETRY,
  decodeOrDeadLetter,
  type DecodeContext,
  type DecodeDependencies,
} from './decode-or-dead-letter';

export interface BatchContext {
  topic: string;
  partition: number;
  /** Call during long work so the group does not consider this member dead. */
  heartbeat(): Promise<void>;
}

export interface EventConsumerOptions extends DecodeDependencies {
  groupId: string;
  topics: readonly string[];
  /**
   * Applies one partition's batch. Offsets are committed only after it resolves, so a crash
   * re-delivers the batch: the effect must be idempotent (dedupe by eventId, or store offsets
   * in the same transaction). Throwing re-delivers the batch after a back-off.
   */
  handleBatch(events: ConsumedEvent[], context: BatchContext): Promise<void>;
  /** Where a group without committed offsets starts. */
  fromBeginning?: boolean;
  /** Longest a fetch waits for data; lower means lower latency (kafkajs default 5000). */
  maxWaitTimeInMs?: number;
  /**
   * Bytes a fetch waits for (up to `maxWaitTimeInMs`) before the broker answers; default 1 (answer
   * as soon as anything arrived). Larger means fewer, larger batches under a steady trickle.
   */
  minBytes?: number;
  sessionTimeoutMs?: number;
  /** Partitions whose batches are handled at the same time (each still in order); default 1. */
  partitionsConsumedConcurrently?: number;
}

/**
 * A consumer-group member that decodes events, dead-letters poison messages and commits each
 * partition's offsets after the batch's effect. `stop()` lets the batch in progress finish and
 * commit before leaving the group, so shutdown neither loses nor re-applies a batch.
 */
export class EventConsumer {
  private readonly consumer: Consumer;
  private readonly decode: DecodeContext;
  private running = false;

  constructor(
    kafka: Kafka,
    private readonly options: EventConsumerOptions,
  ) {
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      maxWaitTimeInMs: options.maxWaitTimeInMs ?? 250,
      minBytes: options.minBytes ?? 1,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      allowAutoTopicCreation: false,
      retry: CONSUMER_RETRY,
    });
    this.decode = { ...options, consumer: options.groupId };
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: [...this.options.topics],
      fromBeginning: this.options.fromBeginning ?? true,
    });
    this.running = true;
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachBatch: (payload) => this.processBatch(payload),
    });
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.consumer.disconnect();
  }

  private async processBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const { topic, partition } = batch;
    const events: ConsumedEvent[] = [];
    for (const message of batch.messages) {
      const consumed = await decodeOrDeadLetter(this.decode, topic, partition, message);
      if (consumed) events.push(consumed);
    }
    if (events.length > 0) {
      await this.options.handleBatch(events, {
        topic,
        partition,
        heartbeat: () => payload.heartbeat(),
      });
      this.options.metrics.consumed.inc({ group: this.options.groupId, topic }, events.length);
    }
    // After a rebalance took this partition away, its new owner re-reads from the last commit.
    if (payload.isStale() || batch.messages.length === 0) return;
    const last = batch.lastOffset();
    payload.resolveOffset(last);
    await this.consumer.commitOffsets([
      { topic, partition, offset: (BigInt(last) + 1n).toString() },
    ]);
    this.options.metrics.lag.set(
      { group: this.options.groupId, topic, partition: String(partition) },
      Number(batch.offsetLag()),
    );
  }
}
