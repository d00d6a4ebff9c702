import type { FastifyInstance } from 'fastify';
import { Counter } from 'prom-client';
import { EventCodec } from '@tollgate/events';
import { kafkaMetrics } from '@tollgate/kafka';
import { OutboxRelay } from '@tollgate/postgres';
import { createService, type ServiceDeps } from '@tollgate/service-base';
import { InvoicePaymentLedger } from './application/invoice-payments';
import { Invoicing } from './application/invoicing';
import { KeyServicePlanCatalog } from './application/plan-catalog';
import { PeriodCloser } from './application/period-closer';
import { TimelineConsumer } from './application/timeline-consumer';
import { UsageIngestorClient } from './application/usage-source';
import type { BillingServiceConfig } from './config';
import { billingRoutes } from './http/billing-routes';
import { mapBillingError } from './http/billing-errors';
import { exportRoutes } from './http/export-routes';
import { createBillingPublisher } from './outbox/billing-publisher';
import { BILLING_SERVICE_MIGRATIONS } from './persistence/migrations';
import { installStripeBilling, STRIPE_WEBHOOK_ROUTE } from './stripe';

export const SERVICE = 'billing-service';

export type AppDeps = ServiceDeps<BillingServiceConfig>;

/** Billing periods, proration, invoices to Stripe and finance exports. */
export async function buildApp({
  config,
  logger,
  now = Date.now,
}: AppDeps): Promise<FastifyInstance> {
  const service = await createService({
    name: SERVICE,
    config,
    logger,
    postgres: { migrations: BILLING_SERVICE_MIGRATIONS },
    kafka: true,
    openApi: {
      title: 'Tollgate billing-service',
      description:
        'Invoices rated from plan segments and metered usage, plan-change previews and finance exports',
    },
    mapError: mapBillingError,
    // Stripe calls its webhook route itself, authenticated by its signature.
    serviceAuth: { allow: { 'admin-api': 'all' }, publicRoutes: [STRIPE_WEBHOOK_ROUTE] },
  });
  const { app, db, kafka, metrics } = service;
  const codec = new EventCodec();
  const kafkaMetricSet = kafkaMetrics(metrics.registry);
  const usage = new UsageIngestorClient({
    baseUrl: config.USAGE_INGESTOR_URL,
    serviceToken: config.SERVICE_TOKEN,
    timeoutMs: config.USAGE_TIMEOUT_MS,
  });
  const invoicing = new Invoicing({ db, usage, codec, now, proration: config.PRORATION_BEHAVIOR });
  const payments = new InvoicePaymentLedger({ db, codec });
  const stripe = await installStripeBilling(service, {
    config,
    keyServiceUrl: config.KEY_SERVICE_URL,
    now,
    payments,
  });

  const timelineLog = service.logger.child({ component: 'timeline' });
  const timeline = new TimelineConsumer({
    db,
    kafka,
    codec,
    metrics: kafkaMetricSet,
    log: timelineLog,
    // PRORATION_BEHAVIOR=immediate: a change inside a period is invoiced as it arrives; one that
    // cannot be (the database, a plan without price) is left to the closing worker's next run.
    onPlanChanges: async (changes) => {
      let issued = 0;
      for (const { accountId, eventId } of changes) {
        try {
          if ((await invoicing.invoiceProration(accountId, eventId))?.changeEventId === eventId)
            issued++;
        } catch (err) {
          timelineLog.warn(
            { err, accountId, eventId },
            'could not invoice the plan change at once; the period-closing worker retries',
          );
        }
      }
      if (issued > 0) stripe.syncWorker?.wake();
    },
    groupId: config.CONSUMER_GROUP,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    replicationFactor: config.KAFKA_REPLICATION_FACTOR,
  });
  const invoicesClosed = new Counter({
    name: 'billing_invoices_finalized_total',
    help: 'Invoices finalized by the period-closing worker',
    registers: [metrics.registry],
  });
  const closer = new PeriodCloser({
    db,
    invoicing,
    usage,
    now,
    graceMs: config.CLOSE_GRACE_MS,
    log: service.logger.child({ component: 'period-closer' }),
    onClosed: (count) => {
      invoicesClosed.inc(count);
      stripe.syncWorker?.wake();
    },
  });
  const publisher = createBillingPublisher(kafka, codec, kafkaMetricSet, {
    replicationFactor: config.KAFKA_REPLICATION_FACTOR,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
  });
  const relay = new OutboxRelay({
    applicationName: 'billing-service-outbox-relay',
    db,
    publish: (events) => publisher.publish(events),
    log: service.logger.child({ component: 'outbox-relay' }),
    pollIntervalMs: config.OUTBOX_POLL_MS,
  });

  service.afterMigrate(async () => {
    await publisher.prepare();
    await timeline.start();
    relay.start();
    if (config.PERIOD_CLOSING_ENABLED) closer.start(config.CLOSE_INTERVAL_MS);
  });
  service.use({
    name: 'billing-workers',
    checkReady: async () => undefined,
    close: async () => {
      await closer.stop();
      await timeline.stop();
      await relay.stop();
      await publisher.close();
    },
  });

  const plans = new KeyServicePlanCatalog({
    baseUrl: config.KEY_SERVICE_URL,
    serviceToken: config.SERVICE_TOKEN,
    timeoutMs: config.USAGE_TIMEOUT_MS,
  });
  await app.register(billingRoutes, { invoicing, db, now, plans });
  await app.register(exportRoutes, { db, usage });
  app.decorate('billing', { invoicing, payments, closer });
  return app;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The app's workers and ledgers, for tests that drive them with their own clock. */
    billing: { invoicing: Invoicing; payments: InvoicePaymentLedger; closer: PeriodCloser };
  }
}
