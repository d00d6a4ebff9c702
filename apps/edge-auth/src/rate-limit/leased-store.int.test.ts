import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis, type RedisClient } from '@tollgate/redis';
import { createTestRedis, startRedisCluster, type TestRedisCluster } from '@tollgate/test-infra';
import { windowWithRoom } from '../testing/limit-windows';
import { compileLimits } from './compile-limits';
import { createRateLimiter } from './create-rate-limiter';
import { LeasedLimiter, type LeaseOptions } from './leased-store';
import { describeLimiterContract } from './limiter-contract';
import type { CompiledLimits, RateLimiter } from './types';

const HOUR = 3_600_000;
/** Windows in these tests have this long to run, far more than a test takes: none rolls over. */
const ROOM = 20 * 60_000;
/** The quota's month comes from the caller's clock: a fixed mid-month instant. */
const NOW = Date.UTC(2026, 5, 15, 12, 0, 0);

/** Where the counters live: the shared Redis (own key prefix), or a private 3-master Cluster. */
interface Backend {
  url: string;
  cluster: boolean;
  keyPrefix: string;
  cleanup(): Promise<void>;
}

let cluster: Promise<TestRedisCluster> | undefined;
afterAll(async () => {
  await (await cluster)?.stop();
});
let prefixSeq = 0;
const BACKENDS = {
  redis: async (): Promise<Backend> => {
    const testRedis = await createTestRedis('ratelimit_lease');
    return {
      url: testRedis.url,
      cluster: false,
      keyPrefix: testRedis.keyPrefix,
      cleanup: () => testRedis.cleanup(),
    };
  },
  'redis cluster': async (): Promise<Backend> => {
    const { url } = await (cluster ??= startRedisCluster(3));
    return {
      url,
      cluster: true,
      keyPrefix: `lease${++prefixSeq}:`,
      cleanup: async () => undefined,
    };
  },
};

async function connect(backend: Backend): Promise<RedisClient> {
  const redis = createRedis({ url: backend.url, cluster: backend.cluster });
  if (redis.client.status !== 'ready') await once(redis.client, 'ready');
  return redis;
}

