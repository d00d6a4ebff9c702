import { periodAt, type BillingPeriod } from './billing-period';

/** A plan version's price as PlanChanged carries it (money in minor units, unit prices in micros). */
export interface PlanPrice {
  planId: string;
  planVersion: number;
  name: string;
  /** ISO 4217 */
  currency: string;
  /** Per full billing period, minor units. */
  baseFeeMinor: number;
  /** Cost units per full billing period covered by the base fee. */
  includedUnits: number;
  /** Graduated overage tiers; `upToUnits` counts overage units, null on the last (open) tier. */
  tiers: ReadonlyArray<{ upToUnits: number | null; unitPriceMicros: number }>;
  /** Set when the PlanChanged carried no price (schema v1): such a segment cannot be rated. */
  missingPrice?: true;
}

/** From `effectiveAt` on, the account is on this plan version. */
export interface PlanEntry {
  kind: 'plan';
  eventId: string;
  effectiveAt: number;
  occurredAt: number;
  plan: PlanPrice;
}

/** From `at` on, the account is active or suspended (AccountStatusChanged carries no effective time: it is `occurredAt`). */
export interface StatusEntry {
  kind: 'status';
  eventId: string;
  at: number;
  status: 'active' | 'suspended';
}

export type TimelineEntry = PlanEntry | StatusEntry;

/**
 * One stretch of a billing period with one plan version and one account status: the unit of
 * rating. Boundaries are epoch ms; `seconds` is the whole seconds the proration uses, and
 * `usageFrom`/`usageTo` are the minute boundaries usage is read at (usage is aggregated per minute:
 * the minute a change happens in is billed under the new plan).
 */
export interface PlanSegment {
  from: number;
  to: number;
  seconds: number;
  usageFrom: number;
  usageTo: number;
  plan: PlanPrice;
  suspended: boolean;
}

const MINUTE = 60_000;
const floorTo = (ms: number, unit: number) => Math.floor(ms / unit) * unit;

const byId = (a: { eventId: string }, b: { eventId: string }) =>
  a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;
const assignmentOrder = (a: PlanEntry, b: PlanEntry) => a.occurredAt - b.occurredAt || byId(a, b);
const effectiveOrder = (a: PlanEntry, b: PlanEntry) =>
  a.effectiveAt - b.effectiveAt || assignmentOrder(a, b);

/**
 * The plan changes that take effect, as key-service decides them: the newest assignment wins, so
 * an assignment replaces every change still pending (scheduled after it was made) — an upgrade
 * replaces a scheduled downgrade, and re-affirming the current plan cancels a scheduled change.
 * Assignments are taken in the order they were made (`occurredAt`), not the order they arrived.
 */
function effectiveChanges(plans: readonly PlanEntry[]): PlanEntry[] {
  let changes: PlanEntry[] = [];
  for (const assignment of [...plans].sort(assignmentOrder)) {
    changes = changes.filter((c) => c.effectiveAt <= assignment.occurredAt);
    changes.push(assignment);
  }
  return changes.sort(effectiveOrder);
}
const statusOrder = (a: StatusEntry, b: StatusEntry) => a.at - b.at || byId(a, b);

/**
 * Splits a period into segments at every effective plan change and status change. The plan in
 * force at an instant is the last change (see `effectiveChanges`) effective at or before it, so
 * the result depends only on the set of entries, never on the order they were received in: a
 * redelivered, replayed or late event cannot pull a scheduled change forward. Returns no segments
 * before the account's first plan. Adjacent stretches of the same plan version and status are one
 * segment.
 */
export function planSegments(
  entries: readonly TimelineEntry[],
  period: BillingPeriod,
): PlanSegment[] {
  const plans = effectiveChanges(entries.filter((e): e is PlanEntry => e.kind === 'plan'));
  const statuses = entries.filter((e): e is StatusEntry => e.kind === 'status').sort(statusOrder);
  const cuts = new Set<number>([period.start]);
  for (const e of plans)
    if (e.effectiveAt > period.start && e.effectiveAt < period.end) cuts.add(e.effectiveAt);
  for (const e of statuses) if (e.at > period.start && e.at < period.end) cuts.add(e.at);
  const bounds = [...cuts].sort((a, b) => a - b);

  const segments: PlanSegment[] = [];
  for (const [i, from] of bounds.entries()) {
    const to = bounds[i + 1] ?? period.end;
    const plan = lastAtOrBefore(plans, from, (e) => e.effectiveAt)?.plan;
    if (!plan) continue;
    const suspended = lastAtOrBefore(statuses, from, (e) => e.at)?.status === 'suspended';
    const previous = segments.at(-1);
    if (
      previous &&
      previous.to === from &&
      previous.suspended === suspended &&
      previous.plan.planId === plan.planId &&
      previous.plan.planVersion === plan.planVersion
    ) {
      segments[segments.length - 1] = segment(previous.from, to, plan, suspended);
    } else {
      segments.push(segment(from, to, plan, suspended));
    }
  }
  return segments;
}

/** A plan change that takes effect strictly inside a period, with the plan in force just before it. */
export interface MidPeriodChange {
  change: PlanEntry;
  previous: PlanPrice;
  period: BillingPeriod;
}

/**
 * The change `eventId` as `PRORATION_BEHAVIOR=immediate` invoices it: undefined when it does not
 * take effect (a newer assignment replaced it), when it is the account's first plan (a new account
 * is not a change), when it takes effect at a period's first instant (the period simply starts on
 * it) or when it keeps the same plan version.
 */
export function midPeriodChange(
  entries: readonly TimelineEntry[],
  eventId: string,
): MidPeriodChange | undefined {
  const changes = effectiveChanges(entries.filter((e): e is PlanEntry => e.kind === 'plan'));
  const index = changes.findIndex((c) => c.eventId === eventId);
  const change = changes[index];
  const before = changes[index - 1];
  if (!change || !before) return undefined;
  const period = periodAt(change.effectiveAt);
  const previous = before.plan;
  if (change.effectiveAt === period.start) return undefined;
  if (previous.planId === change.plan.planId && previous.planVersion === change.plan.planVersion)
    return undefined;
  return { change, previous, period };
}

function segment(from: number, to: number, plan: PlanPrice, suspended: boolean): PlanSegment {
  return {
    from,
    to,
    seconds: Math.floor(to / 1000) - Math.floor(from / 1000),
    usageFrom: floorTo(from, MINUTE),
    usageTo: floorTo(to, MINUTE),
    plan,
    suspended,
  };
}

function lastAtOrBefore<T>(
  sorted: readonly T[],
  at: number,
  time: (e: T) => number,
): T | undefined {
  let found: T | undefined;
  for (const e of sorted) {
    if (time(e) > at) break;
    found = e;
  }
  return found;
}
