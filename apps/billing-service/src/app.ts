import type { FastifyInstance } from 'fastify';
import { createService, type ServiceDeps } from '@tollgate/service-base';
import type { BillingServiceConfig } from './config';
import { BILLING_SERVICE_MIGRATIONS } from './persistence/migrations';

export const SERVICE = 'billing-service';

export type AppDeps = ServiceDeps<BillingServiceConfig>;

/** Billing periods, proration, invoices to Stripe and finance exports. */
export async function buildApp({ config, logger }: AppDeps): Promise<FastifyInstance> {
  const { app } = await createService({
    name: SERVICE,
    config,
    logger,
    postgres: { migrations: BILLING_SERVICE_MIGRATIONS },
    kafka: true,
  });
  return app;
}
