import { Migration } from '@mikro-orm/migrations';

/**
 * More than one invoice per account and period: `PRORATION_BEHAVIOR=immediate` invoices each plan
 * change inside a period at once (kind `proration`, keyed by the PlanChanged eventId it bills),
 * beside the period's own invoice (kind `period`, still one per account and period). The unique
 * indexes are what make a redelivered PlanChanged, a second replica or a re-run write nothing.
 */
export class Migration20261202110000ProrationInvoices extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table invoices
        add column kind text not null default 'period' check (kind in ('period', 'proration')),
        add column change_event_id text,
        add constraint invoices_change_event check ((kind = 'proration') = (change_event_id is not null));`);
    this.addSql(`alter table invoices drop constraint invoices_account_id_period_key;`);
    this.addSql(
      `create unique index invoices_one_per_period on invoices (account_id, period) where kind = 'period';`,
    );
    this.addSql(
      `create unique index invoices_one_per_change on invoices (account_id, period, change_event_id) where kind = 'proration';`,
    );
    this.addSql(`drop index invoices_period;`);
    this.addSql(`create index invoices_period on invoices (period, account_id, invoice_id);`);
  }
}
