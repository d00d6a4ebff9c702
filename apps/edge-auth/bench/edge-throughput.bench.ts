// edge-auth on this machine, all in ONE run so the ratios are comparable (loopback only):
//   1. bare Fastify hello world (the ceiling)
//   2. the peer: Fastify + @fastify/rate-limit (Redis store) + SHA-256 key lookup
//   3. edge-auth forward-auth, strict Redis limits, metering on
//   4. edge-auth forward-auth, leased Redis tokens (the default strategy), metering on
//   5. edge-auth forward-auth, in-memory limiter, metering on
//   6, 7. strict and leased again on a private 3-master Redis Cluster (REDIS_CLUSTER=true);
//      BENCH_REDIS_CLUSTER=0 leaves them out
// The whole stack runs: Kafka, and a usage-ingestor process consuming what the edges meter.
// Throughput: `wrk -t1 -c50 -d8s` (a C load generator in its own process, as a user would run
// it; autocannon in this process when wrk is not installed), two rounds over the targets.
// Latency: p50/p99 at 70 % of edge-auth's (3) saturation rate, the same rate for all. wrk has
// no rate option (wrk2 is not packaged), so a Lua `delay()` gives every connection a random think
// time (mean D ms) and the connection count is calibrated so that the achieved rate is the target;
// wrk times each request from its send to its response, in microseconds. This is closed-loop: a
// stall delays the next sends of that connection, so a tail caused by stalls is under-reported
// (coordinated omission); at 70 % load and sub-millisecond service times that effect is small.
// Without wrk: our own open-loop generator timed with hrtime (autocannon rounds to whole ms).
// Then (BENCH_PARTS=all, the default): heap per cached key (100k, 1M) and cold start of an
// edge-auth process to ready with 1M keys on the keys topic, its restart from the key table
// snapshot it wrote at SIGTERM, and the start of an edge on a "new node" (an empty snapshot
// directory) from the snapshot the restarted edge shared on Kafka. BENCH_PARTS=throughput skips
// those, BENCH_PARTS=startup runs only them.
import autocannon from 'autocannon';
import { pino } from 'pino';
import { Pool } from 'undici';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
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
  startRedisCluster,
} from '@tollgate/test-infra';
import pg from 'pg';
import { Registry } from 'prom-client';
import { KeyTable } from '../src/key-table/key-table';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const TABLE_KEYS = Number(process.env.BENCH_TABLE_KEYS ?? 1_000_000);
const PARTS = process.env.BENCH_PARTS ?? 'all';
const quiet = pino({ level: 'silent' });
const exec = promisify(execFile);

interface Target {
  name: string;
  url: string;
  path: string;
  headers: Record<string, string>;
}

interface Latency {
  p50: number;
  p99: number;
  achieved: number;
  failed: number;
}

const wrkPath = await exec('sh', ['-c', 'command -v wrk'])
  .then(({ stdout }) => stdout.trim() || undefined)
  .catch(() => undefined);

/** wrk's latency with its unit (`312.00us`, `1.23ms`, `2.00s`) in ms. */
function wrkMs(value: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(value.trim());
  if (!match) throw new Error(`unreadable wrk latency ${value}`);
  const scale = { us: 0.001, ms: 1, s: 1000, m: 60_000 }[match[2] as 'us' | 'ms' | 's' | 'm'];
  return Number(match[1]) * scale;
}

interface WrkResult extends Latency {
  rps: number;
}

async function wrk(
  target: Target,
  options: { seconds: number; connections: number; script?: string },
): Promise<WrkResult> {
  const args = ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--latency'];
  for (const [name, value] of Object.entries(target.headers)) args.push('-H', `${name}: ${value}`);
  if (options.script) args.push('-s', options.script);
  args.push(target.url + target.path);
  const { stdout } = await exec(wrkPath!, args, { timeout: (options.seconds + 30) * 1000 });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
  const percentile = (p: string) => {
    const value = new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(stdout)?.[1];
    if (!value || Number.isNaN(rps)) throw new Error(`unreadable wrk output:\n${stdout}`);
    return wrkMs(value);
  };
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/
    .exec(stdout)
    ?.slice(1)
    .reduce((n, v) => n + Number(v), 0);
  return {
    rps: Math.round(rps),
    p50: percentile('50'),
    p99: percentile('99'),
    achieved: Math.round(rps),
    failed: non2xx + (socketErrors ?? 0),
  };
}

