import { z } from 'zod';
import { env } from '@tollgate/service-runtime';
import { parseRoleMap } from './application/oidc';

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
    BILLING_SERVICE_URL: z.string().url().default('http://127.0.0.1:8084'),
    /** admin-api's own credential toward key-service and usage-ingestor; required in production. */
    SERVICE_TOKEN: env.serviceToken.optional(),
    INTERNAL_TIMEOUT_MS: z.coerce.number().int().min(50).max(30_000).default(5_000),
    /** HMAC peppers for admin tokens at rest (`version:secret,…`); required in production. */
    ADMIN_TOKEN_PEPPERS: env.keyPeppers.optional(),
    /** Invalid tokens one client IP may present per minute before 429 `auth_attempts_exceeded`. */
    AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(20),
    /** Requests one admin token may make per minute. */
    REQUESTS_PER_MINUTE_PER_TOKEN: z.coerce.number().int().min(1).max(1_000_000).default(600),
    /**
     * OIDC sign-in for people (optional): the issuer whose JWTs are accepted as
     * `Authorization: Bearer <JWT>`, and the audience they must carry (admin-api's client id).
     */
    OIDC_ISSUER: z.string().url().optional(),
    OIDC_AUDIENCE: z.string().min(1).max(500).optional(),
    /** The JWKS URL; by default read from the issuer's discovery document. */
    OIDC_JWKS_URL: z.string().url().optional(),
    /** The claim carrying roles or groups (string or array of strings). */
    OIDC_ROLE_CLAIM: z
      .string()
      .regex(/^[A-Za-z0-9_:./-]{1,100}$/)
      .default('tollgate_roles'),
    /** `claim value:role,…` (e.g. `platform-admins:admin,finance:finance`); empty = values are role names. */
    OIDC_ROLE_MAP: z
      .string()
      .default('')
      .transform((text, ctx) => {
        try {
          return parseRoleMap(text);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
          return z.NEVER;
        }
      }),
    /** A claim with an account id that scopes the person to that account (self-service). */
    OIDC_ACCOUNT_CLAIM: z
      .string()
      .regex(/^[A-Za-z0-9_:./-]{1,100}$/)
      .optional(),
    /** Accepted JWT signature algorithms (asymmetric only). */
    OIDC_ALGORITHMS: z
      .string()
      .default('RS256,ES256,PS256,EdDSA')
      .transform((text) => text.split(',').map((a) => a.trim()))
      .pipe(
        z
          .array(
            z.enum([
              'RS256',
              'RS384',
              'RS512',
              'PS256',
              'PS384',
              'PS512',
              'ES256',
              'ES384',
              'ES512',
              'EdDSA',
            ]),
          )
          .min(1),
      ),
    OIDC_CLOCK_TOLERANCE_S: z.coerce.number().int().min(0).max(300).default(30),
    /** A console session unused this long ends (minutes). */
    CONSOLE_SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).max(1440).default(30),
    /** A console session ends this long after sign-in, used or not (hours). */
    CONSOLE_SESSION_MAX_HOURS: z.coerce.number().int().min(1).max(168).default(12),
    /** Where the built console files are; by default `console/` beside the built `main.mjs`. */
    CONSOLE_ASSETS_DIR: z.string().min(1).optional(),
    /** Which proxies' X-Forwarded-For to believe for the client IP (Fastify trustProxy syntax). */
    TRUST_PROXY: z
      .string()
      .default('false')
      .transform((v) => (v === 'true' ? true : v === 'false' ? false : v.split(','))),
  })
  .superRefine((config, ctx) => {
    if (config.OIDC_ISSUER && !config.OIDC_AUDIENCE)
      ctx.addIssue({
        code: 'custom',
        path: ['OIDC_AUDIENCE'],
        message: 'is required with OIDC_ISSUER (the client id tokens are issued for)',
      });
    if (config.NODE_ENV !== 'production') return;
    for (const name of ['OIDC_ISSUER', 'OIDC_JWKS_URL'] as const) {
      const url = config[name];
      if (url && !url.startsWith('https://'))
        ctx.addIssue({ code: 'custom', path: [name], message: 'must be https in production' });
    }
    for (const name of ['SERVICE_TOKEN', 'ADMIN_TOKEN_PEPPERS'] as const)
      if (!config[name])
        ctx.addIssue({ code: 'custom', path: [name], message: 'is required in production' });
  });
export type AdminApiConfig = z.infer<typeof AdminApiConfig>;
