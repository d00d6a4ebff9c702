import fc from 'fast-check';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newEventId } from '@tollgate/events';
import { sampleEvent } from '@tollgate/events/testing';
import { startKeyService, type KeyServiceUnderTest } from '../stripe/testing/internal-apps';
import {
  describeTally,
  encodedBody,
  eventually,
  field,
  fuzzObject,
  fuzzRequests,
  headerText,
  newTally,
  query,
  segment,
  sometimes,
} from '@tollgate/test-infra';
import {
  billingTestKit,
  planChanged,
  pricedPlan,
  type BillingUnderTest,
} from '../testing/billing-test-kit';
import {
  BILLING_CREDENTIAL,
  startUsageIngestor,
  type UsageIngestorProcess,
} from '../testing/usage-ingestor-process';

/**
 * Every route of billing-service, fuzzed with fast-check against real Postgres, Kafka and a
 * usage-ingestor process: no input may produce a 5xx, and every error is problem+json with the
 * status of its code. Requests are mostly valid (a billed account, its invoice, known plans and
 * periods) with hostile values mixed in. Lean on purpose: 250 requests per route.
 */
const ACCOUNT = 'acct_01JDQ3W8Y6T4K2M9N7P5R3SFZ1';
const at = (iso: string) => Date.parse(iso);
const RUNS = 250;
/** The billing clock while fuzzing: mid-April 2025, after March was invoiced. */
const FUZZ_NOW = at('2025-04-16T12:00:00Z');

const ULID = fc.string({
  unit: fc.constantFrom(...'0123456789ABCDEFGHJKMNPQRSTVWXYZ'),
  minLength: 26,
  maxLength: 26,
});

