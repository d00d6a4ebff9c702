import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newEventId } from '@tollgate/events';
import { sampleEvent } from '@tollgate/events/testing';
import { usageTestKit, type IngestorUnderTest } from '../testing/usage-test-kit';

const ACCOUNT = 'acct_01JDQ3W8Y6T4K2M9N7P5R3S1C1';
const OTHER_ACCOUNT = 'acct_01JDQ3W8Y6T4K2M9N7P5R3S1C9';
/** Busy in the month before, and with test keys only in T0's month: never among its top accounts. */
const THIRD_ACCOUNT = 'acct_01JDQ3W8Y6T4K2M9N7P5R3S1C7';
const THIRD_KEY = 'key_01JDQ3W8Y6T4K2M9N7P5R3S1C6';
const BUSY = 'key_01JDQ3W8Y6T4K2M9N7P5R3S1C2';
const QUIET = 'key_01JDQ3W8Y6T4K2M9N7P5R3S1C3';
const IDLE = 'key_01JDQ3W8Y6T4K2M9N7P5R3S1C4';
const FOREIGN = 'key_01JDQ3W8Y6T4K2M9N7P5R3S1C8';
/** Fixed instants; the ingestor's clock is injected, so the calendar plays no part. */
const T0 = Date.UTC(2030, 6, 1, 8, 0, 0);
const NOW = T0 + 6 * 3_600_000;
const minute = (n: number) => T0 + n * 60_000;

