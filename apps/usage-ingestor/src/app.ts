import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createKafkaConnection } from '@tollgate/kafka';
import { createPostgres } from '@tollgate/postgres';
import { createHttpServer, createLogger } from '@tollgate/service-runtime';
import type { UsageIngestorConfig } from './config';

export const SERVICE = 'usage-ingestor';

export interface AppDeps {
  config: UsageIngestorConfig;
  logger?: Logger;
}

/** Turns RequestMetered events into exact usage aggregates in Postgres. */
export async function buildApp({ config, logger: given }: AppDeps): Promise<FastifyInstance> {
  const logger = given ?? createLogger({ service: SERVICE, level: config.LOG_LEVEL });
  const postgres = createPostgres({
    url: config.DATABASE_URL,
    applicationName: SERVICE,
    onIdleError: (err) => logger.warn({ err }, 'idle postgres connection failed'),
  });
  const kafka = createKafkaConnection({
    brokers: config.KAFKA_BROKERS,
    clientId: SERVICE,
    log: logger.child({ component: 'kafka' }),
  });
  return createHttpServer({
    service: SERVICE,
    logger,
    dependencies: [postgres, kafka],
    readinessTimeoutMs: config.READINESS_TIMEOUT_MS,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
  });
}
