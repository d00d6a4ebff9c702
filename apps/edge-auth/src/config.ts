import { hostname } from 'node:os';
import { z } from 'zod';
import { PLAN_BOUNDS } from '@tollgate/events';
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

const FORWARD_AUTH_SOURCES = ['nginx', 'caddy', 'traefik', 'envoy', 'none'] as const;

/** Test-key limits: policies under the same bounds as any plan's. */
const TestKeyRateLimits = z
  .array(
    z
      .object({
        name: z
          .string()
          .regex(PLAN_BOUNDS.policyName)
          .refine((name) => !PLAN_BOUNDS.reservedPolicyNames.includes(name), 'is reserved'),
        limit: z.number().int().min(1).max(PLAN_BOUNDS.maxLimit),
        windowMs: z.number().int().min(PLAN_BOUNDS.minWindowMs).max(PLAN_BOUNDS.maxWindowMs),
      })
      .strict(),
  )
  .max(PLAN_BOUNDS.maxPolicies)
  .refine((policies) => new Set(policies.map((p) => p.name)).size === policies.length, {
    message: 'policy names must be unique',
  });
const DEFAULT_TEST_KEY_RATE_LIMITS = JSON.stringify([
  { name: 'test-burst', limit: 5, windowMs: 1_000 },
  { name: 'test-per-minute', limit: 60, windowMs: 60_000 },
]);

