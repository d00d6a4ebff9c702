import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { KeyHasher } from '@tollgate/api-keys';
import { connectDatabase, type Database } from '@tollgate/postgres';
import { env, loadConfig } from '@tollgate/service-runtime';
import {
  buildServiceArtifact,
  captureLogs,
  createTestRedis,
  infraEnv,
  isolatedServiceEnv,
  startServiceProcess,
  waitUntilReady,
  type TestRedis,
} from '@tollgate/test-infra';
import { AdminTokens, type NewAdminToken } from '../application/admin-tokens';
import { buildApp } from '../app';
import { AdminApiConfig } from '../config';

export const secret = () => randomBytes(32).toString('base64url');

/** Real key-service and usage-ingestor processes that accept only service credentials. */
export interface InternalApps {
  keyServiceUrl: string;
  usageIngestorUrl: string;
  billingServiceUrl: string;
  adminCredential: string;
  edgeCredential: string;
  /** The topic prefix all of them (and an edge-auth joining them) share. */
  topicPrefix: string;
  stop(): Promise<void>;
}

/** Starts a built app on its own schema; apps of one test share `env.KAFKA_TOPIC_PREFIX`. */
export async function startInternalApp(appRoot: string, env: Record<string, string>) {
  const isolated = isolatedServiceEnv(appRoot.split('/')[1]!.replace('-', '_'));
  const artifact = await buildServiceArtifact(appRoot);
  try {
    const process = await startServiceProcess(
      artifact.entry,
      { ...infraEnv(), ...isolated.env, LOG_LEVEL: 'info', ...env },
      60_000,
    );
    await process.ready(60_000);
    return {
      url: process.url,
      async stop() {
        await process.stop('SIGTERM');
        await artifact.remove();
        await isolated.cleanup();
      },
    };
  } catch (err) {
    await artifact.remove();
    await isolated.cleanup();
    throw err;
  }
}

export async function startInternalApps(
  options: {
    /** More settings for billing-service (e.g. `PRORATION_BEHAVIOR: 'immediate'`: invoices at once). */
    billingEnv?: Record<string, string>;
  } = {},
): Promise<InternalApps> {
  const adminCredential = secret();
  const edgeCredential = secret();
  const billingCredential = secret();
  // One topic prefix for the apps of this test (removed with its topics at stop).
  const topics = isolatedServiceEnv('adm_topics');
  const topicPrefix = topics.env.KAFKA_TOPIC_PREFIX;
  const keyService = await startInternalApp('apps/key-service', {
    SERVICE_TOKENS: `admin-api:${adminCredential},edge-auth:${edgeCredential},billing-service:${billingCredential}`,
    KAFKA_TOPIC_PREFIX: topicPrefix,
    OUTBOX_POLL_MS: '10',
  });
  const usage = await startInternalApp('apps/usage-ingestor', {
    SERVICE_TOKENS: `admin-api:${adminCredential},billing-service:${billingCredential}`,
    KAFKA_TOPIC_PREFIX: topicPrefix,
    INGEST_MAX_WAIT_MS: '50',
  }).catch(async (err: unknown) => {
    await keyService.stop();
    throw err;
  });
  const billing = await startInternalApp('apps/billing-service', {
    SERVICE_TOKENS: `admin-api:${adminCredential}`,
    SERVICE_TOKEN: billingCredential,
    KEY_SERVICE_URL: keyService.url,
    USAGE_INGESTOR_URL: usage.url,
    KAFKA_TOPIC_PREFIX: topicPrefix,
    // Periods are closed by billing's own tests; here it answers reads.
    PERIOD_CLOSING_ENABLED: 'false',
    ...options.billingEnv,
  }).catch(async (err: unknown) => {
    await usage.stop();
    await keyService.stop();
    throw err;
  });
  return {
    keyServiceUrl: keyService.url,
    usageIngestorUrl: usage.url,
    billingServiceUrl: billing.url,
    adminCredential,
    edgeCredential,
    topicPrefix,
    async stop() {
      await billing.stop();
      await usage.stop();
      await keyService.stop();
      await topics.cleanup();
    },
  };
}

export interface AdminApiUnderTest {
  app: FastifyInstance;
  config: AdminApiConfig;
  logs: string[];
  db: Database;
  /** Issues a token directly (as bootstrap does) and returns its plaintext. */
  token(input: NewAdminToken): Promise<string>;
  /** Another admin-api replica on the same schema and Redis key space. */
  replica(): Promise<FastifyInstance>;
  close(): Promise<void>;
}

/** admin-api in process on its own schema and Redis key space, talking to `internal`. */
export async function startAdminApi(
  internal: Pick<InternalApps, 'keyServiceUrl' | 'usageIngestorUrl' | 'adminCredential'> &
    Partial<Pick<InternalApps, 'billingServiceUrl'>>,
  overrides: Record<string, string> = {},
  options: { now?: () => number } = {},
): Promise<AdminApiUnderTest> {
  const isolated = isolatedServiceEnv('adm');
  const redis: TestRedis = await createTestRedis('adm');
  const config = loadConfig(AdminApiConfig, {
    ...infraEnv(),
    ...isolated.env,
    REDIS_KEY_PREFIX: redis.keyPrefix,
    KEY_SERVICE_URL: internal.keyServiceUrl,
    USAGE_INGESTOR_URL: internal.usageIngestorUrl,
    ...(internal.billingServiceUrl ? { BILLING_SERVICE_URL: internal.billingServiceUrl } : {}),
    SERVICE_TOKEN: internal.adminCredential,
    ...overrides,
  });
  const apps: FastifyInstance[] = [];
  const { logger, lines: logs } = captureLogs('admin-api');
  const start = async () => {
    const app = await buildApp({ config, logger, ...options });
    apps.push(app);
    await waitUntilReady(app);
    return app;
  };
  const app = await start();
  const { db } = await connectDatabase({
    databaseUrl: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    migrations: [],
  });
  const tokens = new AdminTokens(
    db,
    new KeyHasher(env.peppersOrDevelopment(config.ADMIN_TOKEN_PEPPERS)),
    Date.now,
  );
  return {
    app,
    config,
    logs,
    db,
    token: async (input) => (await tokens.issue(input, 'test')).plaintext,
    replica: start,
    async close() {
      for (const a of apps) await a.close();
      await db.close();
      await redis.cleanup();
      await isolated.cleanup();
    },
  };
}
