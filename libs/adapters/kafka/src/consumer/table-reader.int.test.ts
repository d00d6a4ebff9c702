import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPE_HEADER, type KeyIssued, type KeyRevoked } from '@tollgate/events';
import { sampleEvent } from '@tollgate/events/testing';
import { BatchingProducer } from '../producer/batching-producer';
import { EventPublisher } from '../producer/event-publisher';
import { createKafkaTestKit, type KafkaTestKit } from '../testing/kafka-test-kit';
import type { RawMessage } from './consumed-event';
import { TableReader } from './table-reader';
import { eventually } from '@tollgate/test-infra';

const COMPACTED = [{ name: 'cleanup.policy', value: 'compact' }];

describe('TableReader (real Kafka)', () => {
  let kit: KafkaTestKit;
  let producer: BatchingProducer;
  const readers: TableReader[] = [];

  beforeAll(async () => {
    kit = await createKafkaTestKit('table');
    producer = new BatchingProducer(kit.connection.kafka, { name: 'table', metrics: kit.metrics });
    await producer.connect();
  });
  afterEach(async () => {
    await Promise.all(readers.splice(0).map((r) => r.stop()));
  });
  afterAll(async () => {
    await producer.disconnect();
    await kit.close();
  });

  function keyIssued(n: number): KeyIssued {
    const base = sampleEvent('KeyIssued');
    return { ...base, eventId: `issued-${n}`, key: { ...base.key, keyId: `key_${n}` } };
  }
  function keyRevoked(n: number, eventId: string): KeyRevoked {
    const base = sampleEvent('KeyRevoked');
    return { ...base, eventId, key: { ...base.key, keyId: `key_${n}` } };
  }

  function newReader(topic: string, table: Map<string, string>) {
    const reader = new TableReader(kit.connection.kafka, {
      name: 'test-table',
      topics: [topic],
      codec: kit.codec,
      deadLetters: kit.deadLetters,
      metrics: kit.metrics,
      log: kit.log,
      onEvent: ({ event }) => {
        if (event.type === 'KeyIssued' || event.type === 'KeyRevoked')
          table.set(event.payload.key.keyId, event.type);
      },
    });
    readers.push(reader);
    return reader;
  }

  it('catches up with a compacted topic of N keys, then sees an update quickly', async () => {
    const topic = await kit.testKafka.createTopic('keys', {
      numPartitions: 3,
      configEntries: COMPACTED,
    });
    const publisher = new EventPublisher(producer, kit.codec, {
      KeyIssued: topic,
      KeyRevoked: topic,
    });
    const keys = 2_000;
    await Promise.all(
      Array.from({ length: keys }, (_, n) => publisher.publish('KeyIssued', keyIssued(n))),
    );
    await Promise.all(
      Array.from({ length: 100 }, (_, n) =>
        publisher.publish('KeyRevoked', keyRevoked(n, `revoked-${n}`)),
      ),
    );
    // A record the reader cannot decode must not stop it.
    await producer.send({
      topic,
      key: 'key_poison',
      value: Buffer.from('junk'),
      headers: { [EVENT_TYPE_HEADER]: 'KeyIssued' },
    });

    const table = new Map<string, string>();
    const reader = newReader(topic, table);
    await expect(reader.checkReady()).rejects.toThrow(/still loading/);
    const admin = await kit.connection.admin();
    await reader.start(admin);
    await reader.waitUntilCaughtUp(20_000);
    await expect(reader.checkReady()).resolves.toBeUndefined();
    expect(table.size).toBe(keys);
    expect([...table.values()].filter((t) => t === 'KeyRevoked')).toHaveLength(100);

    // The tailing reader applies a new record within its fetch wait plus slack; the bound is
    // the assertion (a reader that re-polled slowly or stalled fails here).
    expect(table.get('key_1999')).toBe('KeyIssued');
    await publisher.publish('KeyRevoked', keyRevoked(1_999, 'revoked-late'));
    await eventually(
      () => table.get('key_1999') === 'KeyRevoked',
      2_000,
      'update seen by the tailing reader within 2 s',
    );
  });

  it('is caught up at once on an empty topic', async () => {
    const topic = await kit.testKafka.createTopic('empty', { configEntries: COMPACTED });
    const reader = newReader(topic, new Map());
    await reader.start(await kit.connection.admin());
    await reader.waitUntilCaughtUp(5_000);
    expect(reader.isCaughtUp).toBe(true);
  });

  it('hands the handler each record as received: key, value and header bytes', async () => {
    const topic = await kit.testKafka.createTopic('raw', { configEntries: COMPACTED });
    const encoded = kit.codec.encode('KeyIssued', keyIssued(7));
    const headers = { ...encoded.headers, traceparent: Buffer.from('00-trace-01') };
    await producer.send({ topic, key: 'key_7', value: encoded.value, headers });
    const received: Array<{ eventId: string; message: RawMessage }> = [];
    const reader = new TableReader(kit.connection.kafka, {
      name: 'test-table-raw',
      topics: [topic],
      codec: kit.codec,
      deadLetters: kit.deadLetters,
      metrics: kit.metrics,
      log: kit.log,
      onEvent: ({ event }, message) => received.push({ eventId: event.payload.eventId, message }),
    });
    readers.push(reader);
    await reader.start(await kit.connection.admin());
    await reader.waitUntilCaughtUp(10_000);

    expect(received.map((r) => r.eventId)).toEqual(['issued-7']);
    const { message } = received[0]!;
    expect(message.value?.equals(encoded.value)).toBe(true);
    expect(message.key?.equals(Buffer.from('key_7'))).toBe(true);
    for (const [name, bytes] of Object.entries(headers))
      expect(Buffer.from(message.headers?.[name] as Buffer).equals(bytes)).toBe(true);
  });
});
