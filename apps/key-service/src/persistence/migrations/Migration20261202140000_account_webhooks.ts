import { Migration } from '@mikro-orm/migrations';

/**
 * An account's notification webhook (where key-service tells the customer about a leaked key) and
 * the deliveries to it: written in the transaction that caused them, sent by a worker with retries.
 * The signing secret is stored as is: it proves a notification came from Tollgate, it grants no
 * access to Tollgate; it is shown once, when the webhook is set.
 */
export class Migration20261202140000AccountWebhooks extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table account_webhooks (
        account_id text primary key,
        url text not null,
        signing_secret text not null,
        created_at timestamptz not null
      );`);
    this.addSql(`
      create table webhook_deliveries (
        delivery_id text primary key,
        account_id text not null,
        event_type text not null,
        payload jsonb not null,
        created_at timestamptz not null,
        attempts int not null default 0,
        next_attempt_at timestamptz not null,
        delivered_at timestamptz,
        failed_at timestamptz,
        last_error text
      );`);
    this.addSql(`
      create index webhook_deliveries_due on webhook_deliveries (next_attempt_at)
        where delivered_at is null and failed_at is null;`);
  }
}
