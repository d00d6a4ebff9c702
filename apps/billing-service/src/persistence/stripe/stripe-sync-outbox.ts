import type { Sql } from '@tollgate/postgres';
import type { InvoiceToCollect } from '../../stripe/types';

/**
 * Queues `invoice` for Stripe in the caller's transaction, so the invoice and its sync request
 * commit together. Enqueuing the same invoice twice keeps the first request (an invoice is
 * collected once; its lines never change after finalization).
 */
export async function enqueueStripeSync(tx: Sql, invoice: InvoiceToCollect): Promise<void> {
  await tx.query(
    `insert into stripe_sync_outbox (invoice_id, account_id, payload)
     values (?, ?, ?::jsonb)
     on conflict (invoice_id) do nothing`,
    [invoice.invoiceId, invoice.accountId, JSON.stringify(invoice)],
  );
}

export interface ClaimedSync {
  invoice: InvoiceToCollect;
  /** 1 for the first attempt; more means an earlier attempt may have written to Stripe. */
  attempt: number;
}

/**
 * Takes up to `limit` due rows for `leaseMs`: the claim commits at once (no transaction stays
 * open across Stripe calls), and a replica that dies mid-sync leaves a lease that runs out, after
 * which another replica retries the row. `for update skip locked` keeps replicas claiming at the
 * same moment off each other's rows.
 */
export async function claimDueSyncs(
  sql: Sql,
  nowMs: number,
  leaseMs: number,
  limit: number,
): Promise<ClaimedSync[]> {
  const rows = await sql.query<{ payload: InvoiceToCollect; attempts: number }>(
    `update stripe_sync_outbox o
        set attempts = o.attempts + 1, leased_until_ms = ?
      where o.invoice_id in (
        select invoice_id from stripe_sync_outbox
         where status = 'pending' and next_attempt_at_ms <= ? and leased_until_ms <= ?
         order by next_attempt_at_ms, invoice_id
         limit ?
         for update skip locked)
      returning o.payload, o.attempts`,
    [nowMs + leaseMs, nowMs, nowMs, limit],
  );
  return rows.map((r) => ({ invoice: r.payload, attempt: r.attempts }));
}

export async function markSynced(sql: Sql, invoiceId: string, nowMs: number): Promise<void> {
  await sql.query(
    `update stripe_sync_outbox
        set status = 'synced', synced_at_ms = ?, leased_until_ms = 0, last_error = null
      where invoice_id = ?`,
    [nowMs, invoiceId],
  );
}

export async function scheduleRetry(
  sql: Sql,
  invoiceId: string,
  nextAttemptAtMs: number,
  error: string,
): Promise<void> {
  await sql.query(
    `update stripe_sync_outbox
        set next_attempt_at_ms = ?, leased_until_ms = 0, last_error = ?
      where invoice_id = ?`,
    [nextAttemptAtMs, error.slice(0, 1000), invoiceId],
  );
}

export interface SyncBacklog {
  pending: number;
  /** Seconds since the oldest pending row was enqueued (database time), 0 when none. */
  oldestAgeSeconds: number;
}

export async function syncBacklog(sql: Sql): Promise<SyncBacklog> {
  const [row] = await sql.query<{ pending: string; age: number | null }>(
    `select count(*) as pending, extract(epoch from now() - min(enqueued_at))::float8 as age
       from stripe_sync_outbox where status = 'pending'`,
  );
  return { pending: Number(row?.pending ?? 0), oldestAgeSeconds: Math.max(0, row?.age ?? 0) };
}
