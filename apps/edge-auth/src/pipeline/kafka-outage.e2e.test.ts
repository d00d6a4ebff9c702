import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventCodec, TOPICS } from '@tollgate/events';
import {
  isolatedServiceEnv,
  uniqueName,
  createPrivateBroker,
  type PrivateBroker,
  eventually,
} from '@tollgate/test-infra';
import {
  startEdge,
  startKeyServiceProcess,
  type EdgeUnderTest,
  type KeyServiceProcess,
} from '../testing/edge-test-kit';

/**
 * edge-auth on its own broker, which the test stops mid-load: keys keep verifying from the table
 * (filled here through key-service lookups), usage goes to the spool, and once the broker is back
 * the usage topic holds exactly one RequestMetered per request.
 */
describe('edge-auth through a Kafka outage (private broker, real key-service and Redis)', () => {
  let broker: PrivateBroker;
  let ks: KeyServiceProcess;
  let edge: EdgeUnderTest;
  const prefix = isolatedServiceEnv('edge_outage').env.KAFKA_TOPIC_PREFIX;

  beforeAll(async () => {
    broker = await createPrivateBroker();
    await broker.start();
    ks = await startKeyServiceProcess();
    edge = await startEdge(
      { url: ks.url, topicPrefix: prefix },
      { KAFKA_BROKERS: broker.brokers.join(','), TABLE_MAX_WAIT_MS: '100' },
    );
  }, 180_000);
  afterAll(async () => {
    await edge?.close();
    await ks?.stop();
    await broker?.remove();
  });

  it('keeps serving from the table and loses no usage event', async () => {
    const accountId = await ks.createAccount('plan_enterprise');
    const key = await ks.issueKey(accountId);
    let requests = 0;
    const statuses = new Map<number, number>();
    const call = async () => {
      requests++;
      const res = await edge.app.inject({
        url: '/verify',
        headers: { authorization: `Bearer ${key.plaintext}`, 'x-original-uri': '/v1/x' },
      });
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      return res.statusCode;
    };
    await eventually(async () => (await call()) === 200, 10_000, 'key known');

    const burst = async (n: number) => {
      for (let i = 0; i < n; i++) {
        await call();
        if (i % 20 === 0) await new Promise((r) => setTimeout(r, 5));
      }
    };
    await burst(300);
    const logsBefore = edge.logs.length;
    const stopping = broker.stop();
    await burst(600);
    await stopping;
    await burst(600); // broker down the whole time
    const spooledDuringOutage = await edge.app.inject('/metrics');
    await broker.start();
    await burst(300);

    expect([...statuses.keys()].every((s) => s === 200 || s === 429)).toBe(true);
    expect(spooledDuringOutage.body).toMatch(
      /edge_usage_spooled_events\{service="edge-auth"\} [1-9]/,
    );
    // One line per state change, not one per kafkajs retry (the metric counts the retries). The
    // outage may continue a spell of start-up trouble (new topics without leaders), then it
    // logs nothing new.
    const outageLines = edge.logs
      .slice(logsBefore)
      .map((line) => JSON.parse(line) as { level: number; component?: string; msg: string });
    const kafkajsErrors = outageLines.filter((l) => l.level >= 50 && l.component === 'kafka');
    // The lines themselves in the failure message: a second one says which state change it was.
    expect(kafkajsErrors.length, JSON.stringify(kafkajsErrors)).toBeLessThanOrEqual(1);
    for (const line of kafkajsErrors) expect(line.msg).toMatch(/^Kafka unavailable: /);
    expect(outageLines.filter((l) => l.level >= 40).length).toBeLessThanOrEqual(5);
    expect(spooledDuringOutage.body).toMatch(/^kafka_client_up\{[^}]*\} 0$/m);
    expect(spooledDuringOutage.body).toMatch(
      /^kafka_client_connection_errors_total\{[^}]*\} [1-9]/m,
    );

    const codec = new EventCodec();
    const seen = new Set<string>();
    let duplicates = 0;
    const usageTopic = prefix + TOPICS.usage.name;
    /** Next offset to read, per partition. */
    const position = new Map<number, bigint>();
    const kafka = new Kafka({
      clientId: 'outage-reader',
      brokers: broker.brokers,
      logLevel: logLevel.NOTHING,
    });
    const consumer = kafka.consumer({ groupId: uniqueName('outage-reader'), maxWaitTimeInMs: 100 });
    const admin = kafka.admin();
    await Promise.all([consumer.connect(), admin.connect()]);
    try {
      await consumer.subscribe({ topic: usageTopic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          position.set(partition, BigInt(message.offset) + 1n);
          const event = codec.decode(message.headers, message.value);
          const eventIds =
            event.type === 'RequestMeteredBatch'
              ? event.payload.events.map((e) => e.eventId)
              : [event.payload.eventId];
          for (const eventId of eventIds) {
            if (seen.has(eventId)) duplicates++;
            seen.add(eventId);
          }
        },
      });
      await eventually(() => seen.size >= requests, 60_000, `${requests} RequestMetered events`);
      // Then everything on the topic up to now, so an event too many cannot go unread.
      const ends = await admin.fetchTopicOffsets(usageTopic);
      await eventually(
        () => ends.every((p) => (position.get(p.partition) ?? 0n) >= BigInt(p.high)),
        30_000,
        'the usage topic read to its end',
      );
    } finally {
      await Promise.all([consumer.disconnect(), admin.disconnect()]);
    }
    console.log(
      `kafka outage: ${outageLines.filter((l) => l.level >= 40).length} warn/error lines, ` +
        `${requests} requests (${JSON.stringify(Object.fromEntries(statuses))}), ` +
        `${seen.size} distinct RequestMetered, ${duplicates} same-eventId duplicates`,
    );
    expect(seen.size).toBe(requests);
  }, 180_000);
});