describe('billing-service HTTP fuzz (fast-check, real Postgres + Kafka + usage-ingestor)', () => {
  let kit: BillingUnderTest;
  let ingestor: UsageIngestorProcess;
  let keyService: KeyServiceUnderTest;
  let app: FastifyInstance;
  let clock = at('2025-04-01T01:00:01Z');
  let invoiceId = '';

  beforeAll(async () => {
    kit = await billingTestKit('billing_fuzz');
    ingestor = await startUsageIngestor(kit.config.KAFKA_TOPIC_PREFIX);
    // Previews of plan versions billing has not seen ask key-service's catalog.
    keyService = await startKeyService(BILLING_CREDENTIAL);
    app = await kit.startApp({
      now: () => clock,
      env: {
        USAGE_INGESTOR_URL: ingestor.url,
        KEY_SERVICE_URL: keyService.url,
        SERVICE_TOKEN: BILLING_CREDENTIAL,
      },
    });
    const plan = (planId: string, baseFeeMinor: number) =>
      pricedPlan(planId, 1, {
        baseFeeMinor,
        includedUnits: 10,
        tiers: [{ upToUnits: null, unitPriceMicros: 50_000 }],
      });
    await kit.publish([
      planChanged(ACCOUNT, plan('plan_pro', 4_900), at('2025-03-01T00:00:00Z')),
      planChanged(ACCOUNT, plan('plan_team', 9_900), at('2025-03-20T00:00:00Z')),
    ]);
    await ingestor.produce(
      [at('2025-03-05T10:00:00Z'), at('2025-03-25T10:00:00Z'), at('2025-04-01T00:10:00Z')].flatMap(
        (t) =>
          Array.from({ length: 20 }, () =>
            sampleEvent('RequestMetered', {
              eventId: newEventId(t),
              accountId: ACCOUNT,
              occurredAt: t,
            }),
          ),
      ),
    );
    await kit.waitForTimeline(2);
    await eventually(
      async () =>
        (await ingestor.get<{ newestEventAt: string | null }>('/v1/usage/freshness'))
          .newestEventAt === '2025-04-01T00:10:00.000Z',
      30_000,
      'usage ingested',
    );
    expect(await app.billing.closer.closeDue()).toMatchObject({ closed: 1 });
    invoiceId = (await app.billing.invoicing.closePeriod(ACCOUNT, '2025-03'))!.invoiceId;
    clock = FUZZ_NOW;
  }, 180_000);
  afterAll(async () => {
    await keyService?.stop();
    await ingestor?.stop();
    await kit?.close();
  });

  const accountId = fc.oneof(
    { weight: 3, arbitrary: fc.constant(ACCOUNT) },
    { weight: 1, arbitrary: ULID.map((u) => `acct_${u}`) },
  );
  const period = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom('2025-03', '2025-04') },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.integer({ min: 1995, max: 2105 }), fc.integer({ min: 0, max: 13 }))
        .map(([y, m]) => `${y}-${String(m).padStart(2, '0')}`),
    },
  );
  const get = (url: fc.Arbitrary<string>): fc.Arbitrary<InjectOptions> =>
    fc.tuple(url, sometimes(headerText, 5)).map(([u, requestId]) => ({
      method: 'GET' as const,
      url: u,
      headers: requestId === null ? {} : { 'x-request-id': requestId },
    }));
  const exportRoute = (path: string): [string, fc.Arbitrary<InjectOptions>] => [
    `GET ${path}`,
    get(
      query({ period }, { format: fc.constantFrom('csv', 'json', 'xml') }).map(
        (q) => `${path}${q}`,
      ),
    ),
  ];

  const routes: Array<[string, fc.Arbitrary<InjectOptions>]> = [
    [
      'GET /v1/accounts/:accountId/upcoming-invoice',
      get(segment(accountId).map((a) => `/v1/accounts/${a}/upcoming-invoice`)),
    ],
    [
      'POST /v1/accounts/:accountId/plan-change-preview',
      fc
        .tuple(
          segment(accountId),
          encodedBody(
            fuzzObject({
              planId: field(fc.constantFrom('plan_pro', 'plan_team', 'plan_none')),
              planVersion: field(fc.integer({ min: 0, max: 3 })),
              effectiveAt: field(
                fc.oneof(
                  fc.integer({ min: FUZZ_NOW, max: at('2025-05-10T00:00:00Z') }),
                  fc.integer({ min: 0, max: 8_640_000_000_000 }),
                ),
              ),
            }),
          ),
        )
        .map(([a, body]) => ({
          method: 'POST' as const,
          url: `/v1/accounts/${a}/plan-change-preview`,
          ...(body.payload === undefined ? {} : { payload: body.payload }),
          headers: body.contentType ? { 'content-type': body.contentType } : {},
        })),
    ],
    [
      'GET /v1/accounts/:accountId/invoices',
      get(
        fc
          .tuple(
            segment(accountId),
            query({}, { limit: fc.integer({ min: 0, max: 200 }).map(String), before: period }),
          )
          .map(([a, q]) => `/v1/accounts/${a}/invoices${q}`),
      ),
    ],
    [
      'GET /v1/invoices/:invoiceId',
      get(
        segment(
          fc.oneof(
            fc.constant('known'),
            ULID.map((u) => `inv_${u}`),
          ),
        ).map((id) => `/v1/invoices/${id === 'known' ? invoiceId : id}`),
      ),
    ],
    exportRoute('/v1/exports/invoices'),
    exportRoute('/v1/exports/usage'),
    exportRoute('/v1/exports/revenue'),
    exportRoute('/v1/reports/reconciliation'),
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

  it('never answers a 5xx, and every error is problem+json', async () => {
    const started = Date.now();
    const tally = newTally();
    for (const [name, requests] of routes) {
      const before = tally.ran;
      await fuzzRequests(app, requests, RUNS, tally);
      expect(tally.ran - before, name).toBe(RUNS);
    }
    const ok = tally.byStatus.get(200) ?? 0;
    expect(ok).toBeGreaterThan(tally.ran / 4);
    console.info(`billing-service fuzz: ${describeTally(tally)} in ${Date.now() - started} ms`);
  }, 120_000);
});
