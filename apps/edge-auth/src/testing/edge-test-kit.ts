import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Kafka, logLevel } from 'kafkajs';
import { EventCodec, TOPICS, type RequestMetered } from '@tollgate/events';
import {
  buildServiceArtifact,
  eventually,
  captureLogs,
  infraEnv,
  isolatedServiceEnv,
  startServiceProcess,
  waitUntilReady,
  testEndpoints,
  type ServiceProcess,
  uniqueName,
} from '@tollgate/test-infra';
import { loadConfig } from '@tollgate/service-runtime';
import { buildApp } from '../app';
import { EdgeAuthConfig } from '../config';
import { builtMeteringWorker } from './metering-worker';

export interface PlanLimits {
  rateLimits: Array<{ name: string; limit: number; windowMs: number }>;
  monthlyQuota: number | null;
  limitScope: 'key' | 'account';
}

/** A real key-service process (its own schema and topic prefix) and a small client for it. */
export interface KeyServiceProcess {
  url: string;
  env: Record<string, string>;
  topicPrefix: string;
  createPlan(planId: string, limits: PlanLimits): Promise<void>;
  createAccount(planId?: string): Promise<string>;
  issueKey(
    accountId: string,
    body?: { env?: 'live' | 'test'; scopes?: string[]; expiresAt?: number },
  ): Promise<{ keyId: string; plaintext: string }>;
  revoke(keyId: string): Promise<void>;
  rotate(keyId: string, graceMs: number): Promise<{ keyId: string; plaintext: string }>;
  suspend(accountId: string): Promise<void>;
  reactivate(accountId: string): Promise<void>;
  update(keyId: string, patch: object): Promise<void>;
  stop(): Promise<void>;
}

