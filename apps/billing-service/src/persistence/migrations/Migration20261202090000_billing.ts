import { Migration } from '@mikro-orm/migrations';
import { OUTBOX_TABLES_SQL } from '@tollgate/postgres';

/**
 * billing-service's ledger: each account's subscription timeline (PlanChanged and
 * AccountStatusChanged, one row per eventId), invoices with their lines, and the outbox that
 * publishes InvoiceFinalized and PaymentFailed. Money is bigint minor units; times the app decides
 * on are epoch ms from its injected clock.
 */
export class Migration20261202090000Billing extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table timeline_entries (
        event_id text primary key,
        account_id text not null,
        kind text not null check (kind in ('plan', 'status')),
        -- effectiveAt of a plan change, occurredAt of a status change
        at_ms bigint not null,
        occurred_at_ms bigint not null,
        plan jsonb,
        status text check (status in ('active', 'suspended')),
        check ((kind = 'plan') = (plan is not null) and (kind = 'status') = (status is not null))
      );`);
    this.addSql(`create index timeline_entries_account on timeline_entries (account_id, at_ms);`);
    this.addSql(`
      create table invoices (
        invoice_id text primary key,
        account_id text not null,
        period text not null,
        currency text not null,
        status text not null check (status in ('draft', 'finalized', 'paid', 'payment_failed', 'void')),
        total_minor bigint not null,
        created_at_ms bigint not null,
        finalized_at_ms bigint,
        paid_at_ms bigint,
        voided_at_ms bigint,
        failed_attempts int not null default 0,
        last_failed_at_ms bigint,
        unique (account_id, period)
      );`);
    this.addSql(`create index invoices_period on invoices (period, account_id);`);
    this.addSql(`
      create table invoice_lines (
        invoice_id text not null references invoices (invoice_id),
        line_no int not null,
        kind text not null check (kind in ('base_fee', 'usage', 'adjustment')),
        description text not null,
        plan_id text not null,
        plan_version int not null,
        from_ms bigint not null,
        to_ms bigint not null,
        usage_from_ms bigint not null,
        usage_to_ms bigint not null,
        suspended boolean not null default false,
        quantity bigint not null,
        included_units bigint not null,
        amount_minor bigint not null,
        -- an adjustment names the usage line of the finalized invoice it corrects
        adjusts_invoice_id text,
        adjusts_line_no int,
        primary key (invoice_id, line_no)
      );`);
    this.addSql(
      `create index invoice_lines_adjusts on invoice_lines (adjusts_invoice_id, adjusts_line_no) where adjusts_invoice_id is not null;`,
    );
    for (const sql of OUTBOX_TABLES_SQL) this.addSql(sql);
  }
}
