import { describe, expect, it } from 'vitest';
import { billingPeriod } from './billing-period';
import { CurrencyMixError, overageMicros, rateSegments, UnpricedPlanError } from './rating';
import { planSegments, type PlanPrice, type TimelineEntry } from './subscription-timeline';

const plan = (overrides: Partial<PlanPrice> = {}): PlanPrice => ({
  planId: 'plan_pro',
  planVersion: 1,
  name: 'Pro',
  currency: 'EUR',
  baseFeeMinor: 4_900,
  includedUnits: 0,
  tiers: [{ upToUnits: null, unitPriceMicros: 1 }],
  ...overrides,
});
const on = (p: PlanPrice, iso: string, eventId: string): TimelineEntry => ({
  kind: 'plan',
  eventId,
  effectiveAt: Date.parse(iso),
  occurredAt: Date.parse(iso),
  plan: p,
});
const period = billingPeriod('2026-11');
const seconds = (period.end - period.start) / 1000;

describe('rating refuses what it cannot price', () => {
  it('a plan version whose PlanChanged carried no price', () => {
    const segments = planSegments(
      [on(plan({ missingPrice: true }), '2026-10-01T00:00:00Z', 'a')],
      period,
    );
    expect(() => rateSegments(segments, [0], seconds)).toThrow(UnpricedPlanError);
  });
  it('two currencies in one period', () => {
    const segments = planSegments(
      [
        on(plan(), '2026-10-01T00:00:00Z', 'a'),
        on(plan({ planId: 'plan_usd', currency: 'USD' }), '2026-11-10T00:00:00Z', 'b'),
      ],
      period,
    );
    expect(() => rateSegments(segments, [0, 0], seconds)).toThrow(CurrencyMixError);
  });
  it('prices a huge usage exactly (beyond 2^53 micros)', () => {
    const tiers = [{ upToUnits: null, unitPriceMicros: 1_000_000_000 }];
    expect(overageMicros({ tiers }, 1_000_000_000_000n)).toBe(10n ** 21n);
  });
});
