import type { Admin } from 'kafkajs';
import { TOPICS, type EventCodec, type TollgateEvent } from '@tollgate/events';
import {
  BatchingProducer,
  EventPublisher,
  provisionTopics,
  type KafkaConnection,
  type KafkaMetrics,
} from '@tollgate/kafka';

/**
 * The relay's way to Kafka: provisions the keys, plans and accounts topics once (retried after a failure),
 * then publishes a batch of outbox events and resolves when every one was acknowledged.
 */
export function createOutboxPublisher(
  kafka: KafkaConnection,
  codec: EventCodec,
  metrics: KafkaMetrics,
  options: { replicationFactor: number; topicPrefix: string },
) {
  const topics = [TOPICS.keys, TOPICS.plans, TOPICS.accounts].map((spec) => ({
    ...spec,
    name: options.topicPrefix + spec.name,
  }));
  const producer = new BatchingProducer(kafka.kafka, { name: 'outbox', metrics });
  const publisher = new EventPublisher(
    producer,
    codec,
    Object.fromEntries(topics.flatMap((spec) => spec.events.map((type) => [type, spec.name]))),
  );
  let ready: Promise<void> | undefined;

  const prepare = () =>
    (ready ??= (async () => {
      const admin: Admin = await kafka.admin();
      await provisionTopics(admin, topics, { replicationFactor: options.replicationFactor });
      await producer.connect();
    })().catch((err: unknown) => {
      ready = undefined;
      throw err;
    }));

  return {
    async publish(events: TollgateEvent[]): Promise<void> {
      await prepare();
      await Promise.all(events.map((e) => publisher.publish(e.type, e.payload as never)));
    },
    close: () => producer.disconnect(),
  };
}
