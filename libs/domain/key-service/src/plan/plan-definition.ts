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

const MAX_POLICIES = 8;
const MAX_WINDOW_MS = 31 * 24 * 3_600_000;
const isCount = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;

export function validatePlanDefinition(definition: PlanDefinition): PlanDefinition {
  const { name, rateLimits, monthlyQuota, limitScope, price } = definition;
  if (typeof name !== 'string' || name.trim().length === 0 || name.length > 100) {
    throw validation('invalid_plan', 'name must be 1-100 characters', 'name');
  }
  if (rateLimits.length > MAX_POLICIES)
    throw validation('invalid_plan', `at most ${MAX_POLICIES} rate-limit policies`, 'rateLimits');
  const names = new Set<string>();
  for (const policy of rateLimits) {
    if (!/^[a-z][a-z0-9-]{0,31}$/.test(policy.name) || names.has(policy.name)) {
      throw validation(
        'invalid_plan',
        'policy names are unique lowercase identifiers (max 32 chars)',
        'rateLimits',
      );
    }
    names.add(policy.name);
    if (!isCount(policy.limit) || policy.limit < 1)
      throw validation('invalid_plan', 'policy limit must be a positive integer', 'rateLimits');
    if (!isCount(policy.windowMs) || policy.windowMs < 1_000 || policy.windowMs > MAX_WINDOW_MS) {
      throw validation(
        'invalid_plan',
        'policy windowMs must be between 1 s and 31 days',
        'rateLimits',
      );
    }
  }
  if (monthlyQuota !== null && (!isCount(monthlyQuota) || monthlyQuota < 1)) {
    throw validation(
      'invalid_plan',
      'monthlyQuota must be a positive integer or null',
      'monthlyQuota',
    );
  }
  if (limitScope !== 'key' && limitScope !== 'account')
    throw validation('invalid_plan', 'limitScope must be key or account', 'limitScope');
  if (!/^[A-Z]{3}$/.test(price.currency))
    throw validation('invalid_plan', 'currency must be an ISO 4217 code', 'price.currency');
  if (!isCount(price.baseFeeMinor) || !isCount(price.includedUnits)) {
    throw validation(
      'invalid_plan',
      'baseFeeMinor and includedUnits must be non-negative integers',
      'price',
    );
  }
  let previous = 0;
  price.overageTiers.forEach((tier, i) => {
    const last = i === price.overageTiers.length - 1;
    if (!isCount(tier.unitPriceMicros))
      throw validation(
        'invalid_plan',
        'unitPriceMicros must be a non-negative integer',
        'price.overageTiers',
      );
    if (tier.upTo === null ? !last : !isCount(tier.upTo) || tier.upTo <= previous) {
      throw validation(
        'invalid_plan',
        'tiers must ascend by upTo, only the last may be unbounded (null)',
        'price.overageTiers',
      );
    }
    previous = tier.upTo ?? previous;
  });
  return { ...definition, name: name.trim() };
}
