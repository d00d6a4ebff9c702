import { Socket } from 'node:net';

/**
 * Where integration tests find real services, in this order:
 * 1. endpoints from the environment (`DATABASE_URL`, `REDIS_URL`, `KAFKA_BROKERS`);
 * 2. services already listening on the default local ports (started by `npm run stack:up`).
 * Nothing is faked: when a service is absent the test fails with a message saying how to start it.
 */
export interface TestEndpoints {
  databaseUrl: string;
  redisUrl: string;
  kafkaBrokers: string[];
}

export function testEndpoints(
  env: Record<string, string | undefined> = process.env,
): TestEndpoints {
  return {
    databaseUrl: env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    kafkaBrokers: (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((b) => b.trim()),
  };
}

export function isPortOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => done(true));
  });
}

export async function requireService(name: string, host: string, port: number): Promise<void> {
  if (await isPortOpen(host, port)) return;
  throw new Error(
    `${name} is not reachable at ${host}:${port}. Start the local stack with \`npm run stack:up\` ` +
      `or point the tests at a running service with the matching environment variable.`,
  );
}