async function saturation(target: Target): Promise<{ rps: number; errors: number }> {
  if (wrkPath) {
    await wrk(target, { seconds: 2, connections: CONNECTIONS }); // warm-up
    const result = await wrk(target, { seconds: SECONDS, connections: CONNECTIONS });
    return { rps: result.rps, errors: result.failed };
  }
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

/** Think time per request (ms) of the paced wrk runs: random in [0, 2 × THINK_MS]. */
const THINK_MS = 2;

/**
 * wrk paced to about `rate` req/s: connections calibrated in a short run, then measured;
 * `measured` runs beside the measured run only (e.g. a CPU meter).
 */
async function wrkLatencyAt(
  target: Target,
  rate: number,
  script: string,
  measured: <T>(run: () => Promise<T>) => Promise<T> = (run) => run(),
): Promise<Latency> {
  let connections = Math.max(1, Math.round((rate * (THINK_MS + 0.3)) / 1000));
  const probe = await wrk(target, { seconds: 3, connections, script });
  connections = Math.max(1, Math.round((connections * rate) / Math.max(1, probe.rps)));
  return measured(() => wrk(target, { seconds: SECONDS, connections, script }));
}

/** Open loop at `rate` req/s for SECONDS; per-request latency in ms from send to full response. */
async function latencyAt(target: Target, rate: number): Promise<Latency> {
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

/** CPU used by some processes between start and stop, in % of one core. */
type CpuShare = Record<'server' | 'ingestor' | 'kafka', string | undefined>;

/** Linux reports thread and process CPU in clock ticks of 10 ms. */
const TICKS_PER_SECOND = 100;

async function cpuTicks(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime, clock ticks
  } catch {
    return undefined;
  }
}

/** CPU ticks per thread of a process, by thread id, with the thread's name. */
async function threadTicks(pid: number): Promise<Map<string, { name: string; ticks: number }>> {
  const threads = new Map<string, { name: string; ticks: number }>();
  for (const tid of await readdir(`/proc/${pid}/task`).catch(() => [])) {
    const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => '');
    if (!stat) continue;
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    threads.set(tid, { name, ticks: Number(fields[11]) + Number(fields[12]) });
  }
  return threads;
}

/**
 * CPU seconds of a server's threads between two `threadTicks` readings, grouped: its main thread,
 * edge-auth's metering thread (`tollgate-meter`), and the rest (V8's platform workers, libuv's pool).
 */
function threadGroupSeconds(
  pid: number,
  before: Map<string, { name: string; ticks: number }>,
  after: Map<string, { name: string; ticks: number }>,
): { main: number; metering: number; helpers: number } {
  const seconds = { main: 0, metering: 0, helpers: 0 };
  for (const [tid, { name, ticks }] of after) {
    const used = (ticks - (before.get(tid)?.ticks ?? 0)) / TICKS_PER_SECOND;
    if (tid === String(pid)) seconds.main += used;
    else if (name === 'tollgate-meter') seconds.metering += used;
    else seconds.helpers += used;
  }
  return seconds;
}

/**
 * A thread's scheduler figures (`/proc/<pid>/task/<tid>/schedstat`): nanoseconds it was runnable
 * but waiting for a core (another thread or process had both), and the times it was put on one.
 */
async function schedstat(pid: number, tid = pid): Promise<{ waitNs: number; runs: number }> {
  const text = await readFile(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').catch(() => '0 0 0');
  const [, waitNs, runs] = text.trim().split(' ').map(Number);
  return { waitNs: waitNs ?? 0, runs: runs ?? 0 };
}

/** What an edge's own /metrics says about its request thread (prom-client's default metrics). */
interface LoopFigures {
  /**
   * Intervals of prom-client's 10 ms event-loop timer over the run (it resets them at every
   * scrape), ms: 10 plus however long the loop was held up.
   */
  lagMinMs: number;
  lagP99Ms: number;
  lagMaxMs: number;
  /** Young-generation (scavenge) and other GC pauses on the request thread: count and ms. */
  minorGcs: number;
  minorGcMs: number;
  otherGcMs: number;
  /** Set on the difference of two readings: the seconds between them. */
  seconds?: number;
}

async function loopFigures(adminUrl: string): Promise<LoopFigures> {
  const text = await (await fetch(new URL('/metrics', adminUrl))).text();
  const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? NaN);
  let otherGcSeconds = 0;
  for (const m of text.matchAll(
    /^nodejs_gc_duration_seconds_sum\{[^}]*kind="(\w+)"[^}]*\} (\S+)$/gm,
  ))
    if (m[1] !== 'minor') otherGcSeconds += Number(m[2]);
  return {
    lagMinMs: value(/^nodejs_eventloop_lag_min_seconds(?:\{[^}]*\})? (\S+)$/m) * 1000,
    lagP99Ms: value(/^nodejs_eventloop_lag_p99_seconds(?:\{[^}]*\})? (\S+)$/m) * 1000,
    lagMaxMs: value(/^nodejs_eventloop_lag_max_seconds(?:\{[^}]*\})? (\S+)$/m) * 1000,
    minorGcs: value(/^nodejs_gc_duration_seconds_count\{[^}]*kind="minor"[^}]*\} (\S+)$/m),
    minorGcMs: value(/^nodejs_gc_duration_seconds_sum\{[^}]*kind="minor"[^}]*\} (\S+)$/m) * 1000,
    otherGcMs: otherGcSeconds * 1000,
  };
}

