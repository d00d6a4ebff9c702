import type { FastifyInstance, FastifyListenOptions } from 'fastify';
import type { Logger } from 'pino';
import { Counter, Gauge } from 'prom-client';
import { KeyHasher } from '@tollgate/api-keys';
import { EventCodec, planSnapshotProblem, TOPICS } from '@tollgate/events';
import { kafkaMetrics, provisionTopics } from '@tollgate/kafka';
import { createRedis } from '@tollgate/redis';
import { createService } from '@tollgate/service-base';
import { clientIpResolver, env } from '@tollgate/service-runtime';
import { forwardAuthSourceOf, peppersOf, type EdgeAuthConfig } from './config';
import { adminListener } from './http/admin-listener';
import { forwardAuthFastLane } from './http/forward-auth-fast-lane';
import { forwardAuthRoutes } from './http/forward-auth-routes';
import { reverseProxy } from './http/reverse-proxy';
import { KeyTable } from './key-table/key-table';
import { KeyTableFeed } from './key-table/key-table-feed';
import { snapshotName } from './key-table/key-table-snapshot';
import { SharedSnapshots } from './key-table/shared-snapshots';
import { createThreadedUsageMeter, type ThreadedUsageMeter } from './metering';
import { EdgePipeline } from './pipeline/edge-pipeline';
import { compileLimits, createRateLimiter } from './rate-limit';
import { EndpointMap } from './routing/endpoint-map';
import { clientBudgetMetrics, createClientBudget } from './verification/client-budget';
import { KeyServiceLookup } from './verification/key-service-lookup';
import { KeyVerifier } from './verification/key-verifier';

export const SERVICE = 'edge-auth';
/** Longest a start waits for the shared key table snapshot (100 MB per 1M keys) before reading the topics. */
const SHARED_SNAPSHOT_READ_TIMEOUT_MS = 60_000;

export interface AppDeps {
  config: EdgeAuthConfig;
  logger?: Logger;
  now?: () => number;
  /** The bundled metering thread; defaults to `metering.worker.mjs` beside the built `main.mjs`. */
  meteringWorkerUrl?: URL;
}

