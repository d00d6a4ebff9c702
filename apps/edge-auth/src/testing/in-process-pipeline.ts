import { pino } from 'pino';
import { Counter, Registry } from 'prom-client';
import { generateApiKey, KeyHasher } from '@tollgate/api-keys';
import { EventCodec, planSnapshotProblem } from '@tollgate/events';
import { sampleEvent } from '@tollgate/events/testing';
import { env } from '@tollgate/service-runtime';
import { KeyTable } from '../key-table/key-table';
import type { UsageMeter } from '../metering';
import { EdgePipeline, type EdgeRequest } from '../pipeline/edge-pipeline';
import { compileLimits, createRateLimiter } from '../rate-limit';
import { EndpointMap } from '../routing/endpoint-map';
import { clientBudgetMetrics, createClientBudget } from '../verification/client-budget';
import { KeyServiceLookup } from '../verification/key-service-lookup';
import { KeyVerifier } from '../verification/key-verifier';

/** A per-client budget in process memory (no Redis): the Redis-backed one has its own tests. */
export function localClientBudget(name: string, now: number) {
  return createClientBudget({
    name,
    windowMs: 60_000,
    keyPrefix: 'in-process:',
    onRedisFailure: 'local',
    timeoutMs: 50,
    breaker: { failureThreshold: 5, cooldownMs: 1_000 },
    metrics: clientBudgetMetrics(new Registry()),
    logger: pino({ level: 'silent' }),
    now: () => now,
  });
}

/**
 * A KeyVerifier with in-process budgets; its key-service (`fetch`) answers 404 unless given.
 */
export function inProcessVerifier(options: {
  table: KeyTable;
  hasher: KeyHasher;
  now: number;
  fetch?: typeof fetch;
  failedAttemptsLimit?: number;
  verifiedKeysCacheSize?: number;
}): KeyVerifier {
  const { table, hasher, now } = options;
  return new KeyVerifier({
    table,
    hasher,
    lookup: new KeyServiceLookup({
      baseUrl: 'http://key-service.invalid',
      timeoutMs: 100,
      concurrency: 2,
      negativeTtlMs: 1_000,
      perClient: localClientBudget('lookups', now),
      perClientPerMinute: 3,
      fetch: options.fetch ?? (async () => new Response('{}', { status: 404 })),
      now: () => now,
    }),
    keyPrefix: 'tg',
    acceptedEnvs: ['live', 'test'],
    failedAttempts: localClientBudget('failed-auth', now),
    failedAttemptsLimit: options.failedAttemptsLimit ?? 100,
    planProblem: (snapshot) => planSnapshotProblem(snapshot)?.message ?? null,
    ...(options.verifiedKeysCacheSize !== undefined
      ? { verifiedKeysCacheSize: options.verifiedKeysCacheSize }
      : {}),
  });
}

/**
 * An EdgePipeline in process with nothing behind it that does I/O on an allowed request: one live
 * key on a plan with huge limits in the table, in-memory limits, budgets that fall back to local
 * counters, and a key-service that does not exist. For the decision-path bench and the pipeline's
 * own tests.
 */
export function inProcessPipeline(options: { now: number; meter: UsageMeter }) {
  const { now } = options;
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
  table.applyPlan(
    keyState.accountId,
    {
      ...sampleEvent('PlanChanged').plan,
      rateLimits: [
        { name: 'per-second', limit: 1_000_000_000, windowMs: 1_000 },
        { name: 'per-minute', limit: 1_000_000_000, windowMs: 60_000 },
      ],
      monthlyQuota: 1_000_000_000_000,
      limitScope: 'key' as const,
    },
    now - 1,
    now,
  );
  const verifierWith = (verifiedKeysCacheSize: number) =>
    inProcessVerifier({ table, hasher, now, verifiedKeysCacheSize });
  const limiter = createRateLimiter({ mode: 'memory' });
  const limits = table.find(Buffer.from(keyState.keyHash, 'hex').toString('latin1'))!.account.plan!
    .limits;
  const codec = new EventCodec();
  const pipeline = new EdgePipeline({
    endpoints: new EndpointMap([]),
    unmatched: 'allow',
    verifier: verifierWith(10_000),
    limiter,
    meter: options.meter,
    keyHeaders: ['authorization', 'x-api-key'],
    keyPrefix: 'tg',
    edgeInstanceId: 'in-process-edge',
    schemaVersion: codec.currentVersion('RequestMetered'),
    testKeyLimits: compileLimits({ rateLimits: [], monthlyQuota: 1_000 }),
    decisions: new Counter({
      name: 'in_process_decisions',
      help: 'decisions',
      labelNames: ['outcome'],
      registers: [new Registry()],
    }),
    now: () => now,
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
  return { pipeline, plaintext, headers, request, limiter, limits, codec, verifierWith };
}
