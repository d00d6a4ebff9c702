import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newEventId } from '@tollgate/events';
import { sampleEvent } from '@tollgate/events/testing';
import { startStripeStandIn, type StripeStandIn } from '@tollgate/stripe-stand-in';
import { eventually, openApiErrors } from '@tollgate/test-infra';
import {
  billingTestKit,
  planChanged,
  pricedPlan,
  type BillingUnderTest,
} from '../testing/billing-test-kit';
import {
  BILLING_CREDENTIAL,
  startUsageIngestor,
  type UsageIngestorProcess,
} from '../testing/usage-ingestor-process';

/**
 * The whole collection path through `buildApp`: a period closes, its invoice is finalized and
 * queued in the same transaction, the running sync worker puts it into Stripe (the stand-in, with
 * faults on the way), Stripe's `invoice.paid` webhook comes back without a service credential and
 * the invoice ledger marks the Tollgate invoice paid. Dates are fixed, in March 2025.
 */
const at = (iso: string) => Date.parse(iso);
const MARCH_START = at('2025-03-01T00:00:00Z');
const ACCOUNT = 'acct_01JDQ3W8Y6T4K2M9N7P5R3SST1';
const WITNESS = 'acct_01JDQ3W8Y6T4K2M9N7P5R3SST2';
const PRO = pricedPlan('plan_pro', 1, {
  baseFeeMinor: 4_900,
  includedUnits: 10,
  tiers: [{ upToUnits: null, unitPriceMicros: 5_000_000 }], // 5 cents a unit
});

describe('collection through Stripe end to end (buildApp, real Kafka, Postgres, usage-ingestor)', () => {
  let kit: BillingUnderTest;
  let ingestor: UsageIngestorProcess;
  let standIn: StripeStandIn;
  let app: FastifyInstance;
  let clock = at('2025-04-01T00:30:00Z');

  beforeAll(async () => {
    kit = await billingTestKit('bs_stripe_e2e');
    ingestor = await startUsageIngestor(kit.config.KAFKA_TOPIC_PREFIX);
    standIn = await startStripeStandIn({ now: () => clock });
    app = await kit.startApp({
      now: () => clock,
      env: {
        USAGE_INGESTOR_URL: ingestor.url,
        SERVICE_TOKEN: BILLING_CREDENTIAL,
        SERVICE_TOKENS: `admin-api:${BILLING_CREDENTIAL}x`,
        STRIPE_SECRET_KEY: standIn.secretKey,
        STRIPE_WEBHOOK_SECRET: standIn.webhookSecret,
        STRIPE_API_BASE: standIn.url,
        STRIPE_TIMEOUT_MS: '500',
        STRIPE_MAX_NETWORK_RETRIES: '0',
        STRIPE_SYNC_POLL_MS: '20',
        STRIPE_SYNC_RETRY_BASE_MS: '1000',
        STRIPE_SYNC_RETRY_MAX_MS: '1000',
      },
    });
    await kit.publish([planChanged(ACCOUNT, PRO, MARCH_START)]);
    const usage = (accountId: string, count: number, from: number) =>
      Array.from({ length: count }, (_, i) =>
        sampleEvent('RequestMetered', {
          eventId: newEventId(from),
          accountId,
          keyId: `key_01JDQ3W8Y6T4K2M9N7P5R3S${accountId.slice(-3)}`,
          occurredAt: from + i * 1_000,
          costUnits: 1,
        }),
      );
    await ingestor.produce([
      ...usage(ACCOUNT, 30, at('2025-03-15T00:00:00Z')),
      // Usage after the period end tells billing the ingestor has caught up past it.
      ...usage(WITNESS, 1, at('2025-04-01T00:10:00Z')),
    ]);
    await kit.waitForTimeline(1);
    await eventually(
      async () =>
        (await ingestor.get<{ newestEventAt: string | null }>('/v1/usage/freshness'))
          .newestEventAt === '2025-04-01T00:10:00.000Z',
      60_000,
      'usage-ingestor to catch up past March',
    );
  }, 180_000);
  afterAll(async () => {
    await ingestor?.stop();
    await kit?.close();
    await standIn?.close();
  });

  const auth = { authorization: `Bearer ${BILLING_CREDENTIAL}x` };
  const invoiceOf = async () => {
    const res = await app.inject({
      method: 'GET',
      url: `/v1/accounts/${ACCOUNT}/invoices`,
      headers: auth,
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{
      items: Array<{
        invoiceId: string;
        totalMinor: number;
        status: string;
        stripeInvoiceId: string | null;
        lines: unknown[];
      }>;
    }>().items[0]!;
  };

  it('a closed period is charged through Stripe once, and the paid webhook marks it paid', async () => {
    standIn.failNext(2, { method: 'POST' });
    standIn.dropResponseNext(2, { method: 'POST', path: '/v1/invoiceitems' });
    clock = at('2025-04-01T01:00:01Z');
    expect(await app.billing.closer.closeDue()).toMatchObject({ closed: 1, failed: 0 });
    const invoice = await invoiceOf();
    // 30 units, 10 included: 20 × 5 = 100 on top of the base fee.
    expect(invoice).toMatchObject({
      status: 'finalized',
      totalMinor: 4_900 + 100,
      stripeInvoiceId: null,
    });

    // The worker runs on its own; the test only lets time pass so its retries come due.
    await eventually(
      () => {
        clock += 1_000;
        return [...standIn.store.invoices.values()].some((i) => i.status === 'open');
      },
      20_000,
      () => `the invoice to be finalized in Stripe (${JSON.stringify(standIn.counts())})`,
    );
    const stripeInvoices = [...standIn.store.invoices.values()];
    expect(stripeInvoices).toHaveLength(1);
    expect(stripeInvoices[0]).toMatchObject({
      total: invoice.totalMinor,
      currency: 'eur',
      metadata: { tollgate_invoice_id: invoice.invoiceId, tollgate_account_id: ACCOUNT },
    });
    expect(standIn.counts()).toMatchObject({
      customers: 1,
      invoices: 1,
      invoiceItems: invoice.lines.length,
      finalizations: 1,
      faults: { error: 2, drop: 2, hang: 0 },
    });

    const delivery = standIn.signedWebhook(standIn.payInvoice(stripeInvoices[0]!.id));
    const res = await app.inject({
      method: 'POST',
      url: '/v1/stripe/webhooks',
      headers: { 'content-type': 'application/json', 'stripe-signature': delivery.signature },
      payload: delivery.payload,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ received: true, outcome: 'applied' });
    // The invoice names the Stripe invoice it was collected through.
    expect(await invoiceOf()).toMatchObject({
      status: 'paid',
      stripeInvoiceId: stripeInvoices[0]!.id,
    });
  });

  it('documents the webhook route in a valid OpenAPI document when Stripe is configured', async () => {
    const document = (await app.inject('/openapi.json')).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(document.paths)).toContain('/v1/stripe/webhooks');
    expect(await openApiErrors(document)).toEqual([]);
  });
});
