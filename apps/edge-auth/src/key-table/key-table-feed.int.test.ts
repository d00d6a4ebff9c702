import avro from 'avsc';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EVENT_TYPE_HEADER,
  newEventId,
  newId,
  RELEASED_SCHEMAS,
  SCHEMA_FINGERPRINT_HEADER,
  topicOf,
} from '@tollgate/events';
import { sampleEvent } from '@tollgate/events/testing';
import {
  eventually,
  isolatedServiceEnv,
  testEndpoints,
  type IsolatedServiceEnv,
} from '@tollgate/test-infra';
import { startEdge, type EdgeUnderTest } from '../testing/edge-test-kit';
import { plan, TableTopics } from '../testing/table-topics';

const NO_KEY_SERVICE = 'http://127.0.0.1:9';

describe('edge-auth key table fed from Kafka (real Kafka and Redis)', () => {
  let isolated: IsolatedServiceEnv;
  let edge: EdgeUnderTest;
  let topics: TableTopics;
  let prefix: string;

  const verify = (target: EdgeUnderTest, plaintext: string) =>
    target.app.inject({
      url: '/verify',
      headers: { authorization: `Bearer ${plaintext}`, 'x-original-uri': '/v1/anything' },
    });

  beforeAll(async () => {
    isolated = isolatedServiceEnv('edge_table');
    prefix = isolated.env.KAFKA_TOPIC_PREFIX;
    // No key-service: the table is the only source, so what it applied is what the edge decides.
    edge = await startEdge({ url: NO_KEY_SERVICE, topicPrefix: prefix });
    topics = await TableTopics.forEdge(edge.config);
  }, 60_000);
  afterAll(async () => {
    await topics?.close();
    await edge?.close();
    await isolated?.cleanup();
  });

  it('quarantines a plan it cannot apply and keeps applying revocations and suspensions', async () => {
    const accountA = await topics.account(plan('plan_table_a', 100));
    const accountB = await topics.account(plan('plan_table_b', 100));
    const keyA = await topics.key(accountA);
    const keyB = await topics.key(accountB);
    await eventually(async () => (await verify(edge, keyA.plaintext)).statusCode === 200);
    await eventually(async () => (await verify(edge, keyB.plaintext)).statusCode === 200);

    // The plans of issue 13: a rate limit of 1e13 and a policy named like the quota.
    for (const poison of [
      plan('plan_poison', 1e13),
      plan('plan_poison', 5, {
        rateLimits: [{ name: 'monthly-quota', limit: 5, windowMs: 60_000 }],
      }),
    ]) {
      await topics.publish('PlanChanged', {
        ...sampleEvent('PlanChanged'),
        accountId: accountA,
        planId: poison.planId,
        planVersion: 1,
        plan: poison,
        previousPlan: null,
        effectiveAt: 0,
      });
    }
    await topics.revoke(keyA);
    await topics.suspend(accountB);

    await eventually(async () => (await verify(edge, keyA.plaintext)).statusCode === 401);
    expect((await verify(edge, keyA.plaintext)).json()).toMatchObject({ code: 'key_revoked' });
    await eventually(async () => (await verify(edge, keyB.plaintext)).statusCode === 403);
    expect((await verify(edge, keyB.plaintext)).json()).toMatchObject({
      code: 'account_suspended',
    });

    const ready = await edge.app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    const metrics = (await edge.app.inject('/metrics')).body;
    expect(metrics).toMatch(
      /edge_key_table_quarantined_events_total\{event_type="PlanChanged",reason="invalid_plan"[^}]*\} 2/,
    );
    const quarantined = edge.logs.filter((line) => line.includes('event not applied'));
    expect(quarantined).toHaveLength(2);
    expect(quarantined[0]).toContain('plan.rateLimits.0.limit');

    // Both went to the dead-letter topic, with the reason.
    await eventually(
      async () => (await deadLetters(prefix)).filter((r) => r === 'invalid_plan').length === 2,
      10_000,
      'two dead letters',
    );
  });

  it('starts a new edge on a topic that holds a poison plan, and it becomes ready', async () => {
    const another = await startEdge({ url: NO_KEY_SERVICE, topicPrefix: prefix });
    try {
      expect((await another.app.inject('/readyz')).statusCode).toBe(200);
      expect(another.logs.filter((line) => line.includes('event not applied'))).toHaveLength(2);
    } finally {
      await another.close();
    }
  });

  it('dead-letters the exact bytes it received (an older schema version, extra headers) and keeps applying', async () => {
    const account = await topics.account(plan('plan_table_bytes', 100));
    const key = await topics.key(account);
    await eventually(async () => (await verify(edge, key.plaintext)).statusCode === 200);

    // A poison plan as an older producer writes it: PlanChanged v1 bytes, plus a header the edge
    // does not know. Re-encoding what the edge decoded would give other bytes (the current schema).
    const v1 = RELEASED_SCHEMAS.find((s) => s.type === 'PlanChanged' && s.version === 1);
    if (!v1) throw new Error('PlanChanged v1 is not a released schema');
    const writer = avro.Type.forSchema(v1.schema as unknown as avro.Schema);
    const poison = plan('plan_poison_v1', 1e13);
    const value = writer.toBuffer({
      ...sampleEvent('PlanChanged'),
      eventId: newEventId(),
      schemaVersion: 1,
      accountId: account,
      planId: poison.planId,
      planVersion: 1,
      plan: poison,
      previousPlan: null,
      effectiveAt: 0,
    });
    const headers = {
      [EVENT_TYPE_HEADER]: Buffer.from('PlanChanged'),
      [SCHEMA_FINGERPRINT_HEADER]: Buffer.from(writer.fingerprint('sha256').toString('hex')),
      traceparent: Buffer.from('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'),
    };
    const producer = new Kafka({
      clientId: 'poison-v1',
      brokers: testEndpoints().kafkaBrokers,
      logLevel: logLevel.NOTHING,
    }).producer();
    await producer.connect();
    try {
      await producer.send({
        topic: prefix + topicOf('PlanChanged').name,
        acks: -1,
        messages: [{ key: account, value, headers }],
      });
    } finally {
      await producer.disconnect();
    }
    await topics.revoke(key);

    await eventually(async () => (await verify(edge, key.plaintext)).statusCode === 401);
    let letter: KafkaMessage | undefined;
    await eventually(
      async () => {
        const records = await deadLetterRecords(prefix);
        letter = records.find((r) => r.key?.toString() === account);
        return letter !== undefined;
      },
      10_000,
      'the dead letter of the v1 poison plan',
    );
    expect(letter?.value?.equals(value)).toBe(true);
    expect(letter?.key?.equals(Buffer.from(account))).toBe(true);
    for (const [name, bytes] of Object.entries(headers))
      expect(Buffer.from(letter?.headers?.[name] as Buffer).equals(bytes)).toBe(true);
    expect(letter?.headers?.['tollgate-dlq-reason']?.toString()).toBe('invalid_plan');
  });

  it('holds a future-dated plan change after a restart until it is due', async () => {
    const known = await topics.account(plan('plan_before', 11));
    const accountId = newId('account');
    const later = plan('plan_after', 22);
    const clock = { now: Date.now() };
    await topics.publish('PlanChanged', {
      ...sampleEvent('PlanChanged'),
      accountId,
      planId: later.planId,
      planVersion: 1,
      plan: later,
      previousPlan: { planId: 'plan_before', planVersion: 1 },
      effectiveAt: clock.now + 3_600_000,
    });
    const key = await topics.key(accountId);
    expect(known).toBeTruthy();

    // A fresh edge reads the topics from the start: the compacted plans topic holds only the
    // future assignment for this account, and the edge must not apply it early.
    const restarted = await startEdge(
      { url: NO_KEY_SERVICE, topicPrefix: prefix },
      {},
      { now: () => clock.now },
    );
    try {
      const before = await verify(restarted, key.plaintext);
      expect(before.statusCode).toBe(200);
      expect(before.headers['x-tollgate-plan']).toBe('plan_before@1');
      expect(before.headers['ratelimit-policy']).toBe('"per-minute";q=11;w=60');
      clock.now += 3_600_000;
      const after = await verify(restarted, key.plaintext);
      expect(after.headers['x-tollgate-plan']).toBe('plan_after@1');
      expect(after.headers['ratelimit-policy']).toBe('"per-minute";q=22;w=60');
    } finally {
      await restarted.close();
    }
  });

  it('is not ready once its table reader has stopped (a topic it reads was deleted)', async () => {
    const own = isolatedServiceEnv('edge_table_stop');
    const stopping = await startEdge({
      url: NO_KEY_SERVICE,
      topicPrefix: own.env.KAFKA_TOPIC_PREFIX,
    });
    const admin = new Kafka({
      clientId: 'table-stop',
      brokers: testEndpoints().kafkaBrokers,
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    try {
      expect((await stopping.app.inject('/readyz')).statusCode).toBe(200);
      await admin.deleteTopics({
        topics: [own.env.KAFKA_TOPIC_PREFIX + topicOf('KeyIssued').name],
      });
      // kafkajs retries the fetch for a while before the reader's consumer crashes.
      await eventually(
        async () => (await stopping.app.inject('/readyz')).statusCode === 503,
        60_000,
        '/readyz 503 after the reader stopped',
      );
      const body = (await stopping.app.inject('/readyz')).json<{
        checks: Record<string, string>;
      }>();
      expect(body.checks['kafka']).toBe('ok');
      expect(body.checks['key-table']).toMatch(/reader crashed/);
      expect((await stopping.app.inject('/metrics')).body).toMatch(
        /edge_key_table_reader_restarts_total\{[^}]*\} [1-9]/,
      );
    } finally {
      await admin.disconnect();
      await stopping.close();
      await own.cleanup();
    }
  }, 90_000);
});

/** The `tollgate-dlq-reason` of every record in the dead-letter topic. */
async function deadLetters(prefix: string): Promise<string[]> {
  return (await deadLetterRecords(prefix)).map(
    (message) => message.headers?.['tollgate-dlq-reason']?.toString() ?? '',
  );
}

/** Every record in the dead-letter topic, as received. */
async function deadLetterRecords(prefix: string): Promise<KafkaMessage[]> {
  const kafka = new Kafka({
    clientId: 'dlq-reader',
    brokers: testEndpoints().kafkaBrokers,
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const topic = `${prefix}tollgate.dead-letters.v1`;
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const total = offsets.reduce((sum, o) => sum + Number(o.high) - Number(o.low), 0);
  if (total === 0) return [];
  const consumer = kafka.consumer({ groupId: `dlq-${newId('key')}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const records: KafkaMessage[] = [];
  await consumer.run({
    eachMessage: async ({ message }) => {
      records.push(message);
    },
  });
  await eventually(async () => records.length >= total, 10_000, 'dead letters read');
  await consumer.disconnect();
  return records;
}
