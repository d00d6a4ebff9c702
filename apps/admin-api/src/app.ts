import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createService } from '@tollgate/service-base';
import type { AdminApiConfig } from './config';
import { ADMIN_API_MIGRATIONS } from './persistence/migrations';

export const SERVICE = 'admin-api';

export interface AppDeps {
  config: AdminApiConfig;
  logger?: Logger;
}

/** The secured public management API for keys, plans, accounts, usage and audit. */
export async function buildApp({ config, logger }: AppDeps): Promise<FastifyInstance> {
  const { app } = await createService({
    name: SERVICE,
    config,
    logger,
    postgres: { migrations: ADMIN_API_MIGRATIONS },
  });
  return app;
}
