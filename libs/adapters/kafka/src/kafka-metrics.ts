import { Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';

function getOrCreate<T extends Metric>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

/** Kafka client metrics, registered once per registry however many producers/consumers share it. */
export function kafkaMetrics(registry: Registry = new Registry()) {
  const registers = [registry];
  return {
    produced: getOrCreate(
      registry,
      'kafka_producer_messages_total',
      () =>
        new Counter({
          name: 'kafka_producer_messages_total',
          help: 'Messages acknowledged by Kafka',
          labelNames: ['topic'],
          registers,
        }),
    ),
    produceErrors: getOrCreate(
      registry,
      'kafka_producer_errors_total',
      () =>
        new Counter({
          name: 'kafka_producer_errors_total',
          help: 'Messages whose send failed after retries',
          labelNames: ['topic'],
          registers,
        }),
    ),
    buffered: getOrCreate(
      registry,
      'kafka_producer_buffered_messages',
      () =>
        new Gauge({
          name: 'kafka_producer_buffered_messages',
          help: 'Messages waiting to be sent',
          labelNames: ['producer'],
          registers,
        }),
    ),
    batchSize: getOrCreate(
      registry,
      'kafka_producer_batch_messages',
      () =>
        new Histogram({
          name: 'kafka_producer_batch_messages',
          help: 'Messages per produce request',
          buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000],
          registers,
        }),
    ),
    consumed: getOrCreate(
      registry,
      'kafka_consumer_events_total',
      () =>
        new Counter({
          name: 'kafka_consumer_events_total',
          help: 'Events decoded and handled',
          labelNames: ['group', 'topic'],
          registers,
        }),
    ),
    deadLettered: getOrCreate(
      registry,
      'kafka_consumer_dead_letters_total',
      () =>
        new Counter({
          name: 'kafka_consumer_dead_letters_total',
          help: 'Messages sent to the dead-letter topic',
          labelNames: ['group', 'topic', 'reason'],
          registers,
        }),
    ),
    lag: getOrCreate(
      registry,
      'kafka_consumer_lag_messages',
      () =>
        new Gauge({
          name: 'kafka_consumer_lag_messages',
          help: 'Messages behind the high watermark, per partition, after the last batch',
          labelNames: ['group', 'topic', 'partition'],
          registers,
        }),
    ),
  };
}

export type KafkaMetrics = ReturnType<typeof kafkaMetrics>;
