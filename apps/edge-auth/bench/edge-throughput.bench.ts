// edge-auth on this machine, all in ONE run so the ratios are comparable (loopback only):
//   1. bare Fastify hello world (the ceiling)
//   2. the peer: Fastify + @fastify/rate-limit (Redis store) + SHA-256 key lookup
//   3. edge-auth forward-auth, strict Redis limits, metering on
//   4. edge-auth forward-auth, in-memory limiter, metering on
// Throughput: autocannon at saturation (req/s). Latency: our own open-loop generator at 70 % of
// edge-auth's (3) saturation rate, the same rate for all four, timed with hrtime (autocannon rounds latencies to whole ms,
// too coarse for a sub-millisecond budget). Then: heap per cached key (100k, 1M) and cold start
// of an edge-auth process to ready with 1M keys on the keys topic.
import autocannon from 'autocannon';
import { pino } from 'pino';
import { Pool } from 'undici';
import { join } from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { generateApiKey, KeyHasher } from '@tollgate/api-keys';
import { EventCodec, TOPICS, type KeyState } from '@tollgate/events';
import { sampleEvent } from '@tollgate/events/testing';
import {
  BatchingProducer,
  createKafkaConnection,
  EventPublisher,
  kafkaMetrics,
  provisionTopics,
} from '@tollgate/kafka';
import { env } from '@tollgate/service-runtime';
import {
  buildServiceArtifact,
  bundleScript,
  infraEnv,
  isolatedServiceEnv,
  startServiceProcess,
  testEndpoints,
  workspaceRoot,
  type ServiceProcess,
  eventually,
} from '@tollgate/test-infra';
import { Registry } from 'prom-client';
import { KeyTable } from '../src/key-table/key-table';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const TABLE_KEYS = Number(process.env.BENCH_TABLE_KEYS ?? 1_000_000);
const quiet = pino({ level: 'silent' });

interface Target {
  name: string;
  url: string;
  path: string;
  headers: Record<string, string>;
}

async function saturation(target: Target): Promise<{ rps: number; errors: number }> {
  await autocannon({
    url: target.url + target.path,
    headers: target.headers,
    duration: 2,
    connections: CONNECTIONS,
  }); // warm-up
  const result = await autocannon({
    url: target.url + target.path,
    headers: target.headers,
    duration: SECONDS,
    connections: CONNECTIONS,
  });
  return { rps: Math.round(result.requests.average), errors: result.non2xx + result.errors };
}

