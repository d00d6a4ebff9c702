import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { EventCodec, type TollgateEvent } from '@tollgate/events';
import { createLogger, loadConfig } from '@tollgate/service-runtime';
import { infraEnv, isolatedServiceEnv, testEndpoints, uniqueName } from '@tollgate/test-infra';
import { buildApp } from '../app';
import { KeyServiceConfig } from '../config';

export interface KeyServiceUnderTest {
  app: FastifyInstance;
  config: KeyServiceConfig;
  /** Every log line the app wrote. */
  logs: string[];
  keysTopic: string;
  plansTopic: string;
  accountsTopic: string;
  env: Record<string, string>;
  close(): Promise<void>;
}

/** key-service on real Postgres (its own fresh schema) and real Kafka (uniquely prefixed topics). */
export async function startKeyService(
  overrides: Record<string, string> = {},
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
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const app = await buildApp({
    config,
    logger: createLogger({ service: 'key-service', level: 'info', destination }),
  });
  await app.ready();
  const deadline = Date.now() + 20_000;
  while ((await app.inject('/readyz')).statusCode !== 200) {
    if (Date.now() > deadline)
      throw new Error(`key-service not ready: ${(await app.inject('/readyz')).body}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    app,
    config,
    logs,
    env,
    keysTopic: `${config.KAFKA_TOPIC_PREFIX}tollgate.keys.v1`,
    plansTopic: `${config.KAFKA_TOPIC_PREFIX}tollgate.plans.v1`,
    accountsTopic: `${config.KAFKA_TOPIC_PREFIX}tollgate.accounts.v1`,
    async close() {
      await app.close();
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
  const deadline = Date.now() + 15_000;
  while ((await admin.listTopics()).filter((t) => topics.includes(t)).length < topics.length) {
    if (Date.now() > deadline) throw new Error(`topics ${topics.join(', ')} were never created`);
    await new Promise((r) => setTimeout(r, 100));
  }
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
    async waitFor(predicate, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      while (!predicate(events)) {
        if (Date.now() > until)
          throw new Error(
            `timed out waiting on ${topics.join(', ')} (${events.length} events seen)`,
          );
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    stop: () => consumer.disconnect(),
  };
}
