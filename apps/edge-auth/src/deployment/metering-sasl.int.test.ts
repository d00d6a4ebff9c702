import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS } from '@tollgate/events';
import { eventually, startSaslBroker, uniqueName, type SaslBroker } from '@tollgate/test-infra';
import {
  kafkaClient,
  meteredEvents,
  metricValue,
  readTopic,
  spoolFiles,
  startBuiltEdge,
  verify,
  type BuiltEdge,
} from '../testing/built-edge';
import { parseSegment } from '../metering/spool-format';

/**
 * KAFKA_SASL_* reach the metering thread's producer, not only the app's own Kafka connection: the
 * built edge (its bundled metering thread, as deployed) meters through a broker that refuses
 * anonymous clients, and with a wrong password it spools instead of losing or leaking anything.
 */
describe('edge-auth metering through a SASL/PLAIN broker (built app)', () => {
  let broker: SaslBroker;
  const dirs: string[] = [];
  beforeAll(async () => {
    broker = await startSaslBroker();
  }, 180_000);
  afterAll(async () => {
    await broker?.remove();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  const admin = () =>
    kafkaClient(broker.brokers, {
      mechanism: 'plain',
      username: broker.username,
      password: broker.password,
    });

  async function edgeWith(password: string, prefix: string) {
    const spoolDir = await mkdtemp(join(tmpdir(), 'edge-sasl-spool-'));
    dirs.push(spoolDir);
    const edge = await startBuiltEdge({
      KAFKA_BROKERS: broker.brokers.join(','),
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: broker.username,
      KAFKA_SASL_PASSWORD: password,
      KAFKA_TOPIC_PREFIX: prefix,
      SPOOL_DIR: spoolDir,
      RATE_LIMIT_STORE: 'memory',
    });
    return { edge, spoolDir };
  }

  /** Requests without a key: each is answered 401 and metered, its method naming it. */
  async function traffic(edge: BuiltEdge, count: number, tag: string): Promise<string[]> {
    const methods = Array.from({ length: count }, (_, i) => `${tag}${i}`);
    for (const method of methods) expect(await verify(edge, method)).toBe(401);
    return methods;
  }

  it('with the right credentials delivers every event to the usage topic', async () => {
    const prefix = `${uniqueName('edge_sasl_ok')}.`;
    const { edge } = await edgeWith(broker.password, prefix);
    let methods: string[];
    try {
      methods = await traffic(edge, 40, 'OK');
      // Safe and not waiting in the spool: sent on the first try, or (when a new topic's leaders
      // were not known yet) spooled and replayed.
      await eventually(
        async () => {
          const metrics = await edge.metrics();
          return (
            metricValue(metrics, 'edge_usage_events_total') === 40 &&
            metricValue(metrics, 'edge_usage_spooled_events') === 0
          );
        },
        30_000,
        async () => `40 events on Kafka:\n${await edge.metrics()}\n${edge.output()}`,
      );
    } finally {
      expect(await edge.process.stop('SIGTERM')).toBe(0);
    }
    const records = await readTopic(admin(), prefix + TOPICS.usage.name);
    const methodOf = new Map(records.flatMap(meteredEvents).map((e) => [e.eventId, e.method]));
    expect([...methodOf.values()].sort()).toEqual([...methods].sort());
    expect(edge.output()).not.toContain(broker.password);
  }, 120_000);

  it('with a wrong password delivers nothing, spools every event and logs no password', async () => {
    const prefix = `${uniqueName('edge_sasl_bad')}.`;
    const topic = prefix + TOPICS.usage.name;
    // The topic exists (created with the right credentials), so "nothing delivered" is observable.
    const client = admin().admin();
    await client.connect();
    await client
      .createTopics({
        topics: [{ topic, numPartitions: 3, replicationFactor: 1 }],
        waitForLeaders: true,
      })
      .finally(() => client.disconnect());

    const wrongPassword = 'not-the-sasl-password-4a7c';
    const { edge, spoolDir } = await edgeWith(wrongPassword, prefix);
    let methods: string[];
    try {
      methods = await traffic(edge, 40, 'NO');
      await eventually(
        async () =>
          metricValue(await edge.metrics(), 'edge_usage_events_total', 'path="spool"') === 40,
        60_000,
        async () => `40 events spooled:\n${await edge.metrics()}`,
      );
      expect(metricValue(await edge.metrics(), 'edge_usage_events_total', 'path="kafka"')).toBe(0);
    } finally {
      expect(await edge.process.stop('SIGTERM')).toBe(0);
    }
    expect(await readTopic(admin(), topic)).toEqual([]);
    const spooled = (await spoolFiles(spoolDir)).flatMap(
      (file) => parseSegment(file.bytes).messages,
    );
    expect(
      spooled
        .flatMap(meteredEvents)
        .map((e) => e.method)
        .sort(),
    ).toEqual([...methods].sort());
    const output = edge.output();
    expect(output).toMatch(/SASL|[Aa]uthentication/);
    expect(output).not.toContain(wrongPassword);
    expect(output).not.toContain(broker.password);
  }, 120_000);
});