/** Open loop at `rate` req/s for SECONDS; per-request latency in ms from send to full response. */
async function latencyAt(target: Target, rate: number) {
  const pool = new Pool(target.url, { connections: CONNECTIONS, pipelining: 1 });
  const latencies: number[] = [];
  let failed = 0;
  const inFlight = new Set<Promise<void>>();
  const started = performance.now();
  let sent = 0;
  while (performance.now() - started < SECONDS * 1000) {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    for (; sent < due; sent++) {
      const t0 = process.hrtime.bigint();
      const p = pool
        .request({ method: 'GET', path: target.path, headers: target.headers })
        .then(async (res) => {
          await res.body.dump();
          if (res.statusCode !== 200) failed++;
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        })
        .catch(() => void failed++)
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    // A timer tick, not a busy loop: the generator must not eat the CPU the server needs.
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(inFlight);
  await pool.close();
  latencies.sort((a, b) => a - b);
  const q = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  return { p50: q(0.5), p99: q(0.99), achieved: Math.round(latencies.length / SECONDS), failed };
}

function heapUsed(): number {
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

function keyState(i: number, accountId: string, hash: string): KeyState {
  return {
    ...sampleEvent('KeyIssued').key,
    keyId: `key_01JDQ3W8Y6T4K2M9N7${String(i)
      .padStart(8, '0')
      .replace(/[ILOU]/g, '0')}`,
    accountId,
    keyHash: hash,
    expiresAt: null,
  };
}

function randomHash(i: number): string {
  return (i.toString(16).padStart(16, '0') + 'a'.repeat(48)).slice(0, 64);
}

function memoryPerKey(count: number): number {
  const before = heapUsed();
  const table = new KeyTable();
  const accounts = Math.max(1, Math.floor(count / 10));
  for (let i = 0; i < count; i++) {
    const accountId = `acct_01JDQ3W8Y6T4K2M9N7${String(i % accounts).padStart(8, '0')}`;
    table.applyKey(keyState(i, accountId, randomHash(i)), null);
  }
  const after = heapUsed();
  if (table.keyCount !== count) throw new Error('table lost keys');
  return (after - before) / count;
}

setFlagsFromString('--expose-gc');
const results: Record<string, unknown> = {};
const servers: ServiceProcess[] = [];
const cleanups: Array<() => Promise<unknown>> = [];
const codec = new EventCodec();
const kafka = createKafkaConnection({
  brokers: testEndpoints().kafkaBrokers,
  clientId: 'bench',
  log: quiet,
});
try {
  const peppers = env.peppersOrDevelopment(undefined);
  const hasher = new KeyHasher(peppers);
  const { plaintext } = generateApiKey({ env: 'live' });
  const accountId = 'acct_01JDQ3W8Y6T4K2M9N7P5R3S1V2';

  // Servers 1 and 2.
  const bare = await bundleScript(
    join(workspaceRoot(), 'apps/edge-auth/bench/servers/bare-fastify.ts'),
  );
  const peer = await bundleScript(
    join(workspaceRoot(), 'apps/edge-auth/bench/servers/peer-rate-limit.ts'),
  );
  cleanups.push(
    () => bare.remove(),
    () => peer.remove(),
  );
  const bareServer = await startServiceProcess(bare.entry, {});
  const peerServer = await startServiceProcess(peer.entry, {
    BENCH_KEY: plaintext,
    REDIS_URL: testEndpoints().redisUrl,
  });
  servers.push(bareServer, peerServer);

  // Servers 3 and 4: edge-auth, reading a key and a generous plan from its own topics.
  const admin = await kafka.admin();
  /** edge-auth's topics under a fresh prefix; returns the prefix. */
  const edgeTopics = async (base: string) => {
    const isolated = isolatedServiceEnv(base);
    cleanups.push(() => isolated.cleanup());
    const edgePrefix = isolated.env.KAFKA_TOPIC_PREFIX;
    await provisionTopics(
      admin,
      [TOPICS.keys, TOPICS.plans, TOPICS.accounts, TOPICS.usage, TOPICS.deadLetters].map((s) => ({
        ...s,
        name: edgePrefix + s.name,
      })),
      { replicationFactor: 1 },
    );
    return edgePrefix;
  };
  const prefix = await edgeTopics('bench_edge');
  const topic = (spec: { name: string }) => prefix + spec.name;
  const producer = new BatchingProducer(kafka.kafka, {
    name: 'bench',
    metrics: kafkaMetrics(new Registry()),
  });
  await producer.connect();
  const publisher = new EventPublisher(producer, codec, {
    KeyIssued: topic(TOPICS.keys),
    PlanChanged: topic(TOPICS.plans),
  });
  await publisher.publish('KeyIssued', {
    ...sampleEvent('KeyIssued'),
    key: {
      ...keyState(0, accountId, hasher.hash(plaintext).hash),
      pepperVersion: hasher.currentVersion,
    },
  });
  const plan = sampleEvent('PlanChanged');
  await publisher.publish('PlanChanged', {
    ...plan,
    accountId,
    effectiveAt: 0,
    plan: {
      ...plan.plan,
      rateLimits: [
        { name: 'per-second', limit: 1_000_000_000, windowMs: 1_000 },
        { name: 'per-minute', limit: 1_000_000_000, windowMs: 60_000 },
      ],
      monthlyQuota: 1_000_000_000_000,
      limitScope: 'key',
    },
  });

  const edgeArtifact = await buildServiceArtifact('apps/edge-auth');
  cleanups.push(() => edgeArtifact.remove());
  const spool = await mkdtemp(join(tmpdir(), 'bench-spool-'));
  cleanups.push(() => rm(spool, { recursive: true, force: true }));
  const edgeEnv = (store: string, n: number) => ({
    ...infraEnv(),
    LOG_LEVEL: 'info',
    KAFKA_TOPIC_PREFIX: prefix,
    RATE_LIMIT_STORE: store,
    SPOOL_DIR: join(spool, String(n)),
    FAILED_AUTH_LIMIT: '1000000',
    // Several edges on one host: each its own admin port.
    ADMIN_PORT: '0',
    // e.g. BENCH_EDGE_NODE_OPTIONS=--cpu-prof to see where edge-auth spends its time.
    ...(process.env.BENCH_EDGE_NODE_OPTIONS
      ? { NODE_OPTIONS: process.env.BENCH_EDGE_NODE_OPTIONS }
      : {}),
  });
  const edgeRedis = await startServiceProcess(edgeArtifact.entry, edgeEnv('redis', 3), 60_000);
  const edgeMemory = await startServiceProcess(edgeArtifact.entry, edgeEnv('memory', 4), 60_000);
  servers.push(edgeRedis, edgeMemory);
  const verifyHeaders = {
    authorization: `Bearer ${plaintext}`,
    'x-original-uri': '/v1/orders/1',
    'x-original-method': 'GET',
  };
  for (const edge of [edgeRedis, edgeMemory]) {
    await eventually(
      async () =>
        (await fetch(new URL('/verify', edge.url), { headers: verifyHeaders })).status === 200,
      60_000,
      () => `edge-auth to accept the bench key:\n${edge.output()}`,
    );
  }

  const targets: Target[] = [
    { name: '1 bare fastify', url: bareServer.url, path: '/', headers: {} },
    {
      name: '2 peer (@fastify/rate-limit redis + sha256)',
      url: peerServer.url,
      path: '/',
      headers: { 'x-api-key': plaintext },
    },
    {
      name: '3 edge-auth strict redis + metering',
      url: edgeRedis.url,
      path: '/verify',
      headers: verifyHeaders,
    },
    {
      name: '4 edge-auth in-memory + metering',
      url: edgeMemory.url,
      path: '/verify',
      headers: verifyHeaders,
    },
  ];
  // Only the server under test may use the CPU: pause the others.
  const pauseAllBut = (keep: ServiceProcess) => {
    for (const s of servers) s.child.kill(s === keep ? 'SIGCONT' : 'SIGSTOP');
  };
  const saturations: Array<{ rps: number; errors: number }> = [];
  for (const [i, target] of targets.entries()) {
    pauseAllBut(servers[i]!);
    saturations.push(await saturation(target));
  }
  // 70 % of edge-auth's own saturation (strict Redis): the load it is sized for; same rate for all.
  const rate = Math.round(saturations[2]!.rps * 0.7);
  const latencies: Array<Awaited<ReturnType<typeof latencyAt>>> = [];
  for (const [i, target] of targets.entries()) {
    pauseAllBut(servers[i]!);
    latencies.push(await latencyAt(target, rate));
  }
  for (const s of servers) s.child.kill('SIGCONT');

  console.log(
    `\nedge-auth vs baselines: ${SECONDS} s each, ${CONNECTIONS} connections, loopback, 2 cores`,
  );
  console.log(
    `  latency measured open-loop at ${rate} req/s (70 % of edge-auth strict saturation)`,
  );
  for (const [i, target] of targets.entries()) {
    const s = saturations[i]!;
    const l = latencies[i]!;
    console.log(
      `  ${target.name.padEnd(44)} ${String(s.rps).padStart(7)} req/s  ${(s.rps / saturations[0]!.rps).toFixed(2)}× bare` +
        `  | p50 ${l.p50.toFixed(3)} ms  p99 ${l.p99.toFixed(3)} ms  (achieved ${l.achieved}/s, non-2xx ${s.errors + l.failed})`,
    );
  }
  const added = (i: number) => latencies[i]!.p99 - latencies[0]!.p99;
  console.log(
    `  added p99 vs bare: edge redis ${added(2).toFixed(3)} ms, edge memory ${added(3).toFixed(3)} ms, peer ${added(1).toFixed(3)} ms`,
  );
  results.throughput = targets.map((t, i) => ({
    name: t.name,
    rps: saturations[i]!.rps,
    ...latencies[i],
  }));

  // Heap per cached key.
  for (const count of [100_000, TABLE_KEYS]) {
    const perKey = memoryPerKey(count);
    console.log(`  key table heap: ${count} keys → ${perKey.toFixed(0)} B/key`);
    results[`bytesPerKey${count}`] = Math.round(perKey);
  }

  // Cold start: an edge-auth process to ready with TABLE_KEYS keys on the keys topic.
  const coldPrefix = await edgeTopics('bench_cold');
  const coldTopic = (spec: { name: string }) => coldPrefix + spec.name;
  const coldPublisher = new EventPublisher(producer, codec, { KeyIssued: coldTopic(TOPICS.keys) });
  const producing = performance.now();
  const sends: Array<Promise<void>> = [];
  for (let i = 0; i < TABLE_KEYS; i++) {
    const accountId = `acct_01JDQ3W8Y6T4K2M9N7${String(i % 100_000).padStart(8, '0')}`;
    sends.push(
      coldPublisher.publish('KeyIssued', {
        ...sampleEvent('KeyIssued'),
        eventId: `01JDQ3W8Y6T4K2M9N7${String(i).padStart(8, '0')}`,
        key: keyState(i, accountId, randomHash(i)),
      }),
    );
    if (sends.length >= 50_000) await Promise.all(sends.splice(0));
  }
  await Promise.all(sends);
  console.log(
    `  produced ${TABLE_KEYS} KeyIssued in ${((performance.now() - producing) / 1000).toFixed(1)} s`,
  );
  const coldStarted = performance.now();
  const coldEdge = await startServiceProcess(
    edgeArtifact.entry,
    { ...edgeEnv('memory', 5), KAFKA_TOPIC_PREFIX: coldPrefix },
    120_000,
  );
  servers.push(coldEdge);
  while ((await fetch(new URL('/readyz', coldEdge.url))).status !== 200)
    await new Promise((r) => setTimeout(r, 50));
  const coldMs = performance.now() - coldStarted;
  // Metrics are served on the admin listener, whose address the edge logs at start.
  const adminUrl = /admin listener \(\/healthz \/readyz \/metrics\) at (http:\/\/[^\s"]+)/.exec(
    coldEdge.output(),
  )?.[1];
  if (!adminUrl) throw new Error(`no admin listener address in the output:\n${coldEdge.output()}`);
  const metrics = await (await fetch(new URL('/metrics', adminUrl))).text();
  const heapBytes = Number(/nodejs_heap_size_used_bytes\{[^}]*\} (\d+)/.exec(metrics)?.[1] ?? 0);
  const tableKeys = Number(/edge_key_table_keys\{[^}]*\} (\d+)/.exec(metrics)?.[1] ?? 0);
  console.log(
    `  cold start to ready with ${tableKeys} keys: ${(coldMs / 1000).toFixed(1)} s (process start included); heap used ${(heapBytes / 1e6).toFixed(0)} MB\n`,
  );
  results.coldStartMs = Math.round(coldMs);
  results.coldStartKeys = tableKeys;
  await producer.disconnect();
  console.log(JSON.stringify({ bench: 'edge-auth', ...results }));
} finally {
  for (const s of servers) {
    s.child.kill('SIGCONT');
    await s.stop('SIGTERM').catch(() => undefined);
  }
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await kafka.close();
}
