import type { Sql } from '@tollgate/postgres';
import type { PlanPrice, TimelineEntry } from '../domain/subscription-timeline';

export interface StoredTimelineEntry {
  accountId: string;
  entry: TimelineEntry;
}

/**
 * Records timeline entries; an eventId already recorded changes nothing (Kafka redelivers, and
 * key-service's replays re-send). Returns how many were new.
 */
export async function recordTimelineEntries(
  tx: Sql,
  entries: readonly StoredTimelineEntry[],
): Promise<number> {
  if (entries.length === 0) return 0;
  const rows = await tx.query(
    `insert into timeline_entries (event_id, account_id, kind, at_ms, occurred_at_ms, plan, status)
     select * from unnest(?::text[], ?::text[], ?::text[], ?::bigint[], ?::bigint[], ?::jsonb[], ?::text[])
     on conflict (event_id) do nothing
     returning event_id`,
    [
      entries.map((e) => e.entry.eventId),
      entries.map((e) => e.accountId),
      entries.map((e) => e.entry.kind),
      entries.map((e) => (e.entry.kind === 'plan' ? e.entry.effectiveAt : e.entry.at)),
      entries.map((e) => (e.entry.kind === 'plan' ? e.entry.occurredAt : e.entry.at)),
      entries.map((e) => (e.entry.kind === 'plan' ? JSON.stringify(e.entry.plan) : null)),
      entries.map((e) => (e.entry.kind === 'status' ? e.entry.status : null)),
    ],
  );
  return rows.length;
}

/** An account's whole timeline (an account has few plan and status changes). */
export async function timelineOf(sql: Sql, accountId: string): Promise<TimelineEntry[]> {
  const rows = await sql.query<{
    event_id: string;
    kind: 'plan' | 'status';
    at_ms: string;
    occurred_at_ms: string;
    plan: PlanPrice | null;
    status: 'active' | 'suspended' | null;
  }>(
    `select event_id, kind, at_ms::text, occurred_at_ms::text, plan, status
     from timeline_entries where account_id = ? order by at_ms, occurred_at_ms, event_id`,
    [accountId],
  );
  return rows.map((r): TimelineEntry =>
    r.kind === 'plan'
      ? {
          kind: 'plan',
          eventId: r.event_id,
          effectiveAt: Number(r.at_ms),
          occurredAt: Number(r.occurred_at_ms),
          plan: r.plan!,
        }
      : { kind: 'status', eventId: r.event_id, at: Number(r.at_ms), status: r.status! },
  );
}

/** Every plan version billing has seen in a PlanChanged (for plan-change previews). */
export async function knownPlanVersion(
  sql: Sql,
  planId: string,
  planVersion: number,
): Promise<PlanPrice | undefined> {
  const [row] = await sql.query<{ plan: PlanPrice }>(
    `select plan from timeline_entries
     where kind = 'plan' and plan->>'planId' = ? and (plan->>'planVersion')::int = ?
     limit 1`,
    [planId, planVersion],
  );
  return row?.plan;
}

/**
 * Plan changes effective in (from, to) that have no proration invoice yet, oldest first: the ones
 * `PRORATION_BEHAVIOR=immediate` may still owe an invoice for. An account's first plan (and any
 * entry with no different plan before it) is left out here, so a closing run does not re-read every
 * new account each time; the invoicing decides the rest (a replay of the plan in force, or a change
 * a newer assignment replaced, owes none and stays in this list until its period is behind the run).
 */
export async function changesWithoutProration(
  sql: Sql,
  from: number,
  to: number,
): Promise<Array<{ accountId: string; eventId: string }>> {
  const rows = await sql.query<{ account_id: string; event_id: string }>(
    `select t.account_id, t.event_id from timeline_entries t
     where t.kind = 'plan' and t.at_ms > ? and t.at_ms < ?
       and exists (select 1 from timeline_entries p
                   where p.account_id = t.account_id and p.kind = 'plan' and p.at_ms < t.at_ms
                     and (p.plan->>'planId', p.plan->>'planVersion')
                         is distinct from (t.plan->>'planId', t.plan->>'planVersion'))
       and not exists (select 1 from invoices i
                       where i.account_id = t.account_id and i.change_event_id = t.event_id)
     order by t.at_ms, t.event_id`,
    [from, to],
  );
  return rows.map((r) => ({ accountId: r.account_id, eventId: r.event_id }));
}

/**
 * Accounts on a plan before `periodEnd` that have no invoice for `period` yet: the ones a closing
 * run still has to bill, a page at a time in account order after `afterAccountId`.
 */
export async function accountsToClose(
  sql: Sql,
  period: string,
  periodEnd: number,
  afterAccountId: string,
  limit: number,
): Promise<string[]> {
  const rows = await sql.query<{ account_id: string }>(
    `select distinct t.account_id from timeline_entries t
     where t.kind = 'plan' and t.at_ms < ? and t.account_id > ?
       and not exists (select 1 from invoices i
                       where i.account_id = t.account_id and i.period = ? and i.kind = 'period')
     order by t.account_id limit ?`,
    [periodEnd, afterAccountId, period, limit],
  );
  return rows.map((r) => r.account_id);
}
