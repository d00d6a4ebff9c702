import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Dependency } from '@tollgate/service-runtime';

export interface RedisClientOptions {
  /** `redis://host:port[/db]`; with `cluster`, a comma-separated list of seed nodes. */
  url: string;
  /** Redis Cluster is a configuration switch: the same keys carry hash tags either way. */
  cluster?: boolean;
  keyPrefix?: string;
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
  onError?: (err: Error) => void;
}

export type RedisConnection = Redis | Cluster;

export interface RedisClient extends Dependency {
  readonly client: RedisConnection;
}

export function createRedis(options: RedisClientOptions): RedisClient {
  const common: RedisOptions = {
    connectTimeout: options.connectTimeoutMs ?? 1_000,
    commandTimeout: options.commandTimeoutMs ?? 500,
    // Fail fast instead of queueing while disconnected: callers decide how to degrade.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    enableAutoPipelining: true,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
    ...(options.keyPrefix ? { keyPrefix: options.keyPrefix } : {}),
  };

  const client: RedisConnection = options.cluster
    ? new Cluster(
        options.url.split(',').map((seed) => {
          const u = new URL(seed.trim());
          return { host: u.hostname, port: Number(u.port || 6379) };
        }),
        { redisOptions: common, enableOfflineQueue: false, enableAutoPipelining: true },
      )
    : new Redis(options.url, common);

  client.on('error', (err: Error) => options.onError?.(err));
  let closed = false;

  return {
    name: 'redis',
    client,
    async checkReady() {
      if (client.status !== 'ready') throw new Error(`redis connection is ${client.status}`);
      await client.ping();
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    },
  };
}
