import { Migration } from '@mikro-orm/migrations';

/**
 * Ingestion progress per partition instead of one shared row: every partition's batch
 * transaction updated the single `ingest_progress` row, so concurrent partitions waited on each
 * other's whole transaction for that row lock. The newest event time now lives in the
 * partition's own `consumer_offsets` row, which the transaction locks anyway, and
 * `ingest_progress` becomes a view of the maximum, so readers keep their query (and read progress
 * and aggregates from one snapshot, as before).
 */
export class Migration20261202130000ProgressPerPartition extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table consumer_offsets add column newest_event_at timestamptz;`);
    this.addSql(
      `alter table consumer_offsets add column updated_at timestamptz not null default now();`,
    );
    this.addSql(
      `update consumer_offsets set newest_event_at = (select newest_event_at from ingest_progress where id = 1);`,
    );
    this.addSql(`drop table ingest_progress;`);
    this.addSql(`
      create view ingest_progress as
        select 1 as id, max(newest_event_at) as newest_event_at, max(updated_at) as updated_at
        from consumer_offsets;`);
  }
}
