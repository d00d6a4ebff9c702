// Child process for outbox-relay.int.test.ts: a relay that SIGKILLs itself after Kafka acknowledged
// its Nth batch but before it recorded its position (the worst moment for duplicates).
import { Registry } from 'prom-client';
import { EventCodec } from '@tollgate/events';
import { createKafkaConnection, kafkaMetrics } from '@tollgate/kafka';
import { connectDatabase, OutboxRelay } from '@tollgate/postgres';
import { createOutboxPublisher } from './outbox-publisher';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
};

const killAfterBatches = Number(env('KILL_AFTER_BATCHES'));
const kafka = createKafkaConnection({
  brokers: env('KAFKA_BROKERS').split(','),
  clientId: 'crash-relay',
});
const publisher = createOutboxPublisher(kafka, new EventCodec(), kafkaMetrics(new Registry()), {
  replicationFactor: 1,
  topicPrefix: env('KAFKA_TOPIC_PREFIX'),
});
let batches = 0;
const quiet = {
  info: () => undefined,
  warn: () => undefined,
  error: (obj: object) => console.error(obj),
};
const { db } = await connectDatabase({
  databaseUrl: env('DATABASE_URL'),
  schema: env('DATABASE_SCHEMA'),
  migrations: [],
});
new OutboxRelay({
  applicationName: 'key-service-outbox-relay',
  db,
  batchSize: Number(env('BATCH_SIZE')),
  log: quiet,
  publish: async (events) => {
    await publisher.publish(events);
    if (++batches === killAfterBatches) process.kill(process.pid, 'SIGKILL');
  },
}).start();
