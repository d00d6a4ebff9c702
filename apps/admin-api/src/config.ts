import { z } from 'zod';
import { env } from '@tollgate/service-runtime';

export const AdminApiConfig = z
  .object({
    ...env.serviceEnv(8081),
    NODE_ENV: z.string().default('development'),
    DATABASE_URL: env.databaseUrl,
    DATABASE_SCHEMA: env.databaseSchema('admin_api'),
    /** Failed-authentication counters and per-token rate limits, shared by every replica. */
    REDIS_URL: env.redisUrl,
    REDIS_KEY_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9:._-]{0,100}$/)
      .default(''),
    KEY_SERVICE_URL: z.string().url().default('http://127.0.0.1:8082'),
    USAGE_INGESTOR_URL: z.string().url().default('http://127.0.0.1:8083'),
    /** admin-api's own credential toward key-service and usage-ingestor; required in production. */
    SERVICE_TOKEN: env.serviceToken.optional(),
    INTERNAL_TIMEOUT_MS: z.coerce.number().int().min(50).max(30_000).default(5_000),
    /** HMAC peppers for admin tokens at rest (`version:secret,…`); required in production. */
    ADMIN_TOKEN_PEPPERS: env.keyPeppers.optional(),
    /** Invalid tokens one client IP may present per minute before 429 `auth_attempts_exceeded`. */
    AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(20),
    /** Requests one admin token may make per minute. */
    REQUESTS_PER_MINUTE_PER_TOKEN: z.coerce.number().int().min(1).max(1_000_000).default(600),
    /** Which proxies' X-Forwarded-For to believe for the client IP (Fastify trustProxy syntax). */
    TRUST_PROXY: z
      .string()
      .default('false')
      .transform((v) => (v === 'true' ? true : v === 'false' ? false : v.split(','))),
  })
  .superRefine((config, ctx) => {
    if (config.NODE_ENV !== 'production') return;
    for (const name of ['SERVICE_TOKEN', 'ADMIN_TOKEN_PEPPERS'] as const)
      if (!config[name])
        ctx.addIssue({ code: 'custom', path: [name], message: 'is required in production' });
  });
export type AdminApiConfig = z.infer<typeof AdminApiConfig>;
