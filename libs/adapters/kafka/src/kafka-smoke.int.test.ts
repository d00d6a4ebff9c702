import type { Consumer, KafkaMessage } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestKafka, type TestKafka } from '@tollgate/test-infra';

/**
 * Proves the local broker behaves like the Kafka the apps will meet in production:
 * consumer groups with committed offsets, and compacted topics that keep the latest value per key.
 */
describe('Kafka broker smoke test', () => {
  let testKafka: TestKafka;
  const consumers: Consumer[] = [];

  beforeAll(async () => {
    testKafka = await createTestKafka('smoke');
  });
  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.disconnect()));
  });
  afterAll(async () => {
    await testKafka.cleanup();
  });

  async function consume(topic: string, groupId: string, count: number): Promise<KafkaMessage[]> {
    const consumer = testKafka.kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: KafkaMessage[] = [];
    await new Promise<void>((resolve) => {
      void consumer.run({
        autoCommit: false,
        eachMessage: async ({ message, partition }) => {
          received.push(message);
          await consumer.commitOffsets([
            { topic, partition, offset: (BigInt(message.offset) + 1n).toString() },
          ]);
          if (received.length === count) resolve();
        },
      });
    });
    return received;
  }

  it('produces idempotently and consumes in a group with committed offsets', async () => {
    const topic = await testKafka.createTopic('events', { numPartitions: 3 });
    const producer = testKafka.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const values = Array.from({ length: 30 }, (_, i) => `event-${i}`);
    await producer.send({
      topic,
      acks: -1,
      messages: values.map((value, i) => ({ key: `key-${i % 5}`, value })),
    });
    await producer.disconnect();

    const groupId = testKafka.groupId('group');
    const received = await consume(topic, groupId, values.length);
    expect(received.map((m) => m.value?.toString()).sort()).toEqual([...values].sort());

    const admin = testKafka.kafka.admin();
    await admin.connect();
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    await admin.disconnect();
    const committed = offsets!.partitions.reduce(
      (sum, p) => sum + Math.max(0, Number(p.offset)),
      0,
    );
    expect(committed).toBe(values.length);
  });

  it('keeps only the latest value per key on a compacted topic', async () => {
    const topic = await testKafka.createTopic('table', {
      numPartitions: 1,
      configEntries: [
        { name: 'cleanup.policy', value: 'compact' },
        { name: 'segment.ms', value: '100' },
        { name: 'min.cleanable.dirty.ratio', value: '0.001' },
        { name: 'min.compaction.lag.ms', value: '0' },
        { name: 'delete.retention.ms', value: '100' },
      ],
    });
    const admin = testKafka.kafka.admin();
    await admin.connect();
    const described = await admin.describeConfigs({
      resources: [{ type: 2, name: topic, configNames: ['cleanup.policy'] }],
      includeSynonyms: false,
    });
    expect(described.resources[0]!.configEntries[0]!.configValue).toBe('compact');

    const producer = testKafka.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await expect(producer.send({ topic, messages: [{ value: 'no key' }] })).rejects.toThrow();
    for (let version = 1; version <= 3; version++) {
      await producer.send({
        topic,
        acks: -1,
        messages: ['a', 'b', 'c'].map((key) => ({ key, value: `${key}-v${version}` })),
      });
    }

    // Records in the active segment are never compacted: keep appending a marker so segments
    // roll, until the log cleaner has removed the superseded versions.
    const deadline = Date.now() + 45_000;
    let latest: Record<string, string> = {};
    let total = Number.POSITIVE_INFINITY;
    while (Date.now() < deadline) {
      await producer.send({
        topic,
        acks: -1,
        messages: [{ key: 'roll', value: String(Date.now()) }],
      });
      const [partition] = await admin.fetchTopicOffsets(topic);
      const snapshot = await readAll(topic, Number(partition!.high));
      latest = Object.fromEntries(snapshot.filter(([k]) => k !== 'roll'));
      total = snapshot.filter(([k]) => k !== 'roll').length;
      if (total === 3) break;
      await new Promise((r) => setTimeout(r, 1_000));
    }
    await producer.disconnect();
    await admin.disconnect();
    expect(latest).toEqual({ a: 'a-v3', b: 'b-v3', c: 'c-v3' });
    expect(total).toBe(3);
  }, 60_000);

  /** Reads the whole topic from the beginning as [key, value] pairs, up to the given high watermark. */
  async function readAll(topic: string, highWatermark: number): Promise<Array<[string, string]>> {
    const consumer = testKafka.kafka.consumer({
      groupId: testKafka.groupId('read'),
      maxWaitTimeInMs: 100,
    });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const pairs: Array<[string, string]> = [];
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          pairs.push([message.key!.toString(), message.value!.toString()]);
          if (Number(message.offset) + 1 >= highWatermark) resolve();
        },
      });
    });
    await Promise.all(consumers.splice(0).map((c) => c.disconnect()));
    return pairs;
  }
});
