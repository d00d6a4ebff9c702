import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS } from '@tollgate/events';
import { loadConfig } from '@tollgate/service-runtime';
import {
  createPrivateBroker,
  eventually,
  infraEnv,
  uniqueName,
  type PrivateBroker,
} from '@tollgate/test-infra';
import { EdgeAuthConfig } from '../config';
import { parseSegment } from '../metering/spool-format';
import { plan, TableTopics, type TableKey } from '../testing/table-topics';
import {
  kafkaClient,
  meteredEvents,
  metricValue,
  readTopic,
  spoolFiles,
  startBuiltEdge,
  verify,
  type BuiltEdge,
  type RawRecord,
} from '../testing/built-edge';

const NO_KEY_SERVICE = 'http://127.0.0.1:9';

/**
 * The deployed shape under the worst crash: the built edge (bundled app, metering thread, spool on
 * disk) is SIGKILLed while its Kafka broker is itself SIGKILLed, then both come back. Every
 * request that got an answer is on the usage topic exactly once after dedupe by eventId, and no
 * plaintext key is in the edge's output, its spool or the usage records.
 *
 * Each request carries its own method (X-Original-Method), which its RequestMetered records: that
 * ties every event on the topic to the one request it meters.
 */
describe('edge-auth SIGKILLed during a Kafka crash (built app, private broker)', () => {
  let broker: PrivateBroker;
  let spoolDir: string;
  let env: Record<string, string>;
  const edges: BuiltEdge[] = [];

  beforeAll(async () => {
    broker = await createPrivateBroker();
    await broker.start();
    spoolDir = await mkdtemp(join(tmpdir(), 'edge-crash-spool-'));
    env = {
      KAFKA_BROKERS: broker.brokers.join(','),
      KAFKA_TOPIC_PREFIX: `${uniqueName('edge_crash')}.`,
      KEY_SERVICE_URL: NO_KEY_SERVICE,
      SPOOL_DIR: spoolDir,
      TABLE_MAX_WAIT_MS: '100',
    };
  }, 180_000);
  afterAll(async () => {
    for (const edge of edges) await edge.process.stop('SIGKILL').catch(() => undefined);
    await broker?.remove();
    if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
  });

  it('loses and duplicates no answered request, and no plaintext key reaches logs, spool or topic', async () => {
    const first = await startBuiltEdge(env);
    edges.push(first);
    await first.ready();
    const topics = await TableTopics.forEdge(loadConfig(EdgeAuthConfig, { ...infraEnv(), ...env }));
    let keys: TableKey[];
    try {
      const account = await topics.account(plan('plan_crash', 1_000_000));
      keys = [await topics.key(account), await topics.key(account), await topics.key(account)];
    } finally {
      await topics.close();
    }

    /** method → status, for every request that got an answer. */
    const answered = new Map<string, number>();
    let sequence = 0;
    const request = async (phase: string, key?: string, uri?: string) => {
      const method = `${phase}${sequence++}`;
      answered.set(method, await verify(first, method, key, uri));
      return answered.get(method);
    };
    for (const key of keys)
      await eventually(async () => (await request('W', key.plaintext)) === 200, 15_000);
    const burst = async (phase: string, count: number) => {
      for (let i = 0; i < count; i++) {
        const key = keys[i % keys.length]!.plaintext;
        // Now and then the key where it must never be: in the query (refused 400, still metered).
        if (i % 25 === 0)
          await request(phase, undefined, `/v1/x?api_key=${encodeURIComponent(key)}`);
        else await request(phase, key);
      }
    };

    await burst('A', 150);
    await broker.kill();
    await burst('B', 150);
    // The edge answers before an event is safe (by design it never waits for Kafka); within the
    // send timeout every answered event is acknowledged or written to the spool. The kill comes
    // once that holds, so what this test checks is the crash of both processes, not that window.
    await eventually(
      async () => {
        const metrics = await first.metrics();
        const safe = metricValue(metrics, 'edge_usage_events_total');
        const spooled = metricValue(metrics, 'edge_usage_spooled_events');
        const onDisk = (await spoolFiles(spoolDir))
          .flatMap((file) => parseSegment(file.bytes).messages)
          .flatMap(meteredEvents).length;
        return safe === answered.size && spooled > 0 && onDisk === spooled;
      },
      30_000,
      async () => `all ${answered.size} events acknowledged or on disk:\n${await first.metrics()}`,
    );
    expect(await first.process.stop('SIGKILL')).toBeNull();
    const spoolAtCrash = await spoolFiles(spoolDir);

    await broker.start();
    const second = await startBuiltEdge(env);
    edges.push(second);
    await second.ready();
    await eventually(
      async () => metricValue(await second.metrics(), 'edge_usage_spooled_events') === 0,
      30_000,
      async () => `the spool replayed:\n${await second.metrics()}`,
    );
    expect(await second.process.stop('SIGTERM')).toBe(0);

    const records = await readTopic(
      kafkaClient(broker.brokers),
      env.KAFKA_TOPIC_PREFIX + TOPICS.usage.name,
    );
    const events = records.flatMap(meteredEvents);
    const methodOf = new Map<string, string>();
    for (const event of events) methodOf.set(event.eventId, event.method);
    const metered = [...methodOf.values()];
    expect(new Set(metered).size).toBe(metered.length);
    expect(new Set(metered)).toEqual(new Set(answered.keys()));
    // Warm-up requests (W) may be refused while the table fills; the measured ones are not.
    const statuses = [...answered].filter(([method]) => !method.startsWith('W')).map(([, s]) => s);
    expect(statuses.every((s) => s === 200 || s === 400)).toBe(true);
    // W warm-up, A before the broker died, B while it was down.
    const extraCopiesByPhase: Record<string, number> = {};
    for (const event of events) {
      const phase = event.method.charAt(0);
      extraCopiesByPhase[phase] = (extraCopiesByPhase[phase] ?? 0) + 1;
    }
    for (const method of methodOf.values()) extraCopiesByPhase[method.charAt(0)]! -= 1;
    console.log(
      `edge crash: ${answered.size} answered requests (${statuses.filter((s) => s === 200).length} allowed, ` +
        `${statuses.filter((s) => s === 400).length} refused), spool at crash ${spoolAtCrash.length} files ` +
        `${spoolAtCrash.reduce((n, f) => n + f.bytes.length, 0)} bytes, ${records.length} usage records, ` +
        `${events.length} events, ${methodOf.size} distinct eventIds, ${events.length - methodOf.size} raw duplicates ` +
        `(extra copies by phase: ${JSON.stringify(extraCopiesByPhase)})`,
    );

    // Plaintext scans: each key whole and its secret part, as sent and URL-encoded.
    const needles = keys.flatMap(({ plaintext }) => {
      const secret = plaintext.slice(plaintext.lastIndexOf('_') + 1);
      return [plaintext, secret, encodeURIComponent(plaintext), encodeURIComponent(secret)];
    });
    const haystacks = {
      output: Buffer.from(first.output() + second.output()),
      spool: Buffer.concat(spoolAtCrash.map((f) => f.bytes)),
      usageTopic: Buffer.concat(records.flatMap(recordBytes)),
    };
    for (const [name, bytes] of Object.entries(haystacks)) {
      expect(bytes.length, `${name} holds data to scan`).toBeGreaterThan(1_000);
      const hits = needles.filter((needle) => bytes.includes(needle));
      expect(hits, `plaintext key material in ${name}`).toEqual([]);
    }
  }, 150_000);
});

/** Key, value and header bytes of a record. */
function recordBytes(record: RawRecord): Buffer[] {
  const headers = Object.entries(record.headers).flatMap(([name, value]) => [
    Buffer.from(name),
    ...[value ?? []].flat().map((v) => Buffer.from(v)),
  ]);
  return [record.key ?? Buffer.alloc(0), record.value, ...headers];
}
