import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  Kafka,
  logLevel,
  ResourcePatternTypes,
} from 'kafkajs';
import { KeyHasher } from '@tollgate/api-keys';
import { TOPICS } from '@tollgate/events';
import { publishBlob } from '@tollgate/kafka';
import {
  createPrivateBroker,
  eventually,
  isolatedServiceEnv,
  startSaslBroker,
  waitUntilReady,
} from '@tollgate/test-infra';
import { peppersOf } from '../config';
import { startEdge, type EdgeUnderTest } from '../testing/edge-test-kit';
import { linesWith, resumeScenario, snapshotCount, verifyKey } from '../testing/snapshot-scenario';
import { plan, TableTopics } from '../testing/table-topics';
import { snapshotName } from './key-table-snapshot';
import { snapshotSignature } from './shared-snapshots';

const NO_KEY_SERVICE = 'http://127.0.0.1:9';

describe('a new edge starts from the key table snapshot another edge shared (real Kafka)', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  let kafka: Kafka;

  /**
   * Topics of their own: the shared snapshot of one test is not the next one's. `kafkaEnv`: the
   * edges' KAFKA_* variables for a broker of the test's own (the shared broker by default).
   */
  const setUp = async (label: string, kafkaEnv: Record<string, string> = {}) => {
    const isolated = isolatedServiceEnv(label);
    const prefix = isolated.env.KAFKA_TOPIC_PREFIX;
    const edges: EdgeUnderTest[] = [];
    cleanups.push(async () => {
      for (const edge of edges) await edge.close().catch(() => undefined);
      await isolated.cleanup();
    });
    // Every edge here is "on a new node": a snapshot directory of its own, empty at start.
    const start = async (overrides: Record<string, string> = {}, waitUntilReady = true) => {
      const edge = await startEdge(
        { url: NO_KEY_SERVICE, topicPrefix: prefix },
        {
          KEY_TABLE_SNAPSHOT_INTERVAL_MS: '0',
          KEY_TABLE_SNAPSHOT_SHARING: 'read-write',
          ...kafkaEnv,
          ...overrides,
        },
        { waitUntilReady },
      );
      edges.push(edge);
      return edge;
    };
    // Creates the topics; shares nothing (the test's own edges are the first to share).
    const first = await start({ KEY_TABLE_SNAPSHOT_SHARING: 'read' });
    const topics = await TableTopics.forEdge(first.config);
    cleanups.push(() => topics.close());
    if (!kafkaEnv.KAFKA_BROKERS)
      kafka ??= new Kafka({
        clientId: 'shared-snapshot-test',
        brokers: first.config.KAFKA_BROKERS,
        logLevel: logLevel.NOTHING,
      });
    await first.close();
    const name = snapshotName(
      [TOPICS.keys, TOPICS.plans, TOPICS.accounts].map((t) => prefix + t.name),
    );
    /** A file on the shared topic as a publisher holding `hasher`'s pepper would write it. */
    const publishForged = (hasher: KeyHasher) =>
      publishBlob(kafka, {
        topic: prefix + TOPICS.keyTableSnapshots.name,
        name,
        body: randomBytes(4096),
        attributesFor: (sha256) => snapshotSignature(hasher, name, sha256),
      });
    return { start, topics, publishForged };
  };
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it('loads the shared snapshot, applies what changed since, and does not publish one again', async () => {
    const { start, topics } = await setUp('edge_shared_snapshot');
    const scenario = await resumeScenario(topics, 'shared');

    // The first edge finds no shared snapshot: it reads the topics and, once caught up, shares one.
    const publisher = await start();
    expect(linesWith(publisher, 'event not applied')).toHaveLength(1);
    await eventually(async () => (await snapshotCount(publisher, 'shared')) === 1, 20_000);

    await scenario.change();
    const newcomer = await start();
    expect(await snapshotCount(newcomer, 'loaded_shared')).toBe(1);
    await scenario.expectResumed(newcomer);
    // The shared snapshot is fresh: the newcomer does not add another (it checks once caught up).
    await eventually(
      async () => linesWith(newcomer, 'shared key table snapshot fetched').length === 1,
    );
    await newcomer.close();
    expect(linesWith(newcomer, 'key table snapshot shared')).toHaveLength(0);
    expect(linesWith(newcomer, 'key table snapshot written').length).toBeGreaterThan(0);
  });

  it('ignores a newer shared snapshot not signed with its pepper, and passes over a signed damaged one for an older one', async () => {
    const { start, topics, publishForged } = await setUp('edge_shared_forged');
    const account = await topics.account(plan('plan_shared_c', 1000));
    const key = await topics.key(account);
    const publisher = await start();
    await eventually(async () => (await snapshotCount(publisher, 'shared')) === 1, 20_000);
    const genuine = /"snapshotId":"([^"]+)"[^\n]*key table snapshot shared/.exec(
      publisher.logs.join('\n'),
    )?.[1];
    expect(genuine).toBeDefined();

    // Newer, but signed under a pepper the edges do not hold: never fetched.
    await publishForged(
      new KeyHasher([{ version: 1, secret: 'an-outsider-pepper-'.padEnd(40, 'z') }]),
    );
    const newcomer = await start();
    expect(await snapshotCount(newcomer, 'loaded_shared')).toBe(1);
    expect(linesWith(newcomer, 'shared key table snapshot fetched')[0]).toContain(genuine!);
    expect(await verifyKey(newcomer, key)).toMatchObject({ status: 200 });

    // Signed with the edges' pepper but not a snapshot: fetched, refused, and the next older one
    // (the genuine snapshot) fetched instead of reading the topics whole.
    await publishForged(new KeyHasher(peppersOf(newcomer.config)));
    const refusing = await start();
    expect(await snapshotCount(refusing, 'refused')).toBe(1);
    expect(await snapshotCount(refusing, 'loaded_shared')).toBe(1);
    const fetched = linesWith(refusing, 'shared key table snapshot fetched');
    expect(fetched).toHaveLength(2);
    expect(fetched[1]).toContain(genuine!);
    expect(await verifyKey(refusing, key)).toMatchObject({ status: 200 });

    // When every kept snapshot is refused, the topics are read whole: at most three are fetched.
    const pepper = new KeyHasher(peppersOf(newcomer.config));
    for (let i = 0; i < 3; i++) await publishForged(pepper);
    const rebuilding = await start();
    expect(await snapshotCount(rebuilding, 'refused')).toBe(3);
    expect(await snapshotCount(rebuilding, 'loaded_shared')).toBe(0);
    expect(linesWith(rebuilding, 'shared key table snapshot fetched')).toHaveLength(3);
    expect(await verifyKey(rebuilding, key)).toMatchObject({ status: 200 });
  });

  it('an edge started while Kafka is down fetches the shared snapshot once Kafka is back', async () => {
    const broker = await createPrivateBroker();
    cleanups.push(() => broker.remove());
    await broker.start();
    const { start, topics } = await setUp('edge_shared_late', {
      KAFKA_BROKERS: broker.brokers.join(','),
    });
    const account = await topics.account(plan('plan_shared_l', 1000));
    const key = await topics.key(account);
    const publisher = await start();
    await eventually(async () => (await snapshotCount(publisher, 'shared')) === 1, 20_000);
    await publisher.close();

    await broker.stop();
    const newcomer = await start({}, false);
    // Its first fetch, at start, found no Kafka: the table waits for Kafka, not for the topics.
    await eventually(
      async () => linesWith(newcomer, 'no shared key table snapshot fetched').length > 0,
      60_000,
    );
    await broker.start();
    await waitUntilReady(newcomer.app, 120_000);
    expect(await snapshotCount(newcomer, 'loaded_shared'), sharingLines(newcomer)).toBe(1);
    expect(await verifyKey(newcomer, key)).toMatchObject({ status: 200 });
  }, 240_000);

  it('fetches the shared snapshot again while Kafka refuses the fetch (an ACL denies its consumer group)', async () => {
    const broker = await startSaslBroker({ acls: true });
    cleanups.push(() => broker.remove());
    const { start, topics } = await setUp('edge_shared_acl', {
      KAFKA_BROKERS: broker.brokers.join(','),
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: broker.username,
      KAFKA_SASL_PASSWORD: broker.password,
    });
    const account = await topics.account(plan('plan_shared_a', 1000));
    const key = await topics.key(account);
    const publisher = await start();
    await eventually(async () => (await snapshotCount(publisher, 'shared')) === 1, 20_000);
    await publisher.close();

    // The broker answers every fetch of the shared snapshot with GROUP_AUTHORIZATION_FAILED: a
    // Kafka error on a reachable cluster, as a restarted broker's "coordinator loading" is.
    const admin = new Kafka({
      clientId: 'shared-snapshot-acl-test',
      brokers: broker.brokers,
      sasl: { mechanism: 'plain', ...broker.superUser },
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    const denyFetches = {
      resourceType: AclResourceTypes.GROUP,
      resourceName: 'edge-auth.key-table-snapshot',
      resourcePatternType: ResourcePatternTypes.PREFIXED,
      principal: `User:${broker.username}`,
      host: '*',
      operation: AclOperationTypes.ALL,
      permissionType: AclPermissionTypes.DENY,
    };
    await admin.createAcls({ acl: [denyFetches] });

    const newcomer = await start({}, false);
    // The fetch at start and the first once Kafka is known reachable are refused, and fail at
    // once (not at the read timeout); the edge asks again instead of reading the topics whole.
    await eventually(
      async () => linesWith(newcomer, 'no shared key table snapshot fetched').length >= 2,
      60_000,
    );
    // kafkajs words the refused FindCoordinator so.
    expect(linesWith(newcomer, 'no shared key table snapshot fetched')[0]).toContain(
      'Failed to find group coordinator',
    );
    await admin.deleteAcls({ filters: [denyFetches] });
    await waitUntilReady(newcomer.app, 120_000);
    expect(await snapshotCount(newcomer, 'loaded_shared'), sharingLines(newcomer)).toBe(1);
    expect(await verifyKey(newcomer, key)).toMatchObject({ status: 200 });
  }, 240_000);
});

/** An edge's log lines about the key table snapshot: what an assertion failure shows. */
const sharingLines = (edge: EdgeUnderTest) => linesWith(edge, 'snapshot').join('\n');
