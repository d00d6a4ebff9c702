import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS } from '@tollgate/events';
import {
  createPrivateBroker,
  eventually,
  uniqueName,
  type PrivateBroker,
} from '@tollgate/test-infra';
import { parseSegment } from '../metering/spool-format';
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

/**
 * SIGTERM on the built edge (as deployed, metering thread and all): it exits 0 only after every
 * answered request's RequestMetered is either acknowledged by Kafka or written to the spool.
 * Requests carry no key (each answered 401 and metered); each has its own method, which its event
 * records, so the test knows which request every event on the topic or in the spool meters.
 */
describe('edge-auth SIGTERM flushes its usage (built app, private broker)', () => {
  let broker: PrivateBroker;
  const dirs: string[] = [];
  const edges: BuiltEdge[] = [];

  beforeAll(async () => {
    broker = await createPrivateBroker();
    await broker.start();
  }, 180_000);
  afterAll(async () => {
    for (const edge of edges) await edge.process.stop('SIGKILL').catch(() => undefined);
    await broker?.remove();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  async function startEdge(extra: Record<string, string> = {}) {
    const spoolDir = await mkdtemp(join(tmpdir(), 'edge-shutdown-spool-'));
    dirs.push(spoolDir);
    const prefix = `${uniqueName('edge_shutdown')}.`;
    const edge = await startBuiltEdge({
      KAFKA_BROKERS: broker.brokers.join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      SPOOL_DIR: spoolDir,
      RATE_LIMIT_STORE: 'memory',
      ...extra,
    });
    edges.push(edge);
    await edge.ready();
    return { edge, spoolDir, topic: prefix + TOPICS.usage.name };
  }

  /** Until `count` answered requests' events are on Kafka (first try or replayed), none spooled. */
  async function onKafka(edge: BuiltEdge, count: number, what: string): Promise<void> {
    await eventually(
      async () => {
        const metrics = await edge.metrics();
        return (
          metricValue(metrics, 'edge_usage_events_total') === count &&
          metricValue(metrics, 'edge_usage_spooled_events') === 0
        );
      },
      30_000,
      async () => `${what} on Kafka:\n${await edge.metrics()}\n${edge.output()}`,
    );
  }

  /**
   * One request whose event is on Kafka: the first sends to a topic the edge has just created may
   * fail over to the spool, and then the measured traffic would start in spooling mode.
   */
  async function warmUp(edge: BuiltEdge): Promise<string> {
    const [method] = await traffic(edge, 'WARM', 1);
    await onKafka(edge, 1, 'the warm-up event');
    return method!;
  }

  async function traffic(edge: BuiltEdge, tag: string, count: number): Promise<string[]> {
    const methods = Array.from({ length: count }, (_, i) => `${tag}${i}`);
    for (const method of methods) expect(await verify(edge, method)).toBe(401);
    return methods;
  }

  async function spooledMethods(spoolDir: string): Promise<string[]> {
    return (await spoolFiles(spoolDir))
      .flatMap((file) => parseSegment(file.bytes).messages)
      .flatMap(meteredEvents)
      .map((event) => event.method);
  }

  it('with Kafka up: every answered request is on the usage topic before the process exits', async () => {
    // A long linger keeps the last events waiting for their batch when SIGTERM arrives.
    const { edge, spoolDir, topic } = await startEdge({ METER_LINGER_MS: '1000' });
    const warm = await warmUp(edge);
    const methods = [warm, ...(await traffic(edge, 'UP', 200))];
    const stopping = Date.now();
    expect(await edge.process.stop('SIGTERM', 30_000)).toBe(0);
    const shutdownMs = Date.now() - stopping;

    const records = await readTopic(kafkaClient(broker.brokers), topic);
    const metered = records.flatMap(meteredEvents).map((event) => event.method);
    expect(metered.sort()).toEqual([...methods].sort());
    expect(await spooledMethods(spoolDir)).toEqual([]);
    console.log(
      `SIGTERM, Kafka up: exit 0 after ${shutdownMs} ms, ${metered.length} of ${methods.length} events in ${records.length} records, spool empty`,
    );
  }, 90_000);

  it('with Kafka SIGKILLed: every answered request not on the topic is in the spool files after exit 0', async () => {
    const { edge, spoolDir, topic } = await startEdge();
    const before = [await warmUp(edge), ...(await traffic(edge, 'BEFORE', 100))];
    await onKafka(edge, 101, 'the first 101 events');
    await broker.kill();
    const during = await traffic(edge, 'DURING', 100);
    // Straight away: sends to the dead broker are still in flight, waiting for their timeout.
    const stopping = Date.now();
    expect(await edge.process.stop('SIGTERM', 30_000)).toBe(0);
    const shutdownMs = Date.now() - stopping;
    const spooled = await spooledMethods(spoolDir);

    await broker.start();
    const onTopic = (await readTopic(kafkaClient(broker.brokers), topic))
      .flatMap(meteredEvents)
      .map((event) => event.method);
    const answered = [...before, ...during];
    expect(new Set([...onTopic, ...spooled])).toEqual(new Set(answered));
    for (const method of during)
      expect(onTopic.includes(method) || spooled.includes(method)).toBe(true);
    expect(spooled.length).toBeGreaterThan(0);
    const both = spooled.filter((method) => onTopic.includes(method)).length;
    console.log(
      `SIGTERM, Kafka killed: exit 0 after ${shutdownMs} ms; ${onTopic.length} events on the topic, ` +
        `${spooled.length} in the spool (${both} in both: acknowledged late, replayed again later)`,
    );
  }, 120_000);
});