/** A JSON-valued variable checked against `schema`. */
function jsonOf<T extends z.ZodType>(schema: T, defaultValue: string) {
  return z
    .string()
    .default(defaultValue)
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

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
    /**
     * Key environments this deployment accepts. Live only by default: test keys are never billed,
     * so an edge in front of a production API must not let them through unless told to.
     */
    ACCEPTED_KEY_ENVS: csv(['live', 'test'], 'live'),
    /** Where test keys are accepted, their traffic has these limits instead of the plan's. */
    TEST_KEY_RATE_LIMITS: jsonOf(TestKeyRateLimits, DEFAULT_TEST_KEY_RATE_LIMITS),
    /** Cost units per month for an account's test-key traffic; `none` for unlimited. */
    TEST_KEY_MONTHLY_QUOTA: z
      .string()
      .default('10000')
      .transform((v, ctx) => {
        if (v === 'none') return null;
        const n = Number(v);
        if (!Number.isSafeInteger(n) || n < 1 || n > PLAN_BOUNDS.maxMonthlyQuota) {
          ctx.addIssue({ code: 'custom', message: 'must be a positive integer or none' });
          return z.NEVER;
        }
        return n;
      }),

    /** key-service, asked for well-formed keys not (yet) in the local table. */
    KEY_SERVICE_URL: z.string().url().default('http://127.0.0.1:8082'),
    /** edge-auth's credential toward key-service (its `SERVICE_TOKENS` entry `edge-auth:…`). */
    SERVICE_TOKEN: env.serviceToken.optional(),
    LOOKUP_TIMEOUT_MS: z.coerce.number().int().min(10).max(10_000).default(300),
    LOOKUP_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
    /** How long "no such key" from key-service is remembered (keeps random keys off key-service). */
    LOOKUP_NEGATIVE_TTL_MS: z.coerce.number().int().min(0).max(600_000).default(5_000),
    /** Cache misses one client IP may send to key-service per minute. */
    LOOKUPS_PER_CLIENT_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(30),
    /**
     * Failed-auth protection: invalid keys one client IP may present per window before keys the
     * edge does not already hold are refused with 429 (a key it holds is always checked first).
     * Counted in Redis, shared by all replicas, with `REDIS_FAILURE_MODE` deciding while it is down.
     */
    FAILED_AUTH_LIMIT: z.coerce.number().int().min(1).max(1_000_000).default(20),
    FAILED_AUTH_WINDOW_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(60_000),
    /**
     * Which proxies' X-Forwarded-For to trust for the client IP (Fastify trustProxy syntax). Behind
     * a proxy, set it to the proxy's address: otherwise every client shares the proxy's address and
     * so one failed-auth budget.
     */
    TRUST_PROXY: z
      .string()
      .default('')
      .transform((v): boolean | string[] =>
        v === 'true' ? true : v === '' || v === 'false' ? false : v.split(',').map((s) => s.trim()),
      ),

    /** `redis` (strict, shared by replicas) or `memory` (one instance, no Redis needed). */
    RATE_LIMIT_STORE: z.enum(['redis', 'memory']).default('redis'),
    /**
     * With `redis`: `strict` asks Redis on every request; `leased` takes leases of the remaining
     * budget (one Redis call per many requests) and admits locally while they last. Both never
     * admit more than a limit across replicas; `leased` can refuse a request near the limit while
     * another replica still holds unused tokens (a false 429), and gives unused tokens back after
     * `RATE_LIMIT_LEASE_IDLE_MS` without use.
     */
    RATE_LIMIT_STRATEGY: z.enum(['strict', 'leased']).default('leased'),
    /** The largest lease per counter, as a share of its limit (and at most 1000 units). */
    RATE_LIMIT_LEASE_FRACTION: z.coerce.number().gt(0).max(1).default(0.05),
    RATE_LIMIT_LEASE_IDLE_MS: z.coerce.number().int().min(50).max(60_000).default(1_000),
    /** What strict mode does while Redis is unreachable. */
    REDIS_FAILURE_MODE: z.enum(['fail-open', 'fail-closed', 'local']).default('local'),
    REDIS_LIMIT_TIMEOUT_MS: z.coerce.number().int().min(5).max(5_000).default(50),
    REDIS_BREAKER_FAILURES: z.coerce.number().int().min(1).max(1_000).default(5),
    REDIS_BREAKER_COOLDOWN_MS: z.coerce.number().int().min(100).max(600_000).default(1_000),

    /**
     * JSON list of `{ "method": "GET" | "*", "path": "/v1/orders/:id", "name": "orders.get",
     * "scopes": ["orders:read"], "cost": 1 }`. Metering and scopes use the name, never the raw path.
     */
    ENDPOINTS: jsonOf(EndpointRules, '[]'),
    /** Requests matching no endpoint rule: `allow` (metered as "unmatched") or `deny` (404). */
    UNMATCHED_ENDPOINTS: z.enum(['allow', 'deny']).default('allow'),
    /**
     * Without ENDPOINTS no scope is ever enforced and every request is "unmatched". In production
     * that must be chosen explicitly: `true` starts without ENDPOINTS, anything else refuses to.
     */
    ALLOW_UNSCOPED_TRAFFIC: env.booleanFlag(false),

    /**
     * Which proxy calls `/verify`, and so which headers carry the original method and URI:
     * `nginx` (X-Original-Method/-URI/-Host, as infra/nginx sets them), `caddy` and `traefik`
     * (X-Forwarded-Method/-Uri/-Host), `envoy` (ext_authz: the method, and the path after
     * /verify), or `none` (no /verify). Headers of the other proxies are ignored: a client must not
     * be able to choose what is authorised. Default `nginx`; required in production unless
     * UPSTREAM_URL is set (then `none`).
     */
    FORWARD_AUTH_SOURCE: z.enum(FORWARD_AUTH_SOURCES).optional(),

    /** Reverse-proxy mode: forward verified requests here. Unset: forward-auth only. */
    UPSTREAM_URL: z.string().url().optional(),
    UPSTREAM_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),

    /** RequestMetered events that Kafka cannot take right now are kept here and replayed. */
    SPOOL_DIR: z.string().min(1).default('.local/edge-auth/spool'),
    METER_MAX_BUFFERED: z.coerce.number().int().min(1_000).max(10_000_000).default(100_000),
    /** How long RequestMetered events wait to be sent together (per-batch costs dominate kafkajs). */
    METER_LINGER_MS: z.coerce.number().int().min(0).max(1_000).default(20),
    /** Most RequestMetered events in one RequestMeteredBatch record on the usage topic (1: one per record). */
    METER_BATCH_EVENTS: z.coerce.number().int().min(1).max(10_000).default(1_000),
    /**
     * Longest the broker holds an empty keys/plans/accounts fetch while tailing. Not the update
     * latency: the broker answers a fetch as soon as it has data (revocation p99 32 ms at 500,
     * 48 ms at 50); a short value only spends request-thread CPU on empty fetches (11-14 % of its
     * busy time at 50 ms under load).
     */
    TABLE_MAX_WAIT_MS: z.coerce.number().int().min(10).max(5_000).default(500),
    /**
     * The key table is snapshotted here (at shutdown and every KEY_TABLE_SNAPSHOT_INTERVAL_MS) and
     * a restart loads it, then reads only what changed since; `off` reads the topics whole at
     * every start. Edges reading the same topics may share the directory (one file per topic set).
     */
    KEY_TABLE_SNAPSHOT_DIR: z.string().min(1).default('.local/edge-auth/key-table'),
    /** 0: snapshot only at shutdown. */
    KEY_TABLE_SNAPSHOT_INTERVAL_MS: z.coerce.number().int().min(0).max(86_400_000).default(300_000),
    /** An older snapshot is not used (the table is built from the topics). */
    KEY_TABLE_SNAPSHOT_MAX_AGE_MS: z.coerce
      .number()
      .int()
      .min(1_000)
      .max(7 * 86_400_000)
      .default(86_400_000),
    /**
     * Key table snapshots shared between edges on a Kafka topic (tollgate.edge.key-table-snapshots.v1),
     * so an edge on a new node, with no snapshot file, starts from the newest one instead of reading
     * the topics whole. `read-write`: read at start, and publish once caught up and at the interval
     * snapshots when the newest shared one is KEY_TABLE_SNAPSHOT_SHARE_INTERVAL_MS old; `read`: only
     * read; `off`. Shared snapshots are signed with the key pepper: an edge uses only one signed
     * under a pepper it holds. Needs KEY_TABLE_SNAPSHOT_DIR (what is published is the file).
     */
    KEY_TABLE_SNAPSHOT_SHARING: z.enum(['read-write', 'read', 'off']).default('read-write'),
    KEY_TABLE_SNAPSHOT_SHARE_INTERVAL_MS: z.coerce
      .number()
      .int()
      .min(60_000)
      .max(86_400_000)
      .default(3_600_000),

    /**
     * `/metrics` and the detailed `/readyz` are served here, not on the public PORT (which keeps
     * `/healthz` and a `/readyz` without details for load balancers). 0 picks a free port.
     */
    ADMIN_HOST: z.string().min(1).default('127.0.0.1'),
    ADMIN_PORT: z.coerce.number().int().min(0).max(65_535).default(9080),
  })
  .superRefine(env.requirePeppersInProduction)
  .superRefine(env.requireCompleteKafkaSasl)
  .superRefine(requireExplicitChoicesInProduction);
