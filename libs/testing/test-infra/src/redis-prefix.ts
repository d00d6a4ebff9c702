import { Redis } from 'ioredis';
import { requireService, testEndpoints } from './endpoints';
import { uniqueName } from './unique-name';

export interface TestRedis {
  url: string;
  /** Every key a test writes goes under this prefix (ioredis `keyPrefix`). */
  keyPrefix: string;
  keys(): Promise<string[]>;
  cleanup(): Promise<void>;
}

/** An isolated key space on the shared Redis for one test file, deleted afterwards. */
export async function createTestRedis(base: string): Promise<TestRedis> {
  const { redisUrl } = testEndpoints();
  const server = new URL(redisUrl.split(',')[0] ?? redisUrl);
  await requireService('Redis', server.hostname, Number(server.port || 6379));
  const keyPrefix = `${uniqueName(base)}:`;

  async function withClient<T>(fn: (client: Redis) => Promise<T>): Promise<T> {
    const client = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      client.disconnect();
    }
  }

  async function keys(): Promise<string[]> {
    return withClient(async (client) => {
      const found: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await client.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 500);
        cursor = next;
        found.push(...batch);
      } while (cursor !== '0');
      return found.sort();
    });
  }

  return {
    url: redisUrl,
    keyPrefix,
    keys,
    async cleanup() {
      const found = await keys();
      if (found.length > 0) await withClient((client) => client.del(...found));
    },
  };
}
