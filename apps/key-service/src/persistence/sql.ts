import type { MikroORM } from '@mikro-orm/postgresql';

/** The one way key-service code talks SQL: `?` placeholders, inside a transaction or not. */
export interface Sql {
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

export interface Database {
  /** Runs `work` in one transaction; everything it writes commits or rolls back together. */
  transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T>;
  /** Autocommit queries for reads. */
  readonly sql: Sql;
  close(): Promise<void>;
}

export function createDatabase(orm: MikroORM): Database {
  const knex = orm.em.getKnex();
  const sql: Sql = {
    async query<T>(text: string, params: readonly unknown[] = []) {
      const result = (await knex.raw(text, params as never)) as { rows: T[] };
      return result.rows;
    },
  };
  return {
    sql,
    transaction: (work) =>
      knex.transaction((trx) =>
        work({
          async query<T>(text: string, params: readonly unknown[] = []) {
            const result = (await trx.raw(text, params as never)) as { rows: T[] };
            return result.rows;
          },
        }),
      ),
    close: () => orm.close(true),
  };
}
