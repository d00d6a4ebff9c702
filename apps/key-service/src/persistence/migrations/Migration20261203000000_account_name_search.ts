import { Migration } from '@mikro-orm/migrations';

/**
 * The accounts listing's search (`q`) matches a case-insensitive prefix of the name: this index
 * serves `lower(name) like 'prefix%'` in any collation (text_pattern_ops compares bytewise).
 */
export class Migration20261203000000AccountNameSearch extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create index accounts_name_prefix_idx on accounts (lower(name) text_pattern_ops);`,
    );
  }
}
