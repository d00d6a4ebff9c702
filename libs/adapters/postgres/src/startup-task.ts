import pg from 'pg';
import type { MikroORM } from '@mikro-orm/postgresql';
import { migrate } from './orm';

/**
 * Schema migrations (and any idempotent seeding) run in the background until they succeed, so the
 * service starts, and reports not-ready, while Postgres is unreachable. Replicas starting together
 * take turns through a Postgres advisory lock.
 */
export function startupTask(options: {
  orm: MikroORM;
  databaseUrl: string;
  schema: string;
  afterMigrate(): Promise<void>;
  log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}) {
  let done = false;
  let stopped = false;
  let lastError = 'starting';

  const attempt = async () => {
    const lock = new pg.Client({
      connectionString: options.databaseUrl,
      application_name: `${options.schema}-migrate`,
    });
    await lock.connect();
    try {
      await lock.query('select pg_advisory_lock(hashtext($1))', [
        `tollgate.${options.schema}.migrate`,
      ]);
      await migrate(options.orm, options.schema);
      await options.afterMigrate();
    } finally {
      await lock.end().catch(() => undefined);
    }
  };

  const running = (async () => {
    while (!done && !stopped) {
      try {
        await attempt();
        done = true;
        options.log.info({ schema: options.schema }, 'schema migrated');
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
        options.log.warn({ err }, 'migration failed; retrying');
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  })();

  return {
    name: 'schema',
    get done() {
      return done;
    },
    async checkReady() {
      if (!done) throw new Error(`schema not migrated yet: ${lastError}`);
    },
    async close() {
      stopped = true;
      await running;
    },
  };
}
