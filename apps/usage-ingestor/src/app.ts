import type { FastifyInstance } from 'fastify';
import { Gauge } from 'prom-client';
import { EventCodec } from '@tollgate/events';
import { kafkaMetrics } from '@tollgate/kafka';
import { createService, type ServiceDeps } from '@tollgate/service-base';
import { UsageIngestor } from './application/usage-ingestor';
import type { UsageIngestorConfig } from './config';
import { usageRoutes } from './http/usage-routes';
import { USAGE_MIGRATIONS } from './persistence/migrations';
import { UsageQueries } from './persistence/usage-queries';

export const SERVICE = 'usage-ingestor';

export type AppDeps = ServiceDeps<UsageIngestorConfig>;

/** Turns RequestMetered events into exact usage aggregates in Postgres, and answers usage queries. */
export async function buildApp({
  config,
  logger,
  now = Date.now,
}: AppDeps): Promise<FastifyInstance> {
  const service = await createService({
    name: SERVICE,
    config,
    logger,
    postgres: { migrations: USAGE_MIGRATIONS },
    kafka: true,
    openApi: {
      title: 'Tollgate usage-ingestor',
      description: 'Usage time series, billing-period totals and freshness',
    },
    serviceAuth: { allow: { 'admin-api': 'all', 'billing-service': 'all' } },
  });
  const { app, db, kafka, metrics } = service;
  const queries = new UsageQueries(db.sql);
  const ingestor = new UsageIngestor({
    db,
    kafka,
    codec: new EventCodec(),
    metrics: kafkaMetrics(metrics.registry),
    registry: metrics.registry,
    log: service.logger.child({ component: 'ingest' }),
    groupId: config.CONSUMER_GROUP,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    replicationFactor: config.KAFKA_REPLICATION_FACTOR,
    dedupeWindowHours: config.DEDUPE_WINDOW_HOURS,
    pruneIntervalMs: config.DEDUPE_PRUNE_INTERVAL_MS,
    maxWaitTimeInMs: config.INGEST_MAX_WAIT_MS,
    minBytes: config.INGEST_MIN_BYTES,
    sessionTimeoutMs: config.CONSUMER_SESSION_TIMEOUT_MS,
    concurrency: config.INGEST_CONCURRENCY,
    now,
  });
  // Consume only once the tables exist; a broker that is down fails this and it is retried.
  service.afterMigrate(() => ingestor.start());
  service.use({
    name: 'ingestion',
    checkReady: async () => undefined,
    close: () => ingestor.stop(),
  });

  new Gauge({
    name: 'usage_ingestion_lag_seconds',
    help: 'Now minus the occurredAt of the newest aggregated event',
    registers: [metrics.registry],
    async collect() {
      if (!service.migrated) return;
      const { lagMs } = await queries.freshness(now());
      if (lagMs !== null) this.set(lagMs / 1000);
    },
  });

  await app.register(usageRoutes, { queries, now });
  return app;
}
