import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Gauge } from 'prom-client';
import { EventCodec } from '@tollgate/events';
import { createKafkaConnection, kafkaMetrics } from '@tollgate/kafka';
import { createDatabase, databaseDependency, initORM, startupTask } from '@tollgate/postgres';
import {
  createHttpServer,
  createLogger,
  createServiceMetrics,
  ProblemError,
  registerOpenApi,
  type Dependency,
} from '@tollgate/service-runtime';
import type { UsageIngestorConfig } from './config';
import { usageRoutes } from './http/usage-routes';
import { UsageIngestor } from './ingest/usage-ingestor';
import { UsageQueries } from './ingest/usage-queries';
import { USAGE_MIGRATIONS } from './persistence/migrations';

export const SERVICE = 'usage-ingestor';

export interface AppDeps {
  config: UsageIngestorConfig;
  logger?: Logger;
  /** Epoch-ms clock: decides which billing periods have closed (late arrivals) and ingestion lag. */
  now?: () => number;
}

/** Turns RequestMetered events into exact usage aggregates in Postgres, and answers usage queries. */
export async function buildApp({
  config,
  logger: given,
  now = Date.now,
}: AppDeps): Promise<FastifyInstance> {
  const logger = given ?? createLogger({ service: SERVICE, level: config.LOG_LEVEL });
  const metrics = createServiceMetrics(SERVICE);
  const orm = await initORM(
    {
      databaseUrl: config.DATABASE_URL,
      schema: config.DATABASE_SCHEMA,
      migrations: USAGE_MIGRATIONS,
    },
    { connect: false },
  );
  const db = createDatabase(orm);
  const queries = new UsageQueries(db.sql);
  const kafka = createKafkaConnection({
    brokers: config.KAFKA_BROKERS,
    clientId: SERVICE,
    log: logger.child({ component: 'kafka' }),
  });
  const ingestor = new UsageIngestor({
    db,
    kafka,
    codec: new EventCodec(),
    metrics: kafkaMetrics(metrics.registry),
    registry: metrics.registry,
    log: logger.child({ component: 'ingest' }),
    groupId: config.CONSUMER_GROUP,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    replicationFactor: config.KAFKA_REPLICATION_FACTOR,
    dedupeWindowHours: config.DEDUPE_WINDOW_HOURS,
    maxWaitTimeInMs: config.INGEST_MAX_WAIT_MS,
    sessionTimeoutMs: config.CONSUMER_SESSION_TIMEOUT_MS,
    concurrency: config.INGEST_CONCURRENCY,
    now,
  });

  const database = databaseDependency(db);
  const schema = startupTask({
    orm,
    databaseUrl: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    // Consume only once the tables exist; a broker that is down is retried by start() failing here.
    afterMigrate: () => ingestor.start(),
    log: logger,
  });
  const ingestion: Dependency = {
    name: 'ingestion',
    checkReady: async () => undefined,
    close: () => ingestor.stop(),
  };

  new Gauge({
    name: 'usage_ingestion_lag_seconds',
    help: 'Now minus the occurredAt of the newest aggregated event',
    registers: [metrics.registry],
    async collect() {
      if (!schema.done) return;
      const { lagMs } = await queries.freshness(now());
      if (lagMs !== null) this.set(lagMs / 1000);
    },
  });

  const app = await createHttpServer({
    service: SERVICE,
    logger,
    metrics,
    dependencies: [database, kafka, schema, ingestion],
    readinessTimeoutMs: config.READINESS_TIMEOUT_MS,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
  });
  app.addHook('preHandler', async (request) => {
    if (!schema.done && request.url.startsWith('/v1/')) {
      throw new ProblemError(
        'dependency_unavailable',
        'usage-ingestor is still starting: its database schema is not ready',
      );
    }
  });
  await registerOpenApi(app, {
    title: 'Tollgate usage-ingestor',
    description: 'Usage time series, billing-period totals and freshness',
  });
  await app.register(usageRoutes, { queries, now });
  return app;
}
