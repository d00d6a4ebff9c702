import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createKafkaConnection } from '@tollgate/kafka';
import { createRedis } from '@tollgate/redis';
import { createHttpServer, createLogger } from '@tollgate/service-runtime';
import type { EdgeAuthConfig } from './config';

export const SERVICE = 'edge-auth';

export interface AppDeps {
  config: EdgeAuthConfig;
  logger?: Logger;
}

/** The hot path: verifies API keys from a Kafka-fed local cache, enforces rate limits and quotas in Redis, and meters every request. */
export async function buildApp({ config, logger: given }: AppDeps): Promise<FastifyInstance> {
  const logger = given ?? createLogger({ service: SERVICE, level: config.LOG_LEVEL });
  const redis = createRedis({
    url: config.REDIS_URL,
    onError: (err) => logger.debug({ err }, 'redis connection error'),
  });
  const kafka = createKafkaConnection({
    brokers: config.KAFKA_BROKERS,
    clientId: SERVICE,
    log: logger.child({ component: 'kafka' }),
  });
  return createHttpServer({
    service: SERVICE,
    logger,
    dependencies: [redis, kafka],
    readinessTimeoutMs: config.READINESS_TIMEOUT_MS,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
  });
}
