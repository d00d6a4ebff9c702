import type { Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaTestKit, type KafkaTestKit } from '../testing/kafka-test-kit';
import { BatchingProducer } from './batching-producer';
import { eventually } from '@tollgate/test-infra';

describe('BatchingProducer (real Kafka)', () => {
  let kit: KafkaTestKit;
  beforeAll(async () => {
    kit = await createKafkaTestKit('producer');
  });
  afterAll(async () => {
    await kit.close();
  });

  async function readValues(topic: string, count: number): Promise<Map<string, string[]>> {
    const consumer: Consumer = kit.connection.kafka.consumer({
      groupId: kit.testKafka.groupId('read'),
      maxWaitTimeInMs: 100,
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const byKey = new Map<string, string[]>();
    let seen = 0;
    await consumer.run({
      eachMessage: async ({ message }) => {
        const key = message.key!.toString();
        byKey.set(key, [...(byKey.get(key) ?? []), message.value!.toString()]);
        seen++;
      },
    });
    await eventually(() => seen >= count, 15_000, `expected ${count} messages, saw ${seen}`);
    await consumer.disconnect();
    return byKey;
  }

  it('batches, keeps per-key order and bounds memory with back-pressure', async () => {
    const topic = await kit.testKafka.createTopic('batched', { numPartitions: 3 });
    const producer = new BatchingProducer(kit.connection.kafka, {
      name: 'test',
      maxBatchMessages: 50,
      maxBufferedMessages: 100,
      metrics: kit.metrics,
    });
    await producer.connect();
    let maxPending = 0;
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 1_000; i++) {
      sends.push(producer.send({ topic, key: `k${i % 7}`, value: Buffer.from(String(i)) }));
      maxPending = Math.max(maxPending, producer.pending);
      if (producer.isFull) await sends.at(-1);
    }
    await Promise.all(sends);
    await producer.disconnect();
    expect(maxPending).toBeLessThanOrEqual(100 + 50);

    const byKey = await readValues(topic, 1_000);
    for (const [key, values] of byKey) {
      const numbers = values.map(Number);
      expect(numbers, key).toEqual([...numbers].sort((a, b) => a - b));
    }
    expect([...byKey.values()].flat()).toHaveLength(1_000);
    // Batched for real: 1,000 messages went out in far fewer sends, none larger than the bound.
    const metrics = await kit.registry.getSingleMetricAsString('kafka_producer_batch_messages');
    const batches = Number(
      /kafka_producer_batch_messages_count(?:\{[^}]*\})? (\d+)/.exec(metrics)?.[1],
    );
    const sent = Number(/kafka_producer_batch_messages_sum(?:\{[^}]*\})? (\d+)/.exec(metrics)?.[1]);
    expect(sent).toBe(1_000);
    expect(batches).toBeGreaterThanOrEqual(1_000 / 50);
    expect(batches).toBeLessThan(1_000 / 5);
  });

  it('splits requests by bytes, so large records never make a batch the broker refuses', async () => {
    // 40 records of 300 KB to one partition: 12 MB, far over the broker's 1 MB per record batch.
    const topic = await kit.testKafka.createTopic('large', { numPartitions: 1 });
    const producer = new BatchingProducer(kit.connection.kafka, {
      name: 'test-large',
      metrics: kit.metrics,
    });
    await producer.connect();
    const value = (i: number) => Buffer.alloc(300_000, i);
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => producer.send({ topic, key: 'k', value: value(i) })),
    );
    await producer.disconnect();
    const byKey = await readValues(topic, 40);
    expect(byKey.get('k')).toHaveLength(40);
  });

  it('flushes everything buffered on disconnect', async () => {
    const topic = await kit.testKafka.createTopic('flush');
    const producer = new BatchingProducer(kit.connection.kafka, {
      name: 'flush',
      lingerMs: 10_000,
      metrics: kit.metrics,
    });
    await producer.connect();
    const sends = Array.from({ length: 25 }, (_, i) =>
      producer.send({ topic, key: 'k', value: Buffer.from(String(i)) }),
    );
    expect(producer.pending).toBe(25);
    await producer.disconnect();
    await Promise.all(sends);
    expect((await readValues(topic, 25)).get('k')).toHaveLength(25);
    await expect(producer.send({ topic, key: 'k', value: Buffer.from('late') })).rejects.toThrow(
      /shutting down/,
    );
  });

  it('rejects the messages of a batch that cannot be written', async () => {
    const producer = new BatchingProducer(kit.connection.kafka, {
      name: 'missing',
      retries: 1,
      metrics: kit.metrics,
    });
    await producer.connect();
    await expect(
      producer.send({ topic: 'tollgate.no-such-topic', key: 'k', value: Buffer.from('x') }),
    ).rejects.toThrow();
    await producer.disconnect();
  });
});
