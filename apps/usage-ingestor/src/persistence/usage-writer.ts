import type { RequestMetered } from '@tollgate/events';
import type { Database } from '@tollgate/postgres';
import type { LateUsage, UsageRow } from '../application/usage-aggregation';

/**
 * One Kafka record's events: a single RequestMetered (deduplicated by its eventId) or a
 * RequestMeteredBatch (deduplicated by the batch's own eventId: edge-auth puts every event in
 * exactly one batch, and a spool replay or retried send re-sends that batch byte for byte).
 */
export interface UsageRecord {
  offset: string;
  dedupeId: string;
  events: readonly RequestMetered[];
}

export interface PartitionBatch {
  topic: string;
  partition: number;
  records: UsageRecord[];
  /** When the batch was read (epoch ms, the ingestor's clock): its event ids are remembered from then. */
  seenAt: number;
}

export interface WriteResult {
  /** Events counted now (neither already applied at their offset nor in a record seen before). */
  counted: number;
  /** Events of records at offsets this partition had already applied. */
  skippedByOffset: number;
  /** Events of records re-sent at another offset (same dedupe id), or repeated within a record. */
  skippedAsDuplicate: number;
}

const eventsIn = (records: readonly UsageRecord[]) =>
  records.reduce((n, r) => n + r.events.length, 0);

/**
 * Applies one partition's batch exactly once, in one transaction: the partition's stored offset is
 * locked (a second member that still holds the partition after a rebalance waits, then skips what
 * was applied), record dedupe ids are checked against the dedupe window (re-sent copies at other
 * offsets: one row per batch record, not per event), minute rows are upserted and the next offset is
 * stored with them.
 */
export async function writeUsageBatch(
  db: Database,
  batch: PartitionBatch,
  aggregate: (counted: readonly RequestMetered[]) => { rows: UsageRow[]; late: LateUsage[] },
): Promise<WriteResult> {
  return db.transaction(async (tx) => {
    await tx.query(
      'insert into consumer_offsets (topic, partition, next_offset) values (?, ?, 0) on conflict do nothing',
      [batch.topic, batch.partition],
    );
    const [stored] = await tx.query<{ next_offset: string }>(
      'select next_offset::text from consumer_offsets where topic = ? and partition = ? for update',
      [batch.topic, batch.partition],
    );
    const from = BigInt(stored!.next_offset);
    const fresh = batch.records.filter((r) => BigInt(r.offset) >= from);
    const total = eventsIn(batch.records);
    if (fresh.length === 0) return { counted: 0, skippedByOffset: total, skippedAsDuplicate: 0 };

    // Every insert below goes in one fixed order (sorted by its unique key), so two members that
    // briefly hold overlapping work during a rebalance wait on each other instead of deadlocking.
    const inserted = await tx.query<{ event_id: string }>(
      `insert into seen_events (event_id, seen_at) select unnest(?::text[]), to_timestamp(? / 1000.0)
       on conflict do nothing returning event_id`,
      [[...new Set(fresh.map((r) => r.dedupeId))].sort(), batch.seenAt],
    );
    const newIds = new Set(inserted.map((r) => r.event_id));
    // A record re-sent within this poll counts once; so does an event repeated within a record.
    const counted: RequestMetered[] = [];
    const countedIds = new Set<string>();
    for (const record of fresh) {
      if (!newIds.delete(record.dedupeId)) continue;
      for (const event of record.events) {
        if (countedIds.has(event.eventId)) continue;
        countedIds.add(event.eventId);
        counted.push(event);
      }
    }
    const { rows, late } = aggregate(counted);
    rows.sort(byUsageMinuteKey);
    late.sort((a, b) => compare(a.accountId, b.accountId) || compare(a.period, b.period));
    if (rows.length > 0) {
      await tx.query(
        `insert into usage_minute (bucket, account_id, key_id, route, outcome, env, requests, cost_units)
         select to_timestamp(b / 1000.0), a, k, r, o, e, n, c
         from unnest(?::bigint[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::bigint[]) as t(b, a, k, r, o, e, n, c)
         on conflict (account_id, bucket, key_id, route, outcome, env)
         do update set requests = usage_minute.requests + excluded.requests, cost_units = usage_minute.cost_units + excluded.cost_units`,
        [
          rows.map((r) => r.bucket),
          rows.map((r) => r.accountId),
          rows.map((r) => r.keyId),
          rows.map((r) => r.route),
          rows.map((r) => r.outcome),
          rows.map((r) => r.env),
          rows.map((r) => r.requests),
          rows.map((r) => r.costUnits),
        ],
      );
    }
    if (late.length > 0) {
      await tx.query(
        `insert into late_usage (account_id, period, requests, cost_units)
         select * from unnest(?::text[], ?::text[], ?::bigint[], ?::bigint[])
         on conflict (account_id, period) do update set requests = late_usage.requests + excluded.requests,
           cost_units = late_usage.cost_units + excluded.cost_units, last_flagged_at = now()`,
        [
          late.map((l) => l.accountId),
          late.map((l) => l.period),
          late.map((l) => l.requests),
          late.map((l) => l.costUnits),
        ],
      );
    }
    let newest = 0;
    for (const record of fresh)
      for (const event of record.events) if (event.occurredAt > newest) newest = event.occurredAt;
    // Progress lives in the partition's own row (locked above): no row shared by all partitions,
    // so concurrent partitions do not wait on each other; `ingest_progress` is a view of the max.
    await tx.query(
      `update consumer_offsets set next_offset = ?,
         newest_event_at = greatest(coalesce(newest_event_at, to_timestamp(0)), to_timestamp(? / 1000.0)),
         updated_at = now()
       where topic = ? and partition = ?`,
      [String(maxOffset(fresh) + 1n), newest, batch.topic, batch.partition],
    );
    const freshEvents = eventsIn(fresh);
    return {
      counted: counted.length,
      skippedByOffset: total - freshEvents,
      skippedAsDuplicate: freshEvents - counted.length,
    };
  });
}

/**
 * Forgets event ids seen more than the dedupe window before `now` (epoch ms, the ingestor's clock):
 * a copy re-sent later than that would count again. Returns how many were forgotten.
 */
export async function pruneDedupeWindow(
  db: Database,
  windowHours: number,
  now: number,
): Promise<number> {
  const [row] = await db.sql.query<{ deleted: string }>(
    `with gone as (
       delete from seen_events where seen_at < to_timestamp(? / 1000.0) - make_interval(hours => ?)
       returning 1)
     select count(*)::text as deleted from gone`,
    [now, windowHours],
  );
  return Number(row?.deleted ?? 0);
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function maxOffset(records: readonly UsageRecord[]): bigint {
  let max = -1n;
  for (const r of records) if (BigInt(r.offset) > max) max = BigInt(r.offset);
  return max;
}

/** The order of usage_minute's unique key (account_id, bucket, key_id, route, outcome, env). */
function byUsageMinuteKey(a: UsageRow, b: UsageRow): number {
  return (
    compare(a.accountId, b.accountId) ||
    a.bucket - b.bucket ||
    compare(a.keyId, b.keyId) ||
    compare(a.route, b.route) ||
    compare(a.outcome, b.outcome) ||
    compare(a.env, b.env)
  );
}
