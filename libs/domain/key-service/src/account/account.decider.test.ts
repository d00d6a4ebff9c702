import { describe, it } from 'vitest';
import { DEFAULT_PLANS } from '../plan/default-plans';
import { deciderSpec } from '../common/decider-spec';
import { decideAccount, evolveAccount, initialAccountState } from './account.decider';
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
});
