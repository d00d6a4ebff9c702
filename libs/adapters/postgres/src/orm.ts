import type { MikroORM, Options } from '@mikro-orm/postgresql';
import type { Migration } from '@mikro-orm/migrations';
import { parse as parseConnectionString } from 'pg-connection-string';
import { assertSchemaName } from './schema-name';

export interface OrmOptions {
  databaseUrl: string;
  /** The app's own schema; every connection uses it as its search_path. */
  schema: string;
  /** The app's committed migrations, in order (bundled apps cannot discover files at run time). */
  migrations: ReadonlyArray<{ name: string; class: new (...args: never[]) => Migration }>;
  maxConnections?: number;
}

/** The one MikroORM factory: every app's tests and main come through here (each with its own schema). */
export async function initORM(
  options: OrmOptions,
  overrides: Partial<Options> = {},
): Promise<MikroORM> {
  assertSchemaName(options.schema);
  // Loaded here, not at import: apps without a database (edge-auth) never load MikroORM, which
  // took about 0.3 s of their start.
  const [{ MikroORM }, { Migrator }] = await Promise.all([
    import('@mikro-orm/postgresql'),
    import('@mikro-orm/migrations'),
  ]);
  const orm = await MikroORM.init({
    clientUrl: options.databaseUrl,
    schema: options.schema,
    entities: [],
    discovery: { warnWhenNoEntities: false },
    extensions: [Migrator],
    migrations: {
      migrationsList: options.migrations.map((m) => ({ name: m.name, class: m.class as never })),
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
    // MikroORM reads only host, port, user, password and database from the URL; the rest
    // (sslmode, sslrootcert, application_name…) is read here exactly as `pg` reads it for the
    // pinned sessions, so every connection of the app follows the same URL.
    driverOptions: { connection: connectionSettings(options.databaseUrl) },
    debug: false,
    ...overrides,
  });
  return orm;
}

/**
 * The connection settings of a Postgres URL that MikroORM would drop: TLS (`sslmode`, `sslcert`,
 * `sslkey`, `sslrootcert`), `application_name`, and the default port when the URL names none
 * (MikroORM would use port 0).
 */
export function connectionSettings(databaseUrl: string): Record<string, unknown> {
  const parsed = parseConnectionString(databaseUrl);
  const settings: Record<string, unknown> = { port: parsed.port ? Number(parsed.port) : 5432 };
  if (parsed.ssl !== undefined) settings['ssl'] = parsed.ssl;
  if (parsed.application_name) settings['application_name'] = parsed.application_name;
  return settings;
}

/** Creates the schema if needed and applies pending migrations (never `schema:update`). */
export async function migrate(orm: MikroORM, schema: string): Promise<void> {
  await orm.em.getConnection().execute(`create schema if not exists "${assertSchemaName(schema)}"`);
  await orm.getMigrator().up();
}
