import { Counter, Gauge, type Metric, type Registry } from 'prom-client';
import type { DecidedBy } from './types';

const DECIDERS: readonly DecidedBy[] = [
  'redis',
  'lease',
  'memory',
  'fail-open',
  'fail-closed',
  'local',
];

export interface RateLimitMetrics {
  /** Pre-bound children, so recording a decision does no label lookup. */
  decision(decidedBy: string, allowed: boolean): void;
  redisFailure(): void;
  breakerOpen(open: boolean): void;
}

function getOrCreate<T extends Metric>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

export function rateLimitMetrics(registry: Registry): RateLimitMetrics {
  const registers = [registry];
  const decisions = getOrCreate(
    registry,
    'edge_ratelimit_decisions_total',
    () =>
      new Counter({
        name: 'edge_ratelimit_decisions_total',
        help: 'Rate-limit decisions by deciding path and result',
        labelNames: ['decided_by', 'result'] as const,
        registers,
      }),
  );
  const failures = getOrCreate(
    registry,
    'edge_ratelimit_redis_failures_total',
    () =>
      new Counter({
        name: 'edge_ratelimit_redis_failures_total',
        help: 'Rate-limit Redis calls that failed or timed out',
        registers,
      }),
  );
  const breaker = getOrCreate(
    registry,
    'edge_ratelimit_breaker_open',
    () =>
      new Gauge({
        name: 'edge_ratelimit_breaker_open',
        help: '1 while the rate-limit Redis circuit breaker is open',
        registers,
      }),
  );
  const children = new Map<string, { allowed: Counter.Internal; denied: Counter.Internal }>();
  for (const by of DECIDERS) {
    children.set(by, {
      allowed: decisions.labels({ decided_by: by, result: 'allowed' }),
      denied: decisions.labels({ decided_by: by, result: 'denied' }),
    });
  }
  return {
    decision(decidedBy, allowed) {
      const child = children.get(decidedBy);
      if (child === undefined) {
        decisions.inc({ decided_by: decidedBy, result: allowed ? 'allowed' : 'denied' });
      } else {
        (allowed ? child.allowed : child.denied).inc();
      }
    },
    redisFailure() {
      failures.inc();
    },
    breakerOpen(open) {
      breaker.set(open ? 1 : 0);
    },
  };
}
