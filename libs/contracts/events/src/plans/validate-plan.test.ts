import { describe, expect, it } from 'vitest';
import { sampleEvent } from '../testing';
import { PLAN_BOUNDS, planDefinitionProblem, planSnapshotProblem } from './validate-plan';

const definition = {
  name: 'Pro',
  rateLimits: [
    { name: 'burst', limit: 10, windowMs: 1_000 },
    { name: 'per-minute', limit: 1_000, windowMs: 60_000 },
  ],
  monthlyQuota: 1_000_000,
  limitScope: 'account',
  price: {
    currency: 'EUR',
    baseFeeMinor: 4_900,
    includedUnits: 100_000,
    overageTiers: [
      { upTo: 1_000_000, unitPriceMicros: 50_000 },
      { upTo: null, unitPriceMicros: 30_000 },
    ],
  },
};
const snapshot = sampleEvent('PlanChanged').plan;

const withLimits = (rateLimits: unknown) => ({ ...definition, rateLimits });
const withPrice = (price: object) => ({ ...definition, price: { ...definition.price, ...price } });

describe('plan validation (shared by key-service on write and edge-auth on read)', () => {
  it('accepts sane plans, at the bounds too', () => {
    expect(planDefinitionProblem(definition)).toBeNull();
    expect(planSnapshotProblem(snapshot)).toBeNull();
    expect(planSnapshotProblem({ ...snapshot, pricing: null })).toBeNull();
    expect(
      planSnapshotProblem({ ...snapshot, pricing: { ...snapshot.pricing!, tiers: [] } }),
    ).toBeNull();
    const top = withLimits([
      { name: 'a', limit: PLAN_BOUNDS.maxLimit, windowMs: PLAN_BOUNDS.maxWindowMs },
    ]);
    expect(planDefinitionProblem({ ...top, monthlyQuota: PLAN_BOUNDS.maxMonthlyQuota })).toBeNull();
    expect(planDefinitionProblem({ ...definition, monthlyQuota: null, rateLimits: [] })).toBeNull();
  });

  it.each([
    [
      'a rate limit of 1e13',
      withLimits([{ name: 'huge', limit: 1e13, windowMs: 1_000 }]),
      'rateLimits.0.limit',
    ],
    [
      'a fractional limit',
      withLimits([{ name: 'x', limit: 1.5, windowMs: 1_000 }]),
      'rateLimits.0.limit',
    ],
    ['a zero limit', withLimits([{ name: 'x', limit: 0, windowMs: 1_000 }]), 'rateLimits.0.limit'],
    [
      'a policy named monthly-quota',
      withLimits([{ name: 'monthly-quota', limit: 1, windowMs: 1_000 }]),
      'rateLimits.0.name',
    ],
    [
      'a duplicate policy name',
      withLimits([
        { name: 'x', limit: 1, windowMs: 1_000 },
        { name: 'x', limit: 2, windowMs: 2_000 },
      ]),
      'rateLimits.1.name',
    ],
    [
      'an uppercase policy name',
      withLimits([{ name: 'Burst', limit: 1, windowMs: 1_000 }]),
      'rateLimits.0.name',
    ],
    [
      'a window below 1 s',
      withLimits([{ name: 'x', limit: 1, windowMs: 999 }]),
      'rateLimits.0.windowMs',
    ],
    [
      'a window above 31 days',
      withLimits([{ name: 'x', limit: 1, windowMs: PLAN_BOUNDS.maxWindowMs + 1 }]),
      'rateLimits.0.windowMs',
    ],
    [
      'nine policies',
      withLimits(
        Array.from({ length: 9 }, (_, i) => ({ name: `p${i}`, limit: 1, windowMs: 1_000 })),
      ),
      'rateLimits',
    ],
    ['a policy that is not an object', withLimits([null]), 'rateLimits.0'],
    ['a monthly quota of 2e12', { ...definition, monthlyQuota: 2e12 }, 'monthlyQuota'],
    ['a monthly quota of 0', { ...definition, monthlyQuota: 0 }, 'monthlyQuota'],
    ['a string monthly quota', { ...definition, monthlyQuota: '10' }, 'monthlyQuota'],
    ['another limit scope', { ...definition, limitScope: 'global' }, 'limitScope'],
    ['an empty name', { ...definition, name: '  ' }, 'name'],
    ['a name with NUL', { ...definition, name: 'Pro\u0000' }, 'name'],
    ['a name with a lone surrogate', { ...definition, name: 'Pro\uD800' }, 'name'],
    ['a lowercase currency', withPrice({ currency: 'eur' }), 'price.currency'],
    ['a negative base fee', withPrice({ baseFeeMinor: -1 }), 'price.baseFeeMinor'],
    ['a base fee of 1e11', withPrice({ baseFeeMinor: 1e11 }), 'price.baseFeeMinor'],
    ['included units of 1e13', withPrice({ includedUnits: 1e13 }), 'price.includedUnits'],
    [
      'an unbounded tier before the last',
      withPrice({
        overageTiers: [
          { upTo: null, unitPriceMicros: 1 },
          { upTo: 5, unitPriceMicros: 1 },
        ],
      }),
      'price.overageTiers.0.upTo',
    ],
    [
      'descending tiers',
      withPrice({
        overageTiers: [
          { upTo: 10, unitPriceMicros: 1 },
          { upTo: 10, unitPriceMicros: 1 },
        ],
      }),
      'price.overageTiers.1.upTo',
    ],
    [
      'a unit price of 1e10 micros',
      withPrice({ overageTiers: [{ upTo: null, unitPriceMicros: 1e10 }] }),
      'price.overageTiers.0.unitPriceMicros',
    ],
    ['no price', { ...definition, price: null }, 'price'],
    [
      'a bounded last tier',
      withPrice({ overageTiers: [{ upTo: 10, unitPriceMicros: 1 }] }),
      'price.overageTiers.0.upTo',
    ],
  ])('refuses %s', (_name, plan, field) => {
    expect(planDefinitionProblem(plan)).toMatchObject({ field });
  });

  it.each([
    ['a bad plan id', { planId: 'pro' }, 'planId'],
    ['version 0', { version: 0 }, 'version'],
    ['an empty price reference', { priceRef: '' }, 'priceRef'],
    ['a bad currency', { currency: 'EURO' }, 'currency'],
    [
      'a rate limit of 1e13',
      { rateLimits: [{ name: 'x', limit: 1e13, windowMs: 1_000 }] },
      'rateLimits.0.limit',
    ],
    [
      'a policy named monthly-quota',
      { rateLimits: [{ name: 'monthly-quota', limit: 1, windowMs: 1_000 }] },
      'rateLimits.0.name',
    ],
    [
      'a negative base fee',
      { pricing: { ...snapshot.pricing!, baseFeeMinor: -1 } },
      'pricing.baseFeeMinor',
    ],
    [
      'descending tiers',
      {
        pricing: {
          ...snapshot.pricing!,
          tiers: [
            { upToUnits: 10, unitPriceMicros: 1 },
            { upToUnits: 5, unitPriceMicros: 1 },
            { upToUnits: null, unitPriceMicros: 1 },
          ],
        },
      },
      'pricing.tiers.1.upToUnits',
    ],
    [
      'a bounded last tier',
      { pricing: { ...snapshot.pricing!, tiers: [{ upToUnits: 10, unitPriceMicros: 1 }] } },
      'pricing.tiers.0.upToUnits',
    ],
    [
      'a unit price of 1e10 micros',
      { pricing: { ...snapshot.pricing!, tiers: [{ upToUnits: null, unitPriceMicros: 1e10 }] } },
      'pricing.tiers.0.unitPriceMicros',
    ],
  ])('refuses a snapshot with %s', (_name, change, field) => {
    expect(planSnapshotProblem({ ...snapshot, ...change })).toMatchObject({
      field,
    });
  });
});
