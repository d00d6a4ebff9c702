import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventCodec, messageKeyOf, newEventId } from '@tollgate/events';
import { sampleEvent } from '@tollgate/events/testing';
import {
  createTestKafka,
  eventually,
  testEndpoints,
  uniqueName,
  type TestKafka,
} from '@tollgate/test-infra';
import { createThreadedUsageMeter } from './threaded-usage-meter';
import { builtMeteringWorker } from '../testing/metering-worker';

describe('threaded usage meter (real Kafka)', () => {
  let kafka: TestKafka;
  let topic: string;
  let spoolDir: string;
  const codec = new EventCodec();

  beforeAll(async () => {
    kafka = await createTestKafka('threaded_meter');
    topic = await kafka.createTopic('usage', { numPartitions: 3 });
    spoolDir = await mkdtemp(join(tmpdir(), 'threaded-meter-'));
  });
  afterAll(async () => {
    await kafka?.cleanup();
    if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
  });

  let batches = 0;
  /** Batch records whose Kafka key is not their own batch id (the contract's message key). */
  const wrongKeys: string[] = [];
  /** Record key → the partitions its records were on. */
  const partitionsByKey = new Map<string, Set<number>>();

  async function eventIdsOn(count: number): Promise<string[]> {
    const consumer = new Kafka({
      clientId: 'threaded-meter-reader',
      brokers: testEndpoints().kafkaBrokers,
      logLevel: logLevel.NOTHING,
    }).consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 100 });
    const seen: string[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message, partition }) => {
          const event = codec.decode(message.headers, message.value);
          const key = message.key?.toString() ?? '';
          partitionsByKey.set(key, (partitionsByKey.get(key) ?? new Set()).add(partition));
          if (event.type === 'RequestMeteredBatch') {
            batches++;
            if (message.key?.toString() !== messageKeyOf('RequestMeteredBatch', event.payload))
              wrongKeys.push(`${message.key?.toString()} for batch ${event.payload.eventId}`);
            seen.push(...event.payload.events.map((e) => e.eventId));
          } else seen.push(event.payload.eventId);
        },
      });
      await eventually(() => seen.length >= count, 30_000, `${count} events on ${topic}`);
    } finally {
      await consumer.disconnect();
    }
    return seen;
  }

  it('hands every event to the metering thread and Kafka, with its eventId, in batch records', async () => {
    const registry = new Registry();
    const meter = await createThreadedUsageMeter({
      service: 'edge-auth',
      logLevel: 'silent',
      brokers: testEndpoints().kafkaBrokers,
      topic,
      spoolDir,
      maxBuffered: 10_000,
      lingerMs: 5,
      edgeInstanceId: 'edge-auth-test',
      batchEvents: 200,
      batchBytes: 64 * 1024,
      codec,
      metrics: registry,
      logger: pino({ level: 'silent' }),
      workerUrl: builtMeteringWorker(),
    });
    const recorded: string[] = [];
    const base = sampleEvent('RequestMetered');
    for (let i = 0; i < 5_000; i++) {
      const eventId = newEventId();
      recorded.push(eventId);
      meter.record({ ...base, eventId, keyId: i % 7 === 0 ? null : base.keyId });
      if (i % 500 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    await meter.flush();
    expect(meter.stats()).toEqual({ buffered: 0, spooled: 0 });
    // Named for `top -H` and the bench's CPU per thread.
    if (process.platform === 'linux') expect(await threadNames()).toContain('tollgate-meter');
    const workerMetrics = await meter.workerMetrics();
    expect(workerMetrics).toMatch(
      /edge_usage_events_total\{path="kafka",service="edge-auth"\} 5000/,
    );
    await meter.close();

    const seen = await eventIdsOn(recorded.length);
    expect(new Set(seen)).toEqual(new Set(recorded));
    expect(seen).toHaveLength(recorded.length);
    expect(batches).toBeGreaterThanOrEqual(recorded.length / 200);
    expect(batches).toBeLessThan(recorded.length);
    // Keyed by edge and second sealed (the contract's key): one partition per key.
    expect(wrongKeys).toEqual([]);
    expect(partitionsByKey.size).toBeGreaterThan(0);
    for (const [key, on] of partitionsByKey) {
      expect(key).toMatch(/^edge-auth-test\/\d+$/);
      expect([...on]).toHaveLength(1);
    }
  });
});

/** This process's thread names (Linux). */
async function threadNames(): Promise<string[]> {
  const tids = await readdir('/proc/self/task');
  return Promise.all(
    tids.map(async (tid) => (await readFile(`/proc/self/task/${tid}/comm`, 'utf8')).trim()),
  );
}
