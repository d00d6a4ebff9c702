import { TOPICS, type EventCodec } from '@tollgate/events';
import {
  DeadLetterSink,
  EventConsumer,
  provisionTopics,
  type KafkaConnection,
  type KafkaLogSink,
  type KafkaMetrics,
} from '@tollgate/kafka';
import type { Database } from '@tollgate/postgres';
import { Counter, type Registry } from 'prom-client';
import { pruneDedupeWindow, writeUsageBatch, type UsageRecord } from '../persistence/usage-writer';
import { aggregateUsage } from './usage-aggregation';

export interface UsageIngestorOptions {
  db: Database;
  kafka: KafkaConnection;
  codec: EventCodec;
  metrics: KafkaMetrics;
  registry: Registry;
  log: KafkaLogSink;
  groupId: string;
  topicPrefix: string;
  replicationFactor: number;
  dedupeWindowHours: number;
  /** How often ids older than the dedupe window are deleted. */
  pruneIntervalMs: number;
  maxWaitTimeInMs: number;
  minBytes?: number;
  sessionTimeoutMs: number;
  concurrency: number;
  now: () => number;
}

/**
 * The consumer-group member that turns RequestMetered into minute aggregates. Offsets live in
 * Postgres with the aggregates (see writeUsageBatch); Kafka's committed offsets, written after the
 * database commit, only tell a restarted member roughly where to resume.
 */
export class UsageIngestor {
  private consumer: EventConsumer | undefined;
  private deadLetters: DeadLetterSink | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private readonly counted: Counter<'result'>;

  constructor(private readonly options: UsageIngestorOptions) {
    this.counted =
      (options.registry.getSingleMetric('usage_events_total') as Counter<'result'> | undefined) ??
      new Counter({
        name: 'usage_events_total',
        help: 'RequestMetered events (single or in batch records) by result: counted, or skipped as already applied / duplicate',
        labelNames: ['result'] as const,
        registers: [options.registry],
      });
  }

  get usageTopic(): string {
    return this.options.topicPrefix + TOPICS.usage.name;
  }

  async start(): Promise<void> {
    const { kafka, codec, metrics, log } = this.options;
    const admin = await kafka.admin();
    const deadLetterTopic = this.options.topicPrefix + TOPICS.deadLetters.name;
    await provisionTopics(
      admin,
      [
        { ...TOPICS.usage, name: this.usageTopic },
        { ...TOPICS.deadLetters, name: deadLetterTopic },
      ],
      { replicationFactor: this.options.replicationFactor },
    );
    this.deadLetters = new DeadLetterSink(kafka.kafka, deadLetterTopic);
    this.consumer = new EventConsumer(kafka.kafka, {
      groupId: this.options.groupId,
      topics: [this.usageTopic],
      codec,
      deadLetters: this.deadLetters,
      metrics,
      log,
      maxWaitTimeInMs: this.options.maxWaitTimeInMs,
      ...(this.options.minBytes ? { minBytes: this.options.minBytes } : {}),
      sessionTimeoutMs: this.options.sessionTimeoutMs,
      partitionsConsumedConcurrently: this.options.concurrency,
      handleBatch: async (events, { topic, partition }) => {
        // edge-auth writes RequestMeteredBatch records; single RequestMetered records stay
        // readable. A record is deduplicated by its own eventId: a batch re-sent whole (a spool
        // replay, a retried send) counts once, with one dedupe row for all its events.
        const records: UsageRecord[] = [];
        for (const { event, offset } of events) {
          if (event.type === 'RequestMetered')
            records.push({ offset, dedupeId: event.payload.eventId, events: [event.payload] });
          else if (event.type === 'RequestMeteredBatch')
            records.push({ offset, dedupeId: event.payload.eventId, events: event.payload.events });
        }
        const ingestedAt = this.options.now();
        const result = await writeUsageBatch(
          this.options.db,
          { topic, partition, records, seenAt: ingestedAt },
          (counted) => aggregateUsage(counted, ingestedAt),
        );
        this.counted.inc({ result: 'counted' }, result.counted);
        this.counted.inc({ result: 'already_applied' }, result.skippedByOffset);
        this.counted.inc({ result: 'duplicate' }, result.skippedAsDuplicate);
      },
    });
    await this.consumer.start();
    this.pruneTimer = setInterval(() => {
      pruneDedupeWindow(this.options.db, this.options.dedupeWindowHours, this.options.now()).catch(
        (err: unknown) => log.warn({ err }, 'pruning the dedupe window failed'),
      );
    }, this.options.pruneIntervalMs);
    this.pruneTimer.unref();
  }

  /** Finishes and commits the batch in progress, then leaves the group. */
  async stop(): Promise<void> {
    clearInterval(this.pruneTimer);
    await this.consumer?.stop();
    await this.deadLetters?.close();
  }
}
