import { planDefinitionProblem } from '@tollgate/events';
import { validation } from '../common/domain-error';

export interface RateLimitPolicy {
  /** e.g. `burst`, `per-minute`; unique within a plan version. */
  name: string;
  limit: number;
  windowMs: number;
}

/** Graduated overage tier: units above the previous tier's `upTo` up to this one cost `unitPriceMicros` each. */
export interface OverageTier {
  /** Cumulative units (after included units) where this tier ends; null = no upper bound (last tier). */
  upTo: number | null;
  /** Price per unit in millionths of the currency's minor unit (sub-cent per-request prices stay integers). */
  unitPriceMicros: number;
}

export interface PlanPrice {
  /** ISO 4217, e.g. EUR. */
  currency: string;
  /** Per billing period, in minor units (cents). */
  baseFeeMinor: number;
  includedUnits: number;
  overageTiers: OverageTier[];
}

/** One immutable plan version: limits, quota, scope and price. */
export interface PlanDefinition {
  name: string;
  rateLimits: RateLimitPolicy[];
  /** Cost units per calendar month; null = unlimited. */
  monthlyQuota: number | null;
  limitScope: 'key' | 'account';
  price: PlanPrice;
}

/**
 * Refuses a plan outside the bounds every edge can enforce (`planDefinitionProblem` of the events
 * contracts, which edge-auth applies to what it reads): a plan accepted here cannot stop an edge.
 */
export function validatePlanDefinition(definition: PlanDefinition): PlanDefinition {
  const problem = planDefinitionProblem(definition);
  if (problem)
    throw validation('invalid_plan', `${problem.field} ${problem.message}`, problem.field);
  return { ...definition, name: definition.name.trim() };
}
