import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis, type RedisClient } from '@tollgate/redis';
import { createTestRedis, eventually, type TestRedis } from '@tollgate/test-infra';
import type { RedisFailureMode } from '../rate-limit';
import { clientBudgetMetrics, createClientBudget, type ClientBudget } from './client-budget';

const NOW = 1_800_000_000_000;

describe('per-client budgets in Redis (failed auth, lookups), shared by replicas', () => {
  let redis: TestRedis;
  let connection: RedisClient;
  let unreachable: RedisClient;

  beforeAll(async () => {
    redis = await createTestRedis('edge_budget');
    connection = createRedis({ url: redis.url });
    // No offline queue: commands fail until connected, as they would in the app before it is ready.
    await eventually(
      () =>
        connection.checkReady().then(
          () => true,
          () => false,
        ),
      5_000,
      'Redis',
    );
    unreachable = createRedis({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 50 });
  });
  afterAll(async () => {
    await connection?.close();
    await unreachable?.close();
    await redis?.cleanup();
  });

  const budget = (
    through: RedisClient,
    onRedisFailure: RedisFailureMode = 'local',
    registry = new Registry(),
  ): ClientBudget =>
    createClientBudget({
      name: 'failed-auth',
      windowMs: 60_000,
      redis: through.client,
      keyPrefix: redis.keyPrefix,
      onRedisFailure,
      timeoutMs: 200,
      breaker: { failureThreshold: 2, cooldownMs: 60_000 },
      metrics: clientBudgetMetrics(registry),
      logger: pino({ level: 'silent' }),
      now: () => NOW,
    });

  it('counts every replica’s attempts for a client in one window', async () => {
    const [replicaA, replicaB] = [budget(connection), budget(connection)];
    for (let i = 0; i < 3; i++) await replicaA.increment('203.0.113.1');
    for (let i = 0; i < 2; i++) await replicaB.increment('203.0.113.1');
    expect(await replicaA.peek('203.0.113.1')).toEqual({
      count: 5,
      resetMs: 60_000 - (NOW % 60_000),
    });
    expect(await replicaB.peek('203.0.113.1')).toMatchObject({ count: 5 });
    expect(await replicaB.peek('203.0.113.2')).toMatchObject({ count: 0 });
    // The window's key expires with the window.
    expect((await redis.keys()).length).toBe(1);
  });

  it('decides by REDIS_FAILURE_MODE while Redis cannot be reached', async () => {
    const registry = new Registry();
    const local = budget(unreachable, 'local', registry);
    for (let i = 0; i < 3; i++) await local.increment('203.0.113.9');
    expect(await local.peek('203.0.113.9')).toMatchObject({ count: 3 });
    expect(await registry.metrics()).toMatch(
      /edge_client_budget_fallbacks_total\{budget="failed-auth"\} [1-9]/,
    );
    expect(await registry.metrics()).toMatch(
      /edge_client_budget_breaker_open\{budget="failed-auth"\} 1/,
    );

    const open = budget(unreachable, 'fail-open');
    await open.increment('203.0.113.9');
    expect(await open.peek('203.0.113.9')).toMatchObject({ count: 0 });

    const closed = budget(unreachable, 'fail-closed');
    expect(await closed.peek('203.0.113.9')).toEqual({ unavailable: true });
  });
});
