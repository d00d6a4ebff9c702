// Child process for event-consumer.int.test.ts: a group member that applies events and SIGKILLs
// itself in the middle of a batch, after its effects but before the offset commit.
import pg from 'pg';
import { Registry } from 'prom-client';
import { EventCodec } from '@tollgate/events';
import { createKafkaConnection } from '../kafka-connection';
import { kafkaMetrics } from '../kafka-metrics';
import { applyEffect } from '../testing/dedupe-effect';
import { DeadLetterSink } from './dead-letters';
import { EventConsumer } from './event-consumer';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const killAfter = Number(env('KILL_AFTER'));
const pool = new pg.Pool({ connectionString: env('DATABASE_URL') });
const connection = createKafkaConnection({
  brokers: env('KAFKA_BROKERS').split(','),
  clientId: 'crash-consumer',
});
const quiet = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
};
let applied = 0;

const consumer = new EventConsumer(connection.kafka, {
  groupId: env('GROUP_ID'),
  topics: [env('TOPIC')],
  codec: new EventCodec(),
  deadLetters: new DeadLetterSink(connection.kafka, env('DLQ_TOPIC')),
  metrics: kafkaMetrics(new Registry()),
  log: quiet,
  // The group waits this long for a dead member before handing its partitions to the next one.
  sessionTimeoutMs: 6_000,
  handleBatch: async (events) => {
    for (const { event } of events) {
      await applyEffect(pool, event.payload.eventId);
      if (++applied === killAfter) process.kill(process.pid, 'SIGKILL');
    }
  },
});
await consumer.start();
