// edge-auth's own per-request work, without HTTP: µs per call of each stage of an allowed
// forward-auth decision with the in-memory limiter, and of the whole `EdgePipeline.decide`
// (metering: the RequestMetered encoded into the hand-over buffer, as the request thread does;
// the metering thread's work is not on this path). One process, CPU-bound loops; on a busy box
// the absolute figures move, the proportions much less. Printed, never asserted.
import { pino } from 'pino';
import { Counter, Registry } from 'prom-client';
import avro from 'avsc';
import { generateApiKey, KeyHasher } from '@tollgate/api-keys';
import {
  CURRENT_SCHEMAS,
  EventCodec,
  newEventId,
  planSnapshotProblem,
  type RequestMetered,
} from '@tollgate/events';
import { sampleEvent } from '@tollgate/events/testing';
import { env } from '@tollgate/service-runtime';
import { KeyTable } from '../src/key-table/key-table';
import { FrameWriter } from '../src/metering/usage-frames';
import { EdgePipeline, type EdgeRequest } from '../src/pipeline/edge-pipeline';
import { compileLimits, createRateLimiter, rateLimitHeaders } from '../src/rate-limit';
import { EndpointMap, UNMATCHED_ENDPOINT } from '../src/routing/endpoint-map';
import { normaliseRequestTarget } from '../src/routing/request-target';
import { clientBudgetMetrics, createClientBudget } from '../src/verification/client-budget';
import { KeyServiceLookup } from '../src/verification/key-service-lookup';
import { KeyVerifier } from '../src/verification/key-verifier';
import { presentedKey } from '../src/verification/presented-key';

const ROUNDS = Number(process.env.BENCH_DECISIONS ?? 200_000);
const NOW = 1_800_000_000_000;
const quiet = pino({ level: 'silent' });

async function perCall(name: string, fn: () => unknown): Promise<number> {
  for (let i = 0; i < 20_000; i++) await fn(); // warm-up (JIT)
  const started = process.hrtime.bigint();
  for (let i = 0; i < ROUNDS; i++) await fn();
  const us = Number(process.hrtime.bigint() - started) / ROUNDS / 1000;
  console.log(`  ${name.padEnd(58)} ${us.toFixed(2).padStart(7)} µs`);
  return us;
}

const hasher = new KeyHasher(env.peppersOrDevelopment(undefined));
const { plaintext } = generateApiKey({ env: 'live' });
const table = new KeyTable();
const keyState = {
  ...sampleEvent('KeyIssued').key,
  keyHash: hasher.hash(plaintext).hash,
  pepperVersion: hasher.currentVersion,
  expiresAt: null,
};
table.applyKey(keyState, null);
const plan = {
  ...sampleEvent('PlanChanged').plan,
  rateLimits: [
    { name: 'per-second', limit: 1_000_000_000, windowMs: 1_000 },
    { name: 'per-minute', limit: 1_000_000_000, windowMs: 60_000 },
  ],
  monthlyQuota: 1_000_000_000_000,
  limitScope: 'key' as const,
};
table.applyPlan(keyState.accountId, plan, NOW - 1, NOW);

const budget = (name: string) =>
  createClientBudget({
    name,
    windowMs: 60_000,
    keyPrefix: 'bench:',
    onRedisFailure: 'local',
    timeoutMs: 50,
    breaker: { failureThreshold: 5, cooldownMs: 1_000 },
    metrics: clientBudgetMetrics(new Registry()),
    logger: quiet,
    now: () => NOW,
  });
const verifierWith = (cacheSize: number) =>
  new KeyVerifier({
    table,
    hasher,
    lookup: new KeyServiceLookup({
      baseUrl: 'http://key-service.invalid',
      timeoutMs: 100,
      concurrency: 2,
      negativeTtlMs: 1_000,
      perClient: budget('lookups'),
      perClientPerMinute: 3,
      now: () => NOW,
    }),
    keyPrefix: 'tg',
    acceptedEnvs: ['live', 'test'],
    failedAttempts: budget('failed-auth'),
    failedAttemptsLimit: 100,
    planProblem: (snapshot) => planSnapshotProblem(snapshot)?.message ?? null,
    verifiedKeysCacheSize: cacheSize,
  });
