import type { CommandMetadata } from '../common/command-metadata';
import type { PlanDefinition } from './plan-definition';

export interface CreatePlan {
  type: 'CreatePlan';
  data: { planId: string; definition: PlanDefinition };
  metadata: CommandMetadata;
}

export interface CreatePlanVersion {
  type: 'CreatePlanVersion';
  data: { planId: string; definition: PlanDefinition };
  metadata: CommandMetadata;
}

export type PlanCommand = CreatePlan | CreatePlanVersion;
