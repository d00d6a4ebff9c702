import { divideHalfEven, toSafeNumber } from './rounding';
import type { MidPeriodChange, PlanPrice, PlanSegment } from './subscription-timeline';

export type LineKind = 'base_fee' | 'usage' | 'adjustment';

/** One invoice line; `amountMinor` is rounded once, half-even, from the line's exact amount. */
export interface RatedLine {
  kind: LineKind;
  description: string;
  planId: string;
  planVersion: number;
  /** Epoch ms: the segment (or, for an adjustment, the closed segment) the line prices. */
  from: number;
  to: number;
  /** Seconds for a base fee; billable cost units for usage and adjustments. */
  quantity: number;
  /** Included units of the segment (prorated), for usage lines; 0 otherwise. */
  includedUnits: number;
  amountMinor: number;
}

export interface RatedInvoice {
  currency: string;
  lines: RatedLine[];
  /** The sum of the lines' amounts. */
  totalMinor: number;
}

const MICROS_PER_MINOR = 1_000_000n;

/** One invoice, one currency: key-service refuses a plan change across currencies (409). */
export class CurrencyMixError extends Error {
  constructor(
    readonly currency: string,
    readonly other: string,
  ) {
    super(`one invoice, one currency: a ${other} plan in a period billed in ${currency}`);
    this.name = 'CurrencyMixError';
  }
}

/** A segment's plan version came without a price: billing refuses to guess one. */
export class UnpricedPlanError extends Error {
  constructor(readonly plan: Pick<PlanPrice, 'planId' | 'planVersion'>) {
    super(`${plan.planId} v${plan.planVersion} has no price (its PlanChanged carried none)`);
    this.name = 'UnpricedPlanError';
  }
}

/**
 * How plan changes inside a period affect its base fee (Stripe's proration behaviours, billed in
 * arrears): `next_invoice` prorates each plan's base fee by the seconds it was in force, on the
 * period's invoice; `none` charges the base fee of the plan the period started on for the whole
 * period (from the account's first plan, if that came later) and ignores later changes and
 * suspensions for the base fee; `immediate` puts the same base fee as `none` on the period's
 * invoice and invoices each change inside the period at once, on an invoice of its own, for the
 * difference over the rest of the period (`rateProration`), so the period's invoice does not
 * charge that difference again. Usage is rated at the prices in force when it happened either way,
 * on the period's invoice.
 */
export type ProrationBehavior = 'next_invoice' | 'none' | 'immediate';
export const PRORATION_BEHAVIORS = ['next_invoice', 'none', 'immediate'] as const;

/**
 * Rates a period's segments with each segment's billable units (live, allowed cost units in
 * [usageFrom, usageTo)). Per active segment: the base fee prorated by the segment's seconds over
 * the period's seconds (see `ProrationBehavior`), and the included units prorated the same way;
 * the units above them go through the segment plan's graduated tiers (tiers start at zero in every
 * segment). A suspended segment owes no base fee and includes no units: its usage, if any reached
 * the ledger, is rated from the first tier. Every amount is computed exactly and rounded once per
 * line, half-even.
 */
export function rateSegments(
  segments: readonly PlanSegment[],
  billableUnits: readonly number[],
  periodSeconds: number,
  proration: ProrationBehavior = 'next_invoice',
): RatedInvoice {
  if (segments.length !== billableUnits.length)
    throw new RangeError('one usage figure per segment is required');
  const currency = segments[0]?.plan.currency ?? '';
  const lines: RatedLine[] = [];
  for (const [i, segment] of segments.entries()) {
    const { plan } = segment;
    if (plan.missingPrice) throw new UnpricedPlanError(plan);
    if (plan.currency !== currency) throw new CurrencyMixError(currency, plan.currency);
    const share = (amount: number) =>
      divideHalfEven(BigInt(amount) * BigInt(segment.seconds), BigInt(periodSeconds));
    const span = `${day(segment.from)} to ${day(segment.to)}`;
    const ref = {
      planId: plan.planId,
      planVersion: plan.planVersion,
      from: segment.from,
      to: segment.to,
    };
    const included = segment.suspended ? 0n : share(plan.includedUnits);
    if (proration !== 'next_invoice' && i === 0) {
      const to = segments.at(-1)?.to ?? segment.to;
      const seconds = segments.reduce((sum, s) => sum + s.seconds, 0);
      lines.push({
        kind: 'base_fee',
        description: `${plan.name} v${plan.planVersion} base fee, ${day(segment.from)} to ${day(to)}`,
        ...ref,
        to,
        quantity: seconds,
        includedUnits: 0,
        amountMinor: toSafeNumber(
          divideHalfEven(BigInt(plan.baseFeeMinor) * BigInt(seconds), BigInt(periodSeconds)),
        ),
      });
    } else if (proration === 'next_invoice' && !segment.suspended) {
      lines.push({
        kind: 'base_fee',
        description: `${plan.name} v${plan.planVersion} base fee, ${span}`,
        ...ref,
        quantity: segment.seconds,
        includedUnits: 0,
        amountMinor: toSafeNumber(share(plan.baseFeeMinor)),
      });
    }
    const units = BigInt(billableUnits[i] ?? 0);
    lines.push({
      kind: 'usage',
      description: `${plan.name} v${plan.planVersion} usage${segment.suspended ? ' while suspended' : ''}, ${span}`,
      ...ref,
      quantity: toSafeNumber(units),
      includedUnits: toSafeNumber(included),
      amountMinor: toSafeNumber(
        divideHalfEven(overageMicros(plan, units - included), MICROS_PER_MINOR),
      ),
    });
  }
  return { currency, lines, totalMinor: sumOf(lines) };
}

