import type { PlanSnapshot } from '../generated/event-types';
import { isId } from '../ids';

const DAY_MS = 24 * 3_600_000;

/**
 * What every plan version must satisfy. key-service refuses a plan outside these bounds on write;
 * edge-auth refuses (quarantines) a PlanChanged outside them on read. Every plan inside them can be
 * enforced by edge-auth's limiter (its own checks are wider), so a plan key-service accepts can
 * never stop an edge.
 */
export const PLAN_BOUNDS = {
  maxNameLength: 100,
  maxPolicies: 8,
  /** Lowercase identifiers, e.g. `burst`, `per-minute`. */
  policyName: /^[a-z][a-z0-9-]{0,31}$/,
  /** Names the limiter reports under itself: a policy may not take them. */
  reservedPolicyNames: ['monthly-quota'] as readonly string[],
  maxLimit: 1_000_000_000,
  minWindowMs: 1_000,
  maxWindowMs: 31 * DAY_MS,
  /** Cost units per UTC calendar month (about 380 000 per second all month at the top). */
  maxMonthlyQuota: 1_000_000_000_000,
  limitScopes: ['key', 'account'] as readonly string[],
  currency: /^[A-Z]{3}$/,
  maxBaseFeeMinor: 10_000_000_000,
  maxIncludedUnits: 1_000_000_000_000,
  maxOverageTiers: 16,
  /** Millionths of a minor unit per cost unit: at most 1 000 minor units (e.g. 10 EUR) per unit. */
  maxUnitPriceMicros: 1_000_000_000,
  maxPlanVersion: 2_147_483_647,
  maxPriceRefLength: 200,
} as const;

/** The first thing wrong with a plan: the offending field (dotted path) and why. */
export interface PlanProblem {
  field: string;
  message: string;
}

/** The limit part every plan shape shares (key-service's definition, the event's snapshot). */
export interface PlanLimitsInput {
  name: unknown;
  rateLimits: unknown;
  monthlyQuota: unknown;
  limitScope: unknown;
}

/** key-service's price of a plan version. */
export interface PlanPriceInput {
  currency: unknown;
  baseFeeMinor: unknown;
  includedUnits: unknown;
  overageTiers: unknown;
}

/** A plan version as key-service stores it: limits and price. */
export interface PlanDefinitionInput extends PlanLimitsInput {
  price: unknown;
}

/** Checks a plan version on write (key-service); `null` when it is valid. */
export function planDefinitionProblem(definition: PlanDefinitionInput): PlanProblem | null {
  return limitsProblem(definition) ?? priceProblem(definition.price);
}

/** Checks the plan a PlanChanged (or a key lookup) carries, before an edge applies it. */
export function planSnapshotProblem(snapshot: PlanSnapshot): PlanProblem | null {
  if (!isId('plan', snapshot.planId))
    return problem('planId', 'must be a plan id such as plan_pro');
  if (!isIntegerIn(snapshot.version, 1, PLAN_BOUNDS.maxPlanVersion))
    return problem('version', 'must be a positive integer');
  const limits = limitsProblem(snapshot);
  if (limits) return limits;
  if (!isText(snapshot.priceRef, PLAN_BOUNDS.maxPriceRefLength))
    return problem('priceRef', `must be 1-${PLAN_BOUNDS.maxPriceRefLength} printable characters`);
  if (typeof snapshot.currency !== 'string' || !PLAN_BOUNDS.currency.test(snapshot.currency))
    return problem('currency', 'must be an ISO 4217 code');
  // Snapshots written before prices travelled with plans carry none; billing refuses to rate them.
  if (snapshot.pricing === null || snapshot.pricing === undefined) return null;
  if (typeof snapshot.pricing !== 'object')
    return problem('pricing', 'must be null or { baseFeeMinor, includedUnits, tiers }');
  const { baseFeeMinor, includedUnits, tiers } = snapshot.pricing;
  return amountsProblem(
    'pricing',
    { baseFeeMinor, includedUnits },
    Array.isArray(tiers)
      ? tiers.map((tier: unknown) =>
          typeof tier === 'object' && tier !== null
            ? {
                upTo: (tier as Record<string, unknown>).upToUnits,
                unitPriceMicros: (tier as Record<string, unknown>).unitPriceMicros,
              }
            : tier,
        )
      : tiers,
    'tiers',
    'upToUnits',
  );
}

