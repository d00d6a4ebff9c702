import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newEventId, type RequestMetered, type TollgateEvent } from '@tollgate/events';
import { sampleEvent } from '@tollgate/events/testing';
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
 * End to end on real Kafka and Postgres: PlanChanged events build the timeline, RequestMetered
 * events go through Kafka into a real usage-ingestor, and the period-closing worker (driven with a
 * fixed clock) invoices exactly what the ingestor counted as billable, which is exactly the live,
 * allowed requests sent. Billing-bypass: an upgrade, a burst and a downgrade within the period
 * bill the burst at the prices in force when it happened. All dates are fixed, in March 2025.
 */
const at = (iso: string) => Date.parse(iso);
const MARCH = { start: at('2025-03-01T00:00:00Z'), end: at('2025-04-01T00:00:00Z') };
const UPGRADE = at('2025-03-10T00:00:00Z');
const DOWNGRADE = at('2025-03-10T01:00:00Z');
const A = 'acct_01JDQ3W8Y6T4K2M9N7P5R3SBA1';
const B = 'acct_01JDQ3W8Y6T4K2M9N7P5R3SBB1';
const WITNESS = 'acct_01JDQ3W8Y6T4K2M9N7P5R3SBC1';

const PRO = pricedPlan('plan_pro', 1, {
  baseFeeMinor: 4_900,
  includedUnits: 100_000,
  tiers: [
    { upToUnits: 1_000_000, unitPriceMicros: 50_000 },
    { upToUnits: null, unitPriceMicros: 30_000 },
  ],
});
// A plan with no included units and 0.2 cents per unit: the burst is priced here.
const BURST = pricedPlan('plan_burst', 1, {
  baseFeeMinor: 50_000,
  includedUnits: 0,
  tiers: [{ upToUnits: null, unitPriceMicros: 200_000 }],
});

// 100,000 metered requests in all (and one witness). Pro's included units (100,000 prorated)
// cover A's and B's steady usage, so only the burst is priced: at 0.2 cents a unit.
const COUNTS = {
  aSteady: 34_000,
  aBurst: 16_000,
  aTest: 8_000,
  aLimited: 4_000,
  bLive: 34_000,
  bTest: 4_000,
};
const BURST_MINOR = COUNTS.aBurst / 5;
const MARCH_A_TOTAL = 1_423 + 67 + BURST_MINOR + 3_471;

function requests(
  count: number,
  accountId: string,
  from: number,
  to: number,
  overrides: Partial<RequestMetered> = {},
): RequestMetered[] {
  return Array.from({ length: count }, (_, i) =>
    sampleEvent('RequestMetered', {
      eventId: newEventId(from),
      accountId,
      keyId: `key_01JDQ3W8Y6T4K2M9N7P5R3S${accountId.slice(-3)}`,
      occurredAt: from + Math.floor(((to - from) * i) / count),
      costUnits: 1,
      ...overrides,
    }),
  );
}