export type EdgeAuthConfig = z.infer<typeof EdgeAuthConfig>;
export type ForwardAuthSource = (typeof FORWARD_AUTH_SOURCES)[number];

/** The proxy whose headers `/verify` reads (see FORWARD_AUTH_SOURCE). */
export function forwardAuthSourceOf(config: EdgeAuthConfig): ForwardAuthSource {
  return config.FORWARD_AUTH_SOURCE ?? (config.NODE_ENV === 'production' ? 'none' : 'nginx');
}

function requireExplicitChoicesInProduction(
  config: {
    NODE_ENV: string;
    ENDPOINTS: readonly unknown[];
    ALLOW_UNSCOPED_TRAFFIC: boolean;
    FORWARD_AUTH_SOURCE?: ForwardAuthSource | undefined;
    UPSTREAM_URL?: string | undefined;
  },
  ctx: z.RefinementCtx,
): void {
  if (config.NODE_ENV !== 'production') return;
  if (config.ENDPOINTS.length === 0 && !config.ALLOW_UNSCOPED_TRAFFIC)
    ctx.addIssue({
      code: 'custom',
      path: ['ENDPOINTS'],
      message:
        'is required in production (without it no scope is enforced); set ALLOW_UNSCOPED_TRAFFIC=true to run without it',
    });
  if (config.FORWARD_AUTH_SOURCE === undefined && config.UPSTREAM_URL === undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['FORWARD_AUTH_SOURCE'],
      message:
        'is required in production: nginx, caddy, traefik or envoy (the proxy calling /verify)',
    });
}

export function peppersOf(config: EdgeAuthConfig): env.KeyPeppers {
  return env.peppersOrDevelopment(config.KEY_PEPPERS);
}
