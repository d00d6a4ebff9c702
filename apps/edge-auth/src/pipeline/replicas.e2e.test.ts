import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildServiceArtifact,
  infraEnv,
  startRedisCluster,
  startServiceProcess,
  type ServiceProcess,
  type TestRedisCluster,
  eventually,
} from '@tollgate/test-infra';
import { startKeyServiceProcess, type KeyServiceProcess } from '../testing/edge-test-kit';
import { windowWithRoom } from '../testing/limit-windows';

const REPLICAS = 3;
const LIMIT = 100;

describe.each([
  ['strict', 'redis'],
  ['leased', 'redis'],
  ['strict', 'redis cluster'],
  ['leased', 'redis cluster'],
] as const)(
  'three edge-auth processes share exact limits, %s on %s (real key-service, Kafka, Redis)',
  (strategy, store) => {
    let ks: KeyServiceProcess;
    let artifact: Awaited<ReturnType<typeof buildServiceArtifact>>;
    const edges: ServiceProcess[] = [];
    let spool: string;
    let cluster: TestRedisCluster | undefined;

    beforeAll(async () => {
      if (store === 'redis cluster') cluster = await startRedisCluster(3);
      ks = await startKeyServiceProcess();
      artifact = await buildServiceArtifact('apps/edge-auth');
      spool = await mkdtemp(join(tmpdir(), 'edge-replicas-'));
      for (let i = 0; i < REPLICAS; i++) {
        edges.push(
          await startServiceProcess(
            artifact.entry,
            {
              ...infraEnv(),
              LOG_LEVEL: 'info',
              KAFKA_TOPIC_PREFIX: ks.topicPrefix,
              KEY_SERVICE_URL: ks.url,
              SPOOL_DIR: join(spool, String(i)),
              EDGE_INSTANCE_ID: `edge-${i}`,
              // Several replicas on one host: each its own admin port.
              ADMIN_PORT: '0',
              LOOKUPS_PER_CLIENT_PER_MINUTE: '100000',
              FAILED_AUTH_LIMIT: '100000',
              // Exactness is the point here: a slow Redis on this busy box must deny, not fall back
              // to per-replica local limits (which admit up to N × limit by design).
              REDIS_FAILURE_MODE: 'fail-closed',
              // Generous: a 503 fails the test, it must come from a defect, not from this box's load.
              REDIS_LIMIT_TIMEOUT_MS: '2000',
              RATE_LIMIT_STRATEGY: strategy,
              ...(cluster ? { REDIS_URL: cluster.url, REDIS_CLUSTER: 'true' } : {}),
              RATE_LIMIT_LEASE_IDLE_MS: '200',
            },
            60_000,
          ),
        );
      }
      for (const edge of edges)
        await eventually(
          async () => (await fetch(new URL('/readyz', edge.url))).status === 200,
          60_000,
          'edge ready',
        );
    }, 180_000);
    afterAll(async () => {
      for (const edge of edges) expect(await edge.stop('SIGTERM')).toBe(0);
      await artifact?.remove();
      await ks?.stop();
      if (spool) await rm(spool, { recursive: true, force: true });
      await cluster?.stop();
    });

    it('never admits more than the limit across replicas and concurrent clients', async () => {
      const planId = `plan_replicas_${strategy}_${store === 'redis' ? 'single' : 'cluster'}`;
      await ks.createPlan(planId, {
        rateLimits: [
          // Windows that cannot roll over while the test counts.
          { name: 'per-hour', limit: LIMIT, windowMs: windowWithRoom(3_600_000, 20 * 60_000) },
          { name: 'per-day', limit: LIMIT * 10, windowMs: windowWithRoom(86_400_000, 20 * 60_000) },
        ],
        monthlyQuota: null,
        limitScope: 'account',
      });
      const accountId = await ks.createAccount(planId);
      const keys = [await ks.issueKey(accountId), await ks.issueKey(accountId)];
      const verify = (edge: ServiceProcess, key: string) =>
        fetch(new URL('/verify', edge.url), {
          headers: { authorization: `Bearer ${key}`, 'x-original-uri': '/v1/x' },
        }).then((r) => r.status);

      // Warm-up requests count too: the total admitted must still be exactly the limit. Until a
      // replica knows a key it may answer 401 (or 503 while its lookup is refused as busy).
      let admittedInWarmUp = 0;
      for (const edge of edges)
        for (const key of keys)
          await eventually(
            async () => {
              const status = await verify(edge, key.plaintext);
              if (status === 200) admittedInWarmUp++;
              return status === 200;
            },
            10_000,
            'key known',
          );
      const statuses: number[] = [];
      const clients = 20;
      const perClient = 15; // 3 × 20 × 15 = 900 requests for a limit of 100
      await Promise.all(
        edges.flatMap((edge, e) =>
          Array.from({ length: clients }, async (_, c) => {
            for (let i = 0; i < perClient; i++)
              statuses.push(await verify(edge, keys[(e + c + i) % 2]!.plaintext));
          }),
        ),
      );
      // Every replica knows both keys: each answer is a decision by the shared limit, no 503.
      expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
      let admitted = admittedInWarmUp + statuses.filter((s) => s === 200).length;
      // Strict decides every request in Redis: exactly the limit. Leased: never more; units still
      // leased by a replica when another was refused are used by the next requests to that
      // replica, or given back once it is idle. Either way the budget ends up spent exactly, and
      // then every replica refuses.
      if (strategy === 'strict') expect(admitted).toBe(LIMIT);
      else expect(admitted).toBeLessThanOrEqual(LIMIT);
      let turn = 0;
      await eventually(
        async () => {
          const edge = edges[turn++ % REPLICAS]!;
          if ((await verify(edge, keys[turn % 2]!.plaintext)) === 200) admitted++;
          expect(admitted).toBeLessThanOrEqual(LIMIT);
          return admitted === LIMIT;
        },
        20_000,
        () => `the whole budget spent (${admitted}/${LIMIT})`,
      );
      const after = await Promise.all(
        edges.flatMap((edge) => keys.map((key) => verify(edge, key.plaintext))),
      );
      expect(after).toEqual(new Array(REPLICAS * keys.length).fill(429));
    }, 120_000);
  },
);
