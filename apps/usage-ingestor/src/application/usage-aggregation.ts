import type { RequestMetered } from '@tollgate/events';

/** One row of the minute table: the unit every rollup and total is summed from. */
export interface UsageRow {
  bucket: number;
  accountId: string;
  keyId: string;
  route: string;
  outcome: string;
  env: string;
  requests: number;
  costUnits: number;
}

export interface LateUsage {
  accountId: string;
  /** The closed billing period the late events belong to, `YYYY-MM` (UTC). */
  period: string;
  requests: number;
  costUnits: number;
}

const MINUTE_MS = 60_000;

export function minuteOf(epochMs: number): number {
  return epochMs - (epochMs % MINUTE_MS);
}

export function periodOf(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 7);
}

/**
 * Sums a batch of events into minute rows keyed by (account, key, route, outcome, env, minute), so
 * the database sees one upsert per row instead of one per event. Events without a known key or
 * account (invalid keys) are kept under empty ids: they are traffic, never billable.
 * An event whose billing month had already ended when it was ingested is also reported as late.
 */
export function aggregateUsage(
  events: readonly RequestMetered[],
  ingestedAt: number,
): { rows: UsageRow[]; late: LateUsage[] } {
  const rows = new Map<string, UsageRow>();
  const late = new Map<string, LateUsage>();
  // Events before the ingesting month's first instant are late; only those need their month named.
  const ingested = new Date(ingestedAt);
  const currentPeriodStart = Date.UTC(ingested.getUTCFullYear(), ingested.getUTCMonth(), 1);
  for (const e of events) {
    const bucket = minuteOf(e.occurredAt);
    const accountId = e.accountId ?? '';
    const keyId = e.keyId ?? '';
    const env = e.env ?? '';
    const key = `${bucket}\u0000${accountId}\u0000${keyId}\u0000${e.route}\u0000${e.outcome}\u0000${env}`;
    const existing = rows.get(key);
    if (existing) {
      existing.requests += 1;
      existing.costUnits += e.costUnits;
    } else {
      rows.set(key, {
        bucket,
        accountId,
        keyId,
        route: e.route,
        outcome: e.outcome,
        env,
        requests: 1,
        costUnits: e.costUnits,
      });
    }
    if (e.occurredAt < currentPeriodStart) {
      const period = periodOf(e.occurredAt);
      const lateKey = `${accountId}\u0000${period}`;
      const entry = late.get(lateKey) ?? { accountId, period, requests: 0, costUnits: 0 };
      entry.requests += 1;
      entry.costUnits += e.costUnits;
      late.set(lateKey, entry);
    }
  }
  return { rows: [...rows.values()], late: [...late.values()] };
}
