import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRedis, type TestRedis } from '@tollgate/test-infra';
import { createRedis } from './redis-client';

describe('createRedis (real Redis)', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await createTestRedis('redis_adapter');
  });
  afterAll(async () => {
    await redis.cleanup();
  });

  it('becomes ready and isolates keys under the test prefix', async () => {
    const adapter = createRedis({ url: redis.url, keyPrefix: redis.keyPrefix });
    await once(adapter.client, 'ready');
    await expect(adapter.checkReady()).resolves.toBeUndefined();
    await adapter.client.set('marker', '1');
    expect(await redis.keys()).toEqual([`${redis.keyPrefix}marker`]);
    await adapter.close();
  });

  it('fails fast, without queueing, when Redis is unreachable', async () => {
    const adapter = createRedis({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 200 });
    const started = Date.now();
    await expect(adapter.checkReady()).rejects.toThrow(/redis connection is/);
    await expect(adapter.client.get('x')).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(2_000);
    await adapter.close();
  });
});
