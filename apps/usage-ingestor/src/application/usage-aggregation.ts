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
  const currentPeriod = periodOf(ingestedAt);
  for (const e of events) {
    const row: UsageRow = {
      bucket: minuteOf(e.occurredAt),
      accountId: e.accountId ?? '',
      keyId: e.keyId ?? '',
      route: e.route,
      outcome: e.outcome,
      env: e.env ?? '',
      requests: 1,
      costUnits: e.costUnits,
    };
    const key = `${row.bucket}\u0000${row.accountId}\u0000${row.keyId}\u0000${row.route}\u0000${row.outcome}\u0000${row.env}`;
    const existing = rows.get(key);
    if (existing) {
      existing.requests += 1;
      existing.costUnits += row.costUnits;
    } else {
      rows.set(key, row);
    }
    const period = periodOf(e.occurredAt);
    if (period < currentPeriod) {
      const lateKey = `${row.accountId}\u0000${period}`;
      const entry = late.get(lateKey) ?? {
        accountId: row.accountId,
        period,
        requests: 0,
        costUnits: 0,
      };
      entry.requests += 1;
      entry.costUnits += row.costUnits;
      late.set(lateKey, entry);
    }
  }
  return { rows: [...rows.values()], late: [...late.values()] };
}
