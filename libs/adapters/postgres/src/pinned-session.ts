import pg from 'pg';
import type { MikroORM } from '@mikro-orm/postgresql';
import { assertSchemaName } from './schema-name';
import type { Sql } from './sql';

export interface PinnedSessionOptions {
  databaseUrl: string;
  /** The app's own schema, set as the session's search_path (validated, never interpolated raw). */
  schema: string;
  applicationName: string;
  /** The session's connection broke (server restart, network): the session is unusable from now on. */
  onLost?: (err: Error) => void;
}

/**
 * One dedicated Postgres session, outside the pool, for work whose meaning is tied to the
 * connection: session advisory locks (the outbox relay's leadership, migrations taking turns) are
 * released by the server the moment the session ends, so a crashed holder never blocks others.
 * Queries use the same `?` placeholders as the pooled `Database` (translated by the same knex client).
 */
export interface PinnedSession {
  readonly sql: Sql;
  /** Takes the session lock named `name` if free; true when this session holds it. */
  tryAdvisoryLock(name: string): Promise<boolean>;
  /** Waits until this session holds the lock named `name`. */
  advisoryLock(name: string): Promise<void>;
  /** Ends the session, which releases every lock it holds. Safe to call twice. */
  close(): Promise<void>;
}

export async function openPinnedSession(
  orm: MikroORM,
  options: PinnedSessionOptions,
): Promise<PinnedSession> {
  const schema = assertSchemaName(options.schema);
  const knex = orm.em.getKnex();
  const client = new pg.Client({
    connectionString: options.databaseUrl,
    application_name: options.applicationName,
  });
  let lost = false;
  client.on('error', (err) => {
    lost = true;
    options.onLost?.(err);
  });
  await client.connect();
  const sql: Sql = {
    async query<T>(text: string, params: readonly unknown[] = []) {
      if (lost) throw new Error(`${options.applicationName}: pinned session lost`);
      const native = knex
        .raw(text, params as never)
        .toSQL()
        .toNative();
      const result = await client.query(native.sql, native.bindings as unknown[]);
      return result.rows as T[];
    },
  };
  try {
    await client.query(`set search_path to "${schema}"`);
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
  let closed = false;
  return {
    sql,
    async tryAdvisoryLock(name) {
      const [row] = await sql.query<{ locked: boolean }>(
        'select pg_try_advisory_lock(hashtext(?)) as locked',
        [name],
      );
      return row?.locked === true;
    },
    async advisoryLock(name) {
      await sql.query('select pg_advisory_lock(hashtext(?))', [name]);
    },
    async close() {
      if (closed) return;
      closed = true;
      await client.end().catch(() => undefined);
    },
  };
}
