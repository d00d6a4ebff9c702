import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRedis, type RedisClient } from '@tollgate/redis';
import { compileLimits } from './compile-limits';
import { createRateLimiter, type RedisFailureMode } from './create-rate-limiter';
import type { RateLimiter } from './types';
import { freePort, startRedis, stopRedis, eventually } from '@tollgate/test-infra';

const TIMEOUT_MS = 50;
/**
 * The deadline plus a fixed slack for a loaded 2-core machine (30 checks at once share one event
 * loop). Waiting for a reconnect or for ioredis' own command timeout would exceed it.
 */
const MAX_CALL_MS = TIMEOUT_MS + 450;
const MODES: readonly RedisFailureMode[] = ['fail-open', 'fail-closed', 'local'];

interface ModeUnderTest {
  mode: RedisFailureMode;
  limiter: RateLimiter;
  registry: Registry;
  logger: { warn: ReturnType<typeof vi.fn>; info: ReturnType<typeof vi.fn> };
  seen: Set<string>;
}

describe('rate limiter resilience (private redis-server)', () => {
  let port: number;
  let server: ChildProcess;
  let redis: RedisClient;
  let modes: ModeUnderTest[];

  beforeAll(async () => {
    port = await freePort();
    server = await startRedis(port);
    redis = createRedis({ url: `redis://127.0.0.1:${port}`, onError: () => {} });
    if (redis.client.status !== 'ready') await once(redis.client, 'ready');
    modes = MODES.map((mode) => {
      const registry = new Registry();
      const logger = { warn: vi.fn(), info: vi.fn() };
      return {
        mode,
        registry,
        logger,
        seen: new Set<string>(),
        limiter: createRateLimiter({
          mode: 'redis',
          redis: redis.client,
          keyPrefix: 'rl:',
          onRedisFailure: mode,
          timeoutMs: TIMEOUT_MS,
          breaker: { failureThreshold: 5, cooldownMs: 300 },
          metrics: registry,
          logger: logger as unknown as Logger,
        }),
      };
    });
  });

  afterAll(async () => {
    await redis?.close();
    if (server) await stopRedis(server);
  });

  it('degrades per mode without hanging while Redis is down, and recovers when it is back', async () => {
    const limits = compileLimits({
      rateLimits: [{ name: 'per-hour', limit: 1_000_000, windowMs: 3_600_000 }],
      monthlyQuota: null,
    });
    let slowest = 0;
    let running = true;
    let backOnRedis = false;
    const load = (async () => {
      let i = 0;
      while (running) {
        await Promise.all(
          modes.flatMap((m) =>
            Array.from({ length: 10 }, async () => {
              const started = performance.now();
              const d = await m.limiter.check({
                scope: `key_${i++ % 7}`,
                limits,
                cost: 1,
                now: Date.now(),
              });
              slowest = Math.max(slowest, performance.now() - started);
              m.seen.add(d.decidedBy);
              return d;
            }),
          ),
        );
        await sleep(10);
      }
    })();

    await eventually(() => modes.every((m) => m.seen.has('redis')), 10_000, 'decisions by Redis');
    for (const m of modes) m.seen.clear();

    await stopRedis(server);
    // Down long enough for every breaker to open and every mode to have decided without Redis.
    await eventually(
      async () => {
        for (const m of modes)
          if (!m.seen.has(m.mode) || (await gauge(m.registry, 'edge_ratelimit_breaker_open')) !== 1)
            return false;
        return true;
      },
      10_000,
      'every breaker open',
    );
    for (const m of modes) {
      // Calls in flight when Redis died may still have been decided by it.
      expect([...m.seen].filter((d) => d !== 'redis')).toEqual([m.mode]);
      expect(await gauge(m.registry, 'edge_ratelimit_breaker_open')).toBe(1);
      expect(await gauge(m.registry, 'edge_ratelimit_redis_failures_total')).toBeGreaterThan(0);
      expect(m.logger.warn).toHaveBeenCalledTimes(1);
    }

    server = await startRedis(port);
    // Back on Redis: a whole 400 ms of decisions in every mode came from Redis alone.
    await eventually(
      async () => {
        for (const m of modes) m.seen.clear();
        await sleep(400);
        backOnRedis = modes.every((m) => m.seen.size === 1 && m.seen.has('redis'));
        return backOnRedis;
      },
      15_000,
      'every mode to decide on Redis again',
    );
    running = false;
    await load;

    expect(backOnRedis).toBe(true);
    console.info(`redis down and back: slowest check ${slowest.toFixed(1)} ms`);
    expect(slowest).toBeLessThan(MAX_CALL_MS);
    for (const m of modes) {
      expect(await gauge(m.registry, 'edge_ratelimit_breaker_open')).toBe(0);
      expect(m.logger.warn).toHaveBeenCalledTimes(1);
      expect(m.logger.info).toHaveBeenCalledTimes(1);
    }
  });
});

describe('rate limiter against a hung redis-server (SIGSTOP)', () => {
  let server: ChildProcess;
  let redis: RedisClient;

  beforeAll(async () => {
    const port = await freePort();
    server = await startRedis(port);
    redis = createRedis({ url: `redis://127.0.0.1:${port}`, onError: () => {} });
    if (redis.client.status !== 'ready') await once(redis.client, 'ready');
  });

  afterAll(async () => {
    if (server.signalCode === null) server.kill('SIGCONT');
    await redis?.close();
    await stopRedis(server);
  });

  it('answers within the timeout while Redis does not answer at all', async () => {
    const limiter = createRateLimiter({
      mode: 'redis',
      redis: redis.client,
      onRedisFailure: 'local',
      timeoutMs: TIMEOUT_MS,
      breaker: { failureThreshold: 3, cooldownMs: 200 },
    });
    const limits = compileLimits({
      rateLimits: [{ name: 'per-hour', limit: 5, windowMs: 3_600_000 }],
      monthlyQuota: null,
    });
    const check = () => limiter.check({ scope: 'key_hung', limits, cost: 1, now: Date.now() });
    expect((await check()).decidedBy).toBe('redis');

    server.kill('SIGSTOP');
    const timings: number[] = [];
    const decidedBy = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      decidedBy.add((await check()).decidedBy);
      timings.push(performance.now() - started);
    }
    expect([...decidedBy]).toEqual(['local']);
    console.info(`redis hung: slowest check ${Math.max(...timings).toFixed(1)} ms`);
    expect(Math.max(...timings)).toBeLessThan(MAX_CALL_MS);
    // Only the first calls and the probes wait for the deadline; the open breaker answers at once.
    expect(timings.filter((t) => t >= TIMEOUT_MS).length).toBeLessThan(10);

    server.kill('SIGCONT');
    await vi.waitFor(
      async () => {
        await sleep(250);
        expect((await check()).decidedBy).toBe('redis');
      },
      { timeout: 10_000, interval: 50 },
    );
  });
});

async function gauge(registry: Registry, name: string): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  return (await metric.get()).values.reduce((sum, v) => sum + v.value, 0);
}
