import type { Kafka, Message, Producer, TopicMessages } from 'kafkajs';
import type { KafkaMetrics } from '../kafka-metrics';

export interface OutgoingMessage {
  topic: string;
  key: string | null;
  value: Buffer;
  headers?: Record<string, Buffer | string>;
}

export interface BatchingProducerOptions {
  /** Names this producer in metrics. */
  name: string;
  /** Most messages per produce request. */
  maxBatchMessages?: number;
  /**
   * Most bytes (keys, values, headers) per produce request, default 768 KiB: the broker refuses a
   * partition's record batch over its `message.max.bytes` (1 MB by default) with
   * MESSAGE_TOO_LARGE, which large records (e.g. RequestMeteredBatch) reach in far fewer than
   * `maxBatchMessages`. A single larger message still goes, alone.
   */
  maxBatchBytes?: number;
  /** How long the first message after a quiet period waits for company (kafkajs has no linger). */
  lingerMs?: number;
  /** Bound on messages held in memory; `send` waits for space beyond it (back-pressure). */
  maxBufferedMessages?: number;
  /** Attempts kafkajs makes per batch before its messages fail. */
  retries?: number;
  metrics: KafkaMetrics;
}

interface Pending {
  message: OutgoingMessage;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * An idempotent (acks=all) producer that batches in our layer: messages are grouped into one
 * produce request by size and linger time, at most one request is in flight (so per-key order is
 * the order of `send` calls), and memory is bounded. `send` resolves once Kafka acknowledged the
 * message and rejects if it could not be written.
 */
export class BatchingProducer {
  private producer: Producer;
  /** Set after a failed batch: the next batch goes through a fresh kafkajs producer. */
  private replaceProducer = false;
  private readonly maxBatch: number;
  private readonly maxBatchBytes: number;
  private readonly lingerMs: number;
  private readonly maxBuffered: number;
  private queue: Pending[] = [];
  private inFlight = 0;
  private draining: Promise<void> | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private spaceWaiters: Array<() => void> = [];
  private connected = false;
  private closing = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: BatchingProducerOptions,
  ) {
    this.maxBatch = options.maxBatchMessages ?? 1_000;
    this.maxBatchBytes = options.maxBatchBytes ?? 768 * 1024;
    this.lingerMs = options.lingerMs ?? 5;
    this.maxBuffered = options.maxBufferedMessages ?? 100_000;
    this.producer = this.newProducer();
  }

  private newProducer(): Producer {
    return this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: {
        retries: this.options.retries ?? 8,
        initialRetryTime: 100,
        maxRetryTime: 2_000,
      },
    });
  }

  /**
   * kafkajs rolls its idempotent sequence numbers back when a produce request fails, even when
   * the broker may have written that batch; the next, different batch can then be acknowledged
   * as a "duplicate" without being written, or fail forever with OUT_OF_ORDER_SEQUENCE_NUMBER.
   * A fresh producer (new producer id, sequences from 0) after any failure avoids both; what the
   * failed batch's callers re-send may then arrive twice, with the same eventIds.
   */
  private async renewProducerAfterFailure(): Promise<void> {
    if (!this.replaceProducer) return;
    this.replaceProducer = false;
    const failed = this.producer;
    this.producer = this.newProducer();
    await failed.disconnect().catch(() => undefined);
    if (this.connected) await this.producer.connect();
  }

  async connect(): Promise<void> {
    await this.producer.connect();
    this.connected = true;
  }

  /** Messages accepted but not yet acknowledged. */
  get pending(): number {
    return this.queue.length + this.inFlight;
  }

  /** True when `send` would have to wait for space. */
  get isFull(): boolean {
    return this.queue.length >= this.maxBuffered;
  }

  async send(message: OutgoingMessage): Promise<void> {
    if (this.closing) throw new Error(`producer ${this.options.name} is shutting down`);
    while (this.isFull) await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ message, resolve, reject });
      this.options.metrics.buffered.set({ producer: this.options.name }, this.queue.length);
      this.schedule();
    });
  }

  /** Sends everything accepted so far and waits for its acknowledgements. */
  async flush(): Promise<void> {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    while (this.queue.length > 0 || this.draining) {
      await (this.draining ?? this.drain());
    }
  }

  /** Stops accepting messages, flushes what is buffered, then disconnects. */
  async disconnect(): Promise<void> {
    this.closing = true;
    try {
      await this.flush();
    } finally {
      if (this.connected) await this.producer.disconnect();
      this.connected = false;
    }
  }

  private schedule(): void {
    if (this.draining) return;
    if (this.queue.length >= this.maxBatch) {
      void this.drain();
    } else if (!this.lingerTimer) {
      this.lingerTimer = setTimeout(() => {
        this.lingerTimer = undefined;
        void this.drain();
      }, this.lingerMs);
    }
  }

  private drain(): Promise<void> {
    this.draining ??= (async () => {
      try {
        // What piles up while a request is in flight goes out in the next one: no extra linger.
        while (this.queue.length > 0)
          await this.sendOneBatch(this.queue.splice(0, this.nextBatchLength()));
      } finally {
        this.draining = undefined;
      }
    })();
    return this.draining;
  }

  /** How many queued messages the next request takes: by count and by bytes, at least one. */
  private nextBatchLength(): number {
    const limit = Math.min(this.queue.length, this.maxBatch);
    let bytes = 0;
    for (let i = 0; i < limit; i++) {
      bytes += messageBytes(this.queue[i]!.message);
      if (bytes > this.maxBatchBytes) return Math.max(1, i);
    }
    return limit;
  }

  private async sendOneBatch(batch: Pending[]): Promise<void> {
    this.inFlight = batch.length;
    this.releaseSpace();
    const byTopic = new Map<string, Message[]>();
    for (const { message } of batch) {
      let messages = byTopic.get(message.topic);
      if (!messages) byTopic.set(message.topic, (messages = []));
      messages.push({ key: message.key, value: message.value, headers: message.headers });
    }
    const topicMessages: TopicMessages[] = [...byTopic].map(([topic, messages]) => ({
      topic,
      messages,
    }));
    const { metrics } = this.options;
    try {
      await this.renewProducerAfterFailure();
      await this.producer.sendBatch({ acks: -1, topicMessages });
      for (const { topic, messages } of topicMessages)
        metrics.produced.inc({ topic }, messages.length);
      metrics.batchSize.observe(batch.length);
      for (const p of batch) p.resolve();
    } catch (err) {
      this.replaceProducer = true;
      for (const { topic, messages } of topicMessages)
        metrics.produceErrors.inc({ topic }, messages.length);
      for (const p of batch) p.reject(err);
    } finally {
      this.inFlight = 0;
      metrics.buffered.set({ producer: this.options.name }, this.queue.length);
    }
  }

  private releaseSpace(): void {
    while (!this.isFull && this.spaceWaiters.length > 0) this.spaceWaiters.shift()!();
  }
}

function messageBytes(message: OutgoingMessage): number {
  let bytes = message.value.length + (message.key === null ? 0 : Buffer.byteLength(message.key));
  for (const name in message.headers) {
    const value = message.headers[name]!;
    bytes += name.length + (typeof value === 'string' ? Buffer.byteLength(value) : value.length);
  }
  return bytes;
}
