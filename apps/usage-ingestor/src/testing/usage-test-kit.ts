import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import {
  EventCodec,
  newEventId,
  TOPICS,
  type Outcome,
  type RequestMetered,
  type RequestMeteredBatch,
} from '@tollgate/events';
import { sampleEvent } from '@tollgate/events/testing';
import {
  BatchingProducer,
  createKafkaConnection,
  EventPublisher,
  kafkaMetrics,
} from '@tollgate/kafka';
import { loadConfig } from '@tollgate/service-runtime';
import { connectDatabase } from '@tollgate/postgres';
import { eventually, infraEnv, isolatedServiceEnv, waitUntilReady } from '@tollgate/test-infra';
import { buildApp } from '../app';
import { UsageIngestorConfig } from '../config';

const OUTCOMES: Outcome[] = [
  'allowed',
  'allowed',
  'allowed',
  'rate_limited',
  'quota_exceeded',
  'invalid',
  'forbidden',
];

/** Deterministic-enough synthetic traffic over a few accounts, keys, routes and minutes. */
export function makeEvents(
  count: number,
  options: { accounts?: string[]; start?: number; spreadMs?: number } = {},
): RequestMetered[] {
  const accounts = options.accounts ?? [
    'acct_01JDQ3W8Y6T4K2M9N7P5R3S1A1',
    'acct_01JDQ3W8Y6T4K2M9N7P5R3S1A2',
  ];
  const spread = options.spreadMs ?? 5 * 60_000;
  const start = options.start ?? Date.now() - spread;
  return Array.from({ length: count }, (_, i) => {
    const outcome = OUTCOMES[i % OUTCOMES.length]!;
    const accountId = accounts[i % accounts.length]!;
    return sampleEvent('RequestMetered', {
      eventId: newEventId(),
      // Out of order on purpose: later events may carry earlier timestamps.
      occurredAt: start + ((i * 7_919) % spread),
      accountId: outcome === 'invalid' ? null : accountId,
      keyId: outcome === 'invalid' ? null : `key_01JDQ3W8Y6T4K2M9N7P5R3S1K${i % 3}`,
      env: outcome === 'invalid' ? null : i % 5 === 0 ? 'test' : 'live',
      route: ['orders.list', 'orders.create', 'users.get'][i % 3]!,
      outcome,
      costUnits: 1 + (i % 3),
    });
  });
}

/** The events in RequestMeteredBatch records of `size` events, as edge-auth's metering thread writes them. */
export function batchesOf(events: readonly RequestMetered[], size: number): RequestMeteredBatch[] {
  const batches: RequestMeteredBatch[] = [];
  for (let i = 0; i < events.length; i += size)
    batches.push({
      eventId: newEventId(),
      occurredAt: events[i]!.occurredAt,
      producer: 'edge-auth',
      schemaVersion: 1,
      edgeInstanceId: 'edge-auth-0',
      events: events.slice(i, i + size),
    });
  return batches;
}

export interface Totals {
  requests: number;
  costUnits: number;
  byAccountOutcome: Record<string, number>;
}

export function expectedTotals(events: readonly RequestMetered[]): Totals {
  const unique = new Map(events.map((e) => [e.eventId, e]));
  const totals: Totals = { requests: 0, costUnits: 0, byAccountOutcome: {} };
  for (const e of unique.values()) {
    totals.requests += 1;
    totals.costUnits += e.costUnits;
    const key = `${e.accountId ?? ''}/${e.outcome}/${e.env ?? ''}`;
    totals.byAccountOutcome[key] = (totals.byAccountOutcome[key] ?? 0) + 1;
  }
  return totals;
}

