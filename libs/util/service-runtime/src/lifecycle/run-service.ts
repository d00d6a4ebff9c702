import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { ConfigError, loadConfig } from '../config/load-config';

/** The part of every app's config that `runService` itself needs. */
export interface ListenConfig {
  HOST: string;
  PORT: number;
  SHUTDOWN_TIMEOUT_MS: number;
}

export interface RunServiceOptions<C extends ListenConfig> {
  service: string;
  configSchema: z.ZodType<C>;
  build: (config: C) => Promise<FastifyInstance>;
}

/**
 * What each app's `main.ts` calls: build, listen, and on SIGTERM/SIGINT stop accepting requests,
 * finish in-flight ones, close dependencies (flushing producers) and exit 0. A shutdown that
 * overruns its budget exits 1 so an orchestrator sees it.
 */
export async function runService<C extends ListenConfig>(
  options: RunServiceOptions<C>,
): Promise<void> {
  let app: FastifyInstance;
  let config: C;
  try {
    config = loadConfig(options.configSchema, process.env);
    app = await options.build(config);
    await app.listen({ host: config.HOST, port: config.PORT });
  } catch (err) {
    exitOnStartupError(options.service, err);
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      app.log.error({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutdown timed out');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    deadline.unref();
    app.close().then(
      () => {
        app.log.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        app.log.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

export function exitOnStartupError(service: string, err: unknown): never {
  if (err instanceof ConfigError) {
    process.stderr.write(`${service}: ${err.message}\n`);
  } else {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`${service}: failed to start: ${message}\n`);
  }
  process.exit(1);
}
