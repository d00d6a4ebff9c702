import { Migration } from '@mikro-orm/migrations';

/**
 * The accounts with the most usage in a month read that month's minute rows of every account.
 * usage_minute's primary key leads with the account, so nothing found a month without reading
 * the whole history; rows arrive in time order, so a BRIN index on `bucket` (a few pages, almost
 * free to keep up to date) skips the older months.
 */
export class Migration20261203000000UsageBucketBrin extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index usage_minute_bucket_brin on usage_minute using brin (bucket);`);
  }
}
