import type { FastifyInstance } from 'fastify';
import type { Consumer } from 'kafkajs';
import { Registry } from 'prom-client';
import {
  EventCodec,
  newEventId,
  TOPICS,
  type AccountStatusChanged,
  type PlanChanged,
  type PlanSnapshot,
  type TollgateEvent,
} from '@tollgate/events';
import { sampleEvent } from '@tollgate/events/testing';
import {
  BatchingProducer,
  createKafkaConnection,
  EventPublisher,
  kafkaMetrics,
} from '@tollgate/kafka';
import { connectDatabase } from '@tollgate/postgres';
import { loadConfig } from '@tollgate/service-runtime';
import { eventually, infraEnv, isolatedServiceEnv, waitUntilReady } from '@tollgate/test-infra';
import { buildApp } from '../app';
import { BillingServiceConfig } from '../config';

export interface BillingUnderTest {
  env: Record<string, string>;
  config: BillingServiceConfig;
  billingTopic: string;
  /** An in-process app on this kit's schema and topics, with the test's clock. */
  startApp(options: { now: () => number; env?: Record<string, string> }): Promise<FastifyInstance>;
  /** Publishes to the plans and accounts topics, as key-service's relay does. */
  publish(events: readonly TollgateEvent[]): Promise<void>;
  /** Waits until the timeline holds `count` entries (any account). */
  waitForTimeline(count: number): Promise<void>;
  timelineCount(): Promise<number>;
  /** Every event on the billing topic so far. */
  billingEvents(): TollgateEvent[];
  close(): Promise<void>;
}

/** A plan snapshot with a price, for PlanChanged fixtures. */
export function pricedPlan(
  planId: string,
  version: number,
  pricing: NonNullable<PlanSnapshot['pricing']>,
  currency = 'EUR',
): PlanSnapshot {
  return {
    ...sampleEvent('PlanChanged').plan,
    planId,
    version,
    name: planId.slice('plan_'.length),
    priceRef: `${planId}@v${version}`,
    currency,
    pricing,
  };
}

export function planChanged(
  accountId: string,
  plan: PlanSnapshot,
  effectiveAt: number,
  occurredAt = effectiveAt,
): TollgateEvent {
  const payload: PlanChanged = {
    ...sampleEvent('PlanChanged'),
    eventId: newEventId(occurredAt),
    occurredAt,
    accountId,
    planId: plan.planId,
    planVersion: plan.version,
    plan,
    previousPlan: null,
    effectiveAt,
  };
  return { type: 'PlanChanged', payload };
}

export function statusChanged(
  accountId: string,
  status: 'active' | 'suspended',
  at: number,
): TollgateEvent {
  const payload: AccountStatusChanged = {
    ...sampleEvent('AccountStatusChanged'),
    eventId: newEventId(at),
    occurredAt: at,
    accountId,
    status,
    reason: status === 'suspended' ? 'test' : null,
  };
  return { type: 'AccountStatusChanged', payload };
}

/** Real Kafka topics and a Postgres schema of its own for one test file. */
export async function billingTestKit(
  name: string,
  options: { usageIngestorUrl?: string } = {},
): Promise<BillingUnderTest> {
  const isolated = isolatedServiceEnv(name);
  const env: Record<string, string> = {
    ...infraEnv(),
    ...isolated.env,
    CONSUMER_GROUP: isolated.env.DATABASE_SCHEMA,
    // Tests drive the closing worker themselves, with their own clock.
    PERIOD_CLOSING_ENABLED: 'false',
    OUTBOX_POLL_MS: '20',
    LOG_LEVEL: 'warn',
    ...(options.usageIngestorUrl ? { USAGE_INGESTOR_URL: options.usageIngestorUrl } : {}),
  };
  const config = loadConfig(BillingServiceConfig, env);
  const prefix = config.KAFKA_TOPIC_PREFIX;
  const billingTopic = prefix + TOPICS.billing.name;
  const kafka = createKafkaConnection({ brokers: config.KAFKA_BROKERS, clientId: name });
  const producer = new BatchingProducer(kafka.kafka, {
    name,
    metrics: kafkaMetrics(new Registry()),
  });
  const codec = new EventCodec();
  const publisher = new EventPublisher(producer, codec, {
    PlanChanged: prefix + TOPICS.plans.name,
    AccountStatusChanged: prefix + TOPICS.accounts.name,
  });
  const { db } = await connectDatabase({
    databaseUrl: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    migrations: [],
    maxConnections: 2,
  });
  const apps: FastifyInstance[] = [];
  const seen: TollgateEvent[] = [];
  let collector: Consumer | undefined;
  let producerReady: Promise<void> | undefined;

  const timelineCount = async () => {
    const [row] = await db.sql.query<{ n: string }>(
      'select count(*)::text as n from timeline_entries',
    );
    return Number(row?.n ?? 0);
  };

  return {
    env,
    config,
    billingTopic,
    async startApp({ now, env: extra }) {
      const app = await buildApp({
        config: extra ? loadConfig(BillingServiceConfig, { ...env, ...extra }) : config,
        now,
      });
      apps.push(app);
      await waitUntilReady(app);
      if (!collector) {
        collector = kafka.kafka.consumer({ groupId: `${isolated.env.DATABASE_SCHEMA}-collector` });
        await collector.connect();
        await eventually(
          async () => (await (await kafka.admin()).listTopics()).includes(billingTopic),
          20_000,
          () => `topic ${billingTopic} provisioned`,
        );
        await collector.subscribe({ topic: billingTopic, fromBeginning: true });
        await collector.run({
          eachMessage: async ({ message }) => {
            seen.push(codec.decode(message.headers, message.value));
          },
        });
      }
      return app;
    },
    async publish(events) {
      await (producerReady ??= producer.connect());
      await Promise.all(events.map((e) => publisher.publish(e.type, e.payload as never)));
    },
    timelineCount,
    async waitForTimeline(count) {
      let current = 0;
      await eventually(
        async () => (current = await timelineCount()) >= count,
        30_000,
        () => `${count} timeline entries (${current} so far)`,
      );
    },
    billingEvents: () => [...seen],
    async close() {
      await collector?.disconnect();
      for (const app of apps) await app.close();
      await producer.disconnect();
      await kafka.close();
      await db.close();
      await isolated.cleanup();
    },
  };
}
