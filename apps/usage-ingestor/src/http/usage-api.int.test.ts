import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newEventId } from '@tollgate/events';
import { sampleEvent } from '@tollgate/events/testing';
import { usageTestKit, type IngestorUnderTest } from '../testing/usage-test-kit';

const ACCOUNT = 'acct_01JDQ3W8Y6T4K2M9N7P5R3S1B1';
const KEY = 'key_01JDQ3W8Y6T4K2M9N7P5R3S1B2';
const T0 = Date.UTC(2026, 10, 27, 10, 0, 0);
/** The ingestor's clock: inside November 2026, whatever the calendar says when the test runs. */
const NOW = T0 + 3 * 3_600_000;
const LAST_OCTOBER_MINUTE = Date.UTC(2026, 9, 31, 23, 59, 0);

describe('usage query API (real Kafka + Postgres)', () => {
  let kit: IngestorUnderTest;
  let app: FastifyInstance;
  beforeAll(async () => {
    kit = await usageTestKit('usage_api');
    app = await kit.startApp({ now: () => NOW });
    const event = (minute: number, overrides: object = {}) =>
      sampleEvent('RequestMetered', {
        eventId: newEventId(),
        accountId: ACCOUNT,
        keyId: KEY,
        occurredAt: T0 + minute * 60_000,
        ...overrides,
      });
    await kit.produce([
      event(0),
      event(0, { costUnits: 5 }),
      event(1, { outcome: 'rate_limited', status: 429 }),
      event(61),
      event(61, { env: 'test' }),
      event(62, { route: 'users.get' }),
      event(0, { occurredAt: LAST_OCTOBER_MINUTE }),
    ]);
    await kit.waitForRequests(7);
  });
  afterAll(async () => {
    await kit?.close();
  });

  const get = (url: string) => app.inject({ method: 'GET', url });
  const base = `/v1/usage/accounts/${ACCOUNT}`;

  it('returns minute and hour series by outcome', async () => {
    const minutes = await get(
      `${base}/series?granularity=minute&from=${T0}&to=${T0 + 2 * 3_600_000}`,
    );
    expect(minutes.statusCode).toBe(200);
    expect(minutes.json<{ points: unknown[] }>().points).toEqual([
      { bucket: new Date(T0).toISOString(), outcome: 'allowed', requests: 2, costUnits: 6 },
      {
        bucket: new Date(T0 + 60_000).toISOString(),
        outcome: 'rate_limited',
        requests: 1,
        costUnits: 1,
      },
      {
        bucket: new Date(T0 + 61 * 60_000).toISOString(),
        outcome: 'allowed',
        requests: 2,
        costUnits: 2,
      },
      {
        bucket: new Date(T0 + 62 * 60_000).toISOString(),
        outcome: 'allowed',
        requests: 1,
        costUnits: 1,
      },
    ]);
    const hours = await get(
      `${base}/series?granularity=hour&from=${T0}&to=${T0 + 2 * 3_600_000}&outcome=allowed`,
    );
    expect(hours.json()).toEqual({
      points: [
        { bucket: new Date(T0).toISOString(), outcome: 'allowed', requests: 2, costUnits: 6 },
        {
          bucket: new Date(T0 + 3_600_000).toISOString(),
          outcome: 'allowed',
          requests: 3,
          costUnits: 3,
        },
      ],
    });
    const route = await get(
      `${base}/series?granularity=day&from=${T0}&to=${T0 + 86_400_000}&route=users.get&keyId=${KEY}`,
    );
    expect(
      route.json<{ points: Array<{ requests: number }> }>().points.map((p) => p.requests),
    ).toEqual([1]);
  });

  it('totals a billing period: billable = allowed with live keys', async () => {
    const res = await get(`${base}/totals?period=2026-11`);
    expect(res.json()).toEqual({
      accountId: ACCOUNT,
      period: '2026-11',
      billableUnits: 8,
      billableRequests: 4,
      requestsByOutcome: { allowed: 5, rate_limited: 1 },
      lateArrivals: null,
    });
    expect((await get(`${base}/totals?period=2026-09`)).json()).toMatchObject({
      billableUnits: 0,
      requestsByOutcome: {},
      lateArrivals: null,
    });
  });

  it('totals any minute range by env for billing: live allowed units are billable, test never', async () => {
    const res = await get(`${base}/range-totals?from=2026-11-27T10:00Z&to=2026-11-27T11:02Z`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      accountId: ACCOUNT,
      from: '2026-11-27T10:00:00.000Z',
      to: '2026-11-27T11:02:00.000Z',
      billableUnits: 7,
      billableRequests: 3,
      byEnv: {
        live: { requests: 4, costUnits: 8, billableRequests: 3, billableUnits: 7 },
        test: { requests: 1, costUnits: 1, billableRequests: 1, billableUnits: 1 },
      },
      newestEventAt: new Date(T0 + 62 * 60_000).toISOString(),
    });
    // `to` is exclusive: one more minute takes in minute 62.
    expect(
      (await get(`${base}/range-totals?from=2026-11-27T10:00Z&to=2026-11-27T11:03:00Z`)).json(),
    ).toMatchObject({ billableUnits: 8, billableRequests: 4 });
    // A range split in two adds up to the whole: segments of a period never lose or double usage.
    const halves = await Promise.all(
      [
        'from=2026-11-01T00:00Z&to=2026-11-27T11:01Z',
        'from=2026-11-27T11:01Z&to=2026-12-01T00:00Z',
      ].map(async (q) =>
        (await get(`${base}/range-totals?${q}`)).json<{ billableUnits: number }>(),
      ),
    );
    expect(halves[0]!.billableUnits + halves[1]!.billableUnits).toBe(8);
    // An account never seen is a zero here (it still owes its base fee), not a 404.
    expect(
      (
        await get(
          '/v1/usage/accounts/acct_01JDQ3W8Y6T4K2M9N7P5R3S1Z9/range-totals?from=2026-11-01T00:00Z&to=2026-12-01T00:00Z',
        )
      ).json(),
    ).toMatchObject({ billableUnits: 0, byEnv: { test: { requests: 0 } } });
    for (const bad of [
      'from=2026-11-27T10:00Z&to=2026-11-27T10:00Z',
      'from=2026-11-27T10:00:30Z&to=2026-11-27T11:00Z',
      'from=2026-02-30T00:00Z&to=2026-03-02T00:00Z',
      'from=2026-01-01T00:00Z&to=2027-02-01T00:00Z',
      'from=1764237600000&to=1764241200000',
    ]) {
      const refused = await get(`${base}/range-totals?${bad}`);
      expect(refused.statusCode, bad).toBe(400);
      expect(refused.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('answers 404 problem+json for an account with no usage ever recorded, not zeros', async () => {
    const res = await get(
      '/v1/usage/accounts/acct_01JDQ3W8Y6T4K2M9N7P5R3S1Z9/totals?period=2026-11',
    );
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'not_found', reason: 'no_usage_recorded' });
    // A known account's quiet period is a real zero, not an unknown account.
    expect((await get(`${base}/totals?period=2026-09`)).statusCode).toBe(200);
  });

  it('flags usage of a period that had closed by the ingestor clock as a late arrival', async () => {
    expect((await get(`${base}/totals?period=2026-10`)).json()).toEqual({
      accountId: ACCOUNT,
      period: '2026-10',
      billableUnits: 1,
      billableRequests: 1,
      requestsByOutcome: { allowed: 1 },
      lateArrivals: { requests: 1, costUnits: 1 },
    });
  });

  it('reports freshness in the API and as a metric', async () => {
    const res = await get('/v1/usage/freshness');
    expect(res.json()).toEqual({
      newestEventAt: new Date(T0 + 62 * 60_000).toISOString(),
      lagMs: NOW - (T0 + 62 * 60_000),
    });
    expect((await get('/metrics')).body).toMatch(
      new RegExp(
        `usage_ingestion_lag_seconds\\{service="usage-ingestor"\\} ${(NOW - (T0 + 62 * 60_000)) / 1000}\n`,
      ),
    );
    expect((await get('/metrics')).body).toMatch(
      /usage_events_total\{[^}]*result="counted"[^}]*\} 7/,
    );
  });

  it('refuses unbounded or malformed queries with 400', async () => {
    const tooLong = await get(
      `${base}/series?granularity=minute&from=${T0}&to=${T0 + 2 * 86_400_000}`,
    );
    expect(tooLong.json()).toMatchObject({ status: 400, code: 'validation_failed', field: 'to' });
    expect((await get(`${base}/series?granularity=week&from=${T0}&to=${T0 + 1}`)).statusCode).toBe(
      400,
    );
    expect((await get(`${base}/series?granularity=hour&from=${T0}&to=${T0}`)).statusCode).toBe(400);
    expect((await get(`${base}/totals?period=2026-13`)).statusCode).toBe(400);
    expect((await get(`/v1/usage/accounts/not-an-account/totals?period=2026-11`)).statusCode).toBe(
      400,
    );
    expect(
      (await get(`${base}/series?granularity=hour&from=${T0}&to=${T0 + 1}&route=x&extra=1`))
        .statusCode,
    ).toBe(400);
  });
});
