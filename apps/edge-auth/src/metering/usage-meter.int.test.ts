import { appendFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Kafka, logLevel } from 'kafkajs';
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventCodec, newEventId, TOPICS, type RequestMetered } from '@tollgate/events';
import { sampleEvent } from '@tollgate/events/testing';
import {
  BatchingProducer,
  createKafkaConnection,
  kafkaMetrics,
  provisionTopics,
  type KafkaConnection,
} from '@tollgate/kafka';
import {
  bundleScript,
  runToExit,
  uniqueName,
  createPrivateBroker,
  type PrivateBroker,
  eventually,
} from '@tollgate/test-infra';
import { createUsageMeter, type UsageMeter } from './usage-meter';

const quiet = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function capturingLogger(): { logger: Logger; lines: Array<{ level: number; msg: string }> } {
  const lines: Array<{ level: number; msg: string }> = [];
  const logger = pino(
    { level: 'info' },
    {
      write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }),
    },
  );
  return { logger, lines };
}

describe('usage meter (real Kafka: a private broker that the test stops and restarts)', () => {
  const codec = new EventCodec();
  let broker: PrivateBroker;
  let connection: KafkaConnection;
  let spoolRoot: string;

  beforeAll(async () => {
    spoolRoot = await mkdtemp(join(tmpdir(), 'usage-spool-'));
    broker = await createPrivateBroker();
    await broker.start();
    connection = createKafkaConnection({
      brokers: broker.brokers,
      clientId: 'usage-meter-test',
      log: quiet,
    });
  }, 180_000);

  afterAll(async () => {
    await connection?.close().catch(() => undefined);
    await broker?.remove();
    await rm(spoolRoot, { recursive: true, force: true });
  }, 120_000);

  async function usageTopic(): Promise<string> {
    const name = uniqueName('usage');
    await provisionTopics(await connection.admin(), [{ ...TOPICS.usage, name, partitions: 3 }]);
    return name;
  }

  async function connectedProducer(registry: Registry): Promise<BatchingProducer> {
    const producer = new BatchingProducer(connection.kafka, {
      name: 'usage',
      metrics: kafkaMetrics(registry),
    });
    await producer.connect();
    return producer;
  }

  /** Every message on the topic, decoded, with its raw value. */
  async function readTopic(topic: string, atLeast: number) {
    const reader = new Kafka({
      clientId: 'usage-reader',
      brokers: broker.brokers,
      logLevel: logLevel.NOTHING,
    });
    const consumer = reader.consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 100 });
    const seen: Array<{ eventId: string; value: Buffer }> = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          const { payload } = codec.decode(message.headers, message.value);
          seen.push({ eventId: payload.eventId, value: message.value! });
        },
      });
      await eventually(
        () => new Set(seen.map((s) => s.eventId)).size >= atLeast,
        30_000,
        () => `${atLeast} distinct events on ${topic}, saw ${seen.length}`,
      );
      // Let any duplicates still in the fetch pipeline arrive, so the counts below are complete.
      await sleep(500);
    } finally {
      await consumer.disconnect();
    }
    return seen;
  }

  function expectExactlyTheRecordedEvents(
    seen: Array<{ eventId: string; value: Buffer }>,
    recorded: Map<string, RequestMetered>,
  ) {
    const distinct = new Set(seen.map((s) => s.eventId));
    expect(distinct.size).toBe(recorded.size);
    expect([...distinct].filter((id) => !recorded.has(id))).toEqual([]);
    expect(seen.length).toBeGreaterThanOrEqual(recorded.size);
    // A replay sends the bytes encoded at record time: a duplicate is the same event, byte for byte.
    for (const { eventId, value } of seen)
      expect(value.equals(codec.encode('RequestMetered', recorded.get(eventId)!).value)).toBe(true);
  }

  async function segmentsIn(dir: string): Promise<string[]> {
    return (await readdir(dir)).filter((name) => name.endsWith('.spool'));
  }

  it('loses no usage while the broker is stopped mid-stream and started again', async () => {
    const topic = await usageTopic();
    const spoolDir = join(spoolRoot, 'outage');
    const registry = new Registry();
    const producer = await connectedProducer(registry);
    const { logger, lines } = capturingLogger();
    const maxBuffered = 300;
    const meter: UsageMeter = await createUsageMeter({
      producer,
      codec,
      topic,
      spoolDir,
      maxBuffered,
      replayIntervalMs: 200,
      sendTimeoutMs: 2_000,
      metrics: registry,
      logger,
    });

    const recorded = new Map<string, RequestMetered>();
    let slowestRecordMs = 0;
    let mostBuffered = 0;
    const recordSome = () => {
      for (let i = 0; i < 4; i++) {
        const event = sampleEvent('RequestMetered', {
          eventId: newEventId(),
          keyId: `key_${i}`,
          occurredAt: Date.now(),
        });
        const started = performance.now();
        meter.record(event);
        slowestRecordMs = Math.max(slowestRecordMs, performance.now() - started);
        recorded.set(event.eventId, event);
      }
      mostBuffered = Math.max(mostBuffered, meter.stats().buffered);
    };
    const sentDirectly = async () =>
      (await registry.getSingleMetric('edge_usage_events_total')!.get()).values.find(
        (v) => v.labels.path === 'kafka',
      )?.value ?? 0;
    let directAfterRestart = 0;
    const watchDirect = setInterval(
      () => void sentDirectly().then((n) => (directAfterRestart = n)),
      50,
    );
    const steady = setInterval(recordSome, 10);
    const timeline: Record<string, number> = {};
    const t0 = Date.now();
    try {
      await sleep(1_500);
      timeline.stopping = Date.now() - t0;
      await broker.stop();
      timeline.stopped = Date.now() - t0;
      await eventually(
        () => meter.stats().spooled > 0,
        30_000,
        () => 'events spooled while the broker is down',
      );
      timeline.spooling = Date.now() - t0;
      await sleep(2_000);
      const spooledWhileDown = meter.stats().spooled;
      timeline.starting = Date.now() - t0;
      await broker.start();
      timeline.started = Date.now() - t0;
      const directBefore = await sentDirectly();
      // Under steady traffic the meter must go back to sending directly, not spool forever.
      await eventually(
        () => directAfterRestart > directBefore,
        30_000,
        () => 'new events sent directly after the restart',
      );
      timeline.direct = Date.now() - t0;
      await sleep(1_000);
      expect(spooledWhileDown).toBeGreaterThan(0);
    } finally {
      clearInterval(steady);
      clearInterval(watchDirect);
    }
    timeline.recordingStopped = Date.now() - t0;

    await eventually(
      () => meter.stats().spooled === 0 && meter.stats().buffered === 0,
      60_000,
      () => `spool drained, stats ${JSON.stringify(meter.stats())}`,
    );
    timeline.drained = Date.now() - t0;
    await meter.flush();
    const seen = await readTopic(topic, recorded.size);
    await meter.close();
    await producer.disconnect();

    expectExactlyTheRecordedEvents(seen, recorded);
    expect(await segmentsIn(spoolDir)).toEqual([]);
    // record() never waits for the broker: waiting for it (requests time out after seconds) would
    // exceed this by far, while a GC pause on a busy shared machine (66 ms seen) stays below.
    expect(slowestRecordMs).toBeLessThan(500);
    // The bound on events waiting for Kafka, plus the appends of one tick waiting for the disk.
    expect(mostBuffered).toBeLessThanOrEqual(maxBuffered + 50);

    const metric = async (name: string) => (await registry.getSingleMetric(name)!.get()).values;
    const byPath = Object.fromEntries(
      (await metric('edge_usage_events_total')).map((v) => [v.labels.path, v.value]),
    );
    expect(byPath.spool).toBeGreaterThan(0);
    expect((byPath.kafka ?? 0) + (byPath.spool ?? 0)).toBe(recorded.size);
    expect((await metric('edge_usage_replayed_total'))[0]!.value).toBeGreaterThanOrEqual(
      byPath.spool,
    );
    expect((await metric('edge_usage_spooled_events'))[0]!.value).toBe(0);
    expect(lines.filter((l) => l.level === 40 && /spooling/.test(l.msg)).length).toBeGreaterThan(0);
    expect(lines.some((l) => l.level === 30 && /drained/.test(l.msg))).toBe(true);
    console.info(
      `outage test: ${recorded.size} recorded, ${byPath.spool} spooled, ${seen.length - recorded.size} duplicates on the wire, ` +
        `slowest record() ${slowestRecordMs.toFixed(2)} ms, most buffered ${mostBuffered}, timeline ${JSON.stringify(timeline)}`,
    );
  }, 180_000);

  it('a meter SIGKILLed while spooling leaves a spool (torn tail and all) that a new meter replays fully', async () => {
    const topic = await usageTopic();
    const spoolDir = join(spoolRoot, 'crash');
    const fixture = await bundleScript(join(import.meta.dirname, 'spooling-meter.fixture.ts'));
    let child;
    try {
      child = await runToExit(
        fixture.entry,
        {
          UNREACHABLE_BROKER: '127.0.0.1:1',
          TOPIC: topic,
          SPOOL_DIR: spoolDir,
          DURABLE_ROUNDS: '4',
        },
        60_000,
      );
    } finally {
      await fixture.remove();
    }
    expect(child.code, child.output).toBeNull();
    const idsOf = (marker: string) =>
      child.output
        .split('\n')
        .filter((line) => line.startsWith(`${marker} `))
        .flatMap((line) => line.slice(marker.length + 1).split(','));
    const durable = idsOf('DURABLE');
    const recordedAfter = idsOf('RECORDED');
    expect(durable).toHaveLength(1_000);
    expect(recordedAfter.length).toBeGreaterThan(0);

    // A write cut short by a crash: the start of a frame that never finished.
    const segments = (await segmentsIn(spoolDir)).sort();
    expect(segments.length).toBeGreaterThan(1);
    await appendFile(join(spoolDir, segments.at(-1)!), Buffer.from([0, 0, 1, 0, 0xde, 0xad]));

    const registry = new Registry();
    const producer = await connectedProducer(registry);
    const { logger } = capturingLogger();
    const meter = await createUsageMeter({
      producer,
      codec,
      topic,
      spoolDir,
      replayIntervalMs: 200,
      metrics: registry,
      logger,
    });
    const spooledAtStart = meter.stats().spooled;
    expect(spooledAtStart).toBeGreaterThanOrEqual(durable.length);
    await eventually(
      () => meter.stats().spooled === 0,
      60_000,
      () => `replayed the previous run's spool, stats ${JSON.stringify(meter.stats())}`,
    );
    await meter.close();
    await producer.disconnect();

    const seen = await readTopic(topic, spooledAtStart);
    const onTopic = new Set(seen.map((s) => s.eventId));
    expect(durable.filter((id) => !onTopic.has(id))).toEqual([]);
    const everRecorded = new Set([...durable, ...recordedAfter]);
    expect([...onTopic].filter((id) => !everRecorded.has(id))).toEqual([]);
    expect(onTopic.size).toBe(spooledAtStart);
    expect(await segmentsIn(spoolDir)).toEqual([]);
    console.info(
      `crash test: ${durable.length} flushed + ${recordedAfter.length} unflushed recorded before SIGKILL, ` +
        `${spooledAtStart} found in the spool and replayed`,
    );
  }, 120_000);
});
