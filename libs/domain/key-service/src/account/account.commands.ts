import type { CommandMetadata } from '../common/command-metadata';
import type { PlanDefinition } from '../plan/plan-definition';

/** The plan version an account is put on, as read from the plan catalog by the caller. */
export interface PlanVersionRef {
  planId: string;
  planVersion: number;
  definition: PlanDefinition;
}

export interface CreateAccount {
  type: 'CreateAccount';
  data: { accountId: string; name: string; plan: PlanVersionRef };
  metadata: CommandMetadata;
}

export interface AssignPlan {
  type: 'AssignPlan';
  data: { accountId: string; plan: PlanVersionRef; effectiveAt?: number };
  metadata: CommandMetadata;
}

/**
 * Cancels the account's scheduled plan change: the account stays on `plan`, its plan at the
 * command's time (the caller reads it from the catalog, as for AssignPlan).
 */
export interface CancelScheduledPlanChange {
  type: 'CancelScheduledPlanChange';
  data: { accountId: string; plan: PlanVersionRef };
  metadata: CommandMetadata;
}

export interface SuspendAccount {
  type: 'SuspendAccount';
  data: { accountId: string; reason: string };
  metadata: CommandMetadata;
}

export interface ReactivateAccount {
  type: 'ReactivateAccount';
  data: { accountId: string };
  metadata: CommandMetadata;
}

export type AccountCommand =
  CreateAccount | AssignPlan | CancelScheduledPlanChange | SuspendAccount | ReactivateAccount;
