import { TOPICS, type EventCodec, type TollgateEvent } from '@tollgate/events';
import {
  BatchingProducer,
  EventPublisher,
  provisionTopics,
  type KafkaConnection,
  type KafkaMetrics,
} from '@tollgate/kafka';

/**
 * The outbox relay's way to Kafka: provisions the billing topic once (retried after a failure),
 * then publishes a batch of InvoiceFinalized / PaymentFailed events and resolves when every one
 * was acknowledged.
 */
export function createBillingPublisher(
  kafka: KafkaConnection,
  codec: EventCodec,
  metrics: KafkaMetrics,
  options: { replicationFactor: number; topicPrefix: string },
) {
  const topic = { ...TOPICS.billing, name: options.topicPrefix + TOPICS.billing.name };
  const producer = new BatchingProducer(kafka.kafka, { name: 'outbox', metrics });
  const publisher = new EventPublisher(
    producer,
    codec,
    Object.fromEntries(topic.events.map((type) => [type, topic.name])),
  );
  let ready: Promise<void> | undefined;
  const prepare = () =>
    (ready ??= (async () => {
      await provisionTopics(await kafka.admin(), [topic], {
        replicationFactor: options.replicationFactor,
      });
      await producer.connect();
    })().catch((err: unknown) => {
      ready = undefined;
      throw err;
    }));

  return {
    topic: topic.name,
    /** Provisions the topic and connects, so consumers can subscribe before the first invoice. */
    prepare,
    async publish(events: TollgateEvent[]): Promise<void> {
      await prepare();
      await Promise.all(events.map((e) => publisher.publish(e.type, e.payload as never)));
    },
    close: () => producer.disconnect(),
  };
}