/** The admin listener an edge logged at start. */
function adminUrlOf(edge: ServiceProcess): string {
  const url = /admin listener \(\/healthz \/readyz \/metrics\) at (http:\/\/[^\s"]+)/.exec(
    edge.output(),
  )?.[1];
  if (!url) throw new Error(`no admin listener address in the output:\n${edge.output()}`);
  return url;
}

function cpuMeter(pids: Partial<Record<keyof CpuShare, number>>) {
  let before: Record<string, number | undefined> = {};
  let threadsBefore = new Map<string, { name: string; ticks: number }>();
  let startedAt = 0;
  return {
    async start() {
      for (const [name, pid] of Object.entries(pids)) before[name] = await cpuTicks(pid);
      if (pids.server) threadsBefore = await threadTicks(pids.server);
      startedAt = performance.now();
    },
    /**
     * The server's threads by CPU % over the run: the main thread, then each name with its threads'
     * own shares. edge-auth names its metering thread `tollgate-meter`; the threads left as `node`
     * are V8's platform workers (parallel and concurrent GC, background compiles) and libuv's pool.
     */
    async threads(): Promise<string> {
      const seconds = (performance.now() - startedAt) / 1000;
      const after = pids.server
        ? await threadTicks(pids.server)
        : new Map<string, { name: string; ticks: number }>();
      const pct = (ticks: number) => Math.round((ticks / TICKS_PER_SECOND / seconds) * 100);
      const byName = new Map<string, number[]>();
      let main = 0;
      for (const [tid, { name, ticks }] of after) {
        const used = ticks - (threadsBefore.get(tid)?.ticks ?? ticks);
        if (tid === String(pids.server)) main = used;
        else if (pct(used) > 0) byName.set(name, [...(byName.get(name) ?? []), pct(used)]);
      }
      const total = (shares: number[]) => shares.reduce((a, b) => a + b, 0);
      return [
        `main ${pct(main)}`,
        ...[...byName]
          .sort((a, b) => total(b[1]) - total(a[1]))
          .map(([name, shares]) => `${name} ${shares.sort((a, b) => b - a).join('+')}`),
      ].join(', ');
    },
    async stop(): Promise<CpuShare> {
      const seconds = (performance.now() - startedAt) / 1000;
      const share: CpuShare = { server: undefined, ingestor: undefined, kafka: undefined };
      for (const [name, pid] of Object.entries(pids)) {
        const after = await cpuTicks(pid);
        const start = before[name];
        if (after !== undefined && start !== undefined)
          share[name as keyof CpuShare] =
            `${Math.round(((after - start) / TICKS_PER_SECOND / seconds) * 100)}`;
      }
      before = {};
      return share;
    },
  };
}

/** The local Kafka broker's JVM, for its CPU share (undefined when not found, e.g. in Docker). */
/** Processes whose command line passes `matches`. */
async function findPids(matches: (cmdline: string) => boolean): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [])) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (matches(cmdline.replaceAll('\0', ' '))) pids.push(Number(entry));
  }
  return pids;
}

async function findKafkaPid(): Promise<number | undefined> {
  const [pid] = await findPids(
    (cmdline) => cmdline.includes('kafka.Kafka') || cmdline.includes('kafka/kafka_2.13'),
  );
  return pid;
}

/** redis-server processes listening on one of `ports` (redis-server titles itself `host:port`). */
function findRedisPids(ports: readonly number[]): Promise<number[]> {
  return findPids((cmdline) =>
    ports.some((port) => new RegExp(`redis-server[^\\s]* \\S*:${port}(\\D|$)`).test(cmdline)),
  );
}

/** CPU seconds the given processes use, summed, while `run` runs. */
async function cpuSecondsDuring<T>(
  pids: Record<string, number[]>,
  run: () => Promise<T>,
): Promise<{ result: T; seconds: Record<string, number> }> {
  const ticks = async () => {
    const out: Record<string, number> = {};
    for (const [name, list] of Object.entries(pids)) {
      out[name] = 0;
      for (const pid of list) out[name] += (await cpuTicks(pid)) ?? 0;
    }
    return out;
  };
  const before = await ticks();
  const result = await run();
  const after = await ticks();
  return {
    result,
    seconds: Object.fromEntries(
      Object.keys(pids).map((name) => [name, (after[name]! - before[name]!) / TICKS_PER_SECOND]),
    ),
  };
}

