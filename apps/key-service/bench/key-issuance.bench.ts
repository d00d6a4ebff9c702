// Key issuance throughput end to end: HTTP POST (in-process inject) → event store + outbox commit
// → relay → KeyIssued acknowledged on Kafka and read back. Baseline in the same run: the same
// number of bare `insert` transactions into a one-column table, the floor any durable write pays.
import { collectTopics, startKeyService } from '../src/testing/key-service-test-kit';

const KEYS = Number(process.env.BENCH_KEYS ?? 2_000);
const CONCURRENCY = 16;

async function inParallel(count: number, work: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) await work(next++);
    }),
  );
  return performance.now() - started;
}

const ks = await startKeyService({ LOG_LEVEL: 'warn' });
try {
  // The same pooled Database the app uses (ks.db, on the app's schema).
  await ks.db.sql.query('create table bench_floor (id serial primary key, v text)');
  const floorMs = await inParallel(KEYS, async (i) => {
    await ks.db.transaction((tx) =>
      tx.query('insert into bench_floor (v) values (?)', [String(i)]),
    );
  });

  const account = await ks.app.inject({
    method: 'POST',
    url: '/v1/accounts',
    payload: { name: 'bench' },
  });
  const { accountId } = account.json<{ accountId: string }>();
  const collector = await collectTopics([ks.keysTopic]);
  const started = performance.now();
  const httpMs = await inParallel(KEYS, async () => {
    const res = await ks.app.inject({
      method: 'POST',
      url: `/v1/accounts/${accountId}/keys`,
      payload: { env: 'live' },
    });
    if (res.statusCode !== 201) throw new Error(`issue failed: ${res.body}`);
  });
  await collector.waitFor(
    (events) => events.filter((e) => e.type === 'KeyIssued').length >= KEYS,
    120_000,
  );
  const endToEndMs = performance.now() - started;
  await collector.stop();

  const rate = (ms: number) => Math.round((KEYS / ms) * 1000);
  console.log(`\nKey issuance: ${KEYS} keys, ${CONCURRENCY} concurrent requests`);
  console.log(
    `  baseline  bare insert transactions                 ${String(rate(floorMs)).padStart(7)} /s`,
  );
  console.log(
    `  issue     HTTP → event store + outbox committed     ${String(rate(httpMs)).padStart(7)} keys/s`,
  );
  console.log(
    `  issue     … and KeyIssued read back from Kafka      ${String(rate(endToEndMs)).padStart(7)} keys/s`,
  );
  console.log(`  ratio committed/baseline: ${(rate(httpMs) / rate(floorMs)).toFixed(2)}\n`);
  console.log(
    JSON.stringify({
      bench: 'key-issuance',
      keys: KEYS,
      baselinePerSec: rate(floorMs),
      committedPerSec: rate(httpMs),
      endToEndPerSec: rate(endToEndMs),
    }),
  );
} finally {
  await ks.close();
}
