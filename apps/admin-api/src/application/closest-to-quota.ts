/**
 * "Accounts closest to their monthly quota", bounded: usage-ingestor names the month's
 * `CANDIDATES` accounts with the most billable units, key-service says each one's plan in force and
 * its quota, and the candidates are ranked by used / quota. The quota lives in key-service and the
 * usage in usage-ingestor (no app reads another's tables), so an exact ranking over every account
 * would read every account's plan; this one reads at most `CANDIDATES` accounts and the plan
 * catalog, and says whether its answer is provably exact (`complete`).
 */

/** How many of the month's busiest accounts are considered (usage-ingestor's largest page). */
export const CANDIDATES = 100;

export interface UsedUnits {
  accountId: string;
  billableUnits: number;
}

export interface AccountPlan {
  accountId: string;
  name: string;
  status: string;
  plan: { planId: string; planVersion: number };
}

export interface PlanQuota {
  planId: string;
  planVersion: number;
  monthlyQuota: number | null;
  limitScope: string;
}

export interface QuotaStanding {
  accountId: string;
  name: string;
  status: string;
  planId: string;
  planVersion: number;
  /** Cost units per UTC month; per key when `limitScope` is `key` (the account total is shown). */
  monthlyQuota: number;
  limitScope: string;
  billableUnits: number;
  /** billableUnits / monthlyQuota: 1 is the quota reached, above 1 past it. */
  usedRatio: number;
}

export interface ClosestToQuota {
  period: string;
  items: QuotaStanding[];
  /**
   * True when no account outside the candidates can rank among `items`: fewer accounts than
   * `CANDIDATES` had usage, or the last item's ratio is at least the most any other account can
   * have (the candidates' smallest units over the catalog's smallest quota).
   */
  complete: boolean;
  candidates: number;
}

/** The UTC month of `at`, as billing periods are named (`2030-07`). */
export const periodOf = (at: number) => new Date(at).toISOString().slice(0, 7);

/**
 * Ranks `used` (the month's busiest accounts, most units first, at most `CANDIDATES`) by the share
 * of their plan's quota. Accounts on an unlimited plan, and ones key-service no longer knows,
 * are left out.
 */
export function rankByQuota(input: {
  period: string;
  used: readonly UsedUnits[];
  accounts: ReadonlyMap<string, AccountPlan>;
  quotas: readonly PlanQuota[];
  limit: number;
}): ClosestToQuota {
  const quotaOf = new Map(input.quotas.map((q) => [`${q.planId}@${q.planVersion}`, q]));
  const standings: QuotaStanding[] = [];
  for (const { accountId, billableUnits } of input.used) {
    const account = input.accounts.get(accountId);
    if (!account) continue;
    const quota = quotaOf.get(`${account.plan.planId}@${account.plan.planVersion}`);
    if (!quota || quota.monthlyQuota === null) continue;
    standings.push({
      accountId,
      name: account.name,
      status: account.status,
      planId: account.plan.planId,
      planVersion: account.plan.planVersion,
      monthlyQuota: quota.monthlyQuota,
      limitScope: quota.limitScope,
      billableUnits,
      usedRatio: billableUnits / quota.monthlyQuota,
    });
  }
  standings.sort((a, b) => b.usedRatio - a.usedRatio || a.accountId.localeCompare(b.accountId));
  const items = standings.slice(0, input.limit);
  return {
    period: input.period,
    items,
    complete: isComplete(input.used, input.quotas, items, input.limit),
    candidates: input.used.length,
  };
}

function isComplete(
  used: readonly UsedUnits[],
  quotas: readonly PlanQuota[],
  items: readonly QuotaStanding[],
  limit: number,
): boolean {
  if (used.length < CANDIDATES) return true;
  const smallestQuota = Math.min(...quotas.map((q) => q.monthlyQuota ?? Infinity));
  // Every plan is unlimited: no account can rank at all.
  if (smallestQuota === Infinity) return true;
  const fewestUnits = Math.min(...used.map((u) => u.billableUnits));
  const last = items.at(-1);
  return (
    items.length === limit && last !== undefined && last.usedRatio >= fewestUnits / smallestQuota
  );
}