async function call<T>(base: string, method: string, path: string, body?: object): Promise<T> {
  const res = await fetch(new URL(path, base), {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export async function startKeyServiceProcess(): Promise<KeyServiceProcess> {
  const isolated = isolatedServiceEnv('edge_ks');
  const artifact = await buildServiceArtifact('apps/key-service');
  const env = {
    ...infraEnv(),
    ...isolated.env,
    LOG_LEVEL: 'info',
    OUTBOX_POLL_MS: '10',
  };
  let service: ServiceProcess;
  try {
    service = await startServiceProcess(artifact.entry, env, 60_000);
    await service.ready(60_000);
  } catch (err) {
    await artifact.remove();
    await isolated.cleanup();
    throw err;
  }
  const base = service.url;
  return {
    url: base,
    env,
    topicPrefix: isolated.env.KAFKA_TOPIC_PREFIX,
    async createPlan(planId, limits) {
      await call(base, 'POST', '/v1/plans', {
        planId,
        definition: {
          name: planId,
          ...limits,
          price: { currency: 'USD', baseFeeMinor: 0, includedUnits: 0, overageTiers: [] },
        },
      });
    },
    async createAccount(planId) {
      const body = planId ? { name: 'edge test', planId } : { name: 'edge test' };
      return (await call<{ accountId: string }>(base, 'POST', '/v1/accounts', body)).accountId;
    },
    async issueKey(accountId, body = {}) {
      const issued = await call<{ key: { keyId: string }; plaintext: string }>(
        base,
        'POST',
        `/v1/accounts/${accountId}/keys`,
        { env: 'live', ...body },
      );
      return { keyId: issued.key.keyId, plaintext: issued.plaintext };
    },
    async revoke(keyId) {
      await call(base, 'POST', `/v1/keys/${keyId}/revoke`, { reason: 'test' });
    },
    async rotate(keyId, graceMs) {
      const rotated = await call<{ key: { keyId: string }; plaintext: string }>(
        base,
        'POST',
        `/v1/keys/${keyId}/rotate`,
        { graceMs },
      );
      return { keyId: rotated.key.keyId, plaintext: rotated.plaintext };
    },
    async suspend(accountId) {
      await call(base, 'POST', `/v1/accounts/${accountId}/suspend`, { reason: 'test' });
    },
    async reactivate(accountId) {
      await call(base, 'POST', `/v1/accounts/${accountId}/reactivate`, {});
    },
    async update(keyId, patch) {
      await call(base, 'PATCH', `/v1/keys/${keyId}`, patch);
    },
    async stop() {
      await service.stop('SIGTERM');
      await artifact.remove();
      await isolated.cleanup();
    },
  };
}

export interface EdgeUnderTest {
  app: FastifyInstance;
  config: EdgeAuthConfig;
  logs: string[];
  close(): Promise<void>;
}

/** edge-auth in process (for `inject`), reading the key-service's topics, ready (table caught up). */
export async function startEdge(
  keyService: Pick<KeyServiceProcess, 'url' | 'topicPrefix'>,
  overrides: Record<string, string> = {},
  options: {
    now?: () => number;
    /** Default true: resolve once `/readyz` answers 200. */ waitUntilReady?: boolean;
  } = {},
): Promise<EdgeUnderTest> {
  const spoolDir = await mkdtemp(join(tmpdir(), 'edge-spool-'));
  const config = loadConfig(EdgeAuthConfig, {
    ...infraEnv(),
    KAFKA_TOPIC_PREFIX: keyService.topicPrefix,
    KEY_SERVICE_URL: keyService.url,
    SPOOL_DIR: spoolDir,
    // Each edge its own: a test that restarts an edge on the same topics opts in by passing one.
    KEY_TABLE_SNAPSHOT_DIR: join(spoolDir, 'key-table'),
    // Shared snapshots (on by default) have their own tests; elsewhere each edge reads the topics.
    KEY_TABLE_SNAPSHOT_SHARING: 'off',
    // Tests call from one address; the protections have their own tests.
    LOOKUPS_PER_CLIENT_PER_MINUTE: '100000',
    FAILED_AUTH_LIMIT: '100000',
    // A busy CI box must not push decisions onto the per-replica fallback and skew exact counts.
    REDIS_LIMIT_TIMEOUT_MS: '1000',
    // Tests may listen: the admin port must not collide between edges running at once.
    ADMIN_PORT: '0',
    ...overrides,
  });
  const { logger, lines: logs } = captureLogs('edge-auth');
  const app = await buildApp({
    config,
    logger,
    meteringWorkerUrl: builtMeteringWorker(),
    ...(options.now ? { now: options.now } : {}),
  });
  if (options.waitUntilReady ?? true) await waitUntilReady(app);
  else await app.ready();
  return {
    app,
    config,
    logs,
    async close() {
      await app.close();
      await rm(spoolDir, { recursive: true, force: true });
    },
  };
}

export interface UsageReader {
  /** Every RequestMetered read so far, batches unpacked, in topic order. */
  events: RequestMetered[];
  /** Resolves once `predicate` holds for the events read so far. */
  waitFor(predicate: (events: RequestMetered[]) => boolean, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Reads the usage topic of a topic namespace from its beginning, until stopped. */
export async function readUsage(topicPrefix: string): Promise<UsageReader> {
  const codec = new EventCodec();
  const consumer = new Kafka({
    clientId: 'usage-reader',
    brokers: testEndpoints().kafkaBrokers,
    logLevel: logLevel.NOTHING,
  }).consumer({ groupId: uniqueName('usage-reader'), maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: topicPrefix + TOPICS.usage.name, fromBeginning: true });
  const events: RequestMetered[] = [];
  await consumer.run({
    eachMessage: async ({ message }) => {
      const event = codec.decode(message.headers, message.value);
      if (event.type === 'RequestMeteredBatch') events.push(...event.payload.events);
      else if (event.type === 'RequestMetered') events.push(event.payload);
    },
  });
  return {
    events,
    waitFor: (predicate, timeoutMs = 30_000) =>
      eventually(
        () => predicate(events),
        timeoutMs,
        () => `RequestMetered events (${events.length} read)`,
      ),
    stop: () => consumer.disconnect(),
  };
}
