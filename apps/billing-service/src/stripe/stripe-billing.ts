import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Database } from '@tollgate/postgres';
import type { Dependency, ServiceMetrics } from '@tollgate/service-runtime';
import { DunningWorker } from './dunning';
import { KeyServiceAccounts } from './key-service-accounts';
import { PaymentEvents } from './payment-events';
import { createStripeClient } from './stripe-client';
import type { StripeConfig } from './stripe-config';
import { StripeSyncWorker } from './stripe-sync-worker';
import { stripeWebhookRoutes } from './stripe-webhooks';
import type { InvoicePayments } from './types';

/** What `installStripeBilling` needs of the app (the `createService` result has all of it). */
export interface StripeBillingHost {
  app: FastifyInstance;
  logger: Logger;
  metrics: ServiceMetrics;
  db: Database;
  use(dependency: Dependency): void;
  afterMigrate(task: () => Promise<void>): void;
}

export interface StripeBillingOptions {
  config: StripeConfig & { SERVICE_TOKEN?: string | undefined };
  /** key-service, for dunning's suspensions and reactivations. */
  keyServiceUrl: string;
  now: () => number;
  payments: InvoicePayments;
}

export interface StripeBilling {
  /** Undefined without STRIPE_SECRET_KEY. */
  syncWorker: StripeSyncWorker | undefined;
  /** Undefined without STRIPE_WEBHOOK_SECRET. */
  dunning: DunningWorker | undefined;
}

/**
 * Wires the Stripe side into billing-service: the sync worker (with STRIPE_SECRET_KEY), the
 * webhook route and dunning (with STRIPE_WEBHOOK_SECRET). Both workers start once the schema is
 * migrated and stop before the database closes. A missing key is one warning, not a failure:
 * finalized invoices keep queueing in the sync outbox and go to Stripe once a key is configured.
 */
export async function installStripeBilling(
  host: StripeBillingHost,
  { config, keyServiceUrl, now, payments }: StripeBillingOptions,
): Promise<StripeBilling> {
  const log = host.logger.child({ component: 'stripe' });
  const missing = [
    config.STRIPE_SECRET_KEY ? undefined : 'STRIPE_SECRET_KEY (invoices wait in the sync outbox)',
    config.STRIPE_WEBHOOK_SECRET
      ? undefined
      : 'STRIPE_WEBHOOK_SECRET (no webhook route: payments and dunning are not applied)',
  ].filter((m) => m !== undefined);
  if (missing.length > 0)
    log.warn({ missing }, `Stripe is not fully configured: ${missing.join('; ')}`);

  const registry = host.metrics.registry;
  const syncWorker = config.STRIPE_SECRET_KEY
    ? new StripeSyncWorker({
        db: host.db,
        stripe: createStripeClient({
          secretKey: config.STRIPE_SECRET_KEY,
          apiBase: config.STRIPE_API_BASE ? new URL(config.STRIPE_API_BASE) : undefined,
          timeoutMs: config.STRIPE_TIMEOUT_MS,
          maxNetworkRetries: config.STRIPE_MAX_NETWORK_RETRIES,
        }),
        now,
        log,
        registry,
        pollIntervalMs: config.STRIPE_SYNC_POLL_MS,
        leaseMs: config.STRIPE_SYNC_LEASE_MS,
        retryBaseMs: config.STRIPE_SYNC_RETRY_BASE_MS,
        retryMaxMs: config.STRIPE_SYNC_RETRY_MAX_MS,
      })
    : undefined;

  let dunning: DunningWorker | undefined;
  if (config.STRIPE_WEBHOOK_SECRET) {
    const policy = { maxFailedPayments: config.DUNNING_MAX_FAILED_PAYMENTS };
    const worker = new DunningWorker({
      db: host.db,
      accounts: new KeyServiceAccounts({
        baseUrl: keyServiceUrl,
        serviceToken: config.SERVICE_TOKEN,
        timeoutMs: 5_000,
      }),
      policy,
      now,
      log: log.child({ component: 'dunning' }),
      registry,
      pollIntervalMs: config.DUNNING_POLL_MS,
      retryBaseMs: 1_000,
      retryMaxMs: 5 * 60_000,
    });
    dunning = worker;
    await host.app.register(stripeWebhookRoutes, {
      webhookSecret: config.STRIPE_WEBHOOK_SECRET,
      toleranceSeconds: config.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
      now,
      events: new PaymentEvents({
        db: host.db,
        payments,
        policy,
        onDunningAction: () => worker.wake(),
        log,
      }),
    });
  }

  host.afterMigrate(async () => {
    syncWorker?.start();
    dunning?.start();
  });
  host.use({
    name: 'stripe-workers',
    checkReady: async () => undefined,
    close: async () => {
      await syncWorker?.stop();
      await dunning?.stop();
    },
  });
  return { syncWorker, dunning };
}
