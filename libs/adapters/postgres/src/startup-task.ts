import type { MikroORM } from '@mikro-orm/postgresql';
import { migrate } from './orm';
import { openPinnedSession } from './pinned-session';

export interface StartupTask {
  readonly name: string;
  /** True once migrations (and the after-migrate work) succeeded. */
  readonly done: boolean;
  /** Starts the background attempts; a second call does nothing. */
  start(): void;
  checkReady(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Schema migrations (and any idempotent seeding) run in the background until they succeed, so the
 * service starts, and reports not-ready, while Postgres is unreachable. Replicas starting together
 * take turns through a session advisory lock on a pinned session.
 */
export function startupTask(options: {
  orm: MikroORM;
  databaseUrl: string;
  schema: string;
  afterMigrate(): Promise<void>;
  log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
  retryMs?: number;
}): StartupTask {
  let done = false;
  let stopped = false;
  let lastError = 'starting';
  let running: Promise<void> | undefined;
  const attempt = async () => {
    const session = await openPinnedSession(options.orm, {
      databaseUrl: options.databaseUrl,
      schema: options.schema,
      applicationName: `${options.schema}-migrate`,
    });
    try {
      await session.advisoryLock(`tollgate.${options.schema}.migrate`);
      await migrate(options.orm, options.schema);
      await options.afterMigrate();
    } finally {
      await session.close();
    }
  };
  const loop = async () => {
    while (!done && !stopped) {
      try {
        await attempt();
        done = true;
        options.log.info({ schema: options.schema }, 'schema migrated');
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
        options.log.warn({ err }, 'migration failed; retrying');
        await new Promise((r) => setTimeout(r, options.retryMs ?? 1_000));
      }
    }
  };
  return {
    name: 'schema',
    get done() {
      return done;
    },
    start() {
      running ??= loop();
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