function limitsProblem(plan: PlanLimitsInput): PlanProblem | null {
  const { name, rateLimits, monthlyQuota, limitScope } = plan;
  if (!isText(name, PLAN_BOUNDS.maxNameLength) || name.trim().length === 0)
    return problem('name', `must be 1-${PLAN_BOUNDS.maxNameLength} printable characters`);
  if (!Array.isArray(rateLimits) || rateLimits.length > PLAN_BOUNDS.maxPolicies)
    return problem('rateLimits', `at most ${PLAN_BOUNDS.maxPolicies} rate-limit policies`);
  const names = new Set<string>();
  for (const [i, policy] of (rateLimits as unknown[]).entries()) {
    const field = `rateLimits.${i}`;
    if (typeof policy !== 'object' || policy === null)
      return problem(field, 'must be a policy { name, limit, windowMs }');
    const { name: policyName, limit, windowMs } = policy as Record<string, unknown>;
    if (typeof policyName !== 'string' || !PLAN_BOUNDS.policyName.test(policyName))
      return problem(`${field}.name`, 'must be a lowercase identifier of at most 32 characters');
    if (PLAN_BOUNDS.reservedPolicyNames.includes(policyName))
      return problem(`${field}.name`, `"${policyName}" is reserved`);
    if (names.has(policyName))
      return problem(`${field}.name`, `"${policyName}" is used by another policy of this plan`);
    names.add(policyName);
    if (!isIntegerIn(limit, 1, PLAN_BOUNDS.maxLimit))
      return problem(`${field}.limit`, `must be an integer from 1 to ${PLAN_BOUNDS.maxLimit}`);
    if (!isIntegerIn(windowMs, PLAN_BOUNDS.minWindowMs, PLAN_BOUNDS.maxWindowMs))
      return problem(`${field}.windowMs`, 'must be an integer between 1 s and 31 days (in ms)');
  }
  if (monthlyQuota !== null && !isIntegerIn(monthlyQuota, 1, PLAN_BOUNDS.maxMonthlyQuota))
    return problem(
      'monthlyQuota',
      `must be null (unlimited) or an integer from 1 to ${PLAN_BOUNDS.maxMonthlyQuota}`,
    );
  if (typeof limitScope !== 'string' || !PLAN_BOUNDS.limitScopes.includes(limitScope))
    return problem('limitScope', 'must be key or account');
  return null;
}

function priceProblem(price: unknown): PlanProblem | null {
  if (typeof price !== 'object' || price === null)
    return problem('price', 'must be { currency, baseFeeMinor, includedUnits, overageTiers }');
  const { currency, baseFeeMinor, includedUnits, overageTiers } = price as PlanPriceInput;
  if (typeof currency !== 'string' || !PLAN_BOUNDS.currency.test(currency))
    return problem('price.currency', 'must be an ISO 4217 code');
  return amountsProblem(
    'price',
    { baseFeeMinor, includedUnits },
    overageTiers,
    'overageTiers',
    'upTo',
  );
}

function amountsProblem(
  prefix: string,
  { baseFeeMinor, includedUnits }: { baseFeeMinor: unknown; includedUnits: unknown },
  tiers: unknown,
  tiersName: string,
  upToName: string,
): PlanProblem | null {
  if (!isIntegerIn(baseFeeMinor, 0, PLAN_BOUNDS.maxBaseFeeMinor))
    return problem(
      `${prefix}.baseFeeMinor`,
      `must be an integer from 0 to ${PLAN_BOUNDS.maxBaseFeeMinor} (minor units)`,
    );
  if (!isIntegerIn(includedUnits, 0, PLAN_BOUNDS.maxIncludedUnits))
    return problem(
      `${prefix}.includedUnits`,
      `must be an integer from 0 to ${PLAN_BOUNDS.maxIncludedUnits}`,
    );
  if (!Array.isArray(tiers) || tiers.length > PLAN_BOUNDS.maxOverageTiers)
    return problem(`${prefix}.${tiersName}`, `at most ${PLAN_BOUNDS.maxOverageTiers} tiers`);
  let previous = 0;
  for (const [i, tier] of (tiers as unknown[]).entries()) {
    const field = `${prefix}.${tiersName}.${i}`;
    if (typeof tier !== 'object' || tier === null)
      return problem(field, `must be a tier { ${upToName}, unitPriceMicros }`);
    const { upTo, unitPriceMicros } = tier as Record<string, unknown>;
    if (!isIntegerIn(unitPriceMicros, 0, PLAN_BOUNDS.maxUnitPriceMicros))
      return problem(
        `${field}.unitPriceMicros`,
        `must be an integer from 0 to ${PLAN_BOUNDS.maxUnitPriceMicros}`,
      );
    const last = i === tiers.length - 1;
    if (upTo === null ? !last : !isIntegerIn(upTo, previous + 1, PLAN_BOUNDS.maxIncludedUnits))
      return problem(
        `${field}.${upToName}`,
        `tiers must ascend by ${upToName}; only the last may be unbounded (null)`,
      );
    previous = (upTo as number | null) ?? previous;
  }
  // A bounded last tier would leave usage above it unpriced: billing would give it away.
  const lastTier = tiers.at(-1) as Record<string, unknown> | undefined;
  if (lastTier && lastTier.upTo !== null)
    return problem(
      `${prefix}.${tiersName}.${tiers.length - 1}.${upToName}`,
      'the last tier must be open-ended (null)',
    );
  return null;
}

function problem(field: string, message: string): PlanProblem {
  return { field, message };
}

function isIntegerIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;
}

/** With the `u` flag a paired surrogate is one code point: only lone ones match `\p{Cs}`. */
const CONTROL_OR_LONE_SURROGATE = /[\p{Cc}\p{Cs}]/u;

/** No control characters, no lone surrogates: safe in logs, headers' neighbours and JSON. */
function isText(value: unknown, maxLength: number): value is string {
  return (
    typeof value === 'string' &&
    value.length >= 1 &&
    value.length <= maxLength &&
    !CONTROL_OR_LONE_SURROGATE.test(value)
  );
}
