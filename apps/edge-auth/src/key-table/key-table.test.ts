import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PLAN_BOUNDS, planSnapshotProblem, type PlanSnapshot } from '@tollgate/events';
import { sampleEvent } from '@tollgate/events/testing';
import { compileLimits } from '../rate-limit';
import { KeyTable } from './key-table';

const NOW = 1_000_000;
const ACCOUNT = sampleEvent('PlanChanged').accountId;
const KEY_HASH = Buffer.from(sampleEvent('KeyIssued').key.keyHash, 'hex').toString('latin1');
const snapshot = (planId: string, version = 1): PlanSnapshot => ({
  ...sampleEvent('PlanChanged').plan,
  planId,
  version,
});

describe('KeyTable plans', () => {
  it('holds a future assignment until it is due, on its previous plan until then', () => {
    const table = new KeyTable();
    table.applyPlan('acct_other', snapshot('plan_old'), NOW - 1, NOW);
    // As after a restart: the compacted topic holds only the future assignment of this account.
    table.applyPlan(ACCOUNT, snapshot('plan_new'), NOW + 10, NOW, {
      planId: 'plan_old',
      planVersion: 1,
    });
    table.applyKey({ ...sampleEvent('KeyIssued').key, accountId: ACCOUNT }, null);
    const key = table.find(KEY_HASH)!;
    expect(table.planAt(key.account, NOW)?.label).toBe('plan_old@1');
    expect(table.planAt(key.account, NOW + 9)?.label).toBe('plan_old@1');
    expect(table.planAt(key.account, NOW + 10)?.label).toBe('plan_new@1');
  });

  it('knows no plan before a future assignment whose previous plan it never saw', () => {
    const table = new KeyTable();
    table.applyPlan(ACCOUNT, snapshot('plan_new'), NOW + 10, NOW, {
      planId: 'plan_unseen',
      planVersion: 3,
    });
    table.applyKey({ ...sampleEvent('KeyIssued').key, accountId: ACCOUNT }, null);
    const key = table.find(KEY_HASH)!;
    expect(table.planAt(key.account, NOW)).toBeNull();
    // What key-service says fills the gap without dropping the pending assignment.
    table.adoptLookedUpPlan(ACCOUNT, snapshot('plan_looked_up'));
    expect(table.planAt(key.account, NOW)?.label).toBe('plan_looked_up@1');
    expect(table.planAt(key.account, NOW + 10)?.label).toBe('plan_new@1');
  });
});

describe('plans the shared validator accepts', () => {
  const policy = fc.record({
    name: fc.stringMatching(/^[a-z][a-z0-9-]{0,31}$/),
    limit: fc.integer({ min: 1, max: PLAN_BOUNDS.maxLimit }),
    windowMs: fc.integer({ min: PLAN_BOUNDS.minWindowMs, max: PLAN_BOUNDS.maxWindowMs }),
  });
  const plan = fc.record({
    rateLimits: fc.uniqueArray(policy, {
      maxLength: PLAN_BOUNDS.maxPolicies,
      selector: (p) => p.name,
    }),
    monthlyQuota: fc.option(fc.integer({ min: 1, max: PLAN_BOUNDS.maxMonthlyQuota })),
    limitScope: fc.constantFrom('key' as const, 'account' as const),
  });

  it('always compile into edge limits (a valid plan can never stop an edge)', () => {
    fc.assert(
      fc.property(plan, (limits) => {
        const candidate = { ...snapshot('plan_any'), ...limits };
        fc.pre(planSnapshotProblem(candidate) === null);
        expect(() => compileLimits(candidate)).not.toThrow();
      }),
      { numRuns: 2_000 },
    );
  });
});