/**
 * The invoice `PRORATION_BEHAVIOR=immediate` issues for a plan change inside a period: the unused
 * base fee of the previous plan from the change to the period's end (a negative line) and the new
 * plan's base fee over the same seconds, each prorated by seconds like a segment's base fee and
 * rounded once, half-even. An upgrade's total is what it owes now, a downgrade's is a credit.
 * Usage is not on it: it stays on the period's invoice.
 */
export function rateProration({ change, previous, period }: MidPeriodChange): RatedInvoice {
  const next = change.plan;
  for (const plan of [previous, next]) if (plan.missingPrice) throw new UnpricedPlanError(plan);
  if (next.currency !== previous.currency)
    throw new CurrencyMixError(previous.currency, next.currency);
  const seconds = Math.floor(period.end / 1000) - Math.floor(change.effectiveAt / 1000);
  const periodSeconds = BigInt((period.end - period.start) / 1000);
  const span = `${day(change.effectiveAt)} to ${day(period.end)}`;
  const line = (plan: PlanPrice, what: string, sign: bigint): RatedLine => ({
    kind: 'base_fee',
    description: `${plan.name} v${plan.planVersion} ${what}, ${span}`,
    planId: plan.planId,
    planVersion: plan.planVersion,
    from: change.effectiveAt,
    to: period.end,
    quantity: seconds,
    includedUnits: 0,
    amountMinor: toSafeNumber(
      divideHalfEven(sign * BigInt(plan.baseFeeMinor) * BigInt(seconds), periodSeconds),
    ),
  });
  const lines = [line(previous, 'unused time', -1n), line(next, 'remaining time', 1n)];
  return { currency: next.currency, lines, totalMinor: sumOf(lines) };
}

/**
 * Usage that reached the ledger after its period's invoice was finalized: priced as the increment
 * it makes to the closed segment's usage line (same plan, same included units, the tiers continued
 * from where the invoiced units stopped), as one adjustment line on a later invoice.
 */
export function adjustmentLine(
  closed: Pick<RatedLine, 'planId' | 'planVersion' | 'from' | 'to' | 'quantity' | 'includedUnits'>,
  plan: PlanPrice,
  extraUnits: number,
): RatedLine {
  const included = BigInt(closed.includedUnits);
  const before = BigInt(closed.quantity);
  const after = before + BigInt(extraUnits);
  const exact = overageMicros(plan, after - included) - overageMicros(plan, before - included);
  return {
    kind: 'adjustment',
    description: `${plan.name} v${plan.planVersion} usage reported late, ${day(closed.from)} to ${day(closed.to)}`,
    planId: closed.planId,
    planVersion: closed.planVersion,
    from: closed.from,
    to: closed.to,
    quantity: extraUnits,
    includedUnits: 0,
    amountMinor: toSafeNumber(divideHalfEven(exact, MICROS_PER_MINOR)),
  };
}

/** The exact price in micros of `overage` units through the graduated tiers (none: free). */
export function overageMicros(plan: Pick<PlanPrice, 'tiers'>, overage: bigint): bigint {
  let remaining = overage > 0n ? overage : 0n;
  let tierStart = 0n;
  let total = 0n;
  for (const tier of plan.tiers) {
    if (remaining === 0n) break;
    const width = tier.upToUnits === null ? remaining : BigInt(tier.upToUnits) - tierStart;
    const inTier = remaining < width ? remaining : width;
    total += inTier * BigInt(tier.unitPriceMicros);
    remaining -= inTier;
    if (tier.upToUnits !== null) tierStart = BigInt(tier.upToUnits);
  }
  return total;
}

export function sumOf(lines: readonly Pick<RatedLine, 'amountMinor'>[]): number {
  return toSafeNumber(lines.reduce((sum, line) => sum + BigInt(line.amountMinor), 0n));
}

function day(at: number): string {
  return new Date(at).toISOString().slice(0, 16).replace('T', ' ');
}
