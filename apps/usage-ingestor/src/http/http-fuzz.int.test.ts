import fc from 'fast-check';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newEventId } from '@tollgate/events';
import { sampleEvent } from '@tollgate/events/testing';
import { usageTestKit, type IngestorUnderTest } from '../testing/usage-test-kit';
import {
  describeTally,
  fuzzRequests,
  headerText,
  newTally,
  query,
  segment,
  sometimes,
} from '@tollgate/test-infra';

/**
 * Every JSON route of usage-ingestor, fuzzed with fast-check against real Postgres and Kafka: no
 * input may produce a 5xx, and every error is problem+json with the status of its code. Queries
 * are mostly valid (a known account, ranges within the limits) with hostile values mixed in.
 */

const ACCOUNT = 'acct_01JDQ3W8Y6T4K2M9N7P5R3S1F1';
const KEY = 'key_01JDQ3W8Y6T4K2M9N7P5R3S1F2';
/** The ingestor's clock; the calendar plays no part. */
const T0 = Date.UTC(2030, 6, 14, 10, 0, 0);
const NOW = T0 + 3_600_000;
const DAY = 86_400_000;

const RUNS = 1_800;
const MIN_TOTAL = 10_000;

const ULID = fc.string({
  unit: fc.constantFrom(...'0123456789ABCDEFGHJKMNPQRSTVWXYZ'),
  minLength: 26,
  maxLength: 26,
});

