import { Migration } from '@mikro-orm/migrations';

/**
 * The Stripe side of billing: which Stripe objects stand for which Tollgate ones (so every retry
 * finds what an earlier attempt created), the sync outbox the worker drains with retries, the
 * webhook events already applied (Stripe delivers at least once), and dunning's calls to
 * key-service. Times the app decides on (`*_at_ms`) come from its injected clock, as epoch ms.
 */
export class Migration20261202100000Stripe extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table stripe_customers (
        account_id text primary key,
        stripe_customer_id text not null unique,
        created_at timestamptz not null default now()
      );`);
    // One row per Tollgate invoice to collect, written in the transaction that finalized it.
    this.addSql(`
      create table stripe_sync_outbox (
        invoice_id text primary key,
        account_id text not null,
        payload jsonb not null,
        status text not null default 'pending' check (status in ('pending', 'synced')),
        attempts int not null default 0,
        next_attempt_at_ms bigint not null default 0,
        leased_until_ms bigint not null default 0,
        last_error text,
        enqueued_at timestamptz not null default now(),
        synced_at_ms bigint
      );`);
    this.addSql(
      `create index stripe_sync_outbox_due on stripe_sync_outbox (next_attempt_at_ms) where status = 'pending';`,
    );
    this.addSql(`
      create table stripe_invoices (
        invoice_id text primary key,
        account_id text not null,
        stripe_customer_id text not null,
        stripe_invoice_id text not null unique,
        status text not null,
        -- Stripe's figures after finalizing: its total (comparable with Tollgate's, negative for a
        -- credit) and what it charges (amount_due: the total, floored at 0).
        total_minor bigint,
        amount_due_minor bigint,
        payment_failures int not null default 0,
        paid_at_ms bigint,
        updated_at timestamptz not null default now()
      );`);
    this.addSql(`create index stripe_invoices_account on stripe_invoices (account_id);`);
    this.addSql(`
      create table stripe_invoice_items (
        invoice_id text not null,
        line_id text not null,
        stripe_invoice_item_id text not null unique,
        primary key (invoice_id, line_id)
      );`);
    // signed_at (the signature's timestamp) tells Stripe's redelivery of an event (signed anew)
    // from a replay of a delivery we already took (the same signature again).
    this.addSql(`
      create table stripe_webhook_events (
        event_id text primary key,
        event_type text not null,
        stripe_object_id text,
        signed_at bigint not null,
        received_at_ms bigint not null
      );`);
    // Suspensions and reactivations owed to key-service, retried until it has answered; one
    // account's actions run in `seq` order.
    this.addSql(`
      create table stripe_dunning_actions (
        seq bigserial primary key,
        action_key text not null unique,
        account_id text not null,
        action text not null check (action in ('suspend', 'reactivate')),
        invoice_id text not null,
        reason text not null,
        status text not null default 'pending' check (status in ('pending', 'done')),
        outcome text,
        attempts int not null default 0,
        next_attempt_at_ms bigint not null default 0,
        last_error text,
        created_at timestamptz not null default now()
      );`);
    this.addSql(
      `create index stripe_dunning_actions_due on stripe_dunning_actions (next_attempt_at_ms) where status = 'pending';`,
    );
    // Accounts billing itself suspended: only those does a later payment reactivate.
    this.addSql(`
      create table stripe_dunning_suspensions (
        account_id text primary key,
        invoice_id text not null,
        suspended_at_ms bigint not null
      );`);
  }
}
