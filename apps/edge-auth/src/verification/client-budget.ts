import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { RedisConnection } from '@tollgate/redis';
import { CircuitBreaker } from '../rate-limit/circuit-breaker';
import type { RedisFailureMode } from '../rate-limit';
import { FixedWindowCounter } from './fixed-window-counter';

/** A client's use of a budget in the current fixed window, or that it cannot be known now. */
export type BudgetUse = { count: number; resetMs: number } | { unavailable: true };

/**
 * Per-client counts in fixed windows (failed-auth attempts, key-service lookups): in Redis so
 * every replica sees every attempt, in process memory without Redis.
 */
export interface ClientBudget {
  /** The count in the current window, without counting. */
  peek(client: string): Promise<BudgetUse>;
  /** Counts one for `client`; the count after it. */
  increment(client: string): Promise<BudgetUse>;
}

export interface ClientBudgetOptions {
  /** Names the budget in Redis keys, logs and metrics, e.g. `failed-auth`. */
  name: string;
  windowMs: number;
  /** Without it, the budget lives in process memory (RATE_LIMIT_STORE=memory). */
  redis?: RedisConnection;
  keyPrefix: string;
  /** What decides while Redis fails, as for the rate limits. */
  onRedisFailure: RedisFailureMode;
  timeoutMs: number;
  breaker: { failureThreshold: number; cooldownMs: number };
  metrics: ClientBudgetMetrics;
  logger: Logger;
  /** Clients tracked in memory at once (memory mode and the `local` fallback). */
  maxLocalClients?: number;
  now?: () => number;
}

/** Shared by every budget of one app. */
export function clientBudgetMetrics(registry: Registry) {
  return {
    breakerOpen: new Gauge({
      name: 'edge_client_budget_breaker_open',
      help: 'Whether Redis is skipped for a per-client budget (1) or used (0)',
      labelNames: ['budget'] as const,
      registers: [registry],
    }),
    fallbacks: new Counter({
      name: 'edge_client_budget_fallbacks_total',
      help: 'Per-client budget checks decided without Redis (by REDIS_FAILURE_MODE)',
      labelNames: ['budget'] as const,
      registers: [registry],
    }),
  };
}
export type ClientBudgetMetrics = ReturnType<typeof clientBudgetMetrics>;

/** INCRBY, and the window's expiry with the first count of it. */
const INCREMENT_SCRIPT = `
local n = redis.call('INCRBY', KEYS[1], 1)
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
`;
const COMMAND = 'tollgateBudgetIncrement';
interface IncrementCommand {
  tollgateBudgetIncrement(key: string, ttlMs: number): Promise<number>;
}

export function createClientBudget(options: ClientBudgetOptions): ClientBudget {
  const now = options.now ?? Date.now;
  const local = () =>
    new LocalBudget(
      new FixedWindowCounter({
        windowMs: options.windowMs,
        maxEntries: options.maxLocalClients ?? 100_000,
        now,
      }),
    );
  if (options.redis === undefined) return local();
  const fallback = options.onRedisFailure === 'local' ? local() : null;
  return new SharedBudget(options.redis, options, now, fallback);
}

class LocalBudget implements ClientBudget {
  constructor(private readonly counter: FixedWindowCounter) {}

  peek(client: string): Promise<BudgetUse> {
    return Promise.resolve(this.counter.peek(client));
  }

  increment(client: string): Promise<BudgetUse> {
    return Promise.resolve(this.counter.increment(client));
  }
}

/**
 * The budget in Redis behind a deadline and a circuit breaker, like the rate limits: while Redis
 * fails, `local` counts per replica, `fail-open` counts nothing (never refuses), `fail-closed`
 * reports the budget unavailable (requests that need it are refused with 503).
 */
class SharedBudget implements ClientBudget {
  private readonly client: RedisConnection & IncrementCommand;
  private readonly breaker: CircuitBreaker;
  private readonly fallbacks: Counter<'budget'>;
  private lastError: unknown;

  constructor(
    redis: RedisConnection,
    private readonly options: ClientBudgetOptions,
    private readonly now: () => number,
    private readonly local: LocalBudget | null,
  ) {
    redis.defineCommand(COMMAND, { numberOfKeys: 1, lua: INCREMENT_SCRIPT });
    this.client = redis as RedisConnection & IncrementCommand;
    const labels = { budget: options.name };
    const { breakerOpen, fallbacks } = options.metrics;
    this.fallbacks = fallbacks;
    breakerOpen.set(labels, 0);
    this.breaker = new CircuitBreaker({
      ...options.breaker,
      clock: now,
      onOpen: () => {
        breakerOpen.set(labels, 1);
        options.logger.warn(
          { err: this.lastError, budget: options.name, fallback: options.onRedisFailure },
          'client budget: Redis failing, circuit breaker opened; deciding with %s',
          options.onRedisFailure,
        );
      },
      onClose: () => {
        breakerOpen.set(labels, 0);
        options.logger.info({ budget: options.name }, 'client budget: Redis recovered');
      },
    });
  }

  peek(client: string): Promise<BudgetUse> {
    const { key, resetMs } = this.window(client);
    return this.shared(
      async () => ({ count: Number((await this.client.get(key)) ?? 0), resetMs }),
      () => this.local?.peek(client),
      resetMs,
    );
  }

  increment(client: string): Promise<BudgetUse> {
    const { key, resetMs } = this.window(client);
    return this.shared(
      async () => ({ count: await this.client.tollgateBudgetIncrement(key, resetMs), resetMs }),
      () => this.local?.increment(client),
      resetMs,
    );
  }

  private window(client: string): { key: string; resetMs: number } {
    const now = this.now();
    const window = Math.floor(now / this.options.windowMs);
    return {
      key: `${this.options.keyPrefix}${this.options.name}:{${client}}:${window}`,
      resetMs: (window + 1) * this.options.windowMs - now,
    };
  }

  private async shared(
    remote: () => Promise<BudgetUse>,
    local: () => Promise<BudgetUse> | undefined,
    resetMs: number,
  ): Promise<BudgetUse> {
    if (this.breaker.tryAcquire()) {
      try {
        const use = await withTimeout(remote(), this.options.timeoutMs);
        this.breaker.onSuccess();
        return use;
      } catch (err) {
        this.lastError = err;
        this.breaker.onFailure();
      }
    }
    this.fallbacks.inc({ budget: this.options.name });
    if (this.options.onRedisFailure === 'fail-open') return { count: 0, resetMs };
    if (this.options.onRedisFailure === 'fail-closed') return { unavailable: true };
    return (await local()) ?? { count: 0, resetMs };
  }
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`client budget store did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
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
