import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { RedisConnection } from '@tollgate/redis';
import { CircuitBreaker } from './circuit-breaker';
import { assertValidRequest, planOf, type LimitEntry, type LimitsPlan } from './compile-limits';
import { msUntilMonthEnd } from './calendar-month';
import { MemoryLimiter } from './memory-store';
import { rateLimitMetrics, type RateLimitMetrics } from './rate-limit-metrics';
import { LeasedLimiter, type LeaseOptions } from './leased-store';
import { RedisLimiter } from './redis-store';
import type { LimitDecision, LimitRequest, PolicyState, RateLimiter } from './types';

export type RedisFailureMode = 'fail-open' | 'fail-closed' | 'local';

export interface RateLimiterOptions {
  /** 'redis': strict and shared by all replicas; 'memory': one instance without Redis. */
  mode: 'redis' | 'memory';
  /** Required in 'redis' mode (ioredis Redis or Cluster from @tollgate/redis). */
  redis?: RedisConnection;
  /** Prefix of the per-scope hashes; default 'rl:'. */
  keyPrefix?: string;
  /** What decides while Redis fails; default 'local'. */
  onRedisFailure?: RedisFailureMode;
  /** Per-call Redis budget before degrading; default 50 ms. */
  timeoutMs?: number;
  breaker?: { failureThreshold?: number; cooldownMs?: number };
  metrics?: Registry;
  logger?: Logger;
  /** Scope cap of the in-memory store (memory mode and the 'local' fallback); default 100 000. */
  maxLocalScopes?: number;
  /** Breaker clock, for tests. */
  clock?: () => number;
  /**
   * 'redis' mode only: take leases of the remaining budget and admit locally while they last
   * (see leased-store.ts) instead of one Redis call per request (strict). Never over-admits.
   */
  leases?: LeaseOptions | false;
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const metrics = rateLimitMetrics(options.metrics ?? new Registry());
  if (options.mode === 'memory') {
    return new CountingLimiter(
      new MemoryLimiter({ maxScopes: options.maxLocalScopes, decidedBy: 'memory' }),
      metrics,
    );
  }
  if (options.mode !== 'redis')
    throw new TypeError(`unknown rate limiter mode '${String(options.mode)}'`);
  if (options.redis === undefined)
    throw new TypeError("rate limiter mode 'redis' needs a redis connection");
  const keyPrefix = options.keyPrefix ?? 'rl:';
  const logger = options.logger;
  const primary = options.leases
    ? new LeasedLimiter({
        ...options.leases,
        redis: options.redis,
        keyPrefix,
        onReturnError: (err) => logger?.debug({ err }, 'rate limiter: a lease give-back failed'),
      })
    : new RedisLimiter({ redis: options.redis, keyPrefix });
  return new ResilientLimiter(primary, { ...options, metrics });
}

class CountingLimiter implements RateLimiter {
  constructor(
    private readonly inner: RateLimiter,
    private readonly metrics: RateLimitMetrics,
  ) {}

  async check(req: LimitRequest): Promise<LimitDecision> {
    const decision = await this.inner.check(req);
    this.metrics.decision(decision.decidedBy, decision.allowed);
    return decision;
  }