const limiter = createRateLimiter({ mode: 'memory' });
const limits = table.find(Buffer.from(keyState.keyHash, 'hex').toString('latin1'))!.account.plan!
  .limits;
const codec = new EventCodec();
const requestMetered = avro.Type.forSchema(
  CURRENT_SCHEMAS.RequestMetered as unknown as avro.Schema,
);
const frames = new FrameWriter(256 * 1024);
let event: RequestMetered = sampleEvent('RequestMetered');
const encodeInto = (bytes: Buffer, at: number) => requestMetered.encode(event, bytes, at);
const meter = {
  record(e: RequestMetered) {
    event = e;
    if (!frames.writeWith(null, 192, encodeInto)) {
      frames.take();
      frames.writeWith(null, 192, encodeInto);
    }
  },
  flush: async () => undefined,
  close: async () => undefined,
  stats: () => ({ buffered: 0, spooled: 0 }),
};
const pipeline = new EdgePipeline({
  endpoints: new EndpointMap([]),
  unmatched: 'allow',
  verifier: verifierWith(10_000),
  limiter,
  meter,
  keyHeaders: ['authorization', 'x-api-key'],
  keyPrefix: 'tg',
  edgeInstanceId: 'bench-edge',
  schemaVersion: codec.currentVersion('RequestMetered'),
  testKeyLimits: compileLimits({ rateLimits: [], monthlyQuota: 1_000 }),
  decisions: new Counter({ name: 'bench_decisions', help: 'x', labelNames: ['outcome'] }),
  now: () => NOW,
});
const headers = {
  host: 'localhost',
  authorization: `Bearer ${plaintext}`,
  'x-original-uri': '/v1/orders/1',
  'x-original-method': 'GET',
};
const request: EdgeRequest = {
  method: 'GET',
  uri: '/v1/orders/1',
  host: undefined,
  headers,
  clientIp: '127.0.0.1',
};
const client = { clientIp: '127.0.0.1' };
const cached = verifierWith(10_000);
const uncached = verifierWith(0);
const endpoints = new EndpointMap([]);
const presented = { kind: 'key' as const, key: plaintext };

console.log(`\nedge-auth decision path, in process, ${ROUNDS} calls each (allowed request):`);
await perCall('normalise target + match endpoint', () => {
  const target = normaliseRequestTarget('/v1/orders/1', undefined);
  return target.ok ? endpoints.match('GET', target.path) : undefined;
});
await perCall('presented key from headers', () => presentedKey(headers, ['authorization']));
await perCall('verify, key not cached (checksum + HMAC)', () =>
  uncached.verify(presented, UNMATCHED_ENDPOINT, client, NOW),
);
await perCall('verify, key cached (SHA-256 + table check)', () =>
  cached.verify(presented, UNMATCHED_ENDPOINT, client, NOW),
);
const decision = await limiter.check({ scope: 'k', limits, cost: 1, now: NOW });
await perCall('in-memory limiter check (2 windows + quota)', () =>
  limiter.check({ scope: 'k', limits, cost: 1, now: NOW }),
);
await perCall('rate-limit headers', () => rateLimitHeaders(limits, decision));
await perCall('event id (ULID)', () => newEventId(NOW));
const metered = sampleEvent('RequestMetered');
await perCall('RequestMetered Avro-encoded into the hand-over buffer', () => meter.record(metered));
const before = new FrameWriter(256 * 1024);
await perCall('the same, before: codec.encode (a Buffer) + copy + key', () => {
  const value = codec.encode('RequestMetered', metered).value;
  if (!before.write(metered.keyId, value)) {
    before.take();
    before.write(metered.keyId, value);
  }
});
await perCall('EdgePipeline.decide, whole (allowed, in-memory, metered)', () =>
  pipeline.decide(request),
);
await limiter.close();
