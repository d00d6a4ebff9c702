import type { PlanDefinition } from './plan-definition';

export interface PlanCreated {
  type: 'PlanCreated';
  data: { planId: string; createdAt: number };
}

/** Plan versions are immutable: editing a plan creates the next version. */
export interface PlanVersionCreated {
  type: 'PlanVersionCreated';
  data: { planId: string; version: number; definition: PlanDefinition; createdAt: number };
}

export type PlanEvent = PlanCreated | PlanVersionCreated;
