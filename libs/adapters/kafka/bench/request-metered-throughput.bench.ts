// Encode+produce and consume+decode throughput of RequestMetered on the local broker, next to a
// raw kafkajs baseline (same bytes, same producer settings, no codec, no batching layer) measured
// in the same run. Run with `npm run bench`; BENCH_EVENTS sets the event count (default 200000).
import { Registry } from 'prom-client';
import type { Kafka } from 'kafkajs';
import { EventCodec, newEventId, type EncodedEvent } from '@tollgate/events';
import { sampleEvent } from '@tollgate/events/testing';
import { createTestKafka } from '@tollgate/test-infra';
import { createKafkaConnection } from '../src/kafka-connection';
import { kafkaMetrics } from '../src/kafka-metrics';
import { BatchingProducer } from '../src/producer/batching-producer';
import { EventPublisher } from '../src/producer/event-publisher';
import { EventConsumer } from '../src/consumer/event-consumer';
import { DeadLetterSink } from '../src/consumer/dead-letters';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 200_000);
const PARTITIONS = 6;
const CHUNK = 1_000;
const quiet = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
};

function perSecond(count: number, ms: number): number {
  return Math.round((count / ms) * 1000);
}

async function rawProduce(
  kafka: Kafka,
  topic: string,
  encoded: Array<{ key: string; event: EncodedEvent }>,
): Promise<number> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const started = performance.now();
  for (let i = 0; i < encoded.length; i += CHUNK) {
    await producer.send({
      topic,
      acks: -1,
      messages: encoded
        .slice(i, i + CHUNK)
        .map(({ key, event }) => ({ key, value: event.value, headers: event.headers })),
    });
  }
  const elapsed = performance.now() - started;
  await producer.disconnect();
  return elapsed;
}

async function rawConsume(kafka: Kafka, topic: string, groupId: string): Promise<number> {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let first = 0;
  const elapsed = await new Promise<number>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        if (first === 0) first = performance.now();
        seen += batch.messages.length;
        if (seen >= EVENTS) resolve(performance.now() - first);
      },
    });
  });
  await consumer.disconnect();
  return elapsed;
}

async function ourProduce(kafka: Kafka, codec: EventCodec, topic: string): Promise<number> {
  const metrics = kafkaMetrics(new Registry());
  const producer = new BatchingProducer(kafka, { name: 'bench', metrics });
  await producer.connect();
  const publisher = new EventPublisher(producer, codec, { RequestMetered: topic });
  const template = sampleEvent('RequestMetered');
  const started = performance.now();
  const acks: Promise<void>[] = [];
  for (let i = 0; i < EVENTS; i++) {
    acks.push(
      publisher.publish('RequestMetered', {
        ...template,
        eventId: newEventId(),
        keyId: `key_${i % 5_000}`,
      }),
    );
    if (producer.isFull) await acks.at(-1);
  }
  await Promise.all(acks);
  const elapsed = performance.now() - started;
  await producer.disconnect();
  return elapsed;
}

async function ourConsume(
  kafka: Kafka,
  codec: EventCodec,
  topic: string,
  groupId: string,
  dlqTopic: string,
): Promise<number> {
  let seen = 0;
  let first = 0;
  let done!: (ms: number) => void;
  const finished = new Promise<number>((resolve) => (done = resolve));
  const deadLetters = new DeadLetterSink(kafka, dlqTopic);
  const consumer = new EventConsumer(kafka, {
    groupId,
    topics: [topic],
    codec,
    deadLetters,
    metrics: kafkaMetrics(new Registry()),
    log: quiet,
    maxWaitTimeInMs: 100,
    handleBatch: async (events) => {
      if (first === 0) first = performance.now();
      seen += events.length;
      if (seen >= EVENTS) done(performance.now() - first);
    },
  });
  await consumer.start();
  const elapsed = await finished;
  await consumer.stop();
  await deadLetters.close();
  return elapsed;
}

async function main() {
  const testKafka = await createTestKafka('bench');
  const connection = createKafkaConnection({
    brokers: testKafka.brokers,
    clientId: 'bench',
    log: quiet,
  });
  const codec = new EventCodec();
  try {
    const rawTopic = await testKafka.createTopic('raw', { numPartitions: PARTITIONS });
    const ourTopic = await testKafka.createTopic('ours', { numPartitions: PARTITIONS });
    const dlqTopic = await testKafka.createTopic('dlq');
    const template = sampleEvent('RequestMetered');
    const encoded = Array.from({ length: EVENTS }, (_, i) => {
      const payload = { ...template, eventId: newEventId(), keyId: `key_${i % 5_000}` };
      return { key: payload.keyId, event: codec.encode('RequestMetered', payload) };
    });
    const bytes = encoded[0]!.event.value.length;

    const rawProduceMs = await rawProduce(connection.kafka, rawTopic, encoded);
    const ourProduceMs = await ourProduce(connection.kafka, codec, ourTopic);
    const rawConsumeMs = await rawConsume(connection.kafka, rawTopic, testKafka.groupId('raw'));
    const ourConsumeMs = await ourConsume(
      connection.kafka,
      codec,
      ourTopic,
      testKafka.groupId('ours'),
      dlqTopic,
    );

    const rows = [
      ['produce', 'raw kafkajs (pre-encoded, 1000/request)', perSecond(EVENTS, rawProduceMs)],
      ['produce', 'Tollgate encode + EventPublisher', perSecond(EVENTS, ourProduceMs)],
      ['consume', 'raw kafkajs eachBatch (no decode)', perSecond(EVENTS, rawConsumeMs)],
      ['consume', 'Tollgate EventConsumer + decode', perSecond(EVENTS, ourConsumeMs)],
    ] as const;
    console.log(
      `\nRequestMetered throughput: ${EVENTS} events of ${bytes} bytes, ${PARTITIONS} partitions, acks=all, idempotent`,
    );
    for (const [phase, name, rate] of rows)
      console.log(`  ${phase.padEnd(8)} ${name.padEnd(42)} ${String(rate).padStart(9)} events/s`);
    console.log(
      `  ratio produce ours/raw: ${(rows[1][2] / rows[0][2]).toFixed(2)}   consume ours/raw: ${(rows[3][2] / rows[2][2]).toFixed(2)}\n`,
    );
    console.log(
      JSON.stringify({
        bench: 'request-metered-throughput',
        events: EVENTS,
        produce: { raw: rows[0][2], ours: rows[1][2] },
        consume: { raw: rows[2][2], ours: rows[3][2] },
      }),
    );
  } finally {
    await connection.close();
    await testKafka.cleanup();
  }
}

await main();
