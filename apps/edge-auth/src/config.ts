import { z } from 'zod';
import { env } from '@tollgate/service-runtime';

export const EdgeAuthConfig = z.object({
  ...env.serviceEnv(8080),
  REDIS_URL: env.redisUrl,
  KAFKA_BROKERS: env.kafkaBrokers,
});
export type EdgeAuthConfig = z.infer<typeof EdgeAuthConfig>;
