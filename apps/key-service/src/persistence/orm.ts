import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { Migration20261127000000Initial } from './migrations/Migration20261127000000_initial';

export interface OrmOptions {
  databaseUrl: string;
  /** key-service's own schema; every connection uses it as its search_path. */
  schema: string;
  maxConnections?: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** The one MikroORM factory: tests and main both come through here (with their own schema). */
export async function initORM(
  options: OrmOptions,
  overrides: Partial<Options> = {},
): Promise<MikroORM> {
  if (!SCHEMA_NAME.test(options.schema)) throw new Error(`invalid schema name ${options.schema}`);
  const orm = await MikroORM.init({
    clientUrl: options.databaseUrl,
    schema: options.schema,
    entities: [],
    discovery: { warnWhenNoEntities: false },
    extensions: [Migrator],
    migrations: {
      migrationsList: [
        { name: 'Migration20261127000000Initial', class: Migration20261127000000Initial },
      ],
      snapshot: false,
      // Progress goes to our own log line ('schema migrated'), not to stdout.
      silent: true,
      transactional: true,
      allOrNothing: true,
    },
    pool: {
      min: 0,
      max: options.maxConnections ?? 10,
      afterCreate: (
        connection: { query(sql: string, cb: (err: Error | null) => void): void },
        done: (err: Error | null, c: unknown) => void,
      ) =>
        connection.query(`set search_path to "${options.schema}"`, (err) => done(err, connection)),
    },
    debug: false,
    ...overrides,
  });
  return orm;
}

/** Creates the schema if needed and applies pending migrations (never `schema:update`). */
export async function migrate(orm: MikroORM, schema: string): Promise<void> {
  await orm.em.getConnection().execute(`create schema if not exists "${schema}"`);
  await orm.getMigrator().up();
}