describe('usage analytics: top keys and routes, last use per key (real Kafka + Postgres)', () => {
  let kit: IngestorUnderTest;
  let app: FastifyInstance;
  beforeAll(async () => {
    kit = await usageTestKit('usage_top');
    app = await kit.startApp({ now: () => NOW });
    const event = (at: number, keyId: string, route: string, overrides: object = {}) =>
      sampleEvent('RequestMetered', {
        eventId: newEventId(),
        accountId: ACCOUNT,
        keyId,
        route,
        occurredAt: at,
        outcome: 'allowed',
        status: 200,
        costUnits: 1,
        ...overrides,
      });
    const events = [
      // BUSY: 5 orders.list (one rate limited), 2 users.get at cost 3; last at minute 42.
      ...[0, 1, 2, 3].map((m) => event(minute(m), BUSY, 'orders.list')),
      event(minute(4), BUSY, 'orders.list', { outcome: 'rate_limited', status: 429 }),
      event(minute(10), BUSY, 'users.get', { costUnits: 3 }),
      event(minute(42), BUSY, 'users.get', { costUnits: 3 }),
      // QUIET: 2 orders.list; last at minute 90.
      event(minute(5), QUIET, 'orders.list'),
      event(minute(90), QUIET, 'orders.list'),
      // Another account's key on the same routes must not show up.
      ...[0, 1, 2, 3, 4, 5, 6, 7].map((m) =>
        event(minute(m), FOREIGN, 'orders.list', { accountId: OTHER_ACCOUNT }),
      ),
      event(T0 - 86_400_000, THIRD_KEY, 'orders.list', {
        accountId: THIRD_ACCOUNT,
        costUnits: 100,
      }),
      event(minute(8), THIRD_KEY, 'orders.list', {
        accountId: THIRD_ACCOUNT,
        env: 'test',
        costUnits: 50,
      }),
      // An invalid key (no key id) counts for routes, never as a key.
      event(minute(7), '', 'admin.delete', { keyId: null, outcome: 'invalid', status: 401 }),
    ];
    await kit.produce(events);
    await kit.waitForRequests(events.length);
  });
  afterAll(async () => {
    await kit?.close();
  });

  const get = (url: string) => app.inject({ method: 'GET', url });
  const base = `/v1/usage/accounts/${ACCOUNT}`;

  it('ranks the busiest keys, allowed and rejected apart, with the last minute seen', async () => {
    const res = await get(`${base}/top?by=key&from=${T0}&to=${NOW}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      items: [
        {
          keyId: BUSY,
          requests: 7,
          allowedRequests: 6,
          rejectedRequests: 1,
          allowedUnits: 10,
          lastSeenAt: new Date(minute(42)).toISOString(),
        },
        {
          keyId: QUIET,
          requests: 2,
          allowedRequests: 2,
          rejectedRequests: 0,
          allowedUnits: 2,
          lastSeenAt: new Date(minute(90)).toISOString(),
        },
      ],
    });
    // The range is honoured and the limit applies.
    const early = await get(`${base}/top?by=key&from=${T0}&to=${minute(5)}&limit=1`);
    expect(early.json<{ items: Array<{ keyId: string; requests: number }> }>().items).toEqual([
      expect.objectContaining({ keyId: BUSY, requests: 5 }),
    ]);
  });

  it('ranks the busiest routes, invalid-key traffic included', async () => {
    const res = await get(`${base}/top?by=route&from=${T0}&to=${NOW}`);
    const items = res.json<{ items: Array<{ route: string; requests: number }> }>().items;
    expect(items.map((i) => [i.route, i.requests])).toEqual([
      ['orders.list', 7],
      ['users.get', 2],
      ['admin.delete', 1],
    ]);
  });

  it('answers when each listed key was last used; never for another account’s key', async () => {
    const res = await get(
      `${base}/keys/last-used?keyId=${QUIET}&keyId=${BUSY}&keyId=${IDLE}&keyId=${FOREIGN}`,
    );
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      items: [
        { keyId: QUIET, lastUsedAt: new Date(minute(90)).toISOString() },
        { keyId: BUSY, lastUsedAt: new Date(minute(42)).toISOString() },
        { keyId: IDLE, lastUsedAt: null },
        { keyId: FOREIGN, lastUsedAt: null },
      ],
    });
    const single = await get(`${base}/keys/last-used?keyId=${BUSY}`);
    expect(single.json()).toEqual({
      items: [{ keyId: BUSY, lastUsedAt: new Date(minute(42)).toISOString() }],
    });
  });

  it("ranks a month's accounts by billable units (live, allowed), most first, within the limit", async () => {
    const res = await get('/v1/usage/top-accounts?period=2030-07&limit=5');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      period: '2030-07',
      items: [
        { accountId: ACCOUNT, billableUnits: 12 },
        { accountId: OTHER_ACCOUNT, billableUnits: 8 },
      ],
    });
    expect((await get('/v1/usage/top-accounts?period=2030-07&limit=1')).json()).toEqual({
      period: '2030-07',
      items: [{ accountId: ACCOUNT, billableUnits: 12 }],
    });
    expect((await get('/v1/usage/top-accounts?period=2030-06')).json()).toEqual({
      period: '2030-06',
      items: [{ accountId: THIRD_ACCOUNT, billableUnits: 100 }],
    });
    for (const url of [
      '/v1/usage/top-accounts',
      '/v1/usage/top-accounts?period=2030-13',
      '/v1/usage/top-accounts?period=2030-07&limit=101',
      '/v1/usage/top-accounts?period=2030-07&limit=0',
    ])
      expect((await get(url)).statusCode, url).toBe(400);
  });

  it('refuses bad input with 400: unknown dimension, reversed range, too many keys, bad ids', async () => {
    const tooMany = Array.from({ length: 101 }, () => `keyId=${BUSY}`).join('&');
    for (const url of [
      `${base}/top?by=account&from=${T0}&to=${NOW}`,
      `${base}/top?by=key&from=${NOW}&to=${T0}`,
      `${base}/top?by=key&from=${T0}&to=${T0 + 367 * 86_400_000}`,
      `${base}/top?by=key&from=${T0}&to=${NOW}&limit=101`,
      `${base}/keys/last-used`,
      `${base}/keys/last-used?${tooMany}`,
      `${base}/keys/last-used?keyId=not-a-key`,
    ]) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(400);
      expect(res.headers['content-type'], url).toContain('application/problem+json');
    }
  });
});