  checkLocal(req: LimitRequest): LimitDecision | null {
    const decision = this.inner.checkLocal?.(req) ?? null;
    if (decision !== null) this.metrics.decision(decision.decidedBy, decision.allowed);
    return decision;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

export interface ResilientLimiterOptions extends Omit<RateLimiterOptions, 'mode' | 'metrics'> {
  metrics: RateLimitMetrics;
}

/**
 * Puts a deadline and a circuit breaker in front of the shared store: a request never waits on
 * Redis longer than `timeoutMs`, and after repeated failures Redis is skipped for a cooldown.
 */
export class ResilientLimiter implements RateLimiter {
  private readonly breaker: CircuitBreaker;
  private readonly fallback: RedisFailureMode;
  private readonly local: MemoryLimiter | null;
  private readonly timeoutMs: number;
  private readonly cooldownMs: number;
  private readonly metrics: RateLimitMetrics;
  private lastError: unknown = null;

  constructor(
    private readonly primary: RateLimiter,
    options: ResilientLimiterOptions,
  ) {
    this.fallback = options.onRedisFailure ?? 'local';
    if (!['fail-open', 'fail-closed', 'local'].includes(this.fallback)) {
      throw new TypeError(`unknown onRedisFailure '${this.fallback}'`);
    }
    this.timeoutMs = options.timeoutMs ?? 50;
    if (!Number.isFinite(this.timeoutMs) || this.timeoutMs <= 0) {
      throw new TypeError('timeoutMs must be a positive number');
    }
    this.cooldownMs = options.breaker?.cooldownMs ?? 1_000;
    this.metrics = options.metrics;
    this.local =
      this.fallback === 'local'
        ? new MemoryLimiter({ maxScopes: options.maxLocalScopes, decidedBy: 'local' })
        : null;
    const logger = options.logger;
    this.breaker = new CircuitBreaker({
      failureThreshold: options.breaker?.failureThreshold ?? 5,
      cooldownMs: this.cooldownMs,
      clock: options.clock,
      onOpen: () => {
        this.metrics.breakerOpen(true);
        logger?.warn(
          { err: this.lastError, cooldownMs: this.cooldownMs, fallback: this.fallback },
          'rate limiter: Redis failing, circuit breaker opened; deciding with %s',
          this.fallback,
        );
      },
      onClose: () => {
        this.metrics.breakerOpen(false);
        logger?.info('rate limiter: Redis recovered, circuit breaker closed');
      },
    });
    this.metrics.breakerOpen(false);
  }

  get breakerState() {
    return this.breaker.state;
  }

  /** Tokens already leased from Redis are good whatever Redis's state now: no deadline, no I/O. */
  checkLocal(req: LimitRequest): LimitDecision | null {
    assertValidRequest(req);
    const decision = this.primary.checkLocal?.(req) ?? null;
    if (decision !== null) this.metrics.decision(decision.decidedBy, decision.allowed);
    return decision;
  }

  async check(req: LimitRequest): Promise<LimitDecision> {
    let decision = this.checkLocal(req);
    if (decision !== null) return decision;
    if (this.breaker.tryAcquire()) {
      try {
        decision = await withTimeout(this.primary.check(req), this.timeoutMs);
        this.breaker.onSuccess();
      } catch (err) {
        this.lastError = err;
        this.metrics.redisFailure();
        this.breaker.onFailure();
        decision = this.degrade(req);
      }
    } else {
      decision = this.degrade(req);
    }
    this.metrics.decision(decision.decidedBy, decision.allowed);
    return decision;
  }

  async close(): Promise<void> {
    await this.local?.close();
    await this.primary.close();
  }

  private degrade(req: LimitRequest): LimitDecision {
    if (this.local !== null) return this.local.checkLocal(req);
    const plan = planOf(req.limits);
    if (this.fallback === 'fail-open') {
      return {
        allowed: true,
        violated: null,
        policies: unknownState(plan, req.now, true),
        decidedBy: 'fail-open',
      };
    }
    return {
      allowed: false,
      violated: { kind: 'rate', name: 'unavailable', retryAfterMs: this.cooldownMs },
      policies: unknownState(plan, req.now, false),
      decidedBy: 'fail-closed',
    };
  }
}

/** Best effort without the counters: full (fail-open) or empty (fail-closed) windows. */
function unknownState(plan: LimitsPlan, now: number, full: boolean): PolicyState[] {
  const entries = plan.entries;
  const policies = new Array<PolicyState>(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as LimitEntry;
    policies[i] = {
      name: e.name,
      limit: e.limit,
      remaining: full ? e.limit : 0,
      resetMs: e.windowMs === 0 ? msUntilMonthEnd(now) : e.windowMs - (now % e.windowMs),
    };
  }
  return policies;
}

export class RateLimitTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`rate limit store did not answer within ${timeoutMs} ms`);
    this.name = 'RateLimitTimeoutError';
  }
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new RateLimitTimeoutError(timeoutMs)), timeoutMs);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
