import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createPostgres } from '@tollgate/postgres';
import { createHttpServer, createLogger } from '@tollgate/service-runtime';
import type { AdminApiConfig } from './config';

export const SERVICE = 'admin-api';

export interface AppDeps {
  config: AdminApiConfig;
  logger?: Logger;
}

/** The secured public management API for keys, plans, accounts, usage and audit. */
export async function buildApp({ config, logger: given }: AppDeps): Promise<FastifyInstance> {
  const logger = given ?? createLogger({ service: SERVICE, level: config.LOG_LEVEL });
  const postgres = createPostgres({
    url: config.DATABASE_URL,
    applicationName: SERVICE,
    onIdleError: (err) => logger.warn({ err }, 'idle postgres connection failed'),
  });
  return createHttpServer({
    service: SERVICE,
    logger,
    dependencies: [postgres],
    readinessTimeoutMs: config.READINESS_TIMEOUT_MS,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
  });
}
