import { hostname } from 'node:os';
import { z } from 'zod';
import { env } from '@tollgate/service-runtime';
import { EndpointRules } from './routing/endpoint-map';

const csv = <T extends string>(values: readonly [T, ...T[]], defaultValue: string) =>
  z
    .string()
    .default(defaultValue)
    .transform((s) =>
      s
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(values)).min(1));

export const EdgeAuthConfig = z
  .object({
    ...env.serviceEnv(8080),
    NODE_ENV: z.string().default('development'),
    ...env.kafkaTopics,
    REDIS_URL: env.redisUrl,
    REDIS_CLUSTER: env.booleanFlag(false),
    /** Deployment identity in RequestMetered events; defaults to host and pid. */
    EDGE_INSTANCE_ID: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,100}$/)
      .default(`${hostname()}:${process.pid}`),

    KEY_PREFIX: env.keyPrefix,
    KEY_PEPPERS: env.keyPeppers.optional(),
    /** Where clients may put their key: `Authorization: Bearer <key>`, `X-API-Key`, or both. */
    KEY_HEADERS: csv(['authorization', 'x-api-key'], 'authorization,x-api-key'),
    /** Key environments this deployment accepts (a test key against a live-only edge is refused). */
    ACCEPTED_KEY_ENVS: csv(['live', 'test'], 'live,test'),

    /** key-service, asked for well-formed keys not (yet) in the local table. */
    KEY_SERVICE_URL: z.string().url().default('http://127.0.0.1:8082'),
    LOOKUP_TIMEOUT_MS: z.coerce.number().int().min(10).max(10_000).default(300),
    LOOKUP_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
    /** How long "no such key" from key-service is remembered (keeps random keys off key-service). */
    LOOKUP_NEGATIVE_TTL_MS: z.coerce.number().int().min(0).max(600_000).default(5_000),
    /** Cache misses one client IP may send to key-service per minute. */
    LOOKUPS_PER_CLIENT_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(30),
    /** Failed-auth protection: invalid keys one client IP may present per window before a 429. */
    FAILED_AUTH_LIMIT: z.coerce.number().int().min(1).max(1_000_000).default(20),
    FAILED_AUTH_WINDOW_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(60_000),
    /** Which proxies' X-Forwarded-For to trust for the client IP (Fastify trustProxy syntax). */
    TRUST_PROXY: z
      .string()
      .default('')
      .transform((v): boolean | string[] =>
        v === 'true' ? true : v === '' || v === 'false' ? false : v.split(',').map((s) => s.trim()),
      ),

    /** `redis` (strict, shared by replicas) or `memory` (one instance, no Redis needed). */
    RATE_LIMIT_STORE: z.enum(['redis', 'memory']).default('redis'),
    /** What strict mode does while Redis is unreachable. */
    REDIS_FAILURE_MODE: z.enum(['fail-open', 'fail-closed', 'local']).default('local'),
    REDIS_LIMIT_TIMEOUT_MS: z.coerce.number().int().min(5).max(5_000).default(50),
    REDIS_BREAKER_FAILURES: z.coerce.number().int().min(1).max(1_000).default(5),
    REDIS_BREAKER_COOLDOWN_MS: z.coerce.number().int().min(100).max(600_000).default(1_000),

    /**
     * JSON list of `{ "method": "GET" | "*", "path": "/v1/orders/:id", "name": "orders.get",
     * "scopes": ["orders:read"], "cost": 1 }`. Metering and scopes use the name, never the raw path.
     */
    ENDPOINTS: z
      .string()
      .default('[]')
      .transform((text, ctx) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: 'must be a JSON array of endpoint rules' });
          return z.NEVER;
        }
      })
      .pipe(EndpointRules),
    /** Requests matching no endpoint rule: `allow` (metered as "unmatched") or `deny` (404). */
    UNMATCHED_ENDPOINTS: z.enum(['allow', 'deny']).default('allow'),

    /** Reverse-proxy mode: forward verified requests here. Unset: forward-auth only. */
    UPSTREAM_URL: z.string().url().optional(),
    UPSTREAM_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),

    /** RequestMetered events that Kafka cannot take right now are kept here and replayed. */
    SPOOL_DIR: z.string().min(1).default('.local/edge-auth/spool'),
    METER_MAX_BUFFERED: z.coerce.number().int().min(1_000).max(10_000_000).default(100_000),
    /** How long RequestMetered events wait to be sent together (per-batch costs dominate kafkajs). */
    METER_LINGER_MS: z.coerce.number().int().min(0).max(1_000).default(20),
    /** Longest a keys/plans/accounts fetch waits while tailing (update latency). */
    TABLE_MAX_WAIT_MS: z.coerce.number().int().min(10).max(5_000).default(50),
  })
  .superRefine(env.requirePeppersInProduction);
export type EdgeAuthConfig = z.infer<typeof EdgeAuthConfig>;

export function peppersOf(config: EdgeAuthConfig): env.KeyPeppers {
  return env.peppersOrDevelopment(config.KEY_PEPPERS);
}