describe.each(Object.keys(BACKENDS) as Array<keyof typeof BACKENDS>)(
  'leased tokens on %s',
  (kind) => {
    describeLimiterContract(`${kind}, leased tokens`, async () => {
      const backend = await BACKENDS[kind]();
      const redis = await connect(backend);
      return {
        limiter: createRateLimiter({
          mode: 'redis',
          redis: redis.client,
          keyPrefix: backend.keyPrefix,
          onRedisFailure: 'fail-closed',
          timeoutMs: 5_000,
          leases: {},
        }),
        decidedBy: 'redis',
        now: () => Date.now(),
        advance: (ms) => sleep(ms),
        close: async () => {
          await redis.close();
          await backend.cleanup();
        },
      };
    });

    describe(`LeasedLimiter (real ${kind})`, () => {
      let backend: Backend;
      const connections: RedisClient[] = [];
      let seq = 0;
      const scope = () => `key_lease_${Date.now().toString(36)}_${++seq}`;

      beforeAll(async () => {
        backend = await BACKENDS[kind]();
      });
      afterAll(async () => {
        for (const c of connections) await c.close();
        await backend?.cleanup();
      });

      /** A replica: its own connection, its own leases. */
      const replica = async (options: LeaseOptions & { clock?: () => number } = {}) => {
        const redis = await connect(backend);
        connections.push(redis);
        return new LeasedLimiter({ redis: redis.client, keyPrefix: backend.keyPrefix, ...options });
      };
      /** The strict store on the same counters, on a connection of its own. */
      const strictLimiter = async () => {
        const redis = await connect(backend);
        connections.push(redis);
        return createRateLimiter({
          mode: 'redis',
          redis: redis.client,
          keyPrefix: backend.keyPrefix,
          onRedisFailure: 'fail-closed',
          timeoutMs: 5_000,
        });
      };
      /** What is left once every lease is given back: the strict store admits exactly that. */
      const drainStrict = async (s: string, limits: CompiledLimits) => {
        const strict = await strictLimiter();
        let admitted = 0;
        while ((await strict.check({ scope: s, limits, cost: 1, now: NOW })).allowed) admitted++;
        return admitted;
      };

      /**
       * Three replicas share one scope; every request's answer is recorded in the order the answers
       * arrive. A 429 is false when the units admitted so far (all replicas) plus its cost still fit
       * the limit: the budget had room, but it sat in another replica's lease.
       */
      async function shareOneBudget(
        limits: CompiledLimits,
        limit: number,
        traffic: 'steady' | 'bursty',
      ): Promise<{
        admitted: number;
        denied: number;
        falseDenials: number;
        /** Admitted requests decided from a lease held locally, and by a call to Redis. */
        byLease: number;
        byRedis: number;
        /** The most room the budget still had when a request was refused. */
        roomAtFalseDenial: number;
      }> {
        const s = scope();
        const replicas = await Promise.all([1, 2, 3].map(() => replica({ fraction: 0.5 })));
        let admitted = 0;
        let denied = 0;
        let falseDenials = 0;
        let overAdmitted = false;
        let byLease = 0;
        let byRedis = 0;
        let roomAtFalseDenial = 0;
        const send = async (limiter: RateLimiter, cost: number) => {
          const d = await limiter.check({ scope: s, limits, cost, now: NOW });
          if (d.allowed) {
            admitted += cost;
            if (d.decidedBy === 'lease') byLease++;
            else byRedis++;
            if (admitted > limit) overAdmitted = true;
          } else {
            denied++;
            if (admitted + cost <= limit) {
              falseDenials++;
              roomAtFalseDenial = Math.max(roomAtFalseDenial, limit - admitted);
            }
          }
        };
        const costOf = (i: number) => (i % 10 === 0 ? 3 : 1);
        if (traffic === 'steady') {
          // 4 clients per replica, each one request at a time, until twice the budget was asked for.
          let sent = 0;
          await Promise.all(
            replicas.flatMap((limiter) =>
              [0, 1, 2, 3].map(async () => {
                while (sent < 2 * limit) await send(limiter, costOf(sent++));
              }),
            ),
          );
        } else {
          // Bursts of 150 at once on one replica at a time, round robin.
          for (let burst = 0; burst * 150 < 2 * limit; burst++) {
            const limiter = replicas[burst % 3]!;
            await Promise.all(
              Array.from({ length: 150 }, (_, i) => send(limiter, costOf(burst * 150 + i))),
            );
          }
        }
        expect(overAdmitted).toBe(false);
        expect(admitted).toBeLessThanOrEqual(limit);
        // Every unit not admitted is still there once the leases are given back: nothing leaked.
        await Promise.all(replicas.map((r) => r.close()));
        expect(admitted + (await drainStrict(s, limits))).toBe(limit);
        return { admitted, denied, falseDenials, byLease, byRedis, roomAtFalseDenial };
      }

      it.each(['steady', 'bursty'] as const)(
        'never admits more than the limit across 3 replicas (%s clients), and gives back what it did not use',
        async (traffic) => {
          const limit = 3_000;
          const windowMs = windowWithRoom(HOUR, ROOM);
          const byWindow = await shareOneBudget(
            compileLimits({
              rateLimits: [{ name: 'window', limit, windowMs }],
              monthlyQuota: null,
            }),
            limit,
            traffic,
          );
          const byQuota = await shareOneBudget(
            compileLimits({ rateLimits: [], monthlyQuota: limit }),
            limit,
            traffic,
          );
          for (const [what, r] of Object.entries({ window: byWindow, quota: byQuota })) {
            const requests = r.denied + r.byLease + r.byRedis;
            console.info(
              `leases on ${kind}, ${traffic}, ${what}: admitted ${r.admitted}/${limit} units in ${r.byLease + r.byRedis} requests ` +
                `(${r.byRedis} of them waited on Redis), ${r.denied} denied, ` +
                `${r.falseDenials} false 429s (${((100 * r.falseDenials) / requests).toFixed(2)} % of ${requests} requests, ` +
                `all with at most ${r.roomAtFalseDenial} units = ${((100 * r.roomAtFalseDenial) / limit).toFixed(1)} % of the budget left)`,
            );
            // A false 429 only ever happens near the end of the budget.
            expect(r.roomAtFalseDenial).toBeLessThanOrEqual(limit * 0.05);
            // The lease shrinks with the budget: little is left stranded in other replicas' leases.
            expect(r.admitted).toBeGreaterThanOrEqual(limit * 0.95);
            // Most admissions come from a lease, not one Redis call per request.
            expect(r.byRedis).toBeLessThan((r.byLease + r.byRedis) / 4);
          }
        },
        60_000,
      );

      it('decides one request at a time near the limit: one replica is exact to the unit', async () => {
        const limiter = await replica({ fraction: 1 });
        const s = scope();
        const limits = compileLimits({ rateLimits: [], monthlyQuota: 1_000 });
        let admitted = 0;
        for (let i = 0; i < 1_200; i++)
          if ((await limiter.check({ scope: s, limits, cost: 1, now: NOW })).allowed) admitted++;
        expect(admitted).toBe(1_000);
        const denied = await limiter.check({ scope: s, limits, cost: 1, now: NOW });
        expect(denied).toMatchObject({
          allowed: false,
          violated: { kind: 'quota', name: 'monthly-quota' },
        });
        expect(denied.policies[0]).toMatchObject({ remaining: 0 });
        await limiter.close();
      });

      it('gives an idle scope back and never uses tokens past their window’s reported end', async () => {
        let clock = 0;
        const limiter = await replica({ fraction: 0.5, idleReturnMs: 1_000, clock: () => clock });
        const s = scope();
        const windowMs = windowWithRoom(HOUR, ROOM);
        const limits = compileLimits({
          rateLimits: [{ name: 'window', limit: 800, windowMs }],
          monthlyQuota: null,
        });
        const first = await limiter.check({ scope: s, limits, cost: 1, now: NOW });
        expect(first).toMatchObject({ allowed: true, decidedBy: 'redis' });
        // The lease (⌊799 / 8⌋ = 99 extra) serves the next requests without Redis.
        const callsAfterLease = limiter.redisCalls;
        for (let i = 0; i < 50; i++)
          expect((await limiter.check({ scope: s, limits, cost: 1, now: NOW })).decidedBy).toBe(
            'lease',
          );
        expect(limiter.redisCalls).toBe(callsAfterLease);
        expect(
          (await limiter.check({ scope: s, limits, cost: 1, now: NOW })).policies[0]?.remaining,
        ).toBe(800 - 52);

        // Idle past idleReturnMs: the 48 unused tokens go back to Redis.
        clock += 1_500;
        limiter.returnIdle();
        await limiter.settled();
        expect(await drainCount(s, limits)).toBe(800 - 52);

        // Past the window's reported end the held tokens are not used: Redis is asked again.
        const again = await limiter.check({ scope: s, limits, cost: 1, now: NOW });
        expect(again.decidedBy).toBe('redis');
        clock += again.policies[0]!.resetMs + 1;
        const calls = limiter.redisCalls;
        await limiter.check({ scope: s, limits, cost: 1, now: NOW });
        expect(limiter.redisCalls).toBe(calls + 1);
        await limiter.close();
      });

      /** What a strict check reports as remaining, without consuming (a denied cost never counts). */
      async function drainCount(s: string, limits: CompiledLimits): Promise<number> {
        const probe = await (
          await strictLimiter()
        ).check({ scope: s, limits, cost: 1_000_000, now: NOW });
        expect(probe.allowed).toBe(false);
        return probe.policies[0]!.remaining;
      }
    });
  },
);
