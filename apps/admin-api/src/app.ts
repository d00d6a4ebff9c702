import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance } from 'fastify';
import { Counter } from 'prom-client';
import { KeyHasher } from '@tollgate/api-keys';
import { createRedis } from '@tollgate/redis';
import { createService, type ServiceDeps } from '@tollgate/service-base';
import { env } from '@tollgate/service-runtime';
import { AdminTokens } from './application/admin-tokens';
import { AuthLimits } from './application/auth-limits';
import { InternalClient } from './application/internal-client';
import { OidcVerifier } from './application/oidc';
import type { AdminApiConfig } from './config';
import { consoleAssets, installConsoleHeaders } from './console/http/console-assets';
import { sessionRoutes } from './console/http/session-routes';
import { ConsoleSessions } from './console/sessions';
import { credentialVerifier, installAdminAuth } from './http/admin-auth';
import { mapInternalError } from './http/internal-errors';
import { accountRoutes } from './http/routes/account-routes';
import { adminTokenRoutes } from './http/routes/admin-token-routes';
import { auditRoutes } from './http/routes/audit-routes';
import { billingRoutes } from './http/routes/billing-routes';
import { quotaRoutes } from './http/routes/quota-routes';
import { forwardedRoutes } from './http/routes/forwarded-routes';
import { planChangeRoute } from './http/routes/plan-change-route';
import { ADMIN_API_MIGRATIONS } from './persistence/migrations';

export const SERVICE = 'admin-api';

export type AppDeps = ServiceDeps<AdminApiConfig>;

/** The secured public management API: admin tokens with roles, accounts, keys, plans, usage and the audit log. */
export async function buildApp({
  config,
  logger,
  now = Date.now,
}: AppDeps): Promise<FastifyInstance> {
  const service = await createService({
    name: SERVICE,
    config,
    logger,
    postgres: { migrations: ADMIN_API_MIGRATIONS },
    openApi: {
      title: 'Tollgate admin-api',
      description:
        'Management of accounts, API keys, plans, usage and the audit log, with admin tokens and roles',
    },
    mapError: mapInternalError,
    trustProxy: config.TRUST_PROXY,
  });
  const { app, db, metrics } = service;
  const redis = createRedis({
    url: config.REDIS_URL,
    onError: (err) => service.logger.debug({ err }, 'redis connection error'),
  });
  service.use(redis);
  const redisFailures = new Counter({
    name: 'admin_auth_limits_redis_failures_total',
    help: 'Auth-limit checks that could not reach Redis (the limits failed open)',
    registers: [metrics.registry],
  });
  const limits = new AuthLimits({
    redis: redis.client,
    keyPrefix: config.REDIS_KEY_PREFIX,
    failuresPerMinute: config.AUTH_FAILURES_PER_MINUTE,
    requestsPerMinutePerToken: config.REQUESTS_PER_MINUTE_PER_TOKEN,
    now,
    onRedisError: (err) => {
      redisFailures.inc();
      service.logger.warn({ err }, 'auth limits unavailable (Redis); failing open');
    },
  });
  const tokens = new AdminTokens(
    db,
    new KeyHasher(env.peppersOrDevelopment(config.ADMIN_TOKEN_PEPPERS)),
    now,
  );
  const internal = (name: string, baseUrl: string) =>
    new InternalClient({
      name,
      baseUrl,
      serviceToken: config.SERVICE_TOKEN,
      timeoutMs: config.INTERNAL_TIMEOUT_MS,
    });
  const keyService = internal('key-service', config.KEY_SERVICE_URL);
  const usage = internal('usage-ingestor', config.USAGE_INGESTOR_URL);
  const billing = internal('billing-service', config.BILLING_SERVICE_URL);

  const oidc =
    config.OIDC_ISSUER && config.OIDC_AUDIENCE
      ? new OidcVerifier({
          issuer: config.OIDC_ISSUER,
          audience: config.OIDC_AUDIENCE,
          jwksUrl: config.OIDC_JWKS_URL,
          roleClaim: config.OIDC_ROLE_CLAIM,
          roleMap: config.OIDC_ROLE_MAP,
          accountClaim: config.OIDC_ACCOUNT_CLAIM,
          algorithms: config.OIDC_ALGORITHMS,
          clockToleranceS: config.OIDC_CLOCK_TOLERANCE_S,
          now,
          timeoutMs: config.INTERNAL_TIMEOUT_MS,
        })
      : undefined;
  const sessions = new ConsoleSessions(db, {
    idleMs: config.CONSOLE_SESSION_IDLE_MINUTES * 60_000,
    absoluteMs: config.CONSOLE_SESSION_MAX_HOURS * 3_600_000,
    now,
  });
  await app.register(fastifyCookie);
  const auth = { tokens, limits, keyService, db, now, oidc, sessions };
  installAdminAuth(app, auth);
  installConsoleHeaders(app);
  const context = { tokens, keyService, usage, billing, db, now };
  for (const routes of [
    adminTokenRoutes,
    accountRoutes,
    forwardedRoutes,
    planChangeRoute,
    billingRoutes,
    quotaRoutes,
    auditRoutes,
  ])
    await app.register(routes, context);
  await app.register(sessionRoutes, { sessions, verify: credentialVerifier(auth), now });
  await app.register(consoleAssets, {
    root: config.CONSOLE_ASSETS_DIR ?? join(dirname(fileURLToPath(import.meta.url)), 'console'),
  });
  return app;
}
