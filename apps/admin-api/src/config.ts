import { z } from 'zod';
import { env } from '@tollgate/service-runtime';

export const AdminApiConfig = z.object({
  ...env.serviceEnv(8081),
  DATABASE_URL: env.databaseUrl,
  DATABASE_SCHEMA: env.databaseSchema('admin_api'),
});
export type AdminApiConfig = z.infer<typeof AdminApiConfig>;
