import { KeyHasher } from '@tollgate/api-keys';
import { connectDatabase, migrate } from '@tollgate/postgres';
import { env, exitOnStartupError, loadConfig } from '@tollgate/service-runtime';
import { AdminTokens } from './application/admin-tokens';
import { AdminApiConfig } from './config';
import { ADMIN_API_MIGRATIONS } from './persistence/migrations';

/**
 * `main.mjs bootstrap [name]`: creates the deployment's first owner token and prints it once.
 * Refuses when an active owner token exists (further tokens come from POST /v1/admin-tokens).
 */
export async function bootstrapOwner(name = 'bootstrap owner'): Promise<void> {
  let config: AdminApiConfig;
  try {
    config = loadConfig(AdminApiConfig, process.env);
  } catch (err) {
    exitOnStartupError('admin-api bootstrap', err);
  }
  const { orm, db } = await connectDatabase({
    databaseUrl: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    migrations: ADMIN_API_MIGRATIONS,
  });
  const session = await db.pinnedSession({ applicationName: 'admin-api-bootstrap' });
  try {
    // The same lock the running apps migrate under: never two migrators at once.
    await session.advisoryLock(`tollgate.${config.DATABASE_SCHEMA}.migrate`);
    await migrate(orm, config.DATABASE_SCHEMA);
    const tokens = new AdminTokens(
      db,
      new KeyHasher(env.peppersOrDevelopment(config.ADMIN_TOKEN_PEPPERS)),
      Date.now,
    );
    const { token, plaintext } = await tokens.bootstrapOwner(name);
    process.stdout.write(
      `Owner token ${token.tokenId} (${token.displayHint}). Shown once, store it now:\n${plaintext}\n`,
    );
  } catch (err) {
    process.stderr.write(
      `admin-api bootstrap: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    process.exitCode = 1;
  } finally {
    await session.close();
    await db.close();
  }
}
