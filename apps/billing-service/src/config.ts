import { z } from 'zod';
import { env } from '@tollgate/service-runtime';

export const BillingServiceConfig = z.object({
  ...env.serviceEnv(8084),
  DATABASE_URL: env.databaseUrl,
  DATABASE_SCHEMA: env.databaseSchema('billing_service'),
  KAFKA_BROKERS: env.kafkaBrokers,
});
export type BillingServiceConfig = z.infer<typeof BillingServiceConfig>;
