import type { Sql } from '@tollgate/postgres';

export interface AccountWebhookRow {
  account_id: string;
  url: string;
  signing_secret: string;
  created_at: Date;
}

export interface DueDelivery {
  delivery_id: string;
  account_id: string;
  event_type: string;
  payload: Record<string, unknown>;
  attempts: number;
  url: string | null;
  signing_secret: string | null;
}

export const accountWebhooks = {
  async find(sql: Sql, accountId: string): Promise<AccountWebhookRow | undefined> {
    const [row] = await sql.query<AccountWebhookRow>(
      'select * from account_webhooks where account_id = ?',
      [accountId],
    );
    return row;
  },

  /** Sets (or replaces, with a new secret) the account's webhook. */
  async put(sql: Sql, row: AccountWebhookRow): Promise<void> {
    await sql.query(
      `insert into account_webhooks (account_id, url, signing_secret, created_at) values (?, ?, ?, ?)
       on conflict (account_id) do update set url = excluded.url,
         signing_secret = excluded.signing_secret, created_at = excluded.created_at`,
      [row.account_id, row.url, row.signing_secret, row.created_at],
    );
  },

  async remove(sql: Sql, accountId: string): Promise<boolean> {
    const rows = await sql.query<{ account_id: string }>(
      'delete from account_webhooks where account_id = ? returning account_id',
      [accountId],
    );
    return rows.length > 0;
  },

  /** Queues a notification, in the caller's transaction, when the account has a webhook. */
  async enqueue(
    tx: Sql,
    delivery: {
      deliveryId: string;
      accountId: string;
      eventType: string;
      payload: object;
      at: Date;
    },
  ): Promise<boolean> {
    const rows = await tx.query<{ delivery_id: string }>(
      `insert into webhook_deliveries (delivery_id, account_id, event_type, payload, created_at, next_attempt_at)
       select ?, account_id, ?, ?::jsonb, ?, ? from account_webhooks where account_id = ?
       returning delivery_id`,
      [
        delivery.deliveryId,
        delivery.eventType,
        JSON.stringify(delivery.payload),
        delivery.at,
        delivery.at,
        delivery.accountId,
      ],
    );
    return rows.length > 0;
  },

  /**
   * Claims up to `limit` due deliveries for `leaseMs` (another worker skips them meanwhile; a
   * worker that dies leaves them due again when the lease ends), with the webhook they go to now.
   */
  claimDue(sql: Sql, now: Date, leaseMs: number, limit: number): Promise<DueDelivery[]> {
    return sql.query<DueDelivery>(
      `with due as (
         select delivery_id from webhook_deliveries
          where delivered_at is null and failed_at is null and next_attempt_at <= ?
          order by next_attempt_at limit ? for update skip locked
       )
       update webhook_deliveries d
          set next_attempt_at = ?::timestamptz + make_interval(secs => ? / 1000.0)
         from due
        where d.delivery_id = due.delivery_id
       returning d.delivery_id, d.account_id, d.event_type, d.payload, d.attempts,
         (select url from account_webhooks w where w.account_id = d.account_id) as url,
         (select signing_secret from account_webhooks w where w.account_id = d.account_id) as signing_secret`,
      [now, limit, now, leaseMs],
    );
  },

  async delivered(sql: Sql, deliveryId: string, at: Date, attempts: number): Promise<void> {
    await sql.query(
      'update webhook_deliveries set delivered_at = ?, attempts = ?, last_error = null where delivery_id = ?',
      [at, attempts, deliveryId],
    );
  },

  /** Another attempt at `nextAttemptAt`, or given up (`failed`) after the last one. */
  async attemptFailed(
    sql: Sql,
    deliveryId: string,
    outcome: { attempts: number; error: string; nextAttemptAt: Date | null; at: Date },
  ): Promise<void> {
    await sql.query(
      `update webhook_deliveries set attempts = ?, last_error = ?,
         next_attempt_at = coalesce(?::timestamptz, next_attempt_at),
         failed_at = case when ?::boolean then ?::timestamptz else null end
       where delivery_id = ?`,
      [
        outcome.attempts,
        outcome.error.slice(0, 500),
        outcome.nextAttemptAt,
        outcome.nextAttemptAt === null,
        outcome.at,
        deliveryId,
      ],
    );
  },

  deliveriesOf(sql: Sql, accountId: string) {
    return sql.query<{
      delivery_id: string;
      event_type: string;
      attempts: number;
      delivered_at: Date | null;
      failed_at: Date | null;
      last_error: string | null;
    }>(
      `select delivery_id, event_type, attempts, delivered_at, failed_at, last_error
         from webhook_deliveries where account_id = ? order by created_at, delivery_id`,
      [accountId],
    );
  },
};