describe('billing end to end: exact invoices from metered usage (real Kafka, Postgres, usage-ingestor)', () => {
  let kit: BillingUnderTest;
  let ingestor: UsageIngestorProcess;
  let app: FastifyInstance;
  let clock = at('2025-04-01T00:30:00Z');
  const sent: RequestMetered[] = [];
  let firstEvent: TollgateEvent | undefined;

  beforeAll(async () => {
    kit = await billingTestKit('billing_e2e');
    ingestor = await startUsageIngestor(kit.config.KAFKA_TOPIC_PREFIX);
    app = await kit.startApp({
      now: () => clock,
      env: {
        USAGE_INGESTOR_URL: ingestor.url,
        SERVICE_TOKEN: BILLING_CREDENTIAL,
        SERVICE_TOKENS: `admin-api:${BILLING_CREDENTIAL}x`,
      },
    });
    // Both accounts start on Pro when March starts: March is their first period.
    const before = MARCH.start;
    firstEvent = planChanged(A, PRO, before);
    await kit.publish([
      firstEvent,
      planChanged(A, BURST, UPGRADE),
      planChanged(A, PRO, DOWNGRADE),
      planChanged(B, PRO, before),
    ]);
    sent.push(
      ...requests(COUNTS.aSteady / 2, A, MARCH.start, UPGRADE),
      ...requests(COUNTS.aSteady / 2, A, DOWNGRADE, MARCH.end),
      ...requests(COUNTS.aBurst, A, UPGRADE, DOWNGRADE),
      ...requests(COUNTS.aTest, A, MARCH.start, MARCH.end, { env: 'test' }),
      ...requests(COUNTS.aLimited, A, UPGRADE, DOWNGRADE, { outcome: 'rate_limited', status: 429 }),
      ...requests(COUNTS.bLive, B, MARCH.start, MARCH.end),
      ...requests(COUNTS.bTest, B, MARCH.start, MARCH.end, { env: 'test' }),
      // Usage after the period end tells billing the ingestor has caught up past it.
      ...requests(1, WITNESS, at('2025-04-01T00:10:00Z'), at('2025-04-01T00:11:00Z')),
    );
    // 100,000 events: the bounds leave room for a loaded machine.
    await ingestor.produce(sent);
    await kit.waitForTimeline(4);
    await eventually(
      async () =>
        (await ingestor.get<{ newestEventAt: string | null }>('/v1/usage/freshness'))
          .newestEventAt === '2025-04-01T00:10:00.000Z' &&
        (await monthTotals(A)).byEnv.live.requests ===
          COUNTS.aSteady + COUNTS.aBurst + COUNTS.aLimited &&
        (await monthTotals(B)).byEnv.test.requests === COUNTS.bTest &&
        (await monthTotals(B)).billableUnits === COUNTS.bLive,
      150_000,
      'usage-ingestor counted every event sent',
    );
  }, 300_000);
  afterAll(async () => {
    await ingestor?.stop();
    await kit?.close();
  });

  interface RangeTotals {
    billableUnits: number;
    byEnv: Record<'live' | 'test', { requests: number; billableUnits: number }>;
  }
  const monthTotals = (accountId: string) =>
    ingestor.get<RangeTotals>(
      `/v1/usage/accounts/${accountId}/range-totals?from=2025-03-01T00:00Z&to=2025-04-01T00:00Z`,
    );
  const auth = { authorization: `Bearer ${BILLING_CREDENTIAL}x` };
  const get = (url: string) => app.inject({ method: 'GET', url, headers: auth });

  it('closes March only after the grace, then invoices exactly the billable units', async () => {
    expect(await app.billing.closer.closeDue()).toMatchObject({ closed: 0 });
    clock = at('2025-04-01T01:00:01Z');
    expect(await app.billing.closer.closeDue()).toMatchObject({ closed: 2, failed: 0 });

    const invoiceOf = async (accountId: string) => {
      const res = await get(`/v1/accounts/${accountId}/invoices`);
      expect(res.statusCode, res.body).toBe(200);
      return res.json<{
        items: Array<{
          invoiceId: string;
          period: string;
          totalMinor: number;
          status: string;
          lines: Array<{ kind: string; planId: string; quantity: number; amountMinor: number }>;
        }>;
      }>().items[0]!;
    };
    const usageUnits = (lines: Array<{ kind: string; quantity: number }>) =>
      lines.filter((l) => l.kind === 'usage').reduce((sum, l) => sum + l.quantity, 0);

    const a = await invoiceOf(A);
    const b = await invoiceOf(B);
    const liveAllowedSent = (accountId: string) =>
      sent.filter((e) => e.accountId === accountId && e.env === 'live' && e.outcome === 'allowed')
        .length;
    // invoice units = ingestor billable units = live allowed requests sent; test keys add 0.
    expect(usageUnits(a.lines)).toBe((await monthTotals(A)).billableUnits);
    expect(usageUnits(a.lines)).toBe(liveAllowedSent(A));
    expect(usageUnits(a.lines)).toBe(COUNTS.aSteady + COUNTS.aBurst);
    expect(usageUnits(b.lines)).toBe((await monthTotals(B)).billableUnits);
    expect(usageUnits(b.lines)).toBe(COUNTS.bLive);
    expect((await monthTotals(A)).byEnv.test.requests).toBe(COUNTS.aTest);

    // Bypass attempt: the burst hour is billed on plan_burst (16,000 × 0.2 = 3,200), not re-priced
    // by the downgrade; at Pro's prices it would have fallen inside the included units (0).
    expect(a.lines.map((l) => [l.kind, l.planId, l.quantity, l.amountMinor])).toEqual([
      ['base_fee', 'plan_pro', 9 * 86_400, 1_423], // 4,900 × 9/31
      ['usage', 'plan_pro', COUNTS.aSteady / 2, 0],
      ['base_fee', 'plan_burst', 3_600, 67], // 50,000 × 3,600/2,678,400 = 67.2
      ['usage', 'plan_burst', COUNTS.aBurst, BURST_MINOR],
      ['base_fee', 'plan_pro', 2_678_400 - 9 * 86_400 - 3_600, 3_471], // 4,900 × 1,897,200/2,678,400
      ['usage', 'plan_pro', COUNTS.aSteady / 2, 0],
    ]);
    expect(a.totalMinor).toBe(MARCH_A_TOTAL);
    expect(b.totalMinor).toBe(4_900);
    expect(a.status).toBe('finalized');

    // InvoiceFinalized reaches Kafka through the outbox, once per invoice.
    await eventually(
      () => kit.billingEvents().filter((e) => e.type === 'InvoiceFinalized').length === 2,
      20_000,
      'two InvoiceFinalized events',
    );
    const finalized = kit
      .billingEvents()
      .flatMap((e) => (e.type === 'InvoiceFinalized' ? [e.payload] : []));
    expect(finalized.map((e) => [e.accountId, e.totalMinor]).sort()).toEqual(
      [
        [A, a.totalMinor],
        [B, 4_900],
      ].sort(),
    );
    expect(finalized.map((e) => [e.invoiceKind, e.planChangeEventId])).toEqual([
      ['period', null],
      ['period', null],
    ]);
  });

  it('changes nothing on a second run or when plan events are delivered again', async () => {
    expect(await app.billing.closer.closeDue()).toMatchObject({ closed: 0 });
    // The first event again (same eventId, a redelivery), then a replay of it (new eventId) on the
    // same partition: once the replay is recorded, the redelivery has been handled and ignored.
    await kit.publish([firstEvent!, planChanged(A, PRO, MARCH.start)]);
    await kit.waitForTimeline(5);
    expect(await kit.timelineCount()).toBe(5);
    const invoices = (await get(`/v1/accounts/${A}/invoices`)).json<{ items: unknown[] }>();
    expect(invoices.items).toHaveLength(1);
  });

  it('bills usage that arrives after finalization as an adjustment on the next invoice', async () => {
    const late = requests(100, A, UPGRADE, DOWNGRADE);
    await ingestor.produce([
      ...late,
      ...requests(1, WITNESS, at('2025-05-01T00:10:00Z'), at('2025-05-01T00:11:00Z')),
    ]);
    await eventually(
      async () => (await monthTotals(A)).billableUnits === COUNTS.aSteady + COUNTS.aBurst + 100,
      30_000,
      'the late usage counted',
    );
    // Reconciliation sees the late units before they are adjusted (and no Stripe sync runs here).
    const reconcile = async () =>
      (await get('/v1/reports/reconciliation?period=2025-03&format=json')).json<
        Array<{
          account_id: string;
          ingestor_billable_units: number;
          invoiced_units: number;
          mismatch: string;
        }>
      >();
    expect(
      (await reconcile()).map((r) => [
        r.account_id,
        r.ingestor_billable_units,
        r.invoiced_units,
        r.mismatch,
      ]),
    ).toEqual([
      [
        A,
        COUNTS.aSteady + COUNTS.aBurst + 100,
        COUNTS.aSteady + COUNTS.aBurst,
        'units;not_in_stripe',
      ],
      [B, COUNTS.bLive, COUNTS.bLive, 'not_in_stripe'],
    ]);
    clock = at('2025-05-01T01:00:01Z');
    expect(await app.billing.closer.closeDue()).toMatchObject({ closed: 2, failed: 0 });
    expect((await reconcile()).map((r) => [r.account_id, r.invoiced_units, r.mismatch])).toEqual([
      [A, COUNTS.aSteady + COUNTS.aBurst + 100, 'not_in_stripe'],
      [B, COUNTS.bLive, 'not_in_stripe'],
    ]);
    const [april, march] = (await get(`/v1/accounts/${A}/invoices`)).json<{
      items: Array<{
        period: string;
        totalMinor: number;
        lines: Array<{ kind: string; planId: string; quantity: number; amountMinor: number }>;
      }>;
    }>().items;
    expect(april!.period).toBe('2025-04');
    // 100 late units on the burst segment: 100 × 0.2 = 20, on April's invoice; March unchanged.
    expect(
      april!.lines
        .filter((l) => l.kind === 'adjustment')
        .map((l) => [l.planId, l.quantity, l.amountMinor]),
    ).toEqual([['plan_burst', 100, 20]]);
    expect(march!.totalMinor).toBe(MARCH_A_TOTAL);
  });

  it('exports invoices, usage and revenue as CSV with stable columns, and JSON', async () => {
    const csv = await get('/v1/exports/invoices?period=2025-03&format=csv');
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    const [header, ...rows] = csv.body.trimEnd().split('\r\n');
    expect(header).toBe(
      'period,invoice_id,account_id,invoice_status,currency,line_no,line_kind,plan_id,plan_version,segment_from,segment_to,quantity,amount_minor,invoice_total_minor,finalized_at,invoice_kind',
    );
    expect(rows).toHaveLength(6 + 2);
    const usage = await get('/v1/exports/usage?period=2025-03&format=json');
    const usageRows = usage.json<Array<{ account_id: string; billable_units: number }>>();
    expect(
      usageRows.filter((r) => r.account_id === A).reduce((s, r) => s + r.billable_units, 0),
    ).toBe(COUNTS.aSteady + COUNTS.aBurst);
    const revenue = (await get('/v1/exports/revenue?period=2025-03&format=json')).json<
      Array<{ plan_id: string; total_minor: number }>
    >();
    expect(revenue).toEqual([
      expect.objectContaining({ plan_id: 'plan_burst', total_minor: 67 + BURST_MINOR }),
      expect.objectContaining({ plan_id: 'plan_pro', total_minor: 1_423 + 3_471 + 4_900 }),
    ]);
  });

  it('answers the upcoming invoice and a plan-change preview with the same rating code', async () => {
    clock = at('2025-05-16T00:00:00Z');
    const upcoming = await get(`/v1/accounts/${B}/upcoming-invoice`);
    expect(upcoming.statusCode, upcoming.body).toBe(200);
    expect(upcoming.json()).toMatchObject({ period: '2025-05', totalMinor: 4_900 });
    const preview = await app.inject({
      method: 'POST',
      url: `/v1/accounts/${B}/plan-change-preview`,
      headers: auth,
      payload: { planId: 'plan_burst', planVersion: 1 },
    });
    expect(preview.statusCode, preview.body).toBe(200);
    // May has 31 days: 15 on Pro (4,900 × 15/31 = 2,370.97 → 2,371), 16 on plan_burst
    // (50,000 × 16/31 = 25,806.45 → 25,806); no usage in May.
    expect(preview.json()).toMatchObject({
      current: { totalMinor: 4_900 },
      withChange: { totalMinor: 2_371 + 25_806 },
      differenceMinor: 2_371 + 25_806 - 4_900,
    });
  });

  it('moves invoices through payment: failed (PaymentFailed published), paid, never back to void', async () => {
    const { payments } = app.billing;
    const march = (await get(`/v1/accounts/${B}/invoices?before=2025-04`)).json<{
      items: Array<{ invoiceId: string; totalMinor: number }>;
    }>().items[0]!;
    const failedAt = at('2025-05-20T00:00:00Z');
    await payments.markPaymentFailed(march.invoiceId, failedAt, 1);
    await payments.markPaymentFailed(march.invoiceId, failedAt + 1, 2);
    expect((await get(`/v1/invoices/${march.invoiceId}`)).json()).toMatchObject({
      status: 'payment_failed',
      failedAttempts: 2,
    });
    await eventually(
      () => kit.billingEvents().filter((e) => e.type === 'PaymentFailed').length === 2,
      20_000,
      'two PaymentFailed events',
    );
    const failed = kit
      .billingEvents()
      .flatMap((e) => (e.type === 'PaymentFailed' ? [e.payload] : []));
    expect(failed.map((e) => [e.invoiceId, e.accountId, e.attempt, e.amountMinor])).toEqual([
      [march.invoiceId, B, 1, march.totalMinor],
      [march.invoiceId, B, 2, march.totalMinor],
    ]);
    await payments.markPaid(march.invoiceId, failedAt + 2);
    await payments.markPaid(march.invoiceId, failedAt + 3); // a redelivered webhook: no change
    const paid = (await get(`/v1/invoices/${march.invoiceId}`)).json<{
      status: string;
      paidAt: string;
    }>();
    expect(paid).toMatchObject({ status: 'paid', paidAt: new Date(failedAt + 2).toISOString() });
    await expect(payments.markVoid(march.invoiceId, failedAt + 4)).rejects.toMatchObject({
      status: 409,
    });
    await expect(
      payments.markPaid('inv_01JDQ3W8Y6T4K2M9N7P5R3S0ZZ', failedAt),
    ).rejects.toMatchObject({
      status: 404,
    });
  });

  it('bills late usage of any earlier finalized period (two back) on the next invoice, once', async () => {
    // Closing May: 50 late units of March (two periods back, on the burst segment) and 30 of
    // April (one back, inside B's included units).
    await ingestor.produce([
      ...requests(50, A, UPGRADE, DOWNGRADE),
      ...requests(30, B, at('2025-04-10T00:00:00Z'), at('2025-04-11T00:00:00Z')),
      ...requests(1, WITNESS, at('2025-06-01T00:10:00Z'), at('2025-06-01T00:11:00Z')),
    ]);
    await eventually(
      async () =>
        (await monthTotals(A)).billableUnits === COUNTS.aSteady + COUNTS.aBurst + 150 &&
        (await ingestor.get<{ newestEventAt: string | null }>('/v1/usage/freshness'))
          .newestEventAt === '2025-06-01T00:10:00.000Z' &&
        (
          await ingestor.get<RangeTotals>(
            `/v1/usage/accounts/${B}/range-totals?from=2025-04-01T00:00Z&to=2025-05-01T00:00Z`,
          )
        ).billableUnits === 30,
      30_000,
      'the late usage of March and April counted',
    );
    clock = at('2025-06-01T01:00:01Z');
    expect(await app.billing.closer.closeDue()).toMatchObject({ closed: 2, failed: 0 });
    expect(await app.billing.closer.closeDue()).toMatchObject({ closed: 0, failed: 0 });
    const adjustmentsOf = async (accountId: string) =>
      (await get(`/v1/accounts/${accountId}/invoices`))
        .json<{
          items: Array<{
            period: string;
            lines: Array<{ kind: string; planId: string; quantity: number; amountMinor: number }>;
          }>;
        }>()
        .items.map((i) => [
          i.period,
          i.lines
            .filter((l) => l.kind === 'adjustment')
            .map((l) => [l.planId, l.quantity, l.amountMinor]),
        ]);
    // A: 50 × 0.2 = 10 on May's invoice, beyond the 100 April's adjustment already billed.
    expect(await adjustmentsOf(A)).toEqual([
      ['2025-05', [['plan_burst', 50, 10]]],
      ['2025-04', [['plan_burst', 100, 20]]],
      ['2025-03', []],
    ]);
    expect(await adjustmentsOf(B)).toEqual([
      ['2025-05', [['plan_pro', 30, 0]]],
      ['2025-04', []],
      ['2025-03', []],
    ]);
    const invoicedMarch = (await get('/v1/reports/reconciliation?period=2025-03&format=json')).json<
      Array<{ account_id: string; invoiced_units: number; mismatch: string }>
    >();
    expect(invoicedMarch.map((r) => [r.account_id, r.invoiced_units, r.mismatch])).toEqual([
      [A, COUNTS.aSteady + COUNTS.aBurst + 150, 'not_in_stripe'],
      [B, COUNTS.bLive, 'not_in_stripe'],
    ]);
  });

  it('closes periods by itself on its interval once they are due', async () => {
    await ingestor.produce(
      requests(1, WITNESS, at('2025-07-01T00:10:00Z'), at('2025-07-01T00:11:00Z')),
    );
    await eventually(
      async () =>
        (await ingestor.get<{ newestEventAt: string | null }>('/v1/usage/freshness'))
          .newestEventAt === '2025-07-01T00:10:00.000Z',
      30_000,
      'the July witness ingested',
    );
    clock = at('2025-07-01T01:00:01Z');
    app.billing.closer.start(20);
    try {
      await eventually(
        async () =>
          (await get(`/v1/accounts/${A}/invoices`)).json<{ items: Array<{ period: string }> }>()
            .items[0]?.period === '2025-06',
        20_000,
        'June invoiced by the worker',
      );
    } finally {
      await app.billing.closer.stop();
    }
    // Late units already adjusted are not billed again by a later period.
    const june = (await get(`/v1/accounts/${A}/invoices?limit=1`)).json<{
      items: Array<{ lines: Array<{ kind: string }> }>;
    }>().items[0]!;
    expect(june.lines.filter((l) => l.kind === 'adjustment')).toEqual([]);
  });

  it('requires a service credential on /v1 and refuses bad input with problem+json', async () => {
    expect((await app.inject(`/v1/accounts/${A}/invoices`)).statusCode).toBe(401);
    for (const url of [
      '/v1/exports/invoices?period=2025-13',
      `/v1/accounts/${A}/invoices?limit=1000`,
      '/v1/invoices/inv_nope',
      '/v1/accounts/acct_x/upcoming-invoice',
    ]) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect((await get(`/v1/accounts/${WITNESS}/upcoming-invoice`)).json()).toMatchObject({
      status: 404,
      reason: 'no_subscription',
    });
  });
});
