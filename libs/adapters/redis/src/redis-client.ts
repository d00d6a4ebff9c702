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

/**
 * Seed nodes of a Redis Cluster from `redis[s]://[user:password@]host:port,…`, with the
 * credentials and TLS that every node connection needs (ioredis takes them once, for all nodes).
 * Seeds must agree on them: a cluster has one ACL and one TLS setting.
 */
export function clusterSeeds(url: string): {
  nodes: Array<{ host: string; port: number }>;
  auth: Pick<RedisOptions, 'username' | 'password' | 'tls'>;
} {
  const seeds = url.split(',').map((seed) => new URL(seed.trim()));
  const authOf = (u: URL) => ({
    tls: u.protocol === 'rediss:',
    username: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
  });
  const [head] = seeds;
  if (!head) throw new Error('REDIS_URL names no Redis Cluster seed');
  const first = authOf(head);
  for (const seed of seeds) {
    if (seed.protocol !== 'redis:' && seed.protocol !== 'rediss:')
      throw new Error(`Redis Cluster seed ${seed.host} must be redis:// or rediss://`);
    const auth = authOf(seed);
    if (
      auth.tls !== first.tls ||
      auth.username !== first.username ||
      auth.password !== first.password
    )
      throw new Error('Redis Cluster seeds must share one scheme and one set of credentials');
  }
  return {
    nodes: seeds.map((u) => ({ host: u.hostname, port: Number(u.port || 6379) })),
    auth: {
      ...(first.username ? { username: first.username } : {}),
      ...(first.password ? { password: first.password } : {}),
      ...(first.tls ? { tls: {} } : {}),
    },
  };
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

  let client: RedisConnection;
  if (options.cluster) {
    const { nodes, auth } = clusterSeeds(options.url);
    client = new Cluster(nodes, {
      redisOptions: { ...common, ...auth },
      enableOfflineQueue: false,
      enableAutoPipelining: true,
    });
  } else {
    client = new Redis(options.url, common);
  }

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