/** Requests counted by the bench's usage-ingestor (its minute table, read directly). */
async function usageCount(databaseSchema: string): Promise<number> {
  const client = new pg.Client({ connectionString: testEndpoints().databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string | null }>(
      `select sum(requests)::text as n from "${databaseSchema}".usage_minute`,
    );
    return Number(rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
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
/** Processes of the stack that are not targets (never paused). */
const others: ServiceProcess[] = [];
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
  const edgeEnv = (store: string, n: number, strategy = 'strict') => ({
    ...infraEnv(),
    LOG_LEVEL: 'info',
    KAFKA_TOPIC_PREFIX: prefix,
    RATE_LIMIT_STORE: store,
    RATE_LIMIT_STRATEGY: strategy,
    SPOOL_DIR: join(spool, String(n)),
    KEY_TABLE_SNAPSHOT_DIR: join(spool, String(n), 'key-table'),
    FAILED_AUTH_LIMIT: '1000000',
    // Several edges on one host: each its own admin port.
    ADMIN_PORT: '0',
    // BENCH_EDGE_NODE_OPTIONS: e.g. --max-semi-space-size=64 (V8 flags Node allows there).
    ...(process.env.BENCH_EDGE_NODE_OPTIONS
      ? { NODE_OPTIONS: process.env.BENCH_EDGE_NODE_OPTIONS }
      : {}),
    // BENCH_EDGE_CPU_PROFILE=<dir>: each edge writes a .cpuprofile there when it exits.
    ...(process.env.BENCH_EDGE_CPU_PROFILE
      ? {
          NODE_OPTIONS: `--require ${join(workspaceRoot(), 'apps/edge-auth/bench/cpu-profile.cjs')}`,
          CPU_PROFILE_DIR: process.env.BENCH_EDGE_CPU_PROFILE,
        }
      : {}),
  });
  const edgeRedis = await startServiceProcess(edgeArtifact.entry, edgeEnv('redis', 3), 60_000);
  const edgeLeased = await startServiceProcess(
    edgeArtifact.entry,
    edgeEnv('redis', 6, 'leased'),
    60_000,
  );
  const edgeMemory = await startServiceProcess(edgeArtifact.entry, edgeEnv('memory', 4), 60_000);
  servers.push(edgeRedis, edgeLeased, edgeMemory);
  // The same two Redis strategies on a Redis Cluster of three masters, private to the bench.
  const clusterEdges: ServiceProcess[] = [];
  let clusterPorts: number[] = [];
  if (process.env.BENCH_REDIS_CLUSTER !== '0') {
    const cluster = await startRedisCluster(3);
    clusterPorts = cluster.ports;
    cleanups.push(() => cluster.stop());
    const onCluster = { REDIS_URL: cluster.url, REDIS_CLUSTER: 'true' };
    for (const [n, strategy] of [
      [7, 'strict'],
      [8, 'leased'],
    ] as const)
      clusterEdges.push(
        await startServiceProcess(
          edgeArtifact.entry,
          { ...edgeEnv('redis', n, strategy), ...onCluster },
          60_000,
        ),
      );
    servers.push(...clusterEdges);
  }
  const edges = [edgeRedis, edgeLeased, edgeMemory, ...clusterEdges];
  const verifyHeaders = {
    authorization: `Bearer ${plaintext}`,
    'x-original-uri': '/v1/orders/1',
    'x-original-method': 'GET',
  };
  for (const edge of edges) {
    await eventually(
      async () =>
        (await fetch(new URL('/verify', edge.url), { headers: verifyHeaders })).status === 200,
      60_000,
      () => `edge-auth to accept the bench key:\n${edge.output()}`,
    );
  }

  // The rest of the stack: a usage-ingestor consuming what the edges meter.
  const ingestorArtifact = await buildServiceArtifact('apps/usage-ingestor');
  cleanups.push(() => ingestorArtifact.remove());
  const ingestorSchema = `bench_usage_${process.pid}`;
  cleanups.push(async () => {
    const client = new pg.Client({ connectionString: testEndpoints().databaseUrl });
    await client.connect();
    await client
      .query(`drop schema if exists "${ingestorSchema}" cascade`)
      .finally(() => client.end());
  });
  const ingestor = await startServiceProcess(
    ingestorArtifact.entry,
    {
      ...infraEnv(),
      KAFKA_TOPIC_PREFIX: prefix,
      LOG_LEVEL: 'info',
      DATABASE_SCHEMA: ingestorSchema,
      CONSUMER_GROUP: `bench-usage-${process.pid}`,
    },
    60_000,
  );
  others.push(ingestor);
  await ingestor.ready(60_000);
  const loadBefore = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

  // BENCH_DIAGNOSTIC=1: a fifth target, the shared Tollgate HTTP plumbing with a fixed answer.
  const diagnostic = process.env.BENCH_DIAGNOSTIC === '1';
  const runtimeServer = diagnostic
    ? await (async () => {
        const runtime = await bundleScript(
          join(workspaceRoot(), 'apps/edge-auth/bench/servers/runtime-fastify.ts'),
        );
        cleanups.push(() => runtime.remove());
        const server = await startServiceProcess(runtime.entry, {});
        servers.push(server);
        return server;
      })()
    : undefined;
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
      name: '4 edge-auth leased redis tokens + metering',
      url: edgeLeased.url,
      path: '/verify',
      headers: verifyHeaders,
    },
    {
      name: '5 edge-auth in-memory + metering',
      url: edgeMemory.url,
      path: '/verify',
      headers: verifyHeaders,
    },
    ...clusterEdges.map((edge, i) => ({
      name: `${6 + i} edge-auth ${i === 0 ? 'strict' : 'leased'} on a 3-master redis cluster + metering`,
      url: edge.url,
      path: '/verify',
      headers: verifyHeaders,
    })),
    ...(runtimeServer
      ? [
          {
            name: `${6 + clusterEdges.length} diagnostic: Tollgate HTTP plumbing, fixed answer`,
            url: runtimeServer.url,
            path: '/verify',
            headers: verifyHeaders,
          },
        ]
      : []),
  ];
  // Only the server under test may use the CPU: pause the other targets. Kafka and the
  // usage-ingestor keep running: metering is part of what an edge costs.
  // Not while profiling: a stopped process's profile would show the pause in whatever it was doing.
  const pauseAllBut = (keep: ServiceProcess) => {
    if (process.env.BENCH_EDGE_CPU_PROFILE) return;
    for (const s of servers) s.child.kill(s === keep ? 'SIGCONT' : 'SIGSTOP');
  };
  // BENCH_PARTS=startup: only the heap and start-up figures below.
  if (PARTS !== 'startup') {
    const kafkaPid = await findKafkaPid();
    const rounds: Array<Array<{ rps: number; errors: number; cpu: CpuShare; threads: string }>> =
      [];
    for (let round = 0; round < ROUNDS; round++) {
      const results: Array<{ rps: number; errors: number; cpu: CpuShare; threads: string }> = [];
      for (const [i, target] of targets.entries()) {
        pauseAllBut(servers[i]!);
        const cpu = cpuMeter({
          server: servers[i]!.child.pid!,
          ingestor: ingestor.child.pid!,
          ...(kafkaPid ? { kafka: kafkaPid } : {}),
        });
        await cpu.start();
        const result = await saturation(target);
        const threads = await cpu.threads();
        results.push({ ...result, cpu: await cpu.stop(), threads });
      }
      rounds.push(results);
    }
    const meanRps = (i: number) => Math.round(rounds.reduce((n, r) => n + r[i]!.rps, 0) / ROUNDS);
    // 70 % of edge-auth's own saturation (strict Redis): the load it is sized for; same rate for all.
    const rate = Math.round(meanRps(2) * 0.7);
    const paceScript = join(spool, 'pace.lua');
    await writeFile(
      paceScript,
      `function delay()\n  return math.random(0, ${2 * THINK_MS})\nend\n`,
    );
    const latencies: Latency[] = [];
    // What each request costs the whole stack at this rate: CPU seconds of the server, the
    // usage-ingestor, Kafka and the Redis it uses (the cluster's three for targets 6 and 7) while
    // the paced run is measured, per request. Unlike req/s at saturation this does not depend on
    // who wins the two cores.
    const stackCpu: Array<Record<string, number>> = [];
    // The server column by thread: what the request thread itself costs, apart from metering's
    // thread and the garbage collection and compiles V8 runs on its helper threads.
    const serverThreads: Array<{ main: number; metering: number; helpers: number }> = [];
    // Where the tail comes from: how long the request thread waited for a core while runnable,
    // and (edge-auth only, from its /metrics) its event-loop delay and garbage-collection pauses.
    const tails: Array<{ waitMsPerS: number; waitUsPerRun: number; loop?: LoopFigures }> = [];
    const redisPort = Number(new URL(testEndpoints().redisUrl).port || 6379);
    const sharedRedis = await findRedisPids([redisPort]);
    const clusterRedis = await findRedisPids(clusterPorts);
    for (const [i, target] of targets.entries()) {
      pauseAllBut(servers[i]!);
      const onCluster = clusterEdges.includes(servers[i]!);
      const pids = {
        server: [servers[i]!.child.pid!],
        ingestor: [ingestor.child.pid!],
        kafka: kafkaPid ? [kafkaPid] : [],
        redis: onCluster ? clusterRedis : sharedRedis,
      };
      let seconds: Record<string, number> = {};
      let threadSeconds = { main: 0, metering: 0, helpers: 0 };
      const edge = edges.includes(servers[i]!) ? servers[i]! : undefined;
      let tail: { waitMsPerS: number; waitUsPerRun: number; loop?: LoopFigures } = {
        waitMsPerS: 0,
        waitUsPerRun: 0,
      };
      const measured = async <T>(run: () => Promise<T>) => {
        const threadsBefore = await threadTicks(pids.server[0]!);
        const loopBefore = edge ? await loopFigures(adminUrlOf(edge)) : undefined;
        const schedBefore = await schedstat(pids.server[0]!);
        const runStarted = performance.now();
        const during = await cpuSecondsDuring(pids, run);
        const schedAfter = await schedstat(pids.server[0]!);
        const runSeconds = (performance.now() - runStarted) / 1000;
        const loopAfter = edge ? await loopFigures(adminUrlOf(edge)) : undefined;
        tail = {
          waitMsPerS: (schedAfter.waitNs - schedBefore.waitNs) / 1e6 / runSeconds,
          waitUsPerRun:
            (schedAfter.waitNs - schedBefore.waitNs) /
            1e3 /
            Math.max(1, schedAfter.runs - schedBefore.runs),
          ...(loopBefore && loopAfter
            ? {
                loop: {
                  lagMinMs: loopAfter.lagMinMs,
                  lagP99Ms: loopAfter.lagP99Ms,
                  lagMaxMs: loopAfter.lagMaxMs,
                  minorGcs: loopAfter.minorGcs - loopBefore.minorGcs,
                  minorGcMs: loopAfter.minorGcMs - loopBefore.minorGcMs,
                  seconds: runSeconds,
                  otherGcMs: loopAfter.otherGcMs - loopBefore.otherGcMs,
                },
              }
            : {}),
        };
        seconds = during.seconds;
        threadSeconds = threadGroupSeconds(
          pids.server[0]!,
          threadsBefore,
          await threadTicks(pids.server[0]!),
        );
        return during.result;
      };
      const latency = wrkPath
        ? await wrkLatencyAt(target, rate, paceScript, measured)
        : await measured(() => latencyAt(target, rate));
      latencies.push(latency);
      tails.push(tail);
      const requests = Math.max(1, latency.achieved * SECONDS);
      stackCpu.push(
        Object.fromEntries(
          Object.entries(seconds).map(([name, s]) => [name, (s * 1e6) / requests]),
        ),
      );
      serverThreads.push({
        main: (threadSeconds.main * 1e6) / requests,
        metering: (threadSeconds.metering * 1e6) / requests,
        helpers: (threadSeconds.helpers * 1e6) / requests,
      });
    }
    for (const s of servers) s.child.kill('SIGCONT');
    // Every decision is metered exactly once: what the edges decided (their own counters) is what
    // the usage-ingestor counts once it has caught up.
    let decided = 0;
    for (const edge of edges) {
      const text = await (await fetch(new URL('/metrics', adminUrlOf(edge)))).text();
      for (const match of text.matchAll(/^edge_decisions_total\{[^}]*\} (\d+)$/gm))
        decided += Number(match[1]);
    }
    let ingested = 0;
    await eventually(
      async () => (ingested = await usageCount(ingestorSchema)) >= decided,
      120_000,
      () => `the usage-ingestor to count ${decided} requests (${ingested} so far)`,
    ).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 2_000)); // anything counted twice would show by now
    ingested = await usageCount(ingestorSchema);

    console.log(
      `\nedge-auth vs baselines: ${wrkPath ? `wrk -t1 -c${CONNECTIONS} -d${SECONDS}s` : `autocannon (wrk not installed), ${CONNECTIONS} connections, ${SECONDS} s`}, loopback, ${cpus().length} cores, load average before ${loadBefore}`,
    );
    console.log(
      `\n| target | ${rounds.map((_, r) => `round ${r + 1} req/s | × bare`).join(' | ')} | CPU % during round 1 (server / ingestor / Kafka) |`,
    );
    console.log(`|---|${rounds.map(() => '---|---').join('|')}|---|`);
    for (const [i, target] of targets.entries()) {
      const cells = rounds.map(
        (r) => `${(r[i]!.rps / 1000).toFixed(1)}k | ${(r[i]!.rps / r[0]!.rps).toFixed(2)}`,
      );
      const cpu = rounds[0]![i]!.cpu;
      const errors = rounds.reduce((n, r) => n + r[i]!.errors, 0);
      console.log(
        `| ${target.name} | ${cells.join(' | ')} | ${cpu.server} / ${cpu.ingestor} / ${cpu.kafka ?? '?'}${errors ? ` (non-2xx or errors: ${errors})` : ''} |`,
      );
    }
    console.log(
      `\nserver threads by CPU % in round 1 (Linux thread names; "node": V8 GC and compile helpers, libuv pool):`,
    );
    for (const [i, target] of targets.entries())
      console.log(`  ${target.name}: ${rounds[0]![i]!.threads}`);
    console.log(
      `\nlatency at ${rate} req/s (70 % of edge-auth strict Redis saturation), ${wrkPath ? `wrk paced by a random think time of 0-${2 * THINK_MS} ms per request` : 'open-loop JS generator'}:`,
    );
    console.log(`\n| target | achieved req/s | p50 ms | p99 ms | added p99 vs bare ms |`);
    console.log('|---|---|---|---|---|');
    for (const [i, target] of targets.entries()) {
      const l = latencies[i]!;
      console.log(
        `| ${target.name} | ${l.achieved} | ${l.p50.toFixed(3)} | ${l.p99.toFixed(3)} | ${(l.p99 - latencies[0]!.p99).toFixed(3)}${l.failed ? ` (non-2xx or errors: ${l.failed})` : ''} |`,
      );
    }
    console.log(
      `\nwhole-stack CPU per request at that rate, µs (CPU seconds while measured ÷ requests; idle background included in every row):`,
    );
    console.log(`\n| target | server | usage-ingestor | Kafka | Redis | total | × bare |`);
    console.log('|---|---|---|---|---|---|---|');
    const totalOf = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);
    for (const [i, target] of targets.entries()) {
      const c = stackCpu[i]!;
      console.log(
        `| ${target.name} | ${[c.server, c.ingestor, c.kafka, c.redis].map((v) => (v ?? 0).toFixed(1)).join(' | ')} | ${totalOf(c).toFixed(1)} | ${(totalOf(c) / totalOf(stackCpu[0]!)).toFixed(2)} |`,
      );
    }
    console.log(
      `\nthe server column by thread, µs per request (main; edge-auth's metering thread; "node" helpers: V8 GC and compiles, libuv pool):`,
    );
    console.log(`\n| target | main | metering thread | helpers | × bare (main) |`);
    console.log('|---|---|---|---|---|');
    for (const [i, target] of targets.entries()) {
      const t = serverThreads[i]!;
      console.log(
        `| ${target.name} | ${t.main.toFixed(1)} | ${t.metering.toFixed(1)} | ${t.helpers.toFixed(1)} | ${(t.main / serverThreads[0]!.main).toFixed(2)} |`,
      );
    }
    console.log(
      `\nthe request thread during that run: waiting for a core while runnable (ms per second, from schedstat); edge-auth's own event loop (prom-client's 10 ms timer: its intervals are 10 ms plus any hold-up) and GC pauses on it:`,
    );
    console.log(
      `\n| target | run-queue wait ms/s | µs waited per turn on a core | 10 ms timer interval min / p99 / max ms | scavenges/s | scavenge ms each | other GC ms |`,
    );
    console.log('|---|---|---|---|---|---|---|');
    for (const [i, target] of targets.entries()) {
      const { waitMsPerS, waitUsPerRun, loop } = tails[i]!;
      const cells = loop
        ? [
            `${loop.lagMinMs.toFixed(1)} / ${loop.lagP99Ms.toFixed(1)} / ${loop.lagMaxMs.toFixed(1)}`,
            (loop.minorGcs / (loop.seconds ?? 1)).toFixed(1),
            (loop.minorGcMs / Math.max(1, loop.minorGcs)).toFixed(2),
            loop.otherGcMs.toFixed(1),
          ]
        : ['–', '–', '–', '–'];
      console.log(
        `| ${target.name} | ${waitMsPerS.toFixed(0)} | ${waitUsPerRun.toFixed(0)} | ${cells.join(' | ')} |`,
      );
    }
    console.log(
      `\nmetering: the edges decided ${decided} requests, the usage-ingestor counted ${ingested} (${ingested === decided ? 'exact' : 'NOT exact'})`,
    );
    results.throughput = targets.map((t, i) => ({
      name: t.name,
      rps: rounds.map((r) => r[i]!.rps),
      latency: latencies[i],
      stackCpuMicrosPerRequest: stackCpu[i],
      serverThreadMicrosPerRequest: serverThreads[i],
      requestThreadTail: tails[i],
    }));
    results.loadBefore = loadBefore;
    results.metering = { decided, ingested };
  }

  if (PARTS === 'throughput') {
    await producer.disconnect();
    console.log(JSON.stringify({ bench: 'edge-auth', ...results }));
    process.exitCode = 0;
  } else {
    // Heap per cached key.
    for (const count of [100_000, TABLE_KEYS]) {
      const perKey = memoryPerKey(count);
      console.log(`  key table heap: ${count} keys → ${perKey.toFixed(0)} B/key`);
      results[`bytesPerKey${count}`] = Math.round(perKey);
    }

    // Cold start: an edge-auth process to ready with TABLE_KEYS keys on the keys topic.
    const coldPrefix = await edgeTopics('bench_cold');
    const coldTopic = (spec: { name: string }) => coldPrefix + spec.name;
    const coldPublisher = new EventPublisher(producer, codec, {
      KeyIssued: coldTopic(TOPICS.keys),
    });
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
    // An edge on the cold topics, and how long from spawning it until `/readyz` answers 200.
    const startTableEdge = async (env: Record<string, string> = {}) => {
      const started = performance.now();
      const edge = await startServiceProcess(
        edgeArtifact.entry,
        { ...edgeEnv('memory', 5), KAFKA_TOPIC_PREFIX: coldPrefix, ...env },
        120_000,
      );
      servers.push(edge);
      while ((await fetch(new URL('/readyz', edge.url))).status !== 200)
        await new Promise((r) => setTimeout(r, 50));
      return { edge, ms: performance.now() - started };
    };
    // Shares nothing, so the share's background work does not touch the heap figure below.
    const waitForOutput = async (
      edge: Awaited<ReturnType<typeof startTableEdge>>['edge'],
      pattern: RegExp,
      timeoutMs: number,
    ): Promise<RegExpExecArray> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = pattern.exec(edge.output());
        if (found) return found;
        if (Date.now() > deadline)
          throw new Error(`no ${pattern} in the edge's output:\n${edge.output()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const { edge: coldEdge, ms: coldMs } = await startTableEdge({
      KEY_TABLE_SNAPSHOT_SHARING: 'read',
    });
    // Metrics are served on the admin listener, whose address the edge logs at start.
    const adminUrl = /admin listener \(\/healthz \/readyz \/metrics\) at (http:\/\/[^\s"]+)/.exec(
      coldEdge.output(),
    )?.[1];
    if (!adminUrl)
      throw new Error(`no admin listener address in the output:\n${coldEdge.output()}`);
    const metrics = await (await fetch(new URL('/metrics', adminUrl))).text();
    const heapBytes = Number(/nodejs_heap_size_used_bytes\{[^}]*\} (\d+)/.exec(metrics)?.[1] ?? 0);
    const tableKeys = Number(/edge_key_table_keys\{[^}]*\} (\d+)/.exec(metrics)?.[1] ?? 0);
    console.log(
      `  cold start to ready with ${tableKeys} keys: ${(coldMs / 1000).toFixed(1)} s (process start included); heap used ${(heapBytes / 1e6).toFixed(0)} MB\n`,
    );
    results.coldStartMs = Math.round(coldMs);
    results.coldStartKeys = tableKeys;

    // Restart: SIGTERM writes the key table snapshot; the next process loads it and reads only
    // what the topics got since (nothing here), as a deploy or a crash-free restart does.
    const stopping = performance.now();
    await coldEdge.stop('SIGTERM');
    servers.splice(servers.indexOf(coldEdge), 1);
    const stopMs = performance.now() - stopping;
    const written =
      /"keys":(\d+),"bytes":(\d+),"writeMs":(\d+)[^\n]*key table snapshot written/.exec(
        coldEdge.output(),
      );
    if (!written) throw new Error(`the edge wrote no key table snapshot:\n${coldEdge.output()}`);
    const restartedAt = Date.now();
    const { edge: warmEdge, ms: restartMs } = await startTableEdge();
    const loaded = /"keys":(\d+),"ageMs":\d+,"loadMs":(\d+)[^\n]*loaded from its snapshot/.exec(
      warmEdge.output(),
    );
    if (!loaded) throw new Error(`the edge did not load its snapshot:\n${warmEdge.output()}`);
    console.log(
      `  SIGTERM with the snapshot write: ${(stopMs / 1000).toFixed(1)} s (snapshot of ${written[1]} keys, ${(Number(written[2]) / 1e6).toFixed(0)} MB, written in ${written[3]} ms)`,
    );
    console.log(
      `  restart to ready from the snapshot: ${(restartMs / 1000).toFixed(1)} s (process start included; ${loaded[1]} keys loaded in ${loaded[2]} ms)`,
    );
    // Where a start's time went, from the edge's own log lines.
    const timelineOf = (
      edge: typeof warmEdge,
      since: number,
      milestones: Array<[string, RegExp]>,
    ): string =>
      milestones
        .map(([name, pattern]) => {
          const line = edge
            .output()
            .split('\n')
            .find((l) => pattern.test(l));
          const time = Date.parse(/"time":"([^"]+)"/.exec(line ?? '')?.[1] ?? '');
          return `${name} +${Number.isFinite(time) ? ((time - since) / 1000).toFixed(1) : '?'} s`;
        })
        .join(', ');
    console.log(
      `  restart timeline: ${timelineOf(warmEdge, restartedAt, [
        ['listening', /Server listening/],
        ['snapshot loaded', /loaded from its snapshot/],
        ['table caught up', /table caught up/],
      ])}\n`,
    );

    // A new node: no snapshot on its disk. The restarted edge found no shared snapshot once caught
    // up and published its own; the new edge fetches that and reads only what changed since.
    const shared = await waitForOutput(
      warmEdge,
      /"snapshotId":"[^"]+","bytes":(\d+),"publishMs":(\d+)[^\n]*key table snapshot shared/,
      120_000,
    );
    const newNodeAt = Date.now();
    const { edge: newEdge, ms: newNodeMs } = await startTableEdge({
      KEY_TABLE_SNAPSHOT_DIR: join(spool, 'new-node', 'key-table'),
    });
    const fetched = /"bytes":\d+,"fetchMs":(\d+)[^\n]*shared key table snapshot fetched/.exec(
      newEdge.output(),
    );
    const loadedShared =
      /"keys":(\d+),"ageMs":\d+,"loadMs":(\d+)[^\n]*loaded from the shared snapshot/.exec(
        newEdge.output(),
      );
    if (!fetched || !loadedShared)
      throw new Error(`the new edge did not load the shared snapshot:\n${newEdge.output()}`);
    console.log(
      `  shared snapshot published by the restarted edge: ${(Number(shared[1]) / 1e6).toFixed(0)} MB in ${shared[2]} ms`,
    );
    console.log(
      `  new node (empty snapshot directory) to ready from the shared snapshot: ${(newNodeMs / 1000).toFixed(1)} s (process start included; fetched in ${fetched[1]} ms, ${loadedShared[1]} keys fetched and loaded in ${loadedShared[2]} ms)`,
    );
    console.log(
      `  new node timeline: ${timelineOf(newEdge, newNodeAt, [
        ['listening', /Server listening/],
        ['snapshot fetched', /shared key table snapshot fetched/],
        ['snapshot loaded', /loaded from the shared snapshot/],
        ['table caught up', /table caught up/],
      ])}\n`,
    );
    results.newNodeFromSharedSnapshotMs = Math.round(newNodeMs);
    results.restartFromSnapshotMs = Math.round(restartMs);
    results.snapshotBytes = Number(written[2]);
    await producer.disconnect();
    console.log(JSON.stringify({ bench: 'edge-auth', ...results }));
  }
} finally {
  for (const s of [...servers, ...others]) {
    s.child.kill('SIGCONT');
    await s.stop('SIGTERM').catch(() => undefined);
  }
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await kafka.close();
}
