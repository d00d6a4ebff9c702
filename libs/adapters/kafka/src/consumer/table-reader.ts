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
  /**
   * Partitions the caller already holds up to a record (e.g. from a snapshot): reading resumes at
   * that record, which must be the first one read and `matches` (or be gone: compacted away),
   * instead of at the earliest offset. Other partitions are read from the beginning.
   */
  resumeAt?: readonly ResumePoint[];
  /**
   * A partition did not resume on the record its resume point names (the topic was recreated or
   * truncated): nothing of it is applied, and the caller should drop what it holds and read anew.
   */
  onResumeRefused?(point: ResumePoint, reason: string): void;
}

/** Where a partition resumes: the last record the caller applied. */
export interface ResumePoint {
  topic: string;
  partition: number;
  /** Offset of the last record applied; reading resumes there (it is read and applied again). */
  offset: string;
  /** True when `message` (read at `offset`) is the record the caller applied. */
  matches(message: RawMessage): boolean;
}

/** A partition's last applied record. */
export interface TablePosition {
  topic: string;
  partition: number;
  /** Its offset… */
  offset: string;
  /** …and value, as read. */
  value: Buffer | null;
}

/**
 * Reads compacted topics as a table: every partition from the earliest offset (or from a caller's
 * resume point, see `resumeAt`), reports when it has caught up with the high watermarks seen at
 * start (readiness), then keeps tailing with low latency. It never commits offsets: each process
 * rebuilds its table from the topic or from what it kept itself (`positions`).
 */
export class TableReader {
  private readonly consumer: Consumer;
  private readonly decode: DecodeContext;
  /** topic:partition → offset the reader must reach to be caught up. */
  private readonly targets = new Map<string, bigint>();
  private readonly caughtUpWaiters: Array<() => void> = [];
  private caughtUp = false;
  private started = false;
  /** topic:partition → its last applied record, updated after every record. */
  private readonly applied = new Map<string, TablePosition>();
  /** topic:partition → resume points not yet confirmed by the partition's first record. */
  private readonly resuming = new Map<string, ResumePoint>();
  /** Partitions whose resume point was refused: nothing more of them is applied. */
  private readonly refused = new Set<string>();

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
    for (const point of this.options.resumeAt ?? [])
      this.resuming.set(`${point.topic}:${point.partition}`, point);
    const refusedAtStart: Array<[ResumePoint, string]> = [];
    for (const topic of this.options.topics) {
      for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) {
        const key = `${topic}:${partition}`;
        const point = this.resuming.get(key);
        const reason = point && boundsRefusal(point, BigInt(low), BigInt(high));
        if (point && reason) {
          this.resuming.delete(key);
          this.refused.add(key);
          refusedAtStart.push([point, reason]);
        } else if (BigInt(high) > BigInt(low)) {
          this.targets.set(key, BigInt(high));
        }
      }
    }
    for (const [point, reason] of refusedAtStart) this.options.onResumeRefused?.(point, reason);
    this.markIfCaughtUp();
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.options.topics], fromBeginning: true });
    this.started = true;
    // Seeks must follow `run` (which creates the group) and precede its first fetch.
    const running = this.consumer.run({
      autoCommit: false,
      eachBatch: (payload) => this.processBatch(payload),
    });
    for (const { topic, partition, offset } of this.resuming.values())
      this.consumer.seek({ topic, partition, offset });
    await running;
  }

  /** Every partition's last applied record so far: the table the caller holds reflects exactly these. */
  positions(): TablePosition[] {
    return [...this.applied.values()].map((p) => ({ ...p }));
  }

  /** Resolves once caught up; rejects after `timeoutMs`. */
  waitUntilCaughtUp(timeoutMs: number): Promise<void> {
    if (this.caughtUp) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.options.name} did not catch up within ${timeoutMs} ms`)),
        timeoutMs,
      );
      // A waiter never keeps a stopping process alive.
      timer.unref();
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
    const key = `${topic}:${partition}`;
    if (this.refused.has(key)) return;
    const resume = this.resuming.get(key);
    if (resume && batch.messages.length > 0) {
      this.resuming.delete(key);
      const reason = resumeRefusal(resume, batch.messages[0]!);
      if (reason) {
        this.refused.add(key);
        this.options.onResumeRefused?.(resume, reason);
        return;
      }
    }
    for (const message of batch.messages) {
      if (message.value === null) {
        this.options.onTombstone?.(topic, message.key?.toString() ?? null);
      } else {
        const consumed = await decodeOrDeadLetter(this.decode, topic, partition, message);
        if (consumed) this.options.onEvent(consumed, message);
      }
      this.applied.set(key, { topic, partition, offset: message.offset, value: message.value });
      payload.resolveOffset(message.offset);
    }
    // A copy, so the partition's last value does not keep the whole fetch response alive.
    const last = this.applied.get(key);
    if (last?.value) last.value = Buffer.from(last.value);
    await payload.heartbeat();
    if (!this.caughtUp && batch.messages.length > 0) {
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

/** Why a partition cannot resume at `point` given its offsets now, or undefined if it can. */
function boundsRefusal(point: ResumePoint, low: bigint, high: bigint): string | undefined {
  const offset = BigInt(point.offset);
  if (high <= offset)
    return `the partition ends at offset ${high} (before ${point.offset}): it was recreated or truncated`;
  // Records after the resume point that are no longer there would be updates never applied.
  if (low > offset + 1n)
    return `the partition starts at offset ${low}: records after ${point.offset} were deleted`;
  return undefined;
}

/** Why a resumed partition's first record is not where the caller left off, or undefined if it is. */
function resumeRefusal(point: ResumePoint, first: RawMessage): string | undefined {
  const expected = BigInt(point.offset);
  const offset = BigInt(first.offset);
  if (offset > expected) return undefined; // the resume record was compacted away; what follows is newer
  if (offset < expected)
    return `the partition no longer holds offset ${point.offset} (it starts again at ${first.offset})`;
  return point.matches(first)
    ? undefined
    : `the record at offset ${point.offset} is not the one the snapshot applied`;
}
