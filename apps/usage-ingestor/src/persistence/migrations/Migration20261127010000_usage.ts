import { Migration } from '@mikro-orm/migrations';

/**
 * usage-ingestor's schema: minute aggregates (every rollup is summed from them), the consumed
 * offsets stored with them, the eventId dedupe window, late-usage flags and ingestion progress.
 */
export class Migration20261127010000Usage extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table usage_minute (
        account_id text not null,
        bucket timestamptz not null,
        key_id text not null,
        route text not null,
        outcome text not null,
        env text not null,
        requests bigint not null,
        cost_units bigint not null,
        primary key (account_id, bucket, key_id, route, outcome, env)
      );`);
    this.addSql(
      `create index usage_minute_key on usage_minute (key_id, bucket) where key_id <> '';`,
    );
    this.addSql(`
      create table consumer_offsets (
        topic text not null,
        partition int not null,
        next_offset bigint not null,
        primary key (topic, partition)
      );`);
    this.addSql(`
      create table seen_events (
        event_id text primary key,
        seen_at timestamptz not null default now()
      );`);
    this.addSql(`create index seen_events_seen_at on seen_events (seen_at);`);
    this.addSql(`
      create table late_usage (
        account_id text not null,
        period text not null,
        requests bigint not null,
        cost_units bigint not null,
        last_flagged_at timestamptz not null default now(),
        primary key (account_id, period)
      );`);
    this.addSql(`
      create table ingest_progress (
        id int primary key default 1 check (id = 1),
        newest_event_at timestamptz,
        updated_at timestamptz not null default now()
      );`);
    this.addSql(`insert into ingest_progress (newest_event_at) values (null);`);
  }
}
