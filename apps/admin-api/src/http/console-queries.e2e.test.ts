import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventCodec, newEventId, TOPICS } from '@tollgate/events';
import { sampleEvent } from '@tollgate/events/testing';
import {
  BatchingProducer,
  createKafkaConnection,
  EventPublisher,
  kafkaMetrics,
} from '@tollgate/kafka';
import { eventually, testEndpoints } from '@tollgate/test-infra';
import type { ClosestToQuota } from '../application/closest-to-quota';
import {
  startAdminApi,
  startInternalApps,
  type AdminApiUnderTest,
  type InternalApps,
} from '../testing/admin-test-kit';

/** admin-api's clock: mid-July 2030, so "this month" is 2030-07 whatever the calendar says. */
const NOW = Date.UTC(2030, 6, 15, 12, 0, 0);
const inJuly = (minute: number) => Date.UTC(2030, 6, 2, 8, minute);
const inJune = Date.UTC(2030, 5, 20, 8, 0);

/**
 * The console's queries that are more than a forward: account search (key-service's `q`), the
 * accounts closest to their monthly quota (usage-ingestor's top accounts joined with key-service's
 * plans), and one invoice as CSV; real key-service, usage-ingestor and billing-service processes.
 */
describe('console queries through admin-api (real apps, Kafka, Postgres, Redis)', () => {
  let internal: InternalApps;
  let admin: AdminApiUnderTest;
  let owner: string;
  let producer: BatchingProducer;
  const ids = { free: '', pro: '', unlimited: '', quiet: '' };

  const call = (token: string, url: string) =>
    admin.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
  const create = async (name: string, planId: string) => {
    const res = await admin.app.inject({
      method: 'POST',
      url: '/v1/accounts',
      headers: { authorization: `Bearer ${owner}` },
      payload: { name, planId },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ accountId: string }>().accountId;
  };

  beforeAll(async () => {
    internal = await startInternalApps();
    admin = await startAdminApi(internal, {}, { now: () => NOW });
    owner = await admin.token({ name: 'owner', role: 'owner' });
    ids.free = await create('Quota Free Ltd', 'plan_free');
    ids.pro = await create('Quota Pro Ltd', 'plan_pro');
    ids.unlimited = await create('Quota Unlimited Ltd', 'plan_enterprise');
    ids.quiet = await create('quota quiet ltd', 'plan_free');

    const kafka = createKafkaConnection({
      brokers: testEndpoints().kafkaBrokers,
      clientId: 'console-queries',
    });
    producer = new BatchingProducer(kafka.kafka, {
      name: 'console-queries',
      metrics: kafkaMetrics(new Registry()),
    });
    await producer.connect();
    const usageTopic = internal.topicPrefix + TOPICS.usage.name;
    const publisher = new EventPublisher(producer, new EventCodec(), {
      RequestMetered: usageTopic,
    });
    const metered = (accountId: string, occurredAt: number, costUnits: number, env = 'live') =>
      sampleEvent('RequestMetered', {
        eventId: newEventId(),
        accountId,
        keyId: null,
        occurredAt,
        outcome: 'allowed',
        status: 200,
        costUnits,
        env,
      } as never);
    await Promise.all(
      [
        // free: 9,000 of 10,000 (0.9); pro: 500,000 of 1,000,000 (0.5); enterprise: unlimited.
        metered(ids.free, inJuly(1), 4_000),
        metered(ids.free, inJuly(2), 5_000),
        metered(ids.pro, inJuly(3), 500_000),
        metered(ids.unlimited, inJuly(4), 900_000),
        // Neither June nor test keys count towards July's quota.
        metered(ids.quiet, inJune, 9_999),
        metered(ids.quiet, inJuly(5), 9_999, 'test'),
        metered(ids.quiet, inJuly(6), 100),
      ].map((e) => publisher.publish('RequestMetered', e)),
    );
  }, 240_000);
  afterAll(async () => {
    await producer?.disconnect();
    await admin?.close();
    await internal?.stop();
  });

  it('lists the accounts closest to their monthly quota this month (from the injected clock), by share of the quota', async () => {
    const expected = [
      ['Quota Free Ltd', 9_000, 10_000, 0.9],
      ['Quota Pro Ltd', 500_000, 1_000_000, 0.5],
      ['quota quiet ltd', 100, 10_000, 0.01],
    ];
    const rows = (r: ClosestToQuota) =>
      r.items.map((i) => [i.name, i.billableUnits, i.monthlyQuota, i.usedRatio]);
    let result: ClosestToQuota | undefined;
    // The events sit on several partitions: wait until every one of them is ingested.
    await eventually(
      async () => {
        const res = await call(owner, '/v1/usage/closest-to-quota?limit=10');
        expect(res.statusCode, res.body).toBe(200);
        result = res.json<ClosestToQuota>();
        return result.candidates === 4 && JSON.stringify(rows(result)) === JSON.stringify(expected);
      },
      30_000,
      () => `usage-ingestor to ingest the usage (last answer: ${JSON.stringify(result)})`,
    );
    expect(result).toMatchObject({ period: '2030-07', complete: true, candidates: 4 });
    expect(rows(result!)).toEqual(expected);
    const top1 = await call(owner, '/v1/usage/closest-to-quota?limit=1');
    expect(top1.json<ClosestToQuota>().items.map((i) => i.accountId)).toEqual([ids.free]);
  });

  it('refuses a bad limit (400) and keeps the deployment-wide list from account-scoped tokens (404)', async () => {
    for (const limit of ['0', '51', 'x'])
      expect((await call(owner, `/v1/usage/closest-to-quota?limit=${limit}`)).statusCode).toBe(400);
    const scoped = await admin.token({ name: 'self', role: 'admin', accountId: ids.free });
    expect((await call(scoped, '/v1/usage/closest-to-quota')).statusCode).toBe(404);
    const viewer = await admin.token({ name: 'viewer', role: 'viewer' });
    expect((await call(viewer, '/v1/usage/closest-to-quota')).statusCode).toBe(200);
  });

  it('searches accounts by name prefix or id with cursor paging; a scoped token searches its own', async () => {
    const names = async (url: string, token = owner) => {
      const res = await call(token, url);
      expect(res.statusCode, res.body).toBe(200);
      return res.json<{ items: Array<{ name: string }>; nextCursor: string | null }>();
    };
    expect((await names('/v1/accounts?q=QUOTA%20')).items.map((a) => a.name).sort()).toEqual(
      ['Quota Free Ltd', 'Quota Pro Ltd', 'Quota Unlimited Ltd', 'quota quiet ltd'].sort(),
    );
    const first = await names('/v1/accounts?q=quota&limit=3');
    expect(first.items).toHaveLength(3);
    const rest = await names(`/v1/accounts?q=quota&limit=3&cursor=${first.nextCursor}`);
    expect(rest.items).toHaveLength(1);
    expect(rest.nextCursor).toBeNull();
    expect((await names(`/v1/accounts?q=${ids.pro}`)).items.map((a) => a.name)).toEqual([
      'Quota Pro Ltd',
    ]);
    expect((await call(owner, `/v1/accounts?q=${'x'.repeat(101)}`)).statusCode).toBe(400);

    const scoped = await admin.token({ name: 'self', role: 'viewer', accountId: ids.pro });
    expect((await names('/v1/accounts?q=quota%20pro', scoped)).items.map((a) => a.name)).toEqual([
      'Quota Pro Ltd',
    ]);
    expect((await names('/v1/accounts?q=quota%20free', scoped)).items).toEqual([]);
  });

  it("answers one invoice's CSV only under its own account (404 otherwise, never 500)", async () => {
    const missing = 'inv_01JDQ3W8Y6T4K2M9N7P5R3S1V9';
    const res = await call(owner, `/v1/accounts/${ids.free}/invoices/${missing}/csv`);
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect((await call(owner, `/v1/accounts/${ids.free}/invoices/nope/csv`)).statusCode).toBe(400);
  });
});
