import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis, type RedisClient } from '@tollgate/redis';
import {
  createTestRedis,
  eventually,
  startRedisCluster,
  type TestRedis,
} from '@tollgate/test-infra';
import { windowWithRoom } from '../testing/limit-windows';
import { compileLimits } from './compile-limits';
import { createRateLimiter } from './create-rate-limiter';
import { describeLimiterContract } from './limiter-contract';
import type { RateLimiter } from './types';

const HOUR = 3_600_000;
/** The quota's month comes from the caller's clock: a fixed instant, so no month can roll over. */
const MID_MONTH = Date.UTC(2026, 5, 15, 12, 0, 0);
/** Windows in these tests have this long to run, far more than a test takes: none rolls over. */
const ROOM = 20 * 60_000;

async function connect(url: string): Promise<RedisClient> {
  const redis = createRedis({ url });
  if (redis.client.status !== 'ready') await once(redis.client, 'ready');
  return redis;
}

/** Generous deadline: these tests are about semantics, resilience has its own file. */
function strictLimiter(redis: RedisClient, keyPrefix: string): RateLimiter {
  return createRateLimiter({
    mode: 'redis',
    redis: redis.client,
    keyPrefix,
    onRedisFailure: 'fail-closed',
    timeoutMs: 5_000,
  });
}

describeLimiterContract('redis', async () => {
  const testRedis = await createTestRedis('ratelimit');
  const redis = await connect(testRedis.url);
  return {
    limiter: strictLimiter(redis, testRedis.keyPrefix),
    decidedBy: 'redis',
    now: () => Date.now(),
    advance: (ms) => sleep(ms),
    close: async () => {
      await redis.close();
      await testRedis.cleanup();
    },
  };
});

describeLimiterContract('redis cluster', async () => {
  const cluster = await startRedisCluster(3);
  const redis = createRedis({ url: cluster.url, cluster: true });
  if (redis.client.status !== 'ready') await once(redis.client, 'ready');
  return {
    limiter: strictLimiter(redis, 'strict:'),
    decidedBy: 'redis',
    now: () => Date.now(),
    advance: (ms) => sleep(ms),
    close: async () => {
      await redis.close();
      await cluster.stop();
    },
  };
});

describe('RedisLimiter (real Redis)', () => {
  let testRedis: TestRedis;
  let redis: RedisClient;
  let limiter: RateLimiter;
  beforeAll(async () => {
    testRedis = await createTestRedis('ratelimit');
    redis = await connect(testRedis.url);
    limiter = strictLimiter(redis, testRedis.keyPrefix);
  });
  afterAll(async () => {
    await redis?.close();
    await testRedis?.cleanup();
  });

  it('keeps one hash per scope, hash-tagged, expiring with its longest period', async () => {
    const hourly = windowWithRoom(HOUR, ROOM);
    const limits = compileLimits({
      rateLimits: [
        { name: 'burst', limit: 10, windowMs: 1_000 },
        { name: 'per-hour', limit: 100, windowMs: hourly },
      ],
      monthlyQuota: null,
    });
    const period = Math.floor(Date.now() / hourly);
    await limiter.check({ scope: 'key_layout', limits, cost: 3, now: Date.now() });
    const key = `${testRedis.keyPrefix}{key_layout}`;
    expect(await testRedis.keys()).toEqual([key]);
    const hash = await redis.client.hgetall(key);
    expect(Object.keys(hash).sort()).toEqual(['#sig', 'burst:1000', `per-hour:${hourly}`]);
    expect(hash[`per-hour:${hourly}`]).toBe(`${period}:3`);
    const ttl = await redis.client.pttl(key);
    // The hash lives until the hourly window ends, which is at least ROOM away.
    expect(ttl).toBeGreaterThan(ROOM - 60_000);
    expect(ttl).toBeLessThanOrEqual(hourly - (Date.now() % hourly) + 1_000);
  });

  it('expires a quota-carrying hash at the end of the UTC month', async () => {
    const limits = compileLimits({ rateLimits: [], monthlyQuota: 10 });
    const now = Date.now();
    const d = await limiter.check({ scope: 'key_quota_ttl', limits, cost: 1, now });
    const ttl = await redis.client.pttl(`${testRedis.keyPrefix}{key_quota_ttl}`);
    expect(Math.abs(ttl - d.policies[0]!.resetMs)).toBeLessThan(5_000);
  });

  it('counts windows by the server clock, whatever `now` each replica passes', async () => {
    const limits = compileLimits({
      rateLimits: [{ name: 'per-hour', limit: 10, windowMs: windowWithRoom(HOUR, ROOM) }],
      monthlyQuota: null,
    });
    const scope = 'key_skewed';
    await limiter.check({ scope, limits, cost: 1, now: Date.now() - 2 * HOUR });
    const d = await limiter.check({ scope, limits, cost: 1, now: Date.now() + 2 * HOUR });
    expect(d.policies[0]!.remaining).toBe(8);
  });

  it('drops counters of removed policies once their window is over', async () => {
    const scope = 'key_cleanup';
    const key = `${testRedis.keyPrefix}{${scope}}`;
    // A short window that is certain to be live for its first 5 s, then over within 10 s.
    const short = windowWithRoom(6_000, 5_000);
    const shortLimits = compileLimits({
      rateLimits: [{ name: 'short', limit: 5, windowMs: short }],
      monthlyQuota: null,
    });
    const perHour = compileLimits({
      rateLimits: [{ name: 'per-hour', limit: 1_000_000, windowMs: HOUR }],
      monthlyQuota: null,
    });
    await limiter.check({ scope, limits: shortLimits, cost: 1, now: Date.now() });
    await limiter.check({ scope, limits: perHour, cost: 1, now: Date.now() });
    // Still live: kept for replicas on the other plan version, with a note when to look again.
    expect((await redis.client.hkeys(key)).sort()).toEqual([
      '#gc',
      '#sig',
      'per-hour:3600000',
      `short:${short}`,
    ]);
    await eventually(
      async () => {
        await limiter.check({ scope, limits: perHour, cost: 1, now: Date.now() });
        return (await redis.client.hkeys(key)).length === 2;
      },
      short + 5_000,
      'the short window to be dropped',
    );
    expect((await redis.client.hkeys(key)).sort()).toEqual(['#sig', 'per-hour:3600000']);
  });

  it('admits exactly the limit under concurrency from several connections', async () => {
    const connections = await Promise.all(Array.from({ length: 4 }, () => connect(testRedis.url)));
    try {
      const limiters = connections.map((c) => strictLimiter(c, testRedis.keyPrefix));
      const limits = compileLimits({
        rateLimits: [{ name: 'per-hour', limit: 100, windowMs: windowWithRoom(HOUR, ROOM) }],
        monthlyQuota: 1_000,
      });
      const results = await Promise.all(
        limiters.flatMap((l) =>
          Array.from({ length: 50 }, async () => {
            const decisions = [];
            for (let i = 0; i < 3; i++) {
              decisions.push(await l.check({ scope: 'acct_hot', limits, cost: 1, now: MID_MONTH }));
            }
            return decisions;
          }),
        ),
      ).then((r) => r.flat());
      expect(results).toHaveLength(600);
      expect(results.every((d) => d.decidedBy === 'redis')).toBe(true);
      expect(results.filter((d) => d.allowed)).toHaveLength(100);
      const after = await limiters[0]!.check({
        scope: 'acct_hot',
        limits,
        cost: 1,
        now: MID_MONTH,
      });
      expect(after.policies.map((p) => p.remaining)).toEqual([0, 900]);
    } finally {
      await Promise.all(connections.map((c) => c.close()));
    }
  });
});
