import pg from 'pg';
import type { Dependency } from '@tollgate/service-runtime';

export interface PostgresOptions {
  url: string;
  applicationName: string;
  maxConnections?: number;
  connectTimeoutMs?: number;
  /** Receives errors of idle pooled connections (e.g. the server restarted) instead of crashing. */
  onIdleError?: (err: Error) => void;
}

export interface PostgresClient extends Dependency {
  readonly pool: pg.Pool;
}

export function createPostgres(options: PostgresOptions): PostgresClient {
  const pool = new pg.Pool({
    connectionString: options.url,
    application_name: options.applicationName,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 2_000,
    idleTimeoutMillis: 30_000,
  });
  pool.on('error', (err) => options.onIdleError?.(err));
  let closed = false;

  return {
    name: 'postgres',
    pool,
    async checkReady() {
      await pool.query('select 1');
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
