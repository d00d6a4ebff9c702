import { Migration } from '@mikro-orm/migrations';

/** Keys get a human name (null for keys issued before names existed, until someone names them). */
export class Migration20261202130000KeyNames extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table api_keys add column name text;`);
  }
}
