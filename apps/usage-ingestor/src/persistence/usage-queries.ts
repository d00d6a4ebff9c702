import type { Sql } from '@tollgate/postgres';

export type Granularity = 'minute' | 'hour' | 'day';

export type TopDimension = 'key' | 'route';

export interface SeriesFilter {
  accountId: string;
  keyId?: string;
  route?: string;
  outcome?: string;
  granularity: Granularity;
  from: number;
  to: number;
}

/** Longest range per granularity: bounds the rows a single query may return. */
export const MAX_RANGE_MS: Record<Granularity, number> = {
  minute: 24 * 3_600_000,
  hour: 31 * 24 * 3_600_000,
  day: 366 * 24 * 3_600_000,
};

/** Longest range of a ranged total: a billing segment lies within one month; a year leaves room. */
export const MAX_TOTALS_RANGE_MS = 366 * 24 * 3_600_000;

/**
 * Rollups are computed on read from the minute table (date_trunc + sum over the account's primary
 * key range): one source of truth, no second write path to keep exact, and an account's month is
 * at most 44,640 minutes × its dimensions, which the index range scan sums in milliseconds.
 */
export class UsageQueries {
  constructor(private readonly sql: Sql) {}

  async series(filter: SeriesFilter) {
    const conditions = [
      'account_id = ?',
      'bucket >= to_timestamp(? / 1000.0)',
      'bucket < to_timestamp(? / 1000.0)',
    ];
    const params: unknown[] = [filter.accountId, filter.from, filter.to];
    for (const [column, value] of [
      ['key_id', filter.keyId],
      ['route', filter.route],
      ['outcome', filter.outcome],
    ] as const) {
      if (value !== undefined) {
        conditions.push(`${column} = ?`);
        params.push(value);
      }
    }
    const rows = await this.sql.query<{
      bucket: Date;
      outcome: string;
      requests: string;
      cost_units: string;
    }>(
      `select date_trunc('${filter.granularity}', bucket, 'UTC') as bucket, outcome, sum(requests)::text as requests, sum(cost_units)::text as cost_units
       from usage_minute where ${conditions.join(' and ')}
       group by 1, 2 order by 1, 2`,
      params,
    );
    return rows.map((r) => ({
      bucket: new Date(r.bucket).toISOString(),
      outcome: r.outcome,
      requests: Number(r.requests),
      costUnits: Number(r.cost_units),
    }));
  }

  /**
   * Whether any usage of the account was ever aggregated, in any period. usage-ingestor knows
   * accounts only through their metered requests: one that never sent a request (or does not
   * exist) is unknown here, whatever key-service says.
   */
  async hasUsage(accountId: string): Promise<boolean> {
    const [row] = await this.sql.query<{ known: boolean }>(
      'select exists (select 1 from usage_minute where account_id = ?) as known',
      [accountId],
    );
    return row?.known === true;
  }

  /**
   * An account's usage in a billing period (UTC month): billable = allowed requests with live keys.
   * Undefined for an account with no usage ever recorded; zeros for a known account's quiet period.
   */
  async periodTotals(accountId: string, period: string) {
    const [year, month] = period.split('-').map(Number) as [number, number];
    const from = Date.UTC(year, month - 1, 1);
    const to = Date.UTC(year, month, 1);
    const rows = await this.sql.query<{
      outcome: string;
      env: string;
      requests: string;
      cost_units: string;
    }>(
      `select outcome, env, sum(requests)::text as requests, sum(cost_units)::text as cost_units from usage_minute
       where account_id = ? and bucket >= to_timestamp(? / 1000.0) and bucket < to_timestamp(? / 1000.0)
       group by outcome, env`,
      [accountId, from, to],
    );
    const [late] = await this.sql.query<{ requests: string; cost_units: string }>(
      'select requests::text, cost_units::text from late_usage where account_id = ? and period = ?',
      [accountId, period],
    );
    if (rows.length === 0 && !late && !(await this.hasUsage(accountId))) return undefined;
    const byOutcome: Record<string, number> = {};
    let billableUnits = 0;
    let billableRequests = 0;
    for (const r of rows) {
      byOutcome[r.outcome] = (byOutcome[r.outcome] ?? 0) + Number(r.requests);
      if (r.outcome === 'allowed' && r.env === 'live') {
        billableUnits += Number(r.cost_units);
        billableRequests += Number(r.requests);
      }
    }
    return {
      accountId,
      period,
      billableUnits,
      billableRequests,
      requestsByOutcome: byOutcome,
      lateArrivals: late
        ? { requests: Number(late.requests), costUnits: Number(late.cost_units) }
        : null,
    };
  }

