import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newEventId, type RequestMetered } from '@tollgate/events';
import { sampleEvent } from '@tollgate/events/testing';
import { connectDatabase, type Database } from '@tollgate/postgres';
import { startStripeStandIn, type StripeStandIn } from '@tollgate/stripe-stand-in';
import { eventually } from '@tollgate/test-infra';
import {
  billingTestKit,
  planChanged,
  pricedPlan,
  type BillingUnderTest,
} from './testing/billing-test-kit';
import {
  BILLING_CREDENTIAL,
  startUsageIngestor,
  type UsageIngestorProcess,
} from './testing/usage-ingestor-process';

/**
 * `PRORATION_BEHAVIOR=immediate` on real Kafka and Postgres (and a real usage-ingestor for the
 * period close): a PlanChanged upgrade inside a period is invoiced at once for the difference,
 * once per change however often it is delivered or replayed; a change scheduled inside the period
 * is invoiced by the closing worker once it takes effect; the period's invoice then charges the
 * base fee the period started with and its usage, never the difference again. November 2026
 * (30 days), all dates fixed.
 */
const at = (iso: string) => Date.parse(iso);
const NOVEMBER = at('2026-11-01T00:00:00Z');
const UPGRADE = at('2026-11-16T00:00:00Z');
const SCHEDULED = at('2026-11-25T00:00:00Z');
const A = 'acct_01JDQ3W8Y6T4K2M9N7P5R3SPA1';
const B = 'acct_01JDQ3W8Y6T4K2M9N7P5R3SPB1';
const WITNESS = 'acct_01JDQ3W8Y6T4K2M9N7P5R3SPC1';
const C = 'acct_01JDQ3W8Y6T4K2M9N7P5R3SPD1';

const PRO = pricedPlan('plan_pro', 1, {
  baseFeeMinor: 4_900,
  includedUnits: 100_000,
  tiers: [{ upToUnits: null, unitPriceMicros: 50_000 }],
});
const TEAM = pricedPlan('plan_team', 1, {
  baseFeeMinor: 9_900,
  includedUnits: 300_000,
  tiers: [{ upToUnits: null, unitPriceMicros: 20_000 }],
});

interface InvoiceView {
  invoiceId: string;
  period: string;
  kind: string;
  changeEventId: string | null;
  status: string;
  totalMinor: number;
  lines: Array<{ kind: string; planId: string; quantity: number; amountMinor: number }>;
}

