import { randomUUID } from 'node:crypto';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { ConsumedEvent, RawMessage } from './consumed-event';
import {
  CONSUMER_RETRY,
  decodeOrDeadLetter,
  type DecodeContext,
  type DecodeDependencies,
} from './decode-or-dead-letter';

export interface TableReaderOptions extends DecodeDependencies {
  /** Names this reader in logs, metrics and its (never committed) consumer group. */
  name: string;
  topics: readonly string[];
  /**
   * Each decoded event, with the record exactly as received (key, value and header bytes): what a
   * handler that refuses the event dead-letters, byte for byte, instead of re-encoding it.
   */
  onEvent(event: ConsumedEvent, message: RawMessage): void;
  /** A record with a null value: the key was deleted from the compacted topic. */
  onTombstone?(topic: string, key: string | null): void;
  /** Longest a fetch waits for new data while tailing (default 50 ms). */
  maxWaitTimeInMs?: number;
}

/**
 * Reads compacted topics as a table: every partition from the earliest offset, reports when it
 * has caught up with the high watermarks seen at start (readiness), then keeps tailing with low
 * latency. It never commits offsets: each process rebuilds its table from the topic.
 */
export class TableReader {
  private readonly consumer: Consumer;
  private readonly decode: DecodeContext;
  /** topic:partition → offset the reader must reach to be caught up. */
  private readonly targets = new Map<string, bigint>();
  private readonly caughtUpWaiters: Array<() => void> = [];
  private caughtUp = false;
  private started = false;

  constructor(
    kafka: Kafka,
    private readonly options: TableReaderOptions,
  ) {
    this.consumer = kafka.consumer({
      groupId: `${options.name}.table.${randomUUID()}`,
      maxWaitTimeInMs: options.maxWaitTimeInMs ?? 50,
      allowAutoTopicCreation: false,
      retry: CONSUMER_RETRY,
    });
    this.decode = { ...options, consumer: options.name };
  }

  get isCaughtUp(): boolean {
    return this.caughtUp;
  }

  async start(admin: {
    fetchTopicOffsets(
      topic: string,
    ): Promise<Array<{ partition: number; high: string; low: string }>>;
  }) {
    for (const topic of this.options.topics) {
      for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) {
        if (BigInt(high) > BigInt(low)) this.targets.set(`${topic}:${partition}`, BigInt(high));
      }
    }
    this.markIfCaughtUp();
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.options.topics], fromBeginning: true });
    this.started = true;
    await this.consumer.run({
      autoCommit: false,
      eachBatch: (payload) => this.processBatch(payload),
    });
  }

  /** Resolves once caught up; rejects after `timeoutMs`. */
  waitUntilCaughtUp(timeoutMs: number): Promise<void> {
    if (this.caughtUp) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.options.name} did not catch up within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.caughtUpWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Readiness gate: throws while the table is still loading. */
  async checkReady(): Promise<void> {
    if (!this.caughtUp)
      throw new Error(`${this.options.name} is still loading ${this.options.topics.join(', ')}`);
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.consumer.disconnect();
  }

  private async processBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const { topic, partition } = batch;
    for (const message of batch.messages) {
      if (message.value === null) {
        this.options.onTombstone?.(topic, message.key?.toString() ?? null);
      } else {
        const consumed = await decodeOrDeadLetter(this.decode, topic, partition, message);
        if (consumed) this.options.onEvent(consumed, message);
      }
      payload.resolveOffset(message.offset);
    }
    await payload.heartbeat();
    if (!this.caughtUp && batch.messages.length > 0) {
      const key = `${topic}:${partition}`;
      const target = this.targets.get(key);
      if (target !== undefined && BigInt(batch.lastOffset()) + 1n >= target)
        this.targets.delete(key);
      this.markIfCaughtUp();
    }
  }

  private markIfCaughtUp(): void {
    if (this.caughtUp || this.targets.size > 0) return;
    this.caughtUp = true;
    this.options.log.info(
      { reader: this.options.name, topics: this.options.topics },
      'table caught up',
    );
    for (const waiter of this.caughtUpWaiters.splice(0)) waiter();
  }
}