describe('usage-ingestor HTTP fuzz (fast-check, real Postgres + Kafka)', () => {
  let kit: IngestorUnderTest;
  let app: FastifyInstance;
  beforeAll(async () => {
    kit = await usageTestKit('usage_fuzz');
    app = await kit.startApp({ now: () => NOW });
    await kit.produce(
      [0, 1, 61, 62].map((minute) =>
        sampleEvent('RequestMetered', {
          eventId: newEventId(),
          accountId: ACCOUNT,
          keyId: KEY,
          route: 'orders.list',
          occurredAt: T0 + minute * 60_000,
        }),
      ),
    );
    await kit.waitForRequests(4);
  });
  afterAll(async () => {
    await kit?.close();
  });

  const accountId = fc.oneof(
    { weight: 3, arbitrary: fc.constant(ACCOUNT) },
    { weight: 1, arbitrary: ULID.map((u) => `acct_${u}`) },
  );
  const time = fc.oneof(
    fc.integer({ min: T0 - 2 * DAY, max: T0 + 2 * DAY }),
    fc.integer({ min: 0, max: 8_640_000_000_000 }),
  );
  const request = (url: fc.Arbitrary<string>): fc.Arbitrary<InjectOptions> =>
    fc.tuple(url, sometimes(headerText, 5)).map(([u, requestId]) => ({
      method: 'GET' as const,
      url: u,
      headers: requestId === null ? {} : { 'x-request-id': requestId },
    }));

  const routes: Array<[string, fc.Arbitrary<InjectOptions>]> = [
    [
      'GET /v1/usage/accounts/:accountId/series',
      request(
        fc
          .tuple(
            segment(accountId),
            fc.constantFrom(['minute', DAY], ['hour', 31 * DAY], ['day', 366 * DAY]),
            time,
            fc.oneof(
              { weight: 5, arbitrary: fc.integer({ min: 1, max: DAY }) },
              { weight: 1, arbitrary: fc.integer({ min: -DAY, max: 400 * DAY }) },
            ),
          )
          .chain(([account, [granularity], from, span]) =>
            query(
              {
                granularity: fc.constant(granularity),
                from: fc.constant(String(from)),
                to: fc.constant(String(from + span)),
              },
              {
                keyId: fc.constantFrom(KEY, 'key_01JDQ3W8Y6T4K2M9N7P5R3S1F3'),
                route: fc.constantFrom('orders.list', 'users.get', ''),
                outcome: fc.constantFrom('allowed', 'rate_limited', 'invalid'),
              },
            ).map((q) => `/v1/usage/accounts/${account}/series${q}`),
          ),
      ),
    ],
    [
      'GET /v1/usage/accounts/:accountId/totals',
      request(
        fc
          .tuple(
            segment(accountId),
            query({
              period: fc
                .tuple(fc.integer({ min: 1995, max: 2105 }), fc.integer({ min: 0, max: 13 }))
                .map(([y, m]) => `${y}-${String(m).padStart(2, '0')}`),
            }),
          )
          .map(([account, q]) => `/v1/usage/accounts/${account}/totals${q}`),
      ),
    ],
    [
      'GET /v1/usage/accounts/:accountId/range-totals',
      request(
        fc
          .tuple(
            segment(accountId),
            fc.oneof(
              { weight: 4, arbitrary: fc.constant(null) },
              { weight: 1, arbitrary: fc.string({ maxLength: 24 }) },
            ),
            time,
            fc.oneof(
              { weight: 5, arbitrary: fc.integer({ min: 1, max: 40 * DAY }) },
              { weight: 1, arbitrary: fc.integer({ min: -DAY, max: 400 * DAY }) },
            ),
          )
          .chain(([account, raw, from, span]) => {
            const minute = (ms: number) =>
              ms >= 0 && ms < 8_640_000_000_000
                ? new Date(Math.floor(ms / 60_000) * 60_000).toISOString().slice(0, 16) + 'Z'
                : String(ms);
            return query({
              from: fc.constant(raw ?? minute(from)),
              to: fc.constant(minute(from + span)),
            }).map((q) => `/v1/usage/accounts/${account}/range-totals${q}`);
          }),
      ),
    ],
    [
      'GET /v1/usage/accounts/:accountId/top',
      request(
        fc
          .tuple(
            segment(accountId),
            time,
            fc.oneof(
              { weight: 5, arbitrary: fc.integer({ min: 1, max: 40 * DAY }) },
              { weight: 1, arbitrary: fc.integer({ min: -DAY, max: 400 * DAY }) },
            ),
          )
          .chain(([account, from, span]) =>
            query(
              {
                by: fc.constantFrom('key', 'route', 'account'),
                from: fc.constant(String(from)),
                to: fc.constant(String(from + span)),
              },
              { limit: fc.integer({ min: -1, max: 120 }).map(String) },
            ).map((q) => `/v1/usage/accounts/${account}/top${q}`),
          ),
      ),
    ],
    [
      'GET /v1/usage/accounts/:accountId/keys/last-used',
      request(
        fc
          .tuple(
            segment(accountId),
            fc.array(
              fc.oneof(
                { weight: 4, arbitrary: fc.constantFrom(KEY, 'key_01JDQ3W8Y6T4K2M9N7P5R3S1F3') },
                { weight: 1, arbitrary: ULID.map((u) => `key_${u}`) },
                { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
              ),
              { minLength: 0, maxLength: 110 },
            ),
          )
          .map(
            ([account, keys]) =>
              `/v1/usage/accounts/${account}/keys/last-used` +
              (keys.length
                ? `?${keys.map((k) => `keyId=${encodeURIComponent(k)}`).join('&')}`
                : ''),
          ),
      ),
    ],
    [
      'GET /v1/usage/top-accounts',
      request(
        query(
          {
            period: fc
              .tuple(fc.integer({ min: 1995, max: 2105 }), fc.integer({ min: 0, max: 13 }))
              .map(([y, m]) => `${y}-${String(m).padStart(2, '0')}`),
          },
          { limit: fc.integer({ min: -1, max: 120 }).map(String) },
        ).map((q) => `/v1/usage/top-accounts${q}`),
      ),
    ],
    [
      'GET /v1/usage/freshness',
      request(query({}, { since: fc.constant('1') }).map((q) => `/v1/usage/freshness${q}`)),
    ],
  ];

  it('covers every route the OpenAPI document lists', async () => {
    const document = (await app.inject('/openapi.json')).json<{
      paths: Record<string, Record<string, unknown>>;
    }>();
    const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map(
        (method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`,
      ),
    );
    expect(documented.sort()).toEqual(routes.map(([name]) => name).sort());
  });

  it('never answers a 5xx, and every error is problem+json (≥ 10,000 requests)', async () => {
    const started = Date.now();
    const tally = newTally();
    for (const [name, requests] of routes) {
      const before = tally.ran;
      await fuzzRequests(app, requests, RUNS, tally);
      expect(tally.ran - before, name).toBe(RUNS);
    }
    expect(tally.ran).toBeGreaterThanOrEqual(MIN_TOTAL);
    const answered = [...tally.byStatus].filter(([status]) => status === 200 || status === 404);
    expect(answered.reduce((n, [, count]) => n + count, 0)).toBeGreaterThan(tally.ran / 4);
    console.info(`usage-ingestor fuzz: ${describeTally(tally)} in ${Date.now() - started} ms`);
  }, 180_000);
});
