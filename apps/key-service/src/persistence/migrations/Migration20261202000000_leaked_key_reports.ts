import { Migration } from '@mikro-orm/migrations';

/**
 * Leaked-key reports from secret scanners: one row per reported token that matched one of our
 * keys, written in the transaction that revoked it. Never the token itself: the key id says which
 * key, the URL says where it was found.
 */
export class Migration20261202000000LeakedKeyReports extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table leaked_key_reports (
        report_id bigserial primary key,
        source text not null,
        key_id text not null,
        account_id text not null,
        outcome text not null,
        token_type text not null,
        found_at_url text,
        found_in text,
        reported_at timestamptz not null
      );`);
    this.addSql(`create index leaked_key_reports_key on leaked_key_reports (key_id, reported_at);`);
    this.addSql(
      `create index leaked_key_reports_account on leaked_key_reports (account_id, reported_at);`,
    );
  }
}
