import { join } from 'node:path';
import avro from 'avsc';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CURRENT_SCHEMAS,
  EVENT_TYPE_HEADER,
  EVENT_TYPES,
  EventCodec,
  newEventId,
  SCHEMA_FINGERPRINT_HEADER,
  type EventType,
} from '@tollgate/events';
import { sampleEvent } from '@tollgate/events/testing';
import {
  bundleScript,
  createTestSchema,
  runToExit,
  type TestSchema,
  eventually,
} from '@tollgate/test-infra';
import { BatchingProducer } from '../producer/batching-producer';
import { EventPublisher } from '../producer/event-publisher';
import { applyEffect, countEffects, createEffectTables } from '../testing/dedupe-effect';
import { createKafkaTestKit, type KafkaTestKit } from '../testing/kafka-test-kit';
import type { ConsumedEvent } from './consumed-event';
import { DEAD_LETTER_HEADERS } from './dead-letters';
import { EventConsumer, type EventConsumerOptions } from './event-consumer';

describe('EventConsumer (real Kafka)', () => {
  let kit: KafkaTestKit;
  let producer: BatchingProducer;
  const consumers: EventConsumer[] = [];

  beforeAll(async () => {
    kit = await createKafkaTestKit('consumer');
    producer = new BatchingProducer(kit.connection.kafka, { name: 'test', metrics: kit.metrics });
    await producer.connect();
  });
  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.stop()));
  });
  afterAll(async () => {
    await producer.disconnect();
    await kit.close();
  });

  async function startConsumer(
    topic: string,
    handleBatch: EventConsumerOptions['handleBatch'],
    overrides: Partial<EventConsumerOptions> = {},
  ): Promise<EventConsumer> {
    const consumer = new EventConsumer(kit.connection.kafka, {
      groupId: kit.testKafka.groupId('group'),
      topics: [topic],
      codec: kit.codec,
      deadLetters: kit.deadLetters,
      metrics: kit.metrics,
      log: kit.log,
      maxWaitTimeInMs: 100,
      handleBatch,
      ...overrides,
    });
    consumers.push(consumer);
    await consumer.start();
    return consumer;
  }

  function collect() {
    const received: ConsumedEvent[] = [];
    return {
      received,
      handleBatch: async (events: ConsumedEvent[]) => void received.push(...events),
    };
  }

  async function readRaw(topic: string, count: number) {
    const consumer = kit.connection.kafka.consumer({
      groupId: kit.testKafka.groupId('raw'),
      maxWaitTimeInMs: 100,
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const messages: Array<{ value: Buffer; headers: Record<string, string> }> = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
        );
        messages.push({ value: message.value!, headers });
      },
    });
    await eventually(() => messages.length >= count, 15_000, `expected ${count} raw messages`);
    await consumer.disconnect();
    return messages;
  }

  it('round-trips every event type through Kafka, Avro bytes and headers as the codec writes them', async () => {
    const topic = await kit.testKafka.createTopic('all-events', { numPartitions: 2 });
    const overrides = Object.fromEntries(EVENT_TYPES.map((t) => [t, topic])) as Record<
      EventType,
      string
    >;
    const publisher = new EventPublisher(producer, kit.codec, overrides);
    await Promise.all(EVENT_TYPES.map((t) => publisher.publish(t, sampleEvent(t))));

    const raw = await readRaw(topic, EVENT_TYPES.length);
    for (const eventType of EVENT_TYPES) {
      const expected = kit.codec.encode(eventType, sampleEvent(eventType));
      const message = raw.find((m) => m.headers[EVENT_TYPE_HEADER] === eventType);
      expect(message?.value.equals(expected.value), eventType).toBe(true);
      expect(message?.headers[SCHEMA_FINGERPRINT_HEADER]).toBe(
        expected.headers[SCHEMA_FINGERPRINT_HEADER]!.toString(),
      );
    }

    const { received, handleBatch } = collect();
    await startConsumer(topic, handleBatch);
    await eventually(() => received.length === EVENT_TYPES.length, 15_000, 'all events consumed');
    for (const eventType of EVENT_TYPES) {
      expect(received.find((r) => r.event.type === eventType)?.event.payload).toEqual(
        sampleEvent(eventType),
      );
    }
  });

  it('decodes a message written with an older schema version', async () => {
    const topic = await kit.testKafka.createTopic('old-writer');
    const current = CURRENT_SCHEMAS.RequestMetered as unknown as {
      fields: Array<{ name: string }>;
    };
    const older = avro.Type.forSchema({
      ...current,
      fields: current.fields.filter((f) => f.name !== 'costUnits'),
    } as avro.Schema);
    const { costUnits: _dropped, ...oldPayload } = sampleEvent('RequestMetered');
    await producer.send({
      topic,
      key: oldPayload.keyId,
      value: older.toBuffer(oldPayload),
      headers: {
        [EVENT_TYPE_HEADER]: 'RequestMetered',
        [SCHEMA_FINGERPRINT_HEADER]: older.fingerprint('sha256').toString('hex'),
      },
    });
    const codec = new EventCodec();
    codec.addWriter({ type: 'RequestMetered', version: 0, schema: older.schema() as object });
    const { received, handleBatch } = collect();
    await startConsumer(topic, handleBatch, { codec });
    await eventually(() => received.length === 1, 15_000, 'old event consumed');
    expect(received[0]!.event.payload).toEqual({ ...oldPayload, costUnits: 1 });
  });

  it('sends poison messages to the dead-letter topic and keeps consuming', async () => {
    const topic = await kit.testKafka.createTopic('poison');
    const good = (id: string) => {
      const encoded = kit.codec.encode(
        'RequestMetered',
        sampleEvent('RequestMetered', { eventId: id }),
      );
      return { topic, key: 'k', value: encoded.value, headers: encoded.headers };
    };
    const validHeaders = kit.codec.encode('RequestMetered', sampleEvent('RequestMetered')).headers;
    await producer.send(good('first'));
    await producer.send({ topic, key: 'k', value: Buffer.from('{"json":"not avro"}') });
    await producer.send({
      topic,
      key: 'k',
      value: Buffer.from('x'),
      headers: { ...validHeaders, [EVENT_TYPE_HEADER]: 'KeyDeleted' },
    });
    await producer.send({
      topic,
      key: 'k',
      value: Buffer.from([0xff, 0xff, 0xff]),
      headers: validHeaders,
    });
    await producer.send(good('last'));

    const { received, handleBatch } = collect();
    await startConsumer(topic, handleBatch);
    await eventually(() => received.length === 2, 15_000, 'both good events consumed');
    expect(received.map((r) => r.event.payload.eventId)).toEqual(['first', 'last']);

    const letters = (await readRaw(kit.deadLetterTopic, 3)).filter(
      (m) => m.headers[DEAD_LETTER_HEADERS.sourceTopic] === topic,
    );
    expect(letters.map((m) => m.headers[DEAD_LETTER_HEADERS.reason])).toEqual([
      'missing_headers',
      'unknown_event_type',
      'malformed_payload',
    ]);
    expect(letters.map((m) => m.headers[DEAD_LETTER_HEADERS.sourceOffset])).toEqual([
      '1',
      '2',
      '3',
    ]);
    expect(letters[0]!.value.toString()).toBe('{"json":"not avro"}');
    expect(kit.log.warnings).toContain('undecodable message sent to the dead-letter topic');
    expect(
      await kit.registry.getSingleMetricAsString('kafka_consumer_dead_letters_total'),
    ).toContain('reason="malformed_payload"} 1');
  });

  describe('with effects in Postgres', () => {
    let schema: TestSchema;
    let pool: pg.Pool;
    beforeAll(async () => {
      schema = await createTestSchema('consumer_effects');
      pool = new pg.Pool({ connectionString: schema.url });
    });
    afterAll(async () => {
      await pool.end();
      await schema.drop();
    });

    async function applyAll(events: ConsumedEvent[]): Promise<void> {
      for (const { event } of events) await applyEffect(pool, event.payload.eventId);
    }

    async function publishMetered(topic: string, count: number): Promise<string[]> {
      const ids = Array.from({ length: count }, () => newEventId());
      const publisher = new EventPublisher(producer, kit.codec, { RequestMetered: topic });
      await Promise.all(
        ids.map((eventId) =>
          publisher.publish('RequestMetered', sampleEvent('RequestMetered', { eventId })),
        ),
      );
      return ids;
    }

    it('loses nothing when a member is SIGKILLed mid-batch; re-delivered duplicates are deduped by eventId', async () => {
      await pool.query('drop table if exists deliveries, effects');
      await createEffectTables(pool);
      const topic = await kit.testKafka.createTopic('crash');
      const groupId = kit.testKafka.groupId('crash');
      await publishMetered(topic, 300);

      const fixture = await bundleScript(join(import.meta.dirname, 'crash-consumer.fixture.ts'));
      try {
        const child = await runToExit(fixture.entry, {
          KAFKA_BROKERS: kit.testKafka.brokers.join(','),
          TOPIC: topic,
          GROUP_ID: groupId,
          DLQ_TOPIC: kit.deadLetterTopic,
          DATABASE_URL: schema.url,
          KILL_AFTER: '137',
        });
        expect(child.code).toBeNull();
      } finally {
        await fixture.remove();
      }
      expect(await countEffects(pool)).toEqual({ deliveries: 137, effects: 137 });

      await startConsumer(topic, applyAll, { groupId });
      await eventually(
        async () => (await countEffects(pool)).effects === 300,
        20_000,
        'all 300 effects applied',
      );
      const counts = await countEffects(pool);
      expect(counts.effects).toBe(300);
      expect(counts.deliveries).toBeGreaterThan(300);
      expect(counts.deliveries).toBeLessThanOrEqual(300 + 137);
    }, 60_000);

    it('stop() finishes and commits the batch in progress: a restarted member re-applies nothing', async () => {
      await pool.query('drop table if exists deliveries, effects');
      await createEffectTables(pool);
      const topic = await kit.testKafka.createTopic('graceful');
      const groupId = kit.testKafka.groupId('graceful');
      await publishMetered(topic, 200);

      let batchStarted!: () => void;
      const started = new Promise<void>((resolve) => (batchStarted = resolve));
      const slow = await startConsumer(
        topic,
        async (events) => {
          batchStarted();
          await new Promise((r) => setTimeout(r, 300));
          await applyAll(events);
        },
        { groupId },
      );
      await started;
      await slow.stop();
      const afterStop = await countEffects(pool);
      expect(afterStop.deliveries).toBe(afterStop.effects);

      await startConsumer(topic, applyAll, { groupId });
      await eventually(
        async () => (await countEffects(pool)).effects === 200,
        20_000,
        'all 200 effects applied',
      );
      expect(await countEffects(pool)).toEqual({ deliveries: 200, effects: 200 });
    });
  });
});
