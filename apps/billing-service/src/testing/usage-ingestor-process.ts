import { Registry } from 'prom-client';
import { EventCodec, TOPICS, type RequestMetered } from '@tollgate/events';
import {
  BatchingProducer,
  createKafkaConnection,
  EventPublisher,
  kafkaMetrics,
} from '@tollgate/kafka';
import {
  buildServiceArtifact,
  infraEnv,
  isolatedServiceEnv,
  startServiceProcess,
  type ServiceProcess,
} from '@tollgate/test-infra';

/** billing-service's credential toward the usage-ingestor under test. */
export const BILLING_CREDENTIAL = 'billing-service-test-credential-0123456789';

export interface UsageIngestorProcess {
  url: string;
  /** Publishes RequestMetered events to the ingestor's usage topic through real Kafka. */
  produce(events: readonly RequestMetered[]): Promise<void>;
  /** GET on the ingestor with billing-service's credential. */
  get<T>(path: string): Promise<T>;
  stop(): Promise<void>;
}

/**
 * A real usage-ingestor (its built artifact, as deployed) on its own schema, reading the usage
 * topic under `topicPrefix`, accepting only billing-service's credential. billing-service may not
 * import another app, so its tests run the ingestor the way production does: as a process.
 */
export async function startUsageIngestor(topicPrefix: string): Promise<UsageIngestorProcess> {
  const isolated = isolatedServiceEnv('billing_usage');
  const artifact = await buildServiceArtifact('apps/usage-ingestor');
  let service: ServiceProcess | undefined;
  const kafka = createKafkaConnection({
    brokers: infraEnv().KAFKA_BROKERS!.split(','),
    clientId: 'billing-usage',
  });
  const producer = new BatchingProducer(kafka.kafka, {
    name: 'billing-usage',
    metrics: kafkaMetrics(new Registry()),
  });
  const usageTopic = topicPrefix + TOPICS.usage.name;
  const publisher = new EventPublisher(producer, new EventCodec(), { RequestMetered: usageTopic });
  try {
    service = await startServiceProcess(
      artifact.entry,
      {
        ...infraEnv(),
        DATABASE_SCHEMA: isolated.env.DATABASE_SCHEMA,
        KAFKA_TOPIC_PREFIX: topicPrefix,
        CONSUMER_GROUP: isolated.env.DATABASE_SCHEMA,
        INGEST_MAX_WAIT_MS: '50',
        SERVICE_TOKENS: `billing-service:${BILLING_CREDENTIAL}`,
        // startServiceProcess waits for the "Server listening" info line.
        LOG_LEVEL: 'info',
      },
      60_000,
    );
    await service.ready(60_000);
    await producer.connect();
  } catch (err) {
    await service?.stop();
    await artifact.remove();
    await isolated.cleanup();
    throw err;
  }
  const running = service;
  return {
    url: running.url,
    async produce(events) {
      await Promise.all(events.map((e) => publisher.publish('RequestMetered', e)));
    },
    async get<T>(path: string) {
      const res = await fetch(new URL(path, running.url), {
        headers: { authorization: `Bearer ${BILLING_CREDENTIAL}` },
      });
      if (!res.ok) throw new Error(`GET ${path} → ${res.status}: ${await res.text()}`);
      return (await res.json()) as T;
    },
    async stop() {
      await producer.disconnect();
      await kafka.close();
      await running.stop();
      await artifact.remove();
      await isolated.cleanup();
    },
  };
}