  /**
   * An account's usage in [from, to) (epoch ms on minute boundaries), by env: what billing rates a
   * plan segment with. Billable = allowed requests' cost units; only `live` is ever invoiced, `test`
   * is reported so callers can show it is not. Zeros for an account with no usage in the range
   * (also one never seen: a quiet account still owes its base fee). `newestEventAt` is the
   * ingestion freshness read in the same snapshot, so a caller knows whether `to` is complete.
   */
  async rangeTotals(accountId: string, from: number, to: number) {
    const rows = await this.sql.query<{
      env: string;
      allowed: boolean;
      requests: string;
      cost_units: string;
      newest_event_at: Date | null;
    }>(
      `select u.env, u.outcome = 'allowed' as allowed, sum(u.requests)::text as requests,
              sum(u.cost_units)::text as cost_units, null::timestamptz as newest_event_at
       from usage_minute u
       where u.account_id = ? and u.bucket >= to_timestamp(? / 1000.0) and u.bucket < to_timestamp(? / 1000.0)
       group by 1, 2
       union all
       select null, null, null, null, newest_event_at from ingest_progress where id = 1`,
      [accountId, from, to],
    );
    const envTotals = () => ({ requests: 0, costUnits: 0, billableRequests: 0, billableUnits: 0 });
    const byEnv = { live: envTotals(), test: envTotals() };
    let newest: Date | null = null;
    for (const r of rows) {
      if (r.env === null) {
        newest = r.newest_event_at;
        continue;
      }
      const totals = r.env === 'test' ? byEnv.test : byEnv.live;
      totals.requests += Number(r.requests);
      totals.costUnits += Number(r.cost_units);
      if (r.allowed) {
        totals.billableRequests += Number(r.requests);
        totals.billableUnits += Number(r.cost_units);
      }
    }
    return {
      accountId,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      billableUnits: byEnv.live.billableUnits,
      billableRequests: byEnv.live.billableRequests,
      byEnv,
      newestEventAt: newest === null ? null : new Date(newest).toISOString(),
    };
  }

  /**
   * The account's busiest keys or routes in [from, to): every outcome counted in `requests`,
   * allowed ones (what the plan's quota and billing see) apart, with the last minute seen. Ties
   * are broken by value, so pages are stable.
   */
  async top(accountId: string, dimension: TopDimension, from: number, to: number, limit: number) {
    const column = dimension === 'key' ? 'key_id' : 'route';
    const rows = await this.sql.query<{
      value: string;
      requests: string;
      allowed: string;
      allowed_units: string;
      last_seen: Date;
    }>(
      `select ${column} as value, sum(requests)::text as requests,
              coalesce(sum(requests) filter (where outcome = 'allowed'), 0)::text as allowed,
              coalesce(sum(cost_units) filter (where outcome = 'allowed'), 0)::text as allowed_units,
              max(bucket) as last_seen
       from usage_minute
       where account_id = ? and bucket >= to_timestamp(? / 1000.0) and bucket < to_timestamp(? / 1000.0)
         ${dimension === 'key' ? "and key_id <> ''" : ''}
       group by 1 order by sum(requests) desc, 1 limit ?`,
      [accountId, from, to, limit],
    );
    return rows.map((r) => ({
      [dimension === 'key' ? 'keyId' : 'route']: r.value,
      requests: Number(r.requests),
      allowedRequests: Number(r.allowed),
      rejectedRequests: Number(r.requests) - Number(r.allowed),
      allowedUnits: Number(r.allowed_units),
      lastSeenAt: new Date(r.last_seen).toISOString(),
    }));
  }

  /**
   * The accounts with the most billable units (live keys' allowed cost units, what the monthly
   * quota counts) in a billing period, most first, ties by id. It reads the period's minute rows
   * of every account (the BRIN index on `bucket` skips older months); `limit` bounds the answer.
   */
  async topAccounts(period: string, limit: number) {
    const [year, month] = period.split('-').map(Number) as [number, number];
    const rows = await this.sql.query<{ account_id: string; units: string }>(
      `select account_id, sum(cost_units)::text as units
       from usage_minute
       where bucket >= to_timestamp(? / 1000.0) and bucket < to_timestamp(? / 1000.0)
         and outcome = 'allowed' and env = 'live'
       group by account_id
       order by sum(cost_units) desc, account_id limit ?`,
      [Date.UTC(year, month - 1, 1), Date.UTC(year, month, 1), limit],
    );
    return rows.map((r) => ({ accountId: r.account_id, billableUnits: Number(r.units) }));
  }

  /**
   * The minute each key of the account last presented a request (any outcome), or null: one
   * index probe per key on (key_id, bucket), so a page of keys costs a page of probes.
   */
  async lastUsed(accountId: string, keyIds: readonly string[]) {
    const rows = await this.sql.query<{ key_id: string; last_used: Date | null }>(
      `select k.key_id,
              (select max(bucket) from usage_minute u
                where u.key_id = k.key_id and u.key_id <> '' and u.account_id = ?) as last_used
       from unnest(?::text[]) with ordinality as k(key_id, n) order by k.n`,
      [accountId, keyIds],
    );
    return rows.map((r) => ({
      keyId: r.key_id,
      lastUsedAt: r.last_used === null ? null : new Date(r.last_used).toISOString(),
    }));
  }

  async freshness(now: number) {
    const [row] = await this.sql.query<{ newest_event_at: Date | null }>(
      'select newest_event_at from ingest_progress where id = 1',
    );
    const newest = row?.newest_event_at ? new Date(row.newest_event_at).getTime() : null;
    return {
      newestEventAt: newest === null ? null : new Date(newest).toISOString(),
      lagMs: newest === null ? null : Math.max(0, now - newest),
    };
  }
}
