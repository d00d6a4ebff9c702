import type { PlanDefinition } from '../plan/plan-definition';

export interface AccountCreated {
  type: 'AccountCreated';
  data: { accountId: string; name: string; createdAt: number };
}

/** The account moved to a plan version; published as PlanChanged. */
export interface PlanAssigned {
  type: 'PlanAssigned';
  data: {
    accountId: string;
    planId: string;
    planVersion: number;
    definition: PlanDefinition;
    previous: { planId: string; planVersion: number } | null;
    effectiveAt: number;
    assignedAt: number;
  };
}

export interface AccountSuspended {
  type: 'AccountSuspended';
  data: { accountId: string; reason: string; suspendedAt: number };
}

export interface AccountReactivated {
  type: 'AccountReactivated';
  data: { accountId: string; reactivatedAt: number };
}

export type AccountEvent = AccountCreated | PlanAssigned | AccountSuspended | AccountReactivated;
