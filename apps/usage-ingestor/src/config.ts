import { z } from 'zod';
import { env } from '@tollgate/service-runtime';

export const UsageIngestorConfig = z.object({
  ...env.serviceEnv(8083),
  DATABASE_URL: env.databaseUrl,
  KAFKA_BROKERS: env.kafkaBrokers,
});
export type UsageIngestorConfig = z.infer<typeof UsageIngestorConfig>;
