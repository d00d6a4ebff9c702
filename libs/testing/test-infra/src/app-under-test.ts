import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createLogger } from '@tollgate/service-runtime';
import { eventually } from './eventually';

/** A logger for an in-process app whose every line a test can read. */
export function captureLogs(service: string, level = 'info'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({
    service,
    level,
    destination: { write: (line: string) => void lines.push(line) },
  });
  return { logger, lines };
}

/** Readies an in-process app and waits until `/readyz` answers 200 (migrated, caught up). */
export async function waitUntilReady(app: FastifyInstance, timeoutMs = 30_000): Promise<void> {
  await app.ready();
  await eventually(
    async () => (await app.inject('/readyz')).statusCode === 200,
    timeoutMs,
    async () => `/readyz to answer 200, last: ${(await app.inject('/readyz')).body}`,
  );
}
