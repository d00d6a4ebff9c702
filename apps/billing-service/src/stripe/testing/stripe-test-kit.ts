import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { createService } from '@tollgate/service-base';
import type { Database } from '@tollgate/postgres';
import { env, loadConfig } from '@tollgate/service-runtime';
import { startStripeStandIn, type StripeStandIn } from '@tollgate/stripe-stand-in';
import { captureLogs, infraEnv, isolatedServiceEnv, waitUntilReady } from '@tollgate/test-infra';
import { Migration20261202100000Stripe } from '../../persistence/migrations/Migration20261202100000_stripe';
import { installStripeBilling, type StripeBilling } from '../stripe-billing';
import { stripeEnv } from '../stripe-config';
import { STRIPE_WEBHOOK_ROUTE } from '../stripe-webhooks';
import type { InvoicePayments } from '../types';

/** What the webhooks told the invoice side, in order. */
export type PaymentCall =
  | { kind: 'paid'; invoiceId: string; at: number }
  | { kind: 'payment_failed'; invoiceId: string; at: number; attempt: number }
  | { kind: 'void'; invoiceId: string; at: number };

/**
 * `InvoicePayments` that records each call (the invoice side's table is not under test here);
 * `refuseNext` makes the next call fail as the invoice ledger refuses an impossible transition.
 */
export function recordingPayments(): InvoicePayments & {
  calls: PaymentCall[];
  refuseNext: Error | undefined;
} {
  const calls: PaymentCall[] = [];
  const record = async (call: PaymentCall) => {
    const refusal = payments.refuseNext;
    payments.refuseNext = undefined;
    if (refusal) throw refusal;
    calls.push(call);
  };
  const payments = {
    calls,
    refuseNext: undefined as Error | undefined,
    markPaid: (invoiceId: string, at: number) => record({ kind: 'paid', invoiceId, at }),
    markPaymentFailed: (invoiceId: string, at: number, attempt: number) =>
      record({ kind: 'payment_failed', invoiceId, at, attempt }),
    markVoid: (invoiceId: string, at: number) => record({ kind: 'void', invoiceId, at }),
  };
  return payments;
}

const TestConfig = z.object({
  ...env.serviceEnv(0),
  DATABASE_URL: env.databaseUrl,
  DATABASE_SCHEMA: env.databaseSchema('billing_service'),
  SERVICE_TOKENS: env.serviceTokens.optional(),
  SERVICE_TOKEN: env.serviceToken.optional(),
  KEY_SERVICE_URL: z.string().url().default('http://127.0.0.1:8082'),
  ...stripeEnv,
});

export interface StripeBillingUnderTest {
  app: FastifyInstance;
  db: Database;
  standIn: StripeStandIn;
  billing: StripeBilling;
  payments: ReturnType<typeof recordingPayments>;
  logs: string[];
  /** The test's clock (epoch ms), shared by billing-service and the stand-in. */
  clock: { now: number };
  close(): Promise<void>;
}

/**
 * billing-service's Stripe module on real Postgres (a fresh schema with the Stripe migration),
 * the real `stripe` SDK pointed at a Stripe stand-in, and one clock for both. Workers are not
 * started: tests drive `runOnce()` and move the clock themselves. Fast retry settings: a hung
 * Stripe call times out after 300 ms, and the SDK does not retry on its own (the outbox does).
 */
export async function startStripeBilling(
  overrides: Record<string, string> = {},
  options: { startAt?: number } = {},
): Promise<StripeBillingUnderTest> {
  const clock = { now: options.startAt ?? Date.UTC(2026, 11, 1, 2) };
  const now = () => clock.now;
  const standIn = await startStripeStandIn({ now });
  const isolated = isolatedServiceEnv('bs_stripe');
  const config = loadConfig(TestConfig, {
    ...infraEnv(),
    ...isolated.env,
    STRIPE_SECRET_KEY: standIn.secretKey,
    STRIPE_WEBHOOK_SECRET: standIn.webhookSecret,
    STRIPE_API_BASE: standIn.url,
    STRIPE_TIMEOUT_MS: '300',
    STRIPE_MAX_NETWORK_RETRIES: '0',
    STRIPE_SYNC_RETRY_BASE_MS: '1000',
    STRIPE_SYNC_RETRY_MAX_MS: '60000',
    ...overrides,
  });
  const { logger, lines: logs } = captureLogs('billing-service', 'debug');
  const service = await createService({
    name: 'billing-service',
    config,
    logger,
    postgres: {
      migrations: [{ name: 'Migration20261202100000Stripe', class: Migration20261202100000Stripe }],
    },
    serviceAuth: { allow: { 'admin-api': 'all' }, publicRoutes: [STRIPE_WEBHOOK_ROUTE] },
  });
  const payments = recordingPayments();
  const billing = await installStripeBilling(service, {
    config: { ...config, STRIPE_SYNC_POLL_MS: 600_000, DUNNING_POLL_MS: 600_000 },
    keyServiceUrl: config.KEY_SERVICE_URL,
    now,
    payments,
  });
  await waitUntilReady(service.app);
  // The workers started after migrating; tests drive them by hand (runOnce), so stop the loops.
  await billing.syncWorker?.stop();
  await billing.dunning?.stop();
  return {
    app: service.app,
    db: service.db,
    standIn,
    billing,
    payments,
    logs,
    clock,
    async close() {
      await service.app.close();
      await standIn.close();
      await isolated.cleanup();
    },
  };
}
