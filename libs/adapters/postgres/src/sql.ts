import type { MikroORM } from '@mikro-orm/postgresql';
import type { Dependency } from '@tollgate/service-runtime';
import { openPinnedSession, type PinnedSession } from './pinned-session';

/** The one way app code talks SQL: `?` placeholders, inside a transaction or not. */
export interface Sql {
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

export interface Database {
  /** Runs `work` in one transaction; everything it writes commits or rolls back together. */
  transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T>;
  /** Autocommit queries for reads. */
  readonly sql: Sql;
  /** The app's own schema, e.g. to name session locks per deployment. */
  readonly schema: string;
  /** A dedicated session outside the pool, for session advisory locks (see `PinnedSession`). */
  pinnedSession(options: {
    applicationName: string;
    onLost?: (err: Error) => void;
  }): Promise<PinnedSession>;
  close(): Promise<void>;
}

type Runner = Pick<ReturnType<MikroORM['em']['getKnex']>, 'raw'>;

function sqlOn(runner: Runner): Sql {
  return {
    async query<T>(text: string, params: readonly unknown[] = []) {
      const result = await runner.raw<{ rows: T[] }>(text, params as never);
      return result.rows;
    },
  };
}

export function createDatabase(
  orm: MikroORM,
  connection: { databaseUrl: string; schema: string },
): Database {
  const knex = orm.em.getKnex();
  return {
    sql: sqlOn(knex),
    schema: connection.schema,
    transaction: (work) => knex.transaction((trx) => work(sqlOn(trx))),
    pinnedSession: (options) => openPinnedSession(orm, { ...connection, ...options }),
    close: () => orm.close(true),
  };
}

/** The database as an app dependency: `/readyz` runs `select 1`, app close closes the ORM. */
export function databaseDependency(db: Database): Dependency {
  return {
    name: 'postgres',
    checkReady: async () => void (await db.sql.query('select 1')),
    close: () => db.close(),
  };
}
