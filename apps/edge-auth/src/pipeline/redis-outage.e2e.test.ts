import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startEdge,
  startKeyServiceProcess,
  type EdgeUnderTest,
  type KeyServiceProcess,
} from '../testing/edge-test-kit';
import { freePort, startRedis, stopRedis, eventually } from '@tollgate/test-infra';
import { windowWithRoom } from '../testing/limit-windows';

/** The limiter's deadline for Redis, and what a request may take beyond it on a loaded 2-core box. */
const REDIS_DEADLINE_MS = 200;
const SLACK_MS = 500;

/** edge-auth on a private Redis that the test kills mid-load and brings back. */
describe('edge-auth through a Redis outage (private redis-server, real key-service and Kafka)', () => {
  let ks: KeyServiceProcess;
  let port: number;
  let redis: ChildProcess | undefined;

  beforeAll(async () => {
    ks = await startKeyServiceProcess();
    port = await freePort();
    redis = await startRedis(port);
  }, 120_000);
  afterAll(async () => {
    if (redis) await stopRedis(redis);
    await ks?.stop();
  });

  async function underLoad(edge: EdgeUnderTest, key: string) {
    const statuses: number[] = [];
    const slowest = { ms: 0 };
    const call = async () => {
      const started = performance.now();
      const res = await edge.app.inject({
        url: '/verify',
        headers: { authorization: `Bearer ${key}`, 'x-original-uri': '/v1/x' },
      });
      slowest.ms = Math.max(slowest.ms, performance.now() - started);
      statuses.push(res.statusCode);
      return res;
    };
    const burst = (n: number) => Promise.all(Array.from({ length: n }, call));
    return { statuses, slowest, call, burst };
  }

  const decidedBy = async (edge: EdgeUnderTest, by: string) => {
    const body = (await edge.app.inject('/metrics')).body;
    const line = body
      .split('\n')
      .find((l) =>
        l.startsWith(`edge_ratelimit_decisions_total{decided_by="${by}",result="allowed"`),
      );
    return Number(line?.split(' ').at(-1) ?? 0);
  };

  it.each([
    { mode: 'local', during: [200] },
    { mode: 'fail-open', during: [200] },
    { mode: 'fail-closed', during: [503] },
  ])(
    'strict, $mode: no hang and the configured fallback while Redis is down, back to Redis after',
    async ({ mode, during }) => {
      const edge = await startEdge(ks, {
        RATE_LIMIT_STRATEGY: 'strict',
        REDIS_URL: `redis://127.0.0.1:${port}`,
        REDIS_FAILURE_MODE: mode,
        REDIS_LIMIT_TIMEOUT_MS: String(REDIS_DEADLINE_MS),
        REDIS_BREAKER_COOLDOWN_MS: '300',
      });
      try {
        const accountId = await ks.createAccount('plan_enterprise');
        const { plaintext } = await ks.issueKey(accountId);
        const load = await underLoad(edge, plaintext);
        await eventually(async () => (await load.call()).statusCode === 200, 10_000, 'key known');
        await load.burst(20);
        expect(await decidedBy(edge, 'redis')).toBeGreaterThan(0);

        await stopRedis(redis!);
        redis = undefined;
        load.statuses.length = 0;
        load.slowest.ms = 0;
        for (let i = 0; i < 5; i++) await load.burst(10);
        const outage = [...new Set(load.statuses)];
        expect(outage.filter((s) => ![...during, 429].includes(s))).toEqual([]);
        expect(outage.some((s) => during.includes(s))).toBe(true);
        console.info(`redis outage (${mode}): slowest decision ${load.slowest.ms.toFixed(1)} ms`);
        // Waiting for a reconnect, or for ioredis' own 4× longer command timeout, would exceed it.
        expect(load.slowest.ms).toBeLessThan(REDIS_DEADLINE_MS + SLACK_MS);
        const metrics = (await edge.app.inject('/metrics')).body;
        expect(metrics).toMatch(/edge_ratelimit_breaker_open\{service="edge-auth"\} 1/);
        expect(edge.logs.join('')).toMatch(/"level":40.*(breaker|redis)/i);

        redis = await startRedis(port);
        const before = await decidedBy(edge, 'redis');
        await eventually(
          async () => {
            await load.burst(5);
            return (await decidedBy(edge, 'redis')) > before;
          },
          20_000,
          'decisions from Redis again',
        );
      } finally {
        await edge.close();
        if (!redis) redis = await startRedis(port);
      }
    },
    60_000,
  );

  it('leased, fail-closed: tokens already leased keep answering while Redis is down, at once', async () => {
    const edge = await startEdge(ks, {
      RATE_LIMIT_STRATEGY: 'leased',
      REDIS_URL: `redis://127.0.0.1:${port}`,
      REDIS_FAILURE_MODE: 'fail-closed',
      REDIS_LIMIT_TIMEOUT_MS: String(REDIS_DEADLINE_MS),
      REDIS_BREAKER_COOLDOWN_MS: '300',
    });
    try {
      // One long window with room: a lease of up to 1000 units (a short burst window would keep
      // leases to a few units, and its lease ends with its second).
      await ks.createPlan('plan_lease_outage', {
        rateLimits: [
          { name: 'per-hour', limit: 1_000_000, windowMs: windowWithRoom(3_600_000, 20 * 60_000) },
        ],
        monthlyQuota: null,
        limitScope: 'key',
      });
      const accountId = await ks.createAccount('plan_lease_outage');
      const { plaintext } = await ks.issueKey(accountId);
      const load = await underLoad(edge, plaintext);
      await eventually(async () => (await load.call()).statusCode === 200, 10_000, 'key known');
      // The first decision took a lease.
      await load.burst(20);
      expect(await decidedBy(edge, 'redis')).toBeGreaterThan(0);
      const leasedBefore = await decidedBy(edge, 'lease');
      expect(leasedBefore).toBeGreaterThan(0);

      await stopRedis(redis!);
      redis = undefined;
      load.statuses.length = 0;
      load.slowest.ms = 0;
      for (let i = 0; i < 5; i++) await load.burst(10);
      // Those units were counted in Redis when leased: admitting them now is still exact, and
      // needs no call that could hang.
      expect(load.statuses).toEqual(new Array(50).fill(200));
      expect((await decidedBy(edge, 'lease')) - leasedBefore).toBe(50);
      expect(load.slowest.ms).toBeLessThan(SLACK_MS);
    } finally {
      await edge.close();
      if (!redis) redis = await startRedis(port);
    }
  }, 60_000);
});
