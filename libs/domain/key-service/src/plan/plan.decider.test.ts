import { describe, it } from 'vitest';
import { deciderSpec } from '../common/decider-spec';
import { DEFAULT_PLANS } from './default-plans';
import { decidePlan, evolvePlan, initialPlanState } from './plan.decider';

const T0 = 1_764_201_600_000;
const spec = deciderSpec({
  decide: decidePlan,
  evolve: evolvePlan,
  initialState: initialPlanState,
});
const pro = DEFAULT_PLANS.plan_pro;
const created = [
  { type: 'PlanCreated' as const, data: { planId: 'plan_pro', createdAt: T0 } },
  {
    type: 'PlanVersionCreated' as const,
    data: { planId: 'plan_pro', version: 1, definition: pro, createdAt: T0 },
  },
];

describe('plan decider', () => {
  it('creates a plan with its first version', () => {
    spec
      .given([])
      .when({
        type: 'CreatePlan',
        data: { planId: 'plan_pro', definition: pro },
        metadata: { now: T0 },
      })
      .then(created);
  });
  it('editing creates the next immutable version', () => {
    const edited = { ...pro, monthlyQuota: 2_000_000 };
    spec
      .given(created)
      .when({
        type: 'CreatePlanVersion',
        data: { planId: 'plan_pro', definition: edited },
        metadata: { now: T0 + 1 },
      })
      .then([
        {
          type: 'PlanVersionCreated',
          data: { planId: 'plan_pro', version: 2, definition: edited, createdAt: T0 + 1 },
        },
      ]);
  });
  it('refuses duplicates, unknown plans and invalid definitions', () => {
    spec
      .given(created)
      .when({
        type: 'CreatePlan',
        data: { planId: 'plan_pro', definition: pro },
        metadata: { now: T0 },
      })
      .thenThrows('plan_already_exists', 'illegal_state');
    spec
      .given([])
      .when({
        type: 'CreatePlanVersion',
        data: { planId: 'plan_pro', definition: pro },
        metadata: { now: T0 },
      })
      .thenThrows('plan_not_found', 'not_found');
    const invalid = [
      { ...pro, rateLimits: [pro.rateLimits[0]!, pro.rateLimits[0]!] },
      { ...pro, rateLimits: [{ name: 'burst', limit: 0, windowMs: 1_000 }] },
      { ...pro, monthlyQuota: -1 },
      { ...pro, price: { ...pro.price, currency: 'euro' } },
      { ...pro, price: { ...pro.price, baseFeeMinor: 1.5 } },
      {
        ...pro,
        price: {
          ...pro.price,
          overageTiers: [
            { upTo: null, unitPriceMicros: 1 },
            { upTo: 10, unitPriceMicros: 1 },
          ],
        },
      },
      { ...pro, name: ' ' },
      // The plans that froze every edge (issue 13): refused on write now.
      { ...pro, rateLimits: [{ name: 'burst', limit: 1e13, windowMs: 1_000 }] },
      { ...pro, rateLimits: [{ name: 'monthly-quota', limit: 10, windowMs: 1_000 }] },
      { ...pro, monthlyQuota: 2e12 },
    ];
    for (const definition of invalid) {
      spec
        .given([])
        .when({ type: 'CreatePlan', data: { planId: 'p', definition }, metadata: { now: T0 } })
        .thenThrows('invalid_plan', 'validation');
    }
  });
  it('accepts every seeded default plan', () => {
    for (const [planId, definition] of Object.entries(DEFAULT_PLANS)) {
      spec
        .given([])
        .when({ type: 'CreatePlan', data: { planId, definition }, metadata: { now: T0 } })
        .then([
          { type: 'PlanCreated', data: { planId, createdAt: T0 } },
          { type: 'PlanVersionCreated', data: { planId, version: 1, definition, createdAt: T0 } },
        ]);
    }
  });
});
