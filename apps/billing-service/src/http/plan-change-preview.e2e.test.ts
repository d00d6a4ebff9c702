import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKeyService, type KeyServiceUnderTest } from '../stripe/testing/internal-apps';
import {
  billingTestKit,
  planChanged,
  pricedPlan,
  type BillingUnderTest,
} from '../testing/billing-test-kit';

/**
 * A plan-change preview to a plan version billing has not seen in a PlanChanged is priced from
 * key-service's catalog (a real key-service process, its default plans seeded, called with
 * billing's service credential); a version key-service does not have either is 404
 * `unknown_plan_version`, and a key-service that cannot be asked is 503, never a guessed price.
 * The clock stands at the first instant of November 2026, so no usage is read.
 */
const at = (iso: string) => Date.parse(iso);
const NOVEMBER = at('2026-11-01T00:00:00Z');
const A = 'acct_01JDQ3W8Y6T4K2M9N7P5R3SQA1';
const PRO = pricedPlan('plan_pro', 1, {
  baseFeeMinor: 4_900,
  includedUnits: 100_000,
  tiers: [
    { upToUnits: 1_000_000, unitPriceMicros: 50_000 },
    { upToUnits: null, unitPriceMicros: 30_000 },
  ],
});

describe('plan-change preview of a plan version billing has not seen (real key-service, Kafka, Postgres)', () => {
  let kit: BillingUnderTest;
  let keyService: KeyServiceUnderTest;
  let app: FastifyInstance;
  const credential = 'billing-preview-test-admin-credential-0123456789';

  beforeAll(async () => {
    kit = await billingTestKit('billing_preview');
    keyService = await startKeyService();
    app = await kit.startApp({
      now: () => NOVEMBER,
      env: {
        KEY_SERVICE_URL: keyService.url,
        SERVICE_TOKEN: keyService.billingCredential,
        SERVICE_TOKENS: `admin-api:${credential}`,
      },
    });
    await kit.publish([planChanged(A, PRO, NOVEMBER)]);
    await kit.waitForTimeline(1);
  }, 180_000);
  afterAll(async () => {
    await keyService?.stop();
    await kit?.close();
  });

  const preview = (planId: string, planVersion: number) =>
    app.inject({
      method: 'POST',
      url: `/v1/accounts/${A}/plan-change-preview`,
      headers: { authorization: `Bearer ${credential}` },
      payload: { planId, planVersion, effectiveAt: at('2026-11-16T00:00:00Z') },
    });

  it("prices an unseen version from key-service's catalog", async () => {
    const res = await preview('plan_enterprise', 1);
    expect(res.statusCode, res.body).toBe(200);
    // Pro for 15 of 30 days (2,450), Enterprise for 15 (99,900 / 2 = 49,950); no usage yet.
    const body = res.json<{
      current: { totalMinor: number };
      withChange: { lines: Array<{ kind: string; planId: string; amountMinor: number }> };
      differenceMinor: number;
    }>();
    expect(body.current.totalMinor).toBe(4_900);
    expect(body.withChange.lines.map((l) => [l.kind, l.planId, l.amountMinor])).toEqual([
      ['base_fee', 'plan_pro', 2_450],
      ['usage', 'plan_pro', 0],
      ['base_fee', 'plan_enterprise', 49_950],
      ['usage', 'plan_enterprise', 0],
    ]);
    expect(body.differenceMinor).toBe(2_450 + 49_950 - 4_900);
  });

  it('answers 404 unknown_plan_version when key-service has no such plan or version', async () => {
    for (const [planId, version] of [
      ['plan_enterprise', 99],
      ['plan_nowhere', 1],
    ] as const) {
      const res = await preview(planId, version);
      expect(res.statusCode, res.body).toBe(404);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ reason: 'unknown_plan_version' });
    }
  });

  it('answers 503 when key-service cannot be asked, and keeps pricing versions it has seen', async () => {
    await keyService.stop();
    const res = await preview('plan_free', 1);
    expect(res.statusCode, res.body).toBe(503);
    expect(res.json()).toMatchObject({ code: 'dependency_unavailable' });
    // Plan versions are immutable: one billing has seen (a PlanChanged) or fetched is kept.
    expect((await preview('plan_pro', 1)).statusCode).toBe(200);
    expect((await preview('plan_enterprise', 1)).statusCode).toBe(200);
  });
});
