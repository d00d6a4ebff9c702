import type { FastifyInstance } from 'fastify';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { EventCodec, type TollgateEvent } from '@tollgate/events';
import { connectDatabase, type Database } from '@tollgate/postgres';
import { loadConfig } from '@tollgate/service-runtime';
import {
  captureLogs,
  eventually,
  infraEnv,
  isolatedServiceEnv,
  testEndpoints,
  uniqueName,
  waitUntilReady,
} from '@tollgate/test-infra';
import { buildApp } from '../app';
import { KeyServiceConfig } from '../config';

export interface KeyServiceUnderTest {
  app: FastifyInstance;
  config: KeyServiceConfig;
  /** Every log line the app wrote. */
  logs: string[];
  /** The app's schema, for tests that read tables or run their own relay on it. */
  db: Database;
  keysTopic: string;
  plansTopic: string;
  accountsTopic: string;
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * key-service on real Postgres (its own fresh schema) and real Kafka (uniquely prefixed topics).
 * `now` is the app's clock (commands and key statuses); tests that depend on time pass their own.
 * `waitUntilReady: false` returns at once, for tests of an app that cannot become ready.
 */
export async function startKeyService(
  overrides: Record<string, string> = {},
  options: { now?: () => number; waitUntilReady?: boolean } = {},
): Promise<KeyServiceUnderTest> {
  const isolated = isolatedServiceEnv('ks');
  const env = {
    ...infraEnv(),
    ...isolated.env,
    OUTBOX_POLL_MS: '20',
    LOG_LEVEL: 'info',
    ...overrides,
  };
  const config = loadConfig(KeyServiceConfig, env);
  const { logger, lines: logs } = captureLogs('key-service');
  const app = await buildApp({ config, logger, ...(options.now ? { now: options.now } : {}) });
  if (options.waitUntilReady !== false) await waitUntilReady(app);
  const { db } = await connectDatabase({
    databaseUrl: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    migrations: [],
  });
  return {
    app,
    config,
    logs,
    db,
    env,
    keysTopic: `${config.KAFKA_TOPIC_PREFIX}tollgate.keys.v1`,
    plansTopic: `${config.KAFKA_TOPIC_PREFIX}tollgate.plans.v1`,
    accountsTopic: `${config.KAFKA_TOPIC_PREFIX}tollgate.accounts.v1`,
    async close() {
      await app.close();
      await db.close();
      await isolated.cleanup();
    },
  };
}

function kafkaClient() {
  return new Kafka({
    clientId: uniqueName('ks-test'),
    brokers: testEndpoints().kafkaBrokers,
    logLevel: logLevel.NOTHING,
  });
}

export interface TopicCollector {
  events: Array<TollgateEvent & { raw: Buffer }>;
  waitFor(predicate: (events: TollgateEvent[]) => boolean, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Collects (and decodes) everything on the given topics from the beginning, until stopped. */
export async function collectTopics(topics: string[]): Promise<TopicCollector> {
  const codec = new EventCodec();
  const consumer: Consumer = kafkaClient().consumer({
    groupId: uniqueName('collector'),
    maxWaitTimeInMs: 50,
  });
  await consumer.connect();
  // The relay creates topics on first publish; wait for them rather than subscribe to nothing.
  const admin = kafkaClient().admin();
  await admin.connect();
  await eventually(
    async () =>
      (await admin.listTopics()).filter((t) => topics.includes(t)).length === topics.length,
    15_000,
    `topics ${topics.join(', ')} to be created`,
  );
  await admin.disconnect();
  await consumer.subscribe({ topics, fromBeginning: true });
  const events: TopicCollector['events'] = [];
  await consumer.run({
    eachMessage: async ({ message }) => {
      events.push({ ...codec.decode(message.headers, message.value), raw: message.value! });
    },
  });
  return {
    events,
    waitFor: (predicate, timeoutMs = 15_000) =>
      eventually(
        () => predicate(events),
        timeoutMs,
        () => `events on ${topics.join(', ')} (${events.length} seen)`,
      ),
    stop: () => consumer.disconnect(),
  };
}
