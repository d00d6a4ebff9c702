import { z } from 'zod';
import { env } from '@tollgate/service-runtime';

export const KeyServiceConfig = z.object({
  ...env.serviceEnv(8082),
  DATABASE_URL: env.databaseUrl,
  KAFKA_BROKERS: env.kafkaBrokers,
});
export type KeyServiceConfig = z.infer<typeof KeyServiceConfig>;
