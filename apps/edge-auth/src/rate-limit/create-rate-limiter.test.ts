import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import { compileLimits } from './compile-limits';
import { createRateLimiter, ResilientLimiter, type RedisFailureMode } from './create-rate-limiter';
import { rateLimitMetrics } from './rate-limit-metrics';
import type { LimitDecision, LimitRequest, RateLimiter } from './types';

const NOW = Date.UTC(2024, 4, 15, 10, 30, 0, 250);
const limits = compileLimits({
  rateLimits: [{ name: 'per-minute', limit: 2, windowMs: 60_000 }],
  monthlyQuota: 100,
});
const request = (scope = 'key_a'): LimitRequest => ({ scope, limits, cost: 1, now: NOW });

/** Stands in for Redis: answers, fails or hangs on demand. */
class FakeStore implements RateLimiter {
  behaviour: 'ok' | 'fail' | 'hang' = 'ok';
  calls = 0;
  async check(): Promise<LimitDecision> {
    this.calls++;
    if (this.behaviour === 'fail') throw new Error('Connection is closed.');
    if (this.behaviour === 'hang') return new Promise<LimitDecision>(() => {});
    return { allowed: true, violated: null, policies: [], decidedBy: 'redis' };
  }
  async close(): Promise<void> {}
}

function setup(onRedisFailure: RedisFailureMode) {
  let clock = 0;
  const registry = new Registry();
  const logger = { warn: vi.fn(), info: vi.fn() };
  const store = new FakeStore();
  const limiter = new ResilientLimiter(store, {
    onRedisFailure,
    timeoutMs: 20,
    breaker: { failureThreshold: 3, cooldownMs: 1_000 },
    metrics: rateLimitMetrics(registry),
    logger: logger as unknown as Logger,
    clock: () => clock,
  });
  const metric = async (name: string) => (await registry.getSingleMetric(name)!.get()).values;
  return {
    store,
    limiter,
    logger,
    metric,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

describe('ResilientLimiter', () => {
  it('decides with Redis while it answers', async () => {
    const { limiter, metric } = setup('fail-closed');
    expect((await limiter.check(request())).decidedBy).toBe('redis');
    expect(await metric('edge_ratelimit_decisions_total')).toContainEqual(
      expect.objectContaining({ labels: { decided_by: 'redis', result: 'allowed' }, value: 1 }),
    );
  });

  it('gives up on a hanging Redis after timeoutMs', async () => {
    const { store, limiter } = setup('fail-open');
    store.behaviour = 'hang';
    // Timers faked: the answer comes exactly at the 20 ms deadline, not a moment before.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let decision: LimitDecision | undefined;
    try {
      void limiter.check(request()).then((d) => (decision = d));
      await vi.advanceTimersByTimeAsync(19);
      expect(decision).toBeUndefined();
      await vi.advanceTimersByTimeAsync(1);
    } finally {
      vi.useRealTimers();
    }
    expect(decision).toMatchObject({ allowed: true, violated: null, decidedBy: 'fail-open' });
    expect(decision!.policies).toEqual([
      { name: 'per-minute', limit: 2, remaining: 2, resetMs: 59_750 },
      { name: 'monthly-quota', limit: 100, remaining: 100, resetMs: Date.UTC(2024, 5, 1) - NOW },
    ]);
  });

  it('fails closed with a retry after the cooldown', async () => {
    const { store, limiter } = setup('fail-closed');
    store.behaviour = 'fail';
    const decision = await limiter.check(request());
    expect(decision).toMatchObject({
      allowed: false,
      violated: { kind: 'rate', name: 'unavailable', retryAfterMs: 1_000 },
      decidedBy: 'fail-closed',
    });
    expect(decision.policies.map((p) => p.remaining)).toEqual([0, 0]);
  });

  it('enforces the same limits locally while Redis fails', async () => {
    const { store, limiter } = setup('local');
    store.behaviour = 'fail';
    const decisions = [];
    for (let i = 0; i < 3; i++) decisions.push(await limiter.check(request()));
    expect(decisions.map((d) => [d.decidedBy, d.allowed])).toEqual([
      ['local', true],
      ['local', true],
      ['local', false],
    ]);
    expect(decisions[2]!.violated).toMatchObject({ kind: 'rate', name: 'per-minute' });
  });

  it('opens the breaker after consecutive failures, probes after the cooldown, closes on success', async () => {
    const { store, limiter, logger, metric, advance } = setup('fail-open');
    store.behaviour = 'fail';
    for (let i = 0; i < 10; i++) await limiter.check(request());
    expect(store.calls).toBe(3);
    expect(limiter.breakerState).toBe('open');
    expect((await metric('edge_ratelimit_breaker_open'))[0]!.value).toBe(1);
    expect((await metric('edge_ratelimit_redis_failures_total'))[0]!.value).toBe(3);
    expect(logger.warn).toHaveBeenCalledTimes(1);

    // A failed probe keeps it open for another cooldown, without logging again.
    advance(1_000);
    await limiter.check(request());
    expect(store.calls).toBe(4);
    await limiter.check(request());
    expect(store.calls).toBe(4);
    expect(logger.warn).toHaveBeenCalledTimes(1);

    store.behaviour = 'ok';
    advance(1_000);
    expect((await limiter.check(request())).decidedBy).toBe('redis');
    expect(limiter.breakerState).toBe('closed');
    expect((await limiter.check(request())).decidedBy).toBe('redis');
    expect(logger.info).toHaveBeenCalledTimes(1);
    expect((await metric('edge_ratelimit_breaker_open'))[0]!.value).toBe(0);
    expect(await metric('edge_ratelimit_decisions_total')).toContainEqual(
      expect.objectContaining({
        labels: { decided_by: 'fail-open', result: 'allowed' },
        value: 12,
      }),
    );
  });

  it('lets only one probe through while half-open', async () => {
    const { store, limiter, advance } = setup('fail-open');
    store.behaviour = 'fail';
    for (let i = 0; i < 3; i++) await limiter.check(request());
    store.behaviour = 'hang';
    advance(1_000);
    const decisions = await Promise.all(Array.from({ length: 5 }, () => limiter.check(request())));
    expect(store.calls).toBe(4);
    expect(decisions.every((d) => d.decidedBy === 'fail-open')).toBe(true);
  });

  it('rejects programmer errors without counting them as Redis failures', async () => {
    const { store, limiter, metric } = setup('fail-open');
    await expect(limiter.check({ ...request(), cost: 0 })).rejects.toThrow(TypeError);
    expect(store.calls).toBe(0);
    expect((await metric('edge_ratelimit_redis_failures_total'))[0]!.value).toBe(0);
  });
});

describe('createRateLimiter', () => {
  it('needs a connection in redis mode', () => {
    expect(() => createRateLimiter({ mode: 'redis' })).toThrow(TypeError);
  });

  it('shares metrics when two limiters use one registry', () => {
    const registry = new Registry();
    createRateLimiter({ mode: 'memory', metrics: registry });
    expect(() => createRateLimiter({ mode: 'memory', metrics: registry })).not.toThrow();
  });
});
