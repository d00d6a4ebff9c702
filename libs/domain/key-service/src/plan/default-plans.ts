import type { PlanDefinition } from './plan-definition';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;

/** The tiers a fresh deployment is seeded with; operators edit them by creating new versions. */
export const DEFAULT_PLANS: Record<'plan_free' | 'plan_pro' | 'plan_enterprise', PlanDefinition> = {
  plan_free: {
    name: 'Free',
    rateLimits: [
      { name: 'burst', limit: 5, windowMs: SECOND },
      { name: 'per-minute', limit: 100, windowMs: MINUTE },
      { name: 'per-day', limit: 1_000, windowMs: DAY },
    ],
    monthlyQuota: 10_000,
    limitScope: 'account',
    price: { currency: 'EUR', baseFeeMinor: 0, includedUnits: 10_000, overageTiers: [] },
  },
  plan_pro: {
    name: 'Pro',
    rateLimits: [
      { name: 'burst', limit: 10, windowMs: SECOND },
      { name: 'per-minute', limit: 1_000, windowMs: MINUTE },
      { name: 'per-day', limit: 100_000, windowMs: DAY },
    ],
    monthlyQuota: 1_000_000,
    limitScope: 'account',
    price: {
      currency: 'EUR',
      baseFeeMinor: 4_900,
      includedUnits: 100_000,
      // 0.05 cents per request up to 1M over the included units, 0.03 cents beyond.
      overageTiers: [
        { upTo: 1_000_000, unitPriceMicros: 50_000 },
        { upTo: null, unitPriceMicros: 30_000 },
      ],
    },
  },
  plan_enterprise: {
    name: 'Enterprise',
    rateLimits: [
      { name: 'burst', limit: 100, windowMs: SECOND },
      { name: 'per-minute', limit: 20_000, windowMs: MINUTE },
    ],
    monthlyQuota: null,
    limitScope: 'key',
    price: {
      currency: 'EUR',
      baseFeeMinor: 99_900,
      includedUnits: 5_000_000,
      overageTiers: [{ upTo: null, unitPriceMicros: 10_000 }],
    },
  },
};
