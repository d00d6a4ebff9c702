import { describe, expect, it } from 'vitest';
import { DEFAULT_PLANS } from '../plan/default-plans';
import { deciderSpec } from '../common/decider-spec';
import { accountAt, decideAccount, evolveAccount, initialAccountState } from './account.decider';
import type { AccountEvent } from './account.events';

const T0 = 1_764_201_600_000;
const spec = deciderSpec({
  decide: decideAccount,
  evolve: evolveAccount,
  initialState: initialAccountState,
});
const free = { planId: 'plan_free', planVersion: 1, definition: DEFAULT_PLANS.plan_free };
const pro = { planId: 'plan_pro', planVersion: 1, definition: DEFAULT_PLANS.plan_pro };
const created: AccountEvent[] = [
  { type: 'AccountCreated', data: { accountId: 'acct_1', name: 'Acme', createdAt: T0 } },
  {
    type: 'PlanAssigned',
    data: { accountId: 'acct_1', ...free, previous: null, effectiveAt: T0, assignedAt: T0 },
  },
];
const suspended: AccountEvent = {
  type: 'AccountSuspended',
  data: { accountId: 'acct_1', reason: 'unpaid', suspendedAt: T0 + 1 },
};
const now = (n: number) => ({ now: n });

describe('account decider', () => {
  it('creates an account on its initial plan', () => {
    spec
      .given([])
      .when({
        type: 'CreateAccount',
        data: { accountId: 'acct_1', name: ' Acme ', plan: free },
        metadata: now(T0),
      })
      .then(created);
  });
  it('moves an account to another plan version, now or later', () => {
    spec
      .given(created)
      .when({
        type: 'AssignPlan',
        data: { accountId: 'acct_1', plan: pro, effectiveAt: T0 + 10 },
        metadata: now(T0 + 1),
      })
      .then([
        {
          type: 'PlanAssigned',
          data: {
            accountId: 'acct_1',
            ...pro,
            previous: { planId: 'plan_free', planVersion: 1 },
            effectiveAt: T0 + 10,
            assignedAt: T0 + 1,
          },
        },
      ]);
  });
  it('refuses to re-assign the current plan version or to back-date a change', () => {
    spec
      .given(created)
      .when({
        type: 'AssignPlan',
        data: { accountId: 'acct_1', plan: free },
        metadata: now(T0 + 1),
      })
      .thenThrows('plan_already_assigned', 'illegal_state');
    spec
      .given(created)
      .when({
        type: 'AssignPlan',
        data: { accountId: 'acct_1', plan: pro, effectiveAt: T0 },
        metadata: now(T0 + 1),
      })
      .thenThrows('effective_at_in_past', 'validation');
  });
  it('refuses a plan priced in another currency', () => {
    const usd = {
      planId: 'plan_pro_usd',
      planVersion: 1,
      definition: {
        ...DEFAULT_PLANS.plan_pro,
        price: { ...DEFAULT_PLANS.plan_pro.price, currency: 'USD' },
      },
    };
    spec
      .given(created)
      .when({
        type: 'AssignPlan',
        data: { accountId: 'acct_1', plan: usd },
        metadata: now(T0 + 1),
      })
      .thenThrows('plan_currency_mismatch', 'illegal_state');
  });
  it('suspends and reactivates', () => {
    spec
      .given(created)
      .when({
        type: 'SuspendAccount',
        data: { accountId: 'acct_1', reason: 'unpaid' },
        metadata: now(T0 + 1),
      })
      .then([suspended]);
    spec
      .given([...created, suspended])
      .when({ type: 'ReactivateAccount', data: { accountId: 'acct_1' }, metadata: now(T0 + 2) })
      .then([{ type: 'AccountReactivated', data: { accountId: 'acct_1', reactivatedAt: T0 + 2 } }]);
  });
  it('refuses illegal transitions', () => {
    spec
      .given([...created, suspended])
      .when({
        type: 'SuspendAccount',
        data: { accountId: 'acct_1', reason: 'x' },
        metadata: now(T0 + 2),
      })
      .thenThrows('account_already_suspended');
    spec
      .given(created)
      .when({ type: 'ReactivateAccount', data: { accountId: 'acct_1' }, metadata: now(T0 + 2) })
      .thenThrows('account_not_suspended');
    spec
      .given(created)
      .when({
        type: 'CreateAccount',
        data: { accountId: 'acct_1', name: 'Acme', plan: free },
        metadata: now(T0),
      })
      .thenThrows('account_already_exists');
    spec
      .given([])
      .when({
        type: 'SuspendAccount',
        data: { accountId: 'acct_1', reason: 'x' },
        metadata: now(T0),
      })
      .thenThrows('account_not_found', 'not_found');
    spec
      .given([])
      .when({
        type: 'CreateAccount',
        data: { accountId: 'acct_1', name: '', plan: free },
        metadata: now(T0),
      })
      .thenThrows('invalid_name', 'validation');
  });

  describe('scheduled plan changes', () => {
    const downgradeAt = T0 + 1_000;
    const scheduled: AccountEvent[] = [
      ...created,
      {
        type: 'PlanAssigned',
        data: {
          accountId: 'acct_1',
          ...pro,
          previous: { planId: 'plan_free', planVersion: 1 },
          effectiveAt: T0 + 10,
          assignedAt: T0 + 1,
        },
      },
    ];
    const state = (events: AccountEvent[]) => events.reduce(evolveAccount, initialAccountState());

    it('keeps the current plan until the change is due, then the scheduled one is current', () => {
      const before = state(scheduled);
      expect(before).toMatchObject({
        plan: { planId: 'plan_free' },
        scheduled: { planId: 'plan_pro', effectiveAt: T0 + 10 },
      });
      expect(accountAt(before, T0 + 9)).toMatchObject({ plan: { planId: 'plan_free' } });
      expect(accountAt(before, T0 + 10)).toMatchObject({
        plan: { planId: 'plan_pro' },
        scheduled: null,
      });
    });

    it('cancels a scheduled change by re-affirming the current plan from now', () => {
      spec
        .given(scheduled)
        .when({
          type: 'CancelScheduledPlanChange',
          data: { accountId: 'acct_1', plan: free },
          metadata: now(T0 + 5),
        })
        .then([
          {
            type: 'PlanAssigned',
            data: {
              accountId: 'acct_1',
              ...free,
              previous: { planId: 'plan_free', planVersion: 1 },
              effectiveAt: T0 + 5,
              assignedAt: T0 + 5,
            },
          },
        ]);
      const cancelled = state([
        ...scheduled,
        {
          type: 'PlanAssigned',
          data: {
            accountId: 'acct_1',
            ...free,
            previous: null,
            effectiveAt: T0 + 5,
            assignedAt: T0 + 5,
          },
        },
      ]);
      expect(accountAt(cancelled, T0 + 100)).toMatchObject({
        plan: { planId: 'plan_free' },
        scheduled: null,
      });
    });

    it('refuses to cancel when nothing is scheduled, once the change is due, or against another plan', () => {
      spec
        .given(created)
        .when({
          type: 'CancelScheduledPlanChange',
          data: { accountId: 'acct_1', plan: free },
          metadata: now(T0 + 5),
        })
        .thenThrows('no_scheduled_plan_change', 'illegal_state');
      spec
        .given(scheduled)
        .when({
          type: 'CancelScheduledPlanChange',
          data: { accountId: 'acct_1', plan: pro },
          metadata: now(T0 + 10),
        })
        .thenThrows('no_scheduled_plan_change', 'illegal_state');
      spec
        .given(scheduled)
        .when({
          type: 'CancelScheduledPlanChange',
          data: { accountId: 'acct_1', plan: pro },
          metadata: now(T0 + 5),
        })
        .thenThrows('plan_changed_meanwhile', 'illegal_state');
    });

    it('lets a newer assignment replace the scheduled one, and compares with the plan due at the time', () => {
      // Asking for the current plan now cancels the scheduled change instead of being refused.
      spec
        .given(scheduled)
        .when({
          type: 'AssignPlan',
          data: { accountId: 'acct_1', plan: free },
          metadata: now(T0 + 5),
        })
        .then([
          {
            type: 'PlanAssigned',
            data: {
              accountId: 'acct_1',
              ...free,
              previous: { planId: 'plan_free', planVersion: 1 },
              effectiveAt: T0 + 5,
              assignedAt: T0 + 5,
            },
          },
        ]);
      // After the change came due, pro is the current plan: assigning it again is refused.
      spec
        .given(scheduled)
        .when({
          type: 'AssignPlan',
          data: { accountId: 'acct_1', plan: pro },
          metadata: now(downgradeAt),
        })
        .thenThrows('plan_already_assigned', 'illegal_state');
    });
  });
});