describe('PRORATION_BEHAVIOR=immediate: a plan change inside a period is invoiced at once (real Kafka, Postgres)', () => {
  let kit: BillingUnderTest;
  let ingestor: UsageIngestorProcess;
  let app: FastifyInstance;
  let db: Database;
  let standIn: StripeStandIn;
  let clock = at('2026-11-16T00:05:00Z');
  const upgrade = planChanged(A, TEAM, UPGRADE);

  beforeAll(async () => {
    kit = await billingTestKit('billing_immediate');
    ingestor = await startUsageIngestor(kit.config.KAFKA_TOPIC_PREFIX);
    standIn = await startStripeStandIn({ now: () => clock });
    app = await kit.startApp({
      now: () => clock,
      env: {
        PRORATION_BEHAVIOR: 'immediate',
        STRIPE_SECRET_KEY: standIn.secretKey,
        STRIPE_WEBHOOK_SECRET: standIn.webhookSecret,
        STRIPE_API_BASE: standIn.url,
        STRIPE_SYNC_POLL_MS: '20',
        USAGE_INGESTOR_URL: ingestor.url,
        SERVICE_TOKEN: BILLING_CREDENTIAL,
        SERVICE_TOKENS: `admin-api:${BILLING_CREDENTIAL}x`,
      },
    });
    ({ db } = await connectDatabase({
      databaseUrl: kit.config.DATABASE_URL,
      schema: kit.config.DATABASE_SCHEMA,
      migrations: [],
      maxConnections: 1,
    }));
  }, 180_000);
  afterAll(async () => {
    await db?.close();
    await ingestor?.stop();
    await kit?.close();
    await standIn?.close();
  });

  const auth = { authorization: `Bearer ${BILLING_CREDENTIAL}x` };
  const invoicesOf = async (accountId: string) => {
    const res = await app.inject({
      method: 'GET',
      url: `/v1/accounts/${accountId}/invoices`,
      headers: auth,
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ items: InvoiceView[] }>().items;
  };
  const prorationsOf = async (accountId: string) =>
    (await invoicesOf(accountId)).filter((i) => i.kind === 'proration');
  const lines = (invoice: InvoiceView) =>
    invoice.lines.map((l) => [l.kind, l.planId, l.quantity, l.amountMinor]);

  it('invoices an upgrade event at once for the difference, finalized, on Kafka and collected through Stripe', async () => {
    await kit.publish([planChanged(A, PRO, NOVEMBER), upgrade]);
    await eventually(async () => (await prorationsOf(A)).length > 0, 30_000, 'a proration invoice');
    const [proration] = await prorationsOf(A);
    // 15 of 30 days left: Pro unused −4,900 × 15/30 = −2,450; Team 9,900 × 15/30 = 4,950.
    expect(proration).toMatchObject({
      period: '2026-11',
      changeEventId: (upgrade.payload as { eventId: string }).eventId,
      status: 'finalized',
      totalMinor: 2_500,
    });
    expect(lines(proration!)).toEqual([
      ['base_fee', 'plan_pro', 15 * 86_400, -2_450],
      ['base_fee', 'plan_team', 15 * 86_400, 4_950],
    ]);
    await eventually(
      () =>
        kit
          .billingEvents()
          .some(
            (e) => e.type === 'InvoiceFinalized' && e.payload.invoiceId === proration!.invoiceId,
          ),
      20_000,
      'InvoiceFinalized of the proration invoice',
    );
    // The event says which kind of invoice it is and which plan change it prorates.
    expect(
      kit
        .billingEvents()
        .find((e) => e.type === 'InvoiceFinalized' && e.payload.invoiceId === proration!.invoiceId)
        ?.payload,
    ).toMatchObject({
      invoiceKind: 'proration',
      planChangeEventId: (upgrade.payload as { eventId: string }).eventId,
      totalMinor: 2_500,
    });
    const queued = await db.sql.query<{ payload: { totalMinor: number; description: string } }>(
      'select payload from stripe_sync_outbox where invoice_id = ?',
      [proration!.invoiceId],
    );
    expect(queued.map((r) => r.payload)).toEqual([
      expect.objectContaining({
        totalMinor: 2_500,
        description: 'Tollgate plan change 2026-11 (proration)',
      }),
    ]);
    // The running sync worker puts it into Stripe (the stand-in): one finalized invoice, one item
    // per line, under idempotency keys from the Tollgate invoice id.
    await eventually(
      () => [...standIn.store.invoices.values()].some((i) => i.status === 'open'),
      20_000,
      () => `the proration invoice finalized in Stripe (${JSON.stringify(standIn.counts())})`,
    );
    expect([...standIn.store.invoices.values()]).toEqual([
      expect.objectContaining({
        total: 2_500,
        description: 'Tollgate plan change 2026-11 (proration)',
        metadata: expect.objectContaining({ tollgate_invoice_id: proration!.invoiceId }),
      }),
    ]);
    expect([...standIn.store.invoiceItems.values()].map((i) => i.amount).sort()).toEqual([
      -2_450, 4_950,
    ]);
  });

  it('issues still one invoice when the event is delivered again or replayed', async () => {
    const before = await kit.timelineCount();
    // The same event again (a redelivery), then key-service's replay of the latest assignment (a
    // new eventId, same plan and effective time); a marker on another account published once the
    // replay is recorded is handled after both (the consumer handles one batch at a time).
    await kit.publish([upgrade]);
    await kit.publish([planChanged(A, TEAM, UPGRADE, UPGRADE + 60_000)]);
    await kit.waitForTimeline(before + 1);
    await kit.publish([planChanged(WITNESS, PRO, NOVEMBER)]);
    await kit.waitForTimeline(before + 2);
    expect(await prorationsOf(A)).toHaveLength(1);
    expect(
      kit.billingEvents().filter((e) => e.type === 'InvoiceFinalized' && e.payload.accountId === A),
    ).toHaveLength(1);
  });

  it('invoices a downgrade that takes effect mid-period as a credit, which Stripe finalizes with nothing due', async () => {
    await kit.publish([planChanged(C, TEAM, NOVEMBER), planChanged(C, PRO, UPGRADE)]);
    await eventually(async () => (await prorationsOf(C)).length > 0, 30_000, "C's credit");
    const [credit] = await prorationsOf(C);
    // 15 of 30 days left: Team unused −9,900 × 15/30 = −4,950; Pro 4,900 × 15/30 = 2,450.
    expect(lines(credit!)).toEqual([
      ['base_fee', 'plan_team', 15 * 86_400, -4_950],
      ['base_fee', 'plan_pro', 15 * 86_400, 2_450],
    ]);
    expect(credit!.totalMinor).toBe(-2_500);
    await eventually(
      () =>
        [...standIn.store.invoices.values()].some(
          (i) => i.metadata?.tollgate_invoice_id === credit!.invoiceId && i.status === 'paid',
        ),
      20_000,
      () => `the credit finalized in Stripe (${JSON.stringify(standIn.counts())})`,
    );
    const inStripe = [...standIn.store.invoices.values()].find(
      (i) => i.metadata?.tollgate_invoice_id === credit!.invoiceId,
    );
    expect(inStripe).toMatchObject({ total: -2_500, amount_due: 0 });
  });

  it('invoices a change scheduled inside the period when it takes effect, from the closing worker', async () => {
    const before = await kit.timelineCount();
    await kit.publish([planChanged(B, PRO, NOVEMBER), planChanged(B, TEAM, SCHEDULED, UPGRADE)]);
    await kit.waitForTimeline(before + 2);
    expect(await app.billing.closer.closeDue()).toMatchObject({ prorations: 0, failed: 0 });
    expect(await prorationsOf(B)).toEqual([]);
    clock = at('2026-11-25T00:00:01Z');
    expect(await app.billing.closer.closeDue()).toMatchObject({ prorations: 1, failed: 0 });
    expect(await app.billing.closer.closeDue()).toMatchObject({ prorations: 0, failed: 0 });
    const [proration] = await prorationsOf(B);
    // 6 days left (Nov 25 to Dec 1): Pro unused −4,900 × 6/30 = −980; Team 9,900 × 6/30 = 1,980.
    expect(lines(proration!)).toEqual([
      ['base_fee', 'plan_pro', 6 * 86_400, -980],
      ['base_fee', 'plan_team', 6 * 86_400, 1_980],
    ]);
    expect(proration!.totalMinor).toBe(1_000);
  });

  it("closes the period without charging the difference again: the period's invoice bills the starting base fee and usage", async () => {
    const usage = (count: number, accountId: string, from: number): RequestMetered[] =>
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
      ...usage(300, A, UPGRADE + 3_600_000),
      ...usage(1, WITNESS, at('2026-12-01T00:10:00Z')),
    ]);
    await eventually(
      async () =>
        (await ingestor.get<{ newestEventAt: string | null }>('/v1/usage/freshness'))
          .newestEventAt === '2026-12-01T00:10:00.000Z',
      60_000,
      'usage-ingestor caught up past November',
    );
    clock = at('2026-12-01T01:00:01Z');
    expect(await app.billing.closer.closeDue()).toMatchObject({ closed: 4, failed: 0 });
    expect(await app.billing.closer.closeDue()).toMatchObject({ closed: 0, prorations: 0 });

    const periodOf = async (accountId: string) =>
      (await invoicesOf(accountId)).find((i) => i.kind === 'period')!;
    const a = await periodOf(A);
    expect(lines(a)).toEqual([
      ['base_fee', 'plan_pro', 30 * 86_400, 4_900],
      ['usage', 'plan_pro', 0, 0],
      ['usage', 'plan_team', 300, 0],
    ]);
    // A in all: 4,900 + 2,500 = 7,400 = Pro for 15 days (2,450) + Team for 15 (4,950).
    expect((await invoicesOf(A)).map((i) => [i.kind, i.totalMinor])).toEqual([
      ['period', 4_900],
      ['proration', 2_500],
    ]);
    // B: 4,900 + 1,000 = 5,900 = Pro for 24 days (4,900 × 24/30 = 3,920) + Team for 6 (1,980).
    expect((await periodOf(B)).totalMinor + (await prorationsOf(B))[0]!.totalMinor).toBe(
      3_920 + 1_980,
    );
  });

  it('answers a plan-change preview with the invoice the change would issue at once', async () => {
    clock = at('2026-12-16T00:00:00Z');
    const res = await app.inject({
      method: 'POST',
      url: `/v1/accounts/${WITNESS}/plan-change-preview`,
      headers: auth,
      payload: { planId: 'plan_team', planVersion: 1 },
    });
    expect(res.statusCode, res.body).toBe(200);
    // December: 31 days, 16 left. Pro unused −4,900 × 16/31 = −2,529.03 → −2,529; Team
    // 9,900 × 16/31 = 5,109.68 → 5,110. The period's own invoice keeps Pro's base fee.
    expect(res.json()).toMatchObject({
      current: { totalMinor: 4_900 },
      withChange: { totalMinor: 4_900 },
      prorationInvoice: { totalMinor: -2_529 + 5_110 },
      differenceMinor: -2_529 + 5_110,
    });
  });
});
