import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS } from '@tollgate/events';
import { eventually, isolatedServiceEnv, type IsolatedServiceEnv } from '@tollgate/test-infra';
import { startEdge, type EdgeUnderTest } from '../testing/edge-test-kit';
import { linesWith, resumeScenario, snapshotCount, verifyKey } from '../testing/snapshot-scenario';
import { plan, TableTopics, type TableKey } from '../testing/table-topics';
import { KeyTable } from './key-table';
import {
  loadSnapshot,
  readSnapshot,
  snapshotPath,
  writeSnapshot,
  type SnapshotHeader,
} from './key-table-snapshot';

const NO_KEY_SERVICE = 'http://127.0.0.1:9';

describe('edge-auth restarts from its key table snapshot (real Kafka)', () => {
  let isolated: IsolatedServiceEnv;
  let prefix: string;
  let dir: string;
  let topics: TableTopics;
  const edges: EdgeUnderTest[] = [];

  const start = async (snapshotDir = dir) => {
    // No key-service: the table is the only source, so what it holds is what the edge decides.
    const edge = await startEdge(
      { url: NO_KEY_SERVICE, topicPrefix: prefix },
      { KEY_TABLE_SNAPSHOT_DIR: snapshotDir, KEY_TABLE_SNAPSHOT_INTERVAL_MS: '0' },
    );
    edges.push(edge);
    return edge;
  };
  beforeAll(async () => {
    isolated = isolatedServiceEnv('edge_snapshot');
    prefix = isolated.env.KAFKA_TOPIC_PREFIX;
    dir = await mkdtemp(join(tmpdir(), 'edge-key-table-'));
    const first = await start();
    topics = await TableTopics.forEdge(first.config);
    await first.close();
  }, 60_000);
  afterAll(async () => {
    for (const edge of edges) await edge.close().catch(() => undefined);
    await topics?.close();
    await isolated?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('loads the snapshot written at shutdown and applies only what changed while it was down', async () => {
    const scenario = await resumeScenario(topics, 'snap');
    const before = await start();
    expect(linesWith(before, 'event not applied')).toHaveLength(1);
    for (const key of scenario.keys)
      expect(await verifyKey(before, key)).toMatchObject({ status: 200 });
    await before.close();
    expect(linesWith(before, 'key table snapshot written').length).toBeGreaterThan(0);

    // While no edge runs: a revocation, a suspension, a new key.
    await scenario.change();
    const after = await start();
    expect(linesWith(after, 'loaded from its snapshot').length).toBe(1);
    expect(await snapshotCount(after, 'loaded')).toBe(1);
    // It resumed after the poison plan instead of reading the topics from the beginning.
    await scenario.expectResumed(after);

    // And it keeps tailing: an update after the start arrives as before.
    const key = scenario.keys[2]!;
    await topics.revoke(key);
    await eventually(async () => (await verifyKey(after, key)).status === 401);
    await after.close();
  });

  it('refuses a snapshot that does not continue the topics, and builds the table from them', async () => {
    const account = await topics.account(plan('plan_snap_c', 1000));
    const key = await topics.key(account);
    const writer = await start();
    expect(await verifyKey(writer, key)).toMatchObject({ status: 200 });
    await writer.close();

    const path = snapshotPath(
      dir,
      [TOPICS.keys, TOPICS.plans, TOPICS.accounts].map((t) => prefix + t.name),
    );
    const real = await readSnapshot(path);
    expect(real.header.positions.length).toBeGreaterThan(0);
    // Forged variants of the real snapshot, each with `key` revoked: an edge that used one would
    // answer 401 for it; one that refused it reads the topics, where the key is active.
    const forge = async (change: (header: SnapshotHeader) => SnapshotHeader) => {
      const table = new KeyTable();
      await loadSnapshot(table, real.body);
      table.applyKey(key.state, { effectiveAt: 1 });
      const { format: _format, keys: _keys, ...header } = change(structuredClone(real.header));
      await writeSnapshot(path, table, header);
    };
    const keysPosition = (h: SnapshotHeader) =>
      h.positions.find((p) => p.topic === prefix + TOPICS.keys.name)!;
    const variants: Array<[string, (h: SnapshotHeader) => SnapshotHeader, string]> = [
      [
        'another record at its position (the topic was recreated)',
        (h) => {
          keysPosition(h).lastRecord = '0'.repeat(32);
          return h;
        },
        'is not the one the snapshot applied',
      ],
      [
        'a position past the end of the partition',
        (h) => {
          keysPosition(h).next = '1000000';
          return h;
        },
        'ends at offset',
      ],
      ['another Kafka cluster', (h) => ({ ...h, clusterId: 'another-cluster' }), 'cluster'],
      ['too old', (h) => ({ ...h, takenAt: h.takenAt - 2 * 86_400_000 }), 'taken'],
    ];
    for (const [what, change, reason] of variants) {
      await forge(change);
      const edge = await start();
      expect(await snapshotCount(edge, 'refused'), what).toBe(1);
      expect(
        edge.logs.some((l) => l.includes('snapshot') && l.includes(reason)),
        `${what}:\n${edge.logs.join('\n')}`,
      ).toBe(true);
      expect(await verifyKey(edge, key), what).toMatchObject({ status: 200 });
      await edge.close();
      edges.splice(edges.indexOf(edge), 1);
    }
  });

  it('writes a snapshot every interval while it runs, and a crashed edge restarts from it', async () => {
    const account = await topics.account(plan('plan_snap_f', 1000));
    const key = await topics.key(account);
    const ownDir = await mkdtemp(join(tmpdir(), 'edge-key-table-interval-'));
    const running = await startEdge(
      { url: NO_KEY_SERVICE, topicPrefix: prefix },
      { KEY_TABLE_SNAPSHOT_DIR: ownDir, KEY_TABLE_SNAPSHOT_INTERVAL_MS: '200' },
    );
    edges.push(running);
    await eventually(
      async () => running.logs.filter((l) => l.includes('key table snapshot written')).length >= 2,
      20_000,
      'two snapshots written on the interval',
    );
    // As after a crash: no snapshot at shutdown, the last interval's is loaded.
    const restarted = await start(ownDir);
    expect(await snapshotCount(restarted, 'loaded')).toBe(1);
    expect(await verifyKey(restarted, key)).toMatchObject({ status: 200 });
    await rm(ownDir, { recursive: true, force: true });
  });

  it('is the same table as a full read after a restart under a stream of changes', async () => {
    const accounts = [
      await topics.account(plan('plan_snap_d', 1000)),
      await topics.account(plan('plan_snap_e', 1000)),
    ];
    const keys: TableKey[] = [];
    for (let i = 0; i < 30; i++) keys.push(await topics.key(accounts[i % 2]!));
    const writer = await start();
    // Changes keep arriving while the snapshot is taken at shutdown.
    const changing = (async () => {
      for (let i = 0; i < 10; i++) await topics.revoke(keys[i]!);
    })();
    await writer.close();
    await changing;
    const resumed = await start();
    const fullDir = await mkdtemp(join(tmpdir(), 'edge-key-table-empty-'));
    const full = await start(fullDir);
    expect(await snapshotCount(resumed, 'loaded')).toBe(1);
    expect(await snapshotCount(full, 'loaded')).toBe(0);
    for (const key of keys)
      expect(await verifyKey(resumed, key)).toEqual(await verifyKey(full, key));
    expect((await verifyKey(resumed, keys[9]!)).status).toBe(401);
    await rm(fullDir, { recursive: true, force: true });
  });
});
