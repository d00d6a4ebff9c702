import {
  decideAccount,
  decideKey,
  decidePlan,
  evolveAccount,
  evolveKey,
  evolvePlan,
  initialAccountState,
  initialKeyState,
  initialPlanState,
} from '@tollgate/key-service-domain';

export const keyStream = (keyId: string) => `key-${keyId}`;
export const accountStream = (accountId: string) => `account-${accountId}`;
export const planStream = (planId: string) => `plan-${planId}`;

export const keyDecider = { decide: decideKey, evolve: evolveKey, initialState: initialKeyState };
export const accountDecider = {
  decide: decideAccount,
  evolve: evolveAccount,
  initialState: initialAccountState,
};
export const planDecider = {
  decide: decidePlan,
  evolve: evolvePlan,
  initialState: initialPlanState,
};
