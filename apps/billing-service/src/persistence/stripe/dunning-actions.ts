import type { Sql } from '@tollgate/postgres';

export type DunningActionKind = 'suspend' | 'reactivate';

export interface DunningAction {
  seq: number;
  actionKey: string;
  accountId: string;
  action: DunningActionKind;
  invoiceId: string;
  reason: string;
  attempts: number;
}

/** Records a call owed to key-service; the same `actionKey` twice is one action. */
export async function enqueueDunningAction(
  tx: Sql,
  action: Omit<DunningAction, 'seq' | 'attempts'>,
): Promise<void> {
  await tx.query(
    `insert into stripe_dunning_actions (action_key, account_id, action, invoice_id, reason)
     values (?, ?, ?, ?, ?) on conflict (action_key) do nothing`,
    [action.actionKey, action.accountId, action.action, action.invoiceId, action.reason],
  );
}

/**
 * The next due action, locked for this transaction. An account's actions go in the order they
 * were recorded: one whose account has an earlier action still pending waits for it (a
 * reactivation never overtakes the suspension it undoes).
 */
export async function claimNextDunningAction(
  tx: Sql,
  nowMs: number,
): Promise<DunningAction | undefined> {
  const [row] = await tx.query<DunningAction>(
    `select seq::float8 as seq, action_key as "actionKey", account_id as "accountId", action,
            invoice_id as "invoiceId", reason, attempts
       from stripe_dunning_actions a
      where status = 'pending' and next_attempt_at_ms <= ?
        and not exists (select 1 from stripe_dunning_actions e
                         where e.account_id = a.account_id and e.status = 'pending' and e.seq < a.seq)
      order by seq
      limit 1
      for update skip locked`,
    [nowMs],
  );
  return row;
}

export async function completeDunningAction(tx: Sql, seq: number, outcome: string): Promise<void> {
  await tx.query(
    `update stripe_dunning_actions set status = 'done', outcome = ?, attempts = attempts + 1,
            last_error = null where seq = ?`,
    [outcome, seq],
  );
}

export async function retryDunningAction(
  tx: Sql,
  seq: number,
  nextAttemptAtMs: number,
  error: string,
): Promise<void> {
  await tx.query(
    `update stripe_dunning_actions set attempts = attempts + 1, next_attempt_at_ms = ?,
            last_error = ? where seq = ?`,
    [nextAttemptAtMs, error.slice(0, 1000), seq],
  );
}

/** True when billing has suspended the account, or is about to (a suspension still pending). */
export async function hasDunningSuspension(sql: Sql, accountId: string): Promise<boolean> {
  const [row] = await sql.query<{ found: boolean }>(
    `select exists (select 1 from stripe_dunning_suspensions where account_id = ?)
         or exists (select 1 from stripe_dunning_actions
                     where account_id = ? and action = 'suspend' and status = 'pending') as found`,
    [accountId, accountId],
  );
  return row?.found === true;
}

export async function isSuspendedByBilling(tx: Sql, accountId: string): Promise<boolean> {
  const rows = await tx.query('select 1 from stripe_dunning_suspensions where account_id = ?', [
    accountId,
  ]);
  return rows.length > 0;
}

export async function recordSuspension(
  tx: Sql,
  accountId: string,
  invoiceId: string,
  atMs: number,
): Promise<void> {
  await tx.query(
    `insert into stripe_dunning_suspensions (account_id, invoice_id, suspended_at_ms)
     values (?, ?, ?) on conflict (account_id) do nothing`,
    [accountId, invoiceId, atMs],
  );
}

export async function clearSuspension(tx: Sql, accountId: string): Promise<void> {
  await tx.query('delete from stripe_dunning_suspensions where account_id = ?', [accountId]);
}

/** The account's invoices still open with at least `threshold` failed payments. */
export async function delinquentInvoices(
  sql: Sql,
  accountId: string,
  threshold: number,
): Promise<string[]> {
  const rows = await sql.query<{ invoice_id: string }>(
    `select invoice_id from stripe_invoices
      where account_id = ? and status = 'open' and payment_failures >= ?`,
    [accountId, threshold],
  );
  return rows.map((r) => r.invoice_id);
}
