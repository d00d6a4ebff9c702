// usage-ingestor throughput and freshness on this machine (Kafka and Postgres on the same box).
// 1. Sustained ingestion: N events waiting in Kafka, one ingestor, time until all are aggregated;
//    baseline in the same run: a bare kafkajs group consumer reading the same topic (no decoding,
//    no database), the ceiling any consumer of this topic has here.
// 2. Freshness: events produced at a steady 20,000/s for 15 s; ingestion lag (now − newest
//    aggregated occurredAt) sampled every 100 ms; p50/p99 reported.
// 3. The same backlog in RequestMeteredBatch records of 1000 events, as edge-auth writes them,
//    read by a fresh ingestor (start-up included, as in 1).
import { Kafka, logLevel } from 'kafkajs';
import { testEndpoints, uniqueName } from '@tollgate/test-infra';
import { batchesOf, makeEvents, usageTestKit } from '../src/testing/usage-test-kit';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 200_000);
const RATE = 20_000;
const SECONDS = 15;

const rate = (count: number, ms: number) => Math.round((count / ms) * 1000);
const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[
    Math.min(values.length - 1, Math.floor((p / 100) * values.length))
  ]!;

async function rawConsume(topic: string, count: number): Promise<number> {
  const consumer = new Kafka({
    clientId: 'bench',
    brokers: testEndpoints().kafkaBrokers,
    logLevel: logLevel.NOTHING,
  }).consumer({
    groupId: uniqueName('raw'),
    maxWaitTimeInMs: 50,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let first = 0;
  const ms = await new Promise<number>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        first ||= performance.now();
        seen += batch.messages.length;
        if (seen >= count) resolve(performance.now() - first);
      },
    });
  });
  await consumer.disconnect();
  return ms;
}

// BENCH_INGEST_MIN_BYTES: the ingestor's INGEST_MIN_BYTES (default: the app's own default).
const kit = await usageTestKit(
  'bench_usage',
  process.env.BENCH_INGEST_MIN_BYTES
    ? { INGEST_MIN_BYTES: process.env.BENCH_INGEST_MIN_BYTES }
    : {},
);
try {
  const app = await kit.startApp();
  await app.close();
  await kit.produce(makeEvents(EVENTS));
  const rawMs = await rawConsume(kit.usageTopic, EVENTS);

  const started = performance.now();
  const ingestor = await kit.startApp();
  await kit.waitForRequests(EVENTS, 600_000);
  const ingestMs = performance.now() - started;

  const lags: number[] = [];
  let sampling = true;
  const steadyStart = Date.now();
  const sampler = setInterval(() => {
    void ingestor.inject('/v1/usage/freshness').then((res) => {
      const { lagMs } = res.json<{ lagMs: number | null }>();
      // A sample answered after the steady phase would measure the next phase's backlog; one
      // answered before the first steady event was applied, the age of the backlog's newest.
      if (lagMs !== null && sampling && lagMs <= Date.now() - steadyStart) lags.push(lagMs);
    });
  }, 100);
  for (let second = 0; second < SECONDS; second++) {
    const tick = Date.now();
    for (let slice = 0; slice < 10; slice++) {
      await kit.produce(makeEvents(RATE / 10, { start: Date.now(), spreadMs: 1 }));
      const wait = tick + (slice + 1) * 100 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }
  const producedFor = (Date.now() - steadyStart) / 1000;
  await kit.waitForRequests(EVENTS + RATE * SECONDS, 120_000);
  clearInterval(sampler);
  sampling = false;

  // 3. The same backlog as edge-auth writes it: RequestMeteredBatch records of 1000 events,
  // waiting in Kafka before a fresh ingestor starts (as in 1).
  await ingestor.close();
  await kit.produceBatches(batchesOf(makeEvents(EVENTS), 1_000));
  const batchedStart = performance.now();
  await kit.startApp();
  await kit.waitForRequests(2 * EVENTS + RATE * SECONDS, 600_000);
  const batchedMs = performance.now() - batchedStart;

  console.log(`\nusage-ingestor: ${EVENTS} events backlog, 12 partitions, one ingestor process`);
  console.log(
    `  baseline  bare kafkajs consumer (no decode, no DB)   ${String(rate(EVENTS, rawMs)).padStart(8)} events/s`,
  );
  console.log(
    `  ingest    decode + dedupe + aggregate + commit       ${String(rate(EVENTS, ingestMs)).padStart(8)} events/s`,
  );
  console.log(
    `  ratio ingest/baseline: ${(rate(EVENTS, ingestMs) / rate(EVENTS, rawMs)).toFixed(2)}`,
  );
  console.log(
    `  ingest    the same in batch records of 1000          ${String(rate(EVENTS, batchedMs)).padStart(8)} events/s`,
  );
  console.log(
    `  steady ${RATE}/s for ${producedFor.toFixed(1)} s: ingestion lag p50 ${percentile(lags, 50)} ms, p99 ${percentile(lags, 99)} ms, max ${Math.max(...lags)} ms (${lags.length} samples)\n`,
  );
  console.log(
    JSON.stringify({
      bench: 'usage-ingestion',
      events: EVENTS,
      baselinePerSec: rate(EVENTS, rawMs),
      ingestPerSec: rate(EVENTS, ingestMs),
      ingestBatchedPerSec: rate(EVENTS, batchedMs),
      lagP50Ms: percentile(lags, 50),
      lagP99Ms: percentile(lags, 99),
    }),
  );
} finally {
  await kit.close();
}
