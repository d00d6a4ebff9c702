import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventCodec, messageKeyOf, type TollgateEvent } from '@tollgate/events';
import { createKafkaConnection, kafkaMetrics } from '@tollgate/kafka';
import { bundleScript, runToExit, eventually } from '@tollgate/test-infra';
import {
  collectTopics,
  startKeyService,
  type KeyServiceUnderTest,
} from '../testing/key-service-test-kit';
import { createOutboxPublisher } from './outbox-publisher';
import { OutboxRelay } from '@tollgate/postgres';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('transactional outbox relay (real Postgres + Kafka)', () => {
  let ks: KeyServiceUnderTest;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    // The app's own relay stays off: these tests run relays themselves.
    ks = await startKeyService({ OUTBOX_RELAY_ENABLED: 'false' });
  });
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await ks.close();
  });

  function relay(overrides: Partial<ConstructorParameters<typeof OutboxRelay>[0]> = {}) {
    const kafka = createKafkaConnection({
      brokers: ks.config.KAFKA_BROKERS,
      clientId: 'relay-test',
    });
    const publisher = createOutboxPublisher(kafka, new EventCodec(), kafkaMetrics(new Registry()), {
      replicationFactor: 1,
      topicPrefix: ks.config.KAFKA_TOPIC_PREFIX,
    });
    const instance = new OutboxRelay({
      applicationName: 'key-service-outbox-relay',
      db: ks.db,
      publish: (events) => publisher.publish(events),
      log: quiet,
      pollIntervalMs: 20,
      leaderRetryMs: 100,
      ...overrides,
    });
    cleanups.push(async () => {
      await instance.stop();
      await publisher.close();
      await kafka.close();
    });
    return instance;
  }

  async function outboxRows(): Promise<Array<{ event_id: string; stream_id: string }>> {
    return ks.db.sql.query<{ event_id: string; stream_id: string }>(
      'select event_id, stream_id from outbox order by tx_id, position',
    );
  }

  async function produceHistory(accounts: number, keysPerAccount: number) {
    for (let a = 0; a < accounts; a++) {
      const account = await ks.app.inject({
        method: 'POST',
        url: '/v1/accounts',
        payload: { name: `a${a}` },
      });
      const { accountId } = account.json<{ accountId: string }>();
      for (let k = 0; k < keysPerAccount; k++) {
        const issued = await ks.app.inject({
          method: 'POST',
          url: `/v1/accounts/${accountId}/keys`,
          payload: { env: 'live' },
        });
        const { key } = issued.json<{ key: { keyId: string } }>();
        await ks.app.inject({
          method: 'PATCH',
          url: `/v1/keys/${key.keyId}`,
          payload: { metadata: { n: String(k) } },
        });
        await ks.app.inject({
          method: 'POST',
          url: `/v1/keys/${key.keyId}/revoke`,
          payload: { reason: 'test' },
        });
      }
    }
  }

  it('loses nothing and keeps per-aggregate order when the relay is SIGKILLed between publish and commit', async () => {
    await produceHistory(4, 5);
    const expected = await outboxRows();
    expect(expected.length).toBe(4 + 4 * 5 * 3);

    const fixture = await bundleScript(join(import.meta.dirname, 'crash-relay.fixture.ts'));
    try {
      const child = await runToExit(fixture.entry, {
        ...ks.env,
        BATCH_SIZE: '10',
        KILL_AFTER_BATCHES: '3',
      });
      expect(child.code, child.output).toBeNull();
    } finally {
      await fixture.remove();
    }
    const rows = await ks.db.sql.query<{ position: string }>(
      'select position::text from outbox_relay_position',
    );
    expect(Number(rows[0]!.position)).toBeLessThan(Number(expected.length));

    const recovered = relay();
    recovered.start();
    const collector = await collectTopics([ks.keysTopic, ks.plansTopic]);
    cleanups.push(() => collector.stop());
    const ids = new Set(expected.map((r) => r.event_id));
    await collector.waitFor(
      (events) =>
        ids.size === new Set(events.map((e) => e.payload.eventId).filter((id) => ids.has(id))).size,
      20_000,
    );

    const seen = collector.events.filter((e) => ids.has(e.payload.eventId));
    expect(seen.length).toBeGreaterThan(expected.length); // the batch in flight at the kill went out twice
    // Duplicates are byte-identical re-sends of the same event.
    const byId = new Map<string, Buffer>();
    for (const e of seen) {
      const previous = byId.get(e.payload.eventId);
      if (previous) expect(previous.equals(e.raw)).toBe(true);
      byId.set(e.payload.eventId, e.raw);
    }
    // Per aggregate (message key), first deliveries arrive in outbox order.
    const keyOf = (e: TollgateEvent) => messageKeyOf(e.type, e.payload as never) ?? '';
    const expectedOrder = new Map<string, string[]>();
    for (const row of expected) {
      const event = seen.find((e) => e.payload.eventId === row.event_id)!;
      expectedOrder.set(keyOf(event), [...(expectedOrder.get(keyOf(event)) ?? []), row.event_id]);
    }
    const firstSeen = new Map<string, string[]>();
    const done = new Set<string>();
    for (const e of seen) {
      if (done.has(e.payload.eventId)) continue;
      done.add(e.payload.eventId);
      firstSeen.set(keyOf(e), [...(firstSeen.get(keyOf(e)) ?? []), e.payload.eventId]);
    }
    expect(firstSeen).toEqual(expectedOrder);
    await recovered.stop();
  }, 90_000);

  it('runs one relay at a time across replicas; another takes over when it stops', async () => {
    const first = relay();
    const second = relay();
    const until = (condition: () => boolean, timeoutMs: number) =>
      eventually(condition, timeoutMs, 'relay leadership to settle');
    first.start();
    await until(() => first.isLeader, 10_000);
    second.start();
    // The second relay tries the lock again and again; it stays a follower while the first lives.
    const attempted = second.lockAttempts;
    await until(() => second.lockAttempts >= attempted + 3, 10_000);
    expect([first.isLeader, second.isLeader]).toEqual([true, false]);

    await first.stop();
    await until(() => second.isLeader, 10_000);
    expect(second.isLeader).toBe(true);

    const collector = await collectTopics([ks.keysTopic]);
    cleanups.push(() => collector.stop());
    const account = await ks.app.inject({
      method: 'POST',
      url: '/v1/accounts',
      payload: { name: 'takeover' },
    });
    const { accountId } = account.json<{ accountId: string }>();
    const issued = await ks.app.inject({
      method: 'POST',
      url: `/v1/accounts/${accountId}/keys`,
      payload: { env: 'live' },
    });
    const { key } = issued.json<{ key: { keyId: string } }>();
    await collector.waitFor(
      (events) => events.some((e) => e.type === 'KeyIssued' && e.payload.key.keyId === key.keyId),
      10_000,
    );
    await second.stop();
  }, 60_000);

  it('takes over within about a second when the relay holding the lock is SIGKILLed', async () => {
    const fixture = await bundleScript(join(import.meta.dirname, 'crash-relay.fixture.ts'));
    cleanups.push(() => fixture.remove());
    const lockHolders = async () =>
      Number(
        (
          await ks.db.sql.query<{ n: string }>(
            `select count(*)::text as n from pg_locks l join pg_stat_activity a using (pid)
              where l.locktype = 'advisory' and l.granted
                and a.application_name = 'key-service-outbox-relay'`,
          )
        )[0]?.n,
      );
    // Nobody leads yet (the relays of earlier tests are stopped), so the lock below is the child's.
    await eventually(async () => (await lockHolders()) === 0, 10_000, 'no relay to lead');
    // A relay process that never kills itself (KILL_AFTER_BATCHES=0): it takes the lock and holds it.
    const leader = spawn(process.execPath, [fixture.entry], {
      env: { ...process.env, ...ks.env, BATCH_SIZE: '10', KILL_AFTER_BATCHES: '0' },
      stdio: 'ignore',
    });
    cleanups.push(async () => void leader.kill('SIGKILL'));
    await eventually(async () => (await lockHolders()) === 1, 20_000, 'the child relay to lead');

    // The follower as deployed: one lock attempt a second (the default leaderRetryMs).
    const follower = relay({ leaderRetryMs: undefined });
    follower.start();
    await eventually(
      async () => (await lockHolders()) === 1 && !follower.isLeader,
      5_000,
      'the follower to be following',
    );
    expect(follower.isLeader).toBe(false);

    const killedAt = performance.now();
    leader.kill('SIGKILL');
    await eventually(() => follower.isLeader, 10_000, 'the follower to take over');
    const takeoverMs = performance.now() - killedAt;
    console.info(`outbox relay takeover after SIGKILL: ${Math.round(takeoverMs)} ms`);
    // One retry interval (1 s) plus a fixed allowance; a lock that outlived its session, or a
    // slower retry, would exceed it.
    expect(takeoverMs).toBeLessThan(1_000 + 1_500);
    await follower.stop();
  }, 60_000);
});
