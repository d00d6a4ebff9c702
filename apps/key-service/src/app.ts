import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { KeyHasher } from '@tollgate/api-keys';
import { EventCodec } from '@tollgate/events';
import { createKafkaConnection, kafkaMetrics } from '@tollgate/kafka';
import {
  createHttpServer,
  createLogger,
  createServiceMetrics,
  ProblemError,
  registerOpenApi,
  type Dependency,
} from '@tollgate/service-runtime';
import { KeyServiceCommands } from './application/key-service-commands';
import { KeyServiceQueries } from './application/key-service-queries';
import { peppersOf, type KeyServiceConfig } from './config';
import { mapDomainError } from './http/domain-errors';
import { accountRoutes } from './http/routes/account-routes';
import { keyRoutes } from './http/routes/key-routes';
import { planRoutes } from './http/routes/plan-routes';
import { OutboxRelay } from './outbox/outbox-relay';
import { createOutboxPublisher } from './outbox/outbox-publisher';
import { createDatabase, databaseDependency, initORM, startupTask } from '@tollgate/postgres';
import { KEY_SERVICE_MIGRATIONS } from './persistence/migrations';

export const SERVICE = 'key-service';

export interface AppDeps {
  config: KeyServiceConfig;
  logger?: Logger;
}

/** Event-sourced owner of accounts, API keys and plans; publishes KeyIssued, KeyRevoked, KeyUpdated and PlanChanged through a transactional outbox. */
export async function buildApp({ config, logger: given }: AppDeps): Promise<FastifyInstance> {
  const logger = given ?? createLogger({ service: SERVICE, level: config.LOG_LEVEL });
  const metrics = createServiceMetrics(SERVICE);
  const codec = new EventCodec();

  const orm = await initORM(
    {
      databaseUrl: config.DATABASE_URL,
      schema: config.DATABASE_SCHEMA,
      migrations: KEY_SERVICE_MIGRATIONS,
    },
    { connect: false },
  );
  const db = createDatabase(orm);
  const commands = new KeyServiceCommands({
    db,
    codec,
    hasher: new KeyHasher(peppersOf(config)),
    keyPrefix: config.KEY_PREFIX,
    defaultRotationGraceMs: config.ROTATION_GRACE_MS,
  });
  const queries = new KeyServiceQueries(db.sql);

  const database = databaseDependency(db);
  const kafka = createKafkaConnection({
    brokers: config.KAFKA_BROKERS,
    clientId: SERVICE,
    log: logger.child({ component: 'kafka' }),
  });
  const publisher = createOutboxPublisher(kafka, codec, kafkaMetrics(metrics.registry), {
    replicationFactor: config.KAFKA_REPLICATION_FACTOR,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
  });
  const relay = new OutboxRelay({
    databaseUrl: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    publish: (events) => publisher.publish(events),
    log: logger.child({ component: 'outbox-relay' }),
    pollIntervalMs: config.OUTBOX_POLL_MS,
  });
  const schema = startupTask({
    orm,
    databaseUrl: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    afterMigrate: async () => {
      if (config.SEED_DEFAULT_PLANS) await commands.seedDefaultPlans();
      if (config.OUTBOX_RELAY_ENABLED) relay.start();
    },
    log: logger,
  });

  const outbox: Dependency = {
    name: 'outbox',
    checkReady: async () => undefined,
    close: async () => {
      await relay.stop();
      await publisher.close();
    },
  };

  const app = await createHttpServer({
    service: SERVICE,
    logger,
    metrics,
    dependencies: [database, kafka, schema, outbox],
    readinessTimeoutMs: config.READINESS_TIMEOUT_MS,
    bodyLimitBytes: Math.min(config.BODY_LIMIT_BYTES, 64 * 1024),
    mapError: mapDomainError,
  });

  await registerOpenApi(app, {
    title: 'Tollgate key-service',
    description: 'Internal command/query API for accounts, keys and plans',
  });
  app.addHook('preHandler', async (request) => {
    if (!schema.done && request.url.startsWith('/v1/')) {
      throw new ProblemError(
        'dependency_unavailable',
        'key-service is still starting: its database schema is not ready',
      );
    }
  });
  const context = { commands, queries, db };
  await app.register(accountRoutes, context);
  await app.register(keyRoutes, context);
  await app.register(planRoutes, context);

  return app;
}