/** The hot path: verifies API keys from a Kafka-fed local cache, enforces rate limits and quotas in Redis, and meters every request. */
export async function buildApp({
  config,
  logger,
  now,
  meteringWorkerUrl = new URL('./metering.worker.mjs', import.meta.url),
}: AppDeps): Promise<FastifyInstance> {
  // No database: edge-auth owns nothing durable. Its readiness is the key table catching up.
  // The metering thread's metrics join /metrics once the thread exists (it needs the registry first).
  const metering: { thread?: ThreadedUsageMeter } = {};
  const service = await createService({
    name: SERVICE,
    config,
    logger,
    kafka: true,
    trustProxy: config.TRUST_PROXY,
    fastLane: true,
    extraMetrics: async () => (metering.thread ? metering.thread.workerMetrics() : ''),
  });
  const { app, kafka, metrics } = service;
  const log = service.logger;
  const codec = new EventCodec();
  const kafkaMetricSet = kafkaMetrics(metrics.registry);
  const topic = (spec: { name: string }) => config.KAFKA_TOPIC_PREFIX + spec.name;
  const topics = {
    keys: topic(TOPICS.keys),
    plans: topic(TOPICS.plans),
    accounts: topic(TOPICS.accounts),
    usage: topic(TOPICS.usage),
    deadLetters: topic(TOPICS.deadLetters),
    keyTableSnapshots: topic(TOPICS.keyTableSnapshots),
  };

  const redis =
    config.RATE_LIMIT_STORE === 'redis'
      ? createRedis({
          url: config.REDIS_URL,
          cluster: config.REDIS_CLUSTER,
          commandTimeoutMs: config.REDIS_LIMIT_TIMEOUT_MS * 4,
          onError: (err) => log.debug({ err }, 'redis connection error'),
        })
      : undefined;
  const limiter = createRateLimiter({
    mode: config.RATE_LIMIT_STORE,
    ...(redis ? { redis: redis.client } : {}),
    keyPrefix: `${config.KAFKA_TOPIC_PREFIX}tollgate:limits:`,
    onRedisFailure: config.REDIS_FAILURE_MODE,
    timeoutMs: config.REDIS_LIMIT_TIMEOUT_MS,
    breaker: {
      failureThreshold: config.REDIS_BREAKER_FAILURES,
      cooldownMs: config.REDIS_BREAKER_COOLDOWN_MS,
    },
    metrics: metrics.registry,
    logger: log.child({ component: 'rate-limit' }),
    leases: config.RATE_LIMIT_STRATEGY === 'leased' && {
      fraction: config.RATE_LIMIT_LEASE_FRACTION,
      idleReturnMs: config.RATE_LIMIT_LEASE_IDLE_MS,
    },
  });

  const table = new KeyTable();
  const hasher = new KeyHasher(peppersOf(config));
  const snapshots = config.KEY_TABLE_SNAPSHOT_DIR !== 'off';
  const sharing = snapshots && config.KEY_TABLE_SNAPSHOT_SHARING !== 'off';
  const feed = new KeyTableFeed({
    kafka,
    codec,
    metrics: kafkaMetricSet,
    registry: metrics.registry,
    log: log.child({ component: 'key-table' }),
    table,
    topics,
    maxWaitTimeInMs: config.TABLE_MAX_WAIT_MS,
    ...(snapshots && {
      snapshot: {
        dir: config.KEY_TABLE_SNAPSHOT_DIR,
        intervalMs: config.KEY_TABLE_SNAPSHOT_INTERVAL_MS,
        maxAgeMs: config.KEY_TABLE_SNAPSHOT_MAX_AGE_MS,
        ...(sharing && {
          shared: new SharedSnapshots({
            kafka,
            topic: topics.keyTableSnapshots,
            name: snapshotName([topics.keys, topics.plans, topics.accounts]),
            signer: hasher,
            publishIntervalMs:
              config.KEY_TABLE_SNAPSHOT_SHARING === 'read-write'
                ? config.KEY_TABLE_SNAPSHOT_SHARE_INTERVAL_MS
                : 0,
            maxAgeMs: config.KEY_TABLE_SNAPSHOT_MAX_AGE_MS,
            readTimeoutMs: SHARED_SNAPSHOT_READ_TIMEOUT_MS,
            log: log.child({ component: 'key-table' }),
            now: now ?? Date.now,
          }),
        }),
      },
    }),
    ...(now ? { now } : {}),
    prepare: async () => {
      const admin = await kafka.admin();
      await provisionTopics(
        admin,
        [
          { ...TOPICS.keys, name: topics.keys },
          { ...TOPICS.plans, name: topics.plans },
          { ...TOPICS.accounts, name: topics.accounts },
          { ...TOPICS.usage, name: topics.usage },
          { ...TOPICS.deadLetters, name: topics.deadLetters },
          ...(sharing ? [{ ...TOPICS.keyTableSnapshots, name: topics.keyTableSnapshots }] : []),
        ],
        { replicationFactor: config.KAFKA_REPLICATION_FACTOR },
      );
    },
  });

  // RequestMetered leaves the request thread encoded; a worker thread produces and spools it.
  const usageMeter = await createThreadedUsageMeter({
    service: SERVICE,
    logLevel: config.LOG_LEVEL,
    brokers: config.KAFKA_BROKERS,
    security: env.kafkaClientSecurity(config),
    topic: topics.usage,
    spoolDir: config.SPOOL_DIR,
    maxBuffered: config.METER_MAX_BUFFERED,
    lingerMs: config.METER_LINGER_MS,
    edgeInstanceId: config.EDGE_INSTANCE_ID,
    batchEvents: config.METER_BATCH_EVENTS,
    // Well under Kafka's default 1 MB record limit.
    batchBytes: 512 * 1024,
    codec,
    metrics: metrics.registry,
    logger: log.child({ component: 'metering' }),
    workerUrl: meteringWorkerUrl,
  });
  metering.thread = usageMeter;

  // Failed-auth attempts and key-service lookups per client: shared by every replica in Redis.
  const budgetMetrics = clientBudgetMetrics(metrics.registry);
  const clientBudget = (name: string, windowMs: number) =>
    createClientBudget({
      name,
      windowMs,
      ...(redis ? { redis: redis.client } : {}),
      keyPrefix: `${config.KAFKA_TOPIC_PREFIX}tollgate:budget:`,
      onRedisFailure: config.REDIS_FAILURE_MODE,
      timeoutMs: config.REDIS_LIMIT_TIMEOUT_MS,
      breaker: {
        failureThreshold: config.REDIS_BREAKER_FAILURES,
        cooldownMs: config.REDIS_BREAKER_COOLDOWN_MS,
      },
      metrics: budgetMetrics,
      logger: log.child({ component: 'client-budget' }),
      ...(now ? { now } : {}),
    });

  const verifier = new KeyVerifier({
    table,
    hasher,
    lookup: new KeyServiceLookup({
      baseUrl: config.KEY_SERVICE_URL,
      serviceToken: config.SERVICE_TOKEN,
      timeoutMs: config.LOOKUP_TIMEOUT_MS,
      concurrency: config.LOOKUP_CONCURRENCY,
      negativeTtlMs: config.LOOKUP_NEGATIVE_TTL_MS,
      perClient: clientBudget('lookups', 60_000),
      perClientPerMinute: config.LOOKUPS_PER_CLIENT_PER_MINUTE,
      ...(now ? { now } : {}),
    }),
    keyPrefix: config.KEY_PREFIX,
    acceptedEnvs: config.ACCEPTED_KEY_ENVS,
    failedAttempts: clientBudget('failed-auth', config.FAILED_AUTH_WINDOW_MS),
    failedAttemptsLimit: config.FAILED_AUTH_LIMIT,
    planProblem: (plan) => {
      const problem = planSnapshotProblem(plan);
      return problem && `${problem.field} ${problem.message}`;
    },
  });
  const pipeline = new EdgePipeline({
    endpoints: new EndpointMap(config.ENDPOINTS),
    unmatched: config.UNMATCHED_ENDPOINTS,
    verifier,
    limiter,
    meter: usageMeter,
    keyHeaders: config.KEY_HEADERS,
    keyPrefix: config.KEY_PREFIX,
    edgeInstanceId: config.EDGE_INSTANCE_ID,
    schemaVersion: codec.currentVersion('RequestMetered'),
    testKeyLimits: compileLimits({
      rateLimits: config.TEST_KEY_RATE_LIMITS,
      monthlyQuota: config.TEST_KEY_MONTHLY_QUOTA,
    }),
    decisions: new Counter({
      name: 'edge_decisions_total',
      help: 'Edge decisions by outcome (allowed, rate_limited, invalid, …)',
      labelNames: ['outcome'] as const,
      registers: [metrics.registry],
    }),
    ...(now ? { now } : {}),
  });
  new Gauge({
    name: 'edge_key_table_keys',
    help: 'Keys held in the in-memory key table',
    registers: [metrics.registry],
    collect() {
      this.set(table.keyCount);
    },
  });

  // Closed in reverse: metering flushes before the limiter, the table feed, Redis and Kafka go away.
  if (redis) service.use(redis);
  service.use({
    name: 'rate-limiter',
    checkReady: async () => undefined,
    close: () => limiter.close(),
  });
  service.use(feed);
  // Metering never blocks readiness: a broker outage spools to disk instead.
  service.use({
    name: 'usage-meter',
    checkReady: async () => undefined,
    close: () => usageMeter.close(),
  });
  const forwardAuthSource = forwardAuthSourceOf(config);
  forwardAuthRoutes(app, pipeline, forwardAuthSource);
  if (forwardAuthSource !== 'none')
    app.setFastLane(
      forwardAuthFastLane({
        pipeline,
        source: forwardAuthSource,
        server: app.server,
        metrics,
        logger: log.child({ component: 'forward-auth' }),
        clientIp: clientIpResolver(config.TRUST_PROXY),
      }),
    );
  if (config.UPSTREAM_URL)
    await reverseProxy(app, pipeline, {
      upstreamUrl: config.UPSTREAM_URL,
      timeoutMs: config.UPSTREAM_TIMEOUT_MS,
      keyHeaders: config.KEY_HEADERS,
    });
  app.addHook('onReady', async () => {
    feed.start();
  });

  // Health, readiness and metrics on their own port. It starts with the public listener (not in
  // `ready`, which in-process tests run too); in production a port it cannot bind fails the start.
  const admin = adminListener(app, {
    host: config.ADMIN_HOST,
    port: config.ADMIN_PORT,
    strict: config.NODE_ENV === 'production',
  });
  const listenPublic = app.listen.bind(app) as (options?: FastifyListenOptions) => Promise<string>;
  app.listen = (async (options?: FastifyListenOptions) => {
    const address = await listenPublic(options);
    try {
      await admin.listen();
    } catch (err) {
      await app.close();
      throw err;
    }
    return address;
  }) as unknown as typeof app.listen;
  app.addHook('onClose', () => admin.close());
  return app;
}