export interface IngestorUnderTest {
  env: Record<string, string>;
  config: UsageIngestorConfig;
  usageTopic: string;
  deadLetterTopic: string;
  /** Starts an in-process app (ingestor + API) on the shared schema and topics. */
  startApp(options?: { now?: () => number; logger?: Logger }): Promise<FastifyInstance>;
  produce(events: readonly RequestMetered[]): Promise<void>;
  /** One Kafka record per batch; a batch produced again is the same bytes (a spool replay). */
  produceBatches(batches: readonly RequestMeteredBatch[]): Promise<void>;
  produceRaw(value: Buffer, headers?: Record<string, string>): Promise<void>;
  totals(): Promise<Totals>;
  /** How many record ids the dedupe window holds. */
  seenIds(): Promise<number>;
  waitForRequests(count: number, timeoutMs?: number): Promise<Totals>;
  /**
   * Waits until the ingestor has applied every record on the usage topic (its stored offsets reach
   * the topic's end), so totals read afterwards are final: nothing still in flight can add to them.
   */
  waitForCaughtUp(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Real Kafka topics and a Postgres schema of its own for one test file; apps and producers on top.
 * `overrides` change the environment, e.g. `KAFKA_BROKERS` of a private broker.
 */
export async function usageTestKit(
  name: string,
  overrides: Record<string, string> = {},
): Promise<IngestorUnderTest> {
  const isolated = isolatedServiceEnv(name);
  const env = {
    ...infraEnv(),
    ...isolated.env,
    CONSUMER_GROUP: isolated.env.DATABASE_SCHEMA,
    INGEST_MAX_WAIT_MS: '50',
    CONSUMER_SESSION_TIMEOUT_MS: '6000',
    LOG_LEVEL: 'warn',
    ...overrides,
  };
  const config = loadConfig(UsageIngestorConfig, env);
  const usageTopic = config.KAFKA_TOPIC_PREFIX + TOPICS.usage.name;
  const deadLetterTopic = config.KAFKA_TOPIC_PREFIX + TOPICS.deadLetters.name;
  const kafka = createKafkaConnection({ brokers: config.KAFKA_BROKERS, clientId: name });
  const producer = new BatchingProducer(kafka.kafka, {
    name,
    metrics: kafkaMetrics(new Registry()),
  });
  const publisher = new EventPublisher(producer, new EventCodec(), {
    RequestMetered: usageTopic,
    RequestMeteredBatch: usageTopic,
  });
  const { db } = await connectDatabase({
    databaseUrl: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    migrations: [],
    maxConnections: 2,
  });
  const apps: FastifyInstance[] = [];
  let producerReady: Promise<void> | undefined;

  async function totals(): Promise<Totals> {
    const rows = await db.sql.query<{
      account_id: string;
      outcome: string;
      env: string;
      requests: string;
      cost_units: string;
    }>(
      'select account_id, outcome, env, sum(requests)::text as requests, sum(cost_units)::text as cost_units from usage_minute group by 1, 2, 3',
    );
    const result: Totals = { requests: 0, costUnits: 0, byAccountOutcome: {} };
    for (const r of rows) {
      result.requests += Number(r.requests);
      result.costUnits += Number(r.cost_units);
      result.byAccountOutcome[`${r.account_id}/${r.outcome}/${r.env}`] = Number(r.requests);
    }
    return result;
  }

  return {
    env,
    config,
    usageTopic,
    deadLetterTopic,
    async startApp(options = {}) {
      const app = await buildApp({ config, ...options });
      apps.push(app);
      await waitUntilReady(app);
      return app;
    },
    async produce(events) {
      await (producerReady ??= producer.connect());
      await Promise.all(events.map((e) => publisher.publish('RequestMetered', e)));
    },
    async produceBatches(batches) {
      await (producerReady ??= producer.connect());
      await Promise.all(batches.map((b) => publisher.publish('RequestMeteredBatch', b)));
    },
    async produceRaw(value, headers) {
      await (producerReady ??= producer.connect());
      await producer.send({ topic: usageTopic, key: 'poison', value, headers });
    },
    totals,
    async seenIds() {
      const [row] = await db.sql.query<{ n: string }>(
        'select count(*)::text as n from seen_events',
      );
      return Number(row!.n);
    },
    async waitForRequests(count, timeoutMs = 60_000) {
      let current = await totals();
      await eventually(
        async () => (current = await totals()).requests >= count,
        timeoutMs,
        () => `${count} requests counted (${current.requests} so far)`,
      );
      return current;
    },
    async waitForCaughtUp(timeoutMs = 60_000) {
      const ends = await (await kafka.admin()).fetchTopicOffsets(usageTopic);
      let behind: string[] = [];
      await eventually(
        async () => {
          const stored = await db.sql.query<{ partition: number; next_offset: string }>(
            'select partition, next_offset::text from consumer_offsets where topic = ?',
            [usageTopic],
          );
          const next = new Map(stored.map((r) => [r.partition, BigInt(r.next_offset)]));
          behind = ends
            .filter((e) => (next.get(e.partition) ?? 0n) < BigInt(e.high))
            .map((e) => `${e.partition}: ${next.get(e.partition) ?? 0n}/${e.high}`);
          return behind.length === 0;
        },
        timeoutMs,
        () => `the ingestor to apply the whole usage topic (behind: ${behind.join(', ')})`,
      );
    },
    async close() {
      for (const app of apps) await app.close();
      await producer.disconnect();
      await kafka.close();
      await db.close();
      await isolated.cleanup();
    },
  };
}
