import type { FastifyInstance } from 'fastify';
import { KeyHasher } from '@tollgate/api-keys';
import { EventCodec } from '@tollgate/events';
import { kafkaMetrics } from '@tollgate/kafka';
import { OutboxRelay } from '@tollgate/postgres';
import { createService, type ServiceDeps } from '@tollgate/service-base';
import { actingAs, actorOfRequest } from './application/actor';
import { createKeyServiceCommands } from './application/key-service-commands';
import { KeyServiceQueries } from './application/key-service-queries';
import { accountWebhookCommands, WebhookDeliverer } from './application/webhook-notifications';
import { peppersOf, webhookAllowsHttp, type KeyServiceConfig } from './config';
import { mapDomainError } from './http/domain-errors';
import { accountRoutes } from './http/routes/account-routes';
import { keyRoutes } from './http/routes/key-routes';
import { planRoutes } from './http/routes/plan-routes';
import { secretScanningRoutes } from './http/routes/secret-scanning-routes';
import { webhookRoutes } from './http/routes/webhook-routes';
import { createOutboxPublisher } from './outbox/outbox-publisher';
import { KEY_SERVICE_MIGRATIONS } from './persistence/migrations';

export const SERVICE = 'key-service';

export type AppDeps = ServiceDeps<KeyServiceConfig>;

/** Event-sourced owner of accounts, API keys and plans; publishes KeyIssued, KeyRevoked, KeyUpdated and PlanChanged through a transactional outbox. */
export async function buildApp({
  config,
  logger,
  now = Date.now,
}: AppDeps): Promise<FastifyInstance> {
  const service = await createService({
    name: SERVICE,
    config,
    logger,
    postgres: { migrations: KEY_SERVICE_MIGRATIONS },
    kafka: true,
    openApi: {
      title: 'Tollgate key-service',
      description: 'Internal command/query API for accounts, keys and plans',
    },
    bodyLimitBytes: Math.min(config.BODY_LIMIT_BYTES, 64 * 1024),
    mapError: mapDomainError,
    serviceAuth: {
      allow: {
        'admin-api': 'all',
        'edge-auth': ['POST /v1/key-lookups'],
        'billing-service': [
          'GET /v1/accounts',
          'GET /v1/accounts/:accountId',
          'GET /v1/plans',
          'GET /v1/plans/:planId',
          'POST /v1/accounts/:accountId/suspend',
          'POST /v1/accounts/:accountId/reactivate',
        ],
      },
    },
  });
  const { app, db, kafka, metrics } = service;
  const codec = new EventCodec();
  const commands = createKeyServiceCommands({
    db,
    codec,
    hasher: new KeyHasher(peppersOf(config)),
    keyPrefix: config.KEY_PREFIX,
    defaultRotationGraceMs: config.ROTATION_GRACE_MS,
    now,
  });
  const queries = new KeyServiceQueries(db.sql, now);

  const publisher = createOutboxPublisher(kafka, codec, kafkaMetrics(metrics.registry), {
    replicationFactor: config.KAFKA_REPLICATION_FACTOR,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
  });
  const relay = new OutboxRelay({
    applicationName: 'key-service-outbox-relay',
    db,
    publish: (events) => publisher.publish(events),
    log: service.logger.child({ component: 'outbox-relay' }),
    pollIntervalMs: config.OUTBOX_POLL_MS,
  });
  service.afterMigrate(async () => {
    if (config.SEED_DEFAULT_PLANS) await commands.seedDefaultPlans();
    if (config.OUTBOX_RELAY_ENABLED) relay.start();
  });
  service.use({
    name: 'outbox',
    checkReady: async () => undefined,
    close: async () => {
      await relay.stop();
      await publisher.close();
    },
  });

  // Every command of a request runs as its actor (published in the events it causes).
  app.addHook('preHandler', (request, _reply, done) =>
    actingAs(actorOfRequest(request.serviceCaller, request.headers['x-tollgate-actor']), done),
  );
  const webhookSettings = {
    allowHttp: webhookAllowsHttp(config),
    pollMs: config.WEBHOOK_POLL_MS,
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
    maxAttempts: config.WEBHOOK_MAX_ATTEMPTS,
    retryBaseMs: config.WEBHOOK_RETRY_BASE_MS,
  };
  const deliverer = new WebhookDeliverer({
    db,
    now,
    settings: webhookSettings,
    log: service.logger.child({ component: 'webhooks' }),
  });
  service.afterMigrate(async () => deliverer.start());
  service.use({
    name: 'webhooks',
    checkReady: async () => undefined,
    close: () => deliverer.stop(),
  });

  const context = { commands, queries, db };
  await app.register(accountRoutes, context);
  await app.register(webhookRoutes, {
    webhooks: accountWebhookCommands({ db, now, settings: webhookSettings }),
  });
  await app.register(keyRoutes, context);
  await app.register(planRoutes, context);
  if (config.SECRET_SCANNING_GITHUB_KEYS) {
    await app.register(secretScanningRoutes, {
      commands,
      signingKeys: config.SECRET_SCANNING_GITHUB_KEYS,
      ready: () => service.migrated,
    });
  }
  return app;
}
