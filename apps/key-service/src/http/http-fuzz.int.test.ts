import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PLANS } from '@tollgate/key-service-domain';
import { githubAlertSigner } from '../testing/github-secret-scanning';
import { startKeyService, type KeyServiceUnderTest } from '../testing/key-service-test-kit';
import {
  encodedBody,
  field,
  fuzzObject,
  describeTally,
  fuzzRequests,
  headerText,
  hostileJson,
  hostileText,
  newTally,
  spiked,
  textField,
  query,
  segment,
  sometimes,
} from '@tollgate/test-infra';

/**
 * Every JSON route of key-service, fuzzed with fast-check against real Postgres and Kafka: no input
 * may produce a 5xx, and every error is problem+json with the status of its code. Inputs are
 * mostly valid with hostile values mixed in (NUL, lone surrogates, int4 overflow, wrong types,
 * unknown fields, broken JSON), so the handlers and the database see them, not only validation.
 */

const ULID = fc.string({
  unit: fc.constantFrom(...'0123456789ABCDEFGHJKMNPQRSTVWXYZ'),
  minLength: 26,
  maxLength: 26,
});
const slug = fc.string({
  unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789_-'),
  minLength: 1,
  maxLength: 20,
});

/** Runs per route: 19 routes, over 10,000 requests in all. */
const RUNS = 560;
const MIN_TOTAL = 10_000;

describe('key-service HTTP fuzz (fast-check, real Postgres + Kafka)', () => {
  const github = githubAlertSigner();
  let ks: KeyServiceUnderTest;
  const fixture = { accounts: [] as string[], keys: [] as string[], plaintexts: [] as string[] };

  beforeAll(async () => {
    ks = await startKeyService({ ...github.env, LOG_LEVEL: 'warn' });
    for (const name of ['Fuzz A', 'Fuzz B']) {
      const res = await ks.app.inject({ method: 'POST', url: '/v1/accounts', payload: { name } });
      fixture.accounts.push(res.json<{ accountId: string }>().accountId);
    }
    for (let i = 0; i < 4; i++) {
      const res = await ks.app.inject({
        method: 'POST',
        url: `/v1/accounts/${fixture.accounts[i % 2]}/keys`,
        payload: { env: i % 2 ? 'live' : 'test', scopes: ['orders:read'] },
      });
      const body = res.json<{ key: { keyId: string }; plaintext: string }>();
      fixture.keys.push(body.key.keyId);
      fixture.plaintexts.push(body.plaintext);
    }
  });
  afterAll(async () => {
    await ks?.close();
  });

  // Mostly ids that exist, so requests reach the handlers' real work; sometimes well-formed unknowns.
  const accountId = () =>
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...fixture.accounts) },
      { weight: 1, arbitrary: ULID.map((u) => `acct_${u}`) },
    );
  const keyId = () =>
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...fixture.keys) },
      { weight: 1, arbitrary: ULID.map((u) => `key_${u}`) },
    );
  // Plans the fuzz creates never get accounts: an account only moves to a seeded plan or to one
  // that does not exist, so no generated definition is published (plan validation is not this test's subject).
  const assignablePlanId = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom('plan_free', 'plan_pro', 'plan_enterprise') },
    { weight: 1, arbitrary: slug.map((s) => `plan_zz${s}`) },
  );
  const createdPlanId = slug.map((s) => `plan_fz${s}`);
  const idempotencyKey = sometimes(
    fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom('fz-1', 'fz-2', 'fz-3') },
      { weight: 1, arbitrary: headerText },
    ),
    3,
  );
  const epochMs = fc.oneof(
    fc.integer({ min: 0, max: 8_640_000_000_000 }),
    fc.integer({ min: Date.now(), max: Date.now() + 10 * 365 * 86_400_000 }),
  );
  const scopes = fc.array(
    fc.oneof(
      fc.constantFrom('orders:read', 'usage:read', 'a'),
      spiked(fc.constant('orders:read')),
      hostileText,
    ),
    { maxLength: 4 },
  );
  const metadata = fc.dictionary(
    fc.oneof(fc.constantFrom('team', 'env'), hostileText),
    fc.oneof(fc.string({ maxLength: 20 }), spiked(fc.string({ maxLength: 20 })), hostileText),
    { maxKeys: 4 },
  );
  const rateLimit = fuzzObject({
    name: textField(fc.constantFrom('burst', 'per-minute')),
    limit: field(fc.integer({ min: 1, max: 1_000_000 })),
    windowMs: field(fc.integer({ min: 1000, max: 86_400_000 })),
  });
  const planDefinition = fuzzObject({
    name: textField(fc.string({ minLength: 1, maxLength: 30 })),
    rateLimits: field(fc.array(rateLimit, { maxLength: 3 })),
    monthlyQuota: field(fc.option(fc.integer({ min: 1, max: 1_000_000_000 }))),
    limitScope: field(fc.constantFrom('key', 'account')),
    price: field(
      fc.oneof(
        fc.constant(DEFAULT_PLANS.plan_pro.price),
        fuzzObject({
          currency: field(fc.constantFrom('EUR', 'USD')),
          baseFeeMinor: field(fc.nat()),
          includedUnits: field(fc.nat()),
          overageTiers: field(fc.constant([])),
        }),
      ),
    ),
  });
  const reason = fuzzObject({ reason: textField(fc.string({ minLength: 1, maxLength: 50 })) });

  /** A request built from generated parts; the body goes on the wire as encodedBody chooses. */
  const request = (
    method: InjectOptions['method'],
    path: fc.Arbitrary<string>,
    body?: fc.Arbitrary<unknown>,
  ): fc.Arbitrary<InjectOptions> =>
    fc
      .tuple(path, body ? encodedBody(body) : fc.constant(undefined), idempotencyKey)
      .map(([url, encoded, key]) => ({
        method,
        url,
        ...(encoded?.payload !== undefined ? { payload: encoded.payload } : {}),
        headers: {
          ...(encoded?.contentType ? { 'content-type': encoded.contentType } : {}),
          ...(key !== null ? { 'idempotency-key': key } : {}),
        },
      }));

  const routes = (): Array<[string, fc.Arbitrary<InjectOptions>, number?]> => [
    // First, while the database is small: a replay re-publishes every key and account.
    ['POST /v1/replays', request('POST', fc.constant('/v1/replays'), hostileJson), 60],
    [
      'POST /v1/accounts',
      request(
        'POST',
        fc.constant('/v1/accounts'),
        fuzzObject({
          name: textField(fc.string({ minLength: 1, maxLength: 40 })),
          planId: field(assignablePlanId),
        }),
      ),
    ],
    [
      'GET /v1/accounts',
      request(
        'GET',
        query(
          {},
          {
            limit: fc.integer({ min: -5, max: 150 }).map(String),
            cursor: accountId(),
            // A name prefix (LIKE wildcards and backslashes included), an id, or too long.
            q: fc.oneof(
              fc.string({ maxLength: 20 }),
              fc.stringMatching(/^[%_\\a-z]{1,12}$/),
              accountId(),
              fc.string({ minLength: 95, maxLength: 110 }),
            ),
          },
        ).map((q) => `/v1/accounts${q}`),
      ),
    ],
    [
      'GET /v1/accounts/:accountId',
      request(
        'GET',
        segment(accountId()).map((a) => `/v1/accounts/${a}`),
      ),
    ],
    [
      'POST /v1/accounts/:accountId/suspend',
      request(
        'POST',
        segment(accountId()).map((a) => `/v1/accounts/${a}/suspend`),
        reason,
      ),
    ],
    [
      'POST /v1/accounts/:accountId/reactivate',
      request(
        'POST',
        segment(accountId()).map((a) => `/v1/accounts/${a}/reactivate`),
        hostileJson,
      ),
    ],
    [
      'PUT /v1/accounts/:accountId/plan',
      request(
        'PUT',
        segment(accountId()).map((a) => `/v1/accounts/${a}/plan`),
        fuzzObject({
          planId: field(assignablePlanId),
          planVersion: field(fc.integer({ min: 1, max: 3 })),
          effectiveAt: field(epochMs),
        }),
      ),
    ],
    [
      'DELETE /v1/accounts/:accountId/scheduled-plan-change',
      request(
        'DELETE',
        segment(accountId()).map((a) => `/v1/accounts/${a}/scheduled-plan-change`),
      ),
    ],
    [
      'PUT /v1/accounts/:accountId/notification-webhook',
      request(
        'PUT',
        segment(accountId()).map((a) => `/v1/accounts/${a}/notification-webhook`),
        fuzzObject({
          url: field(
            fc.oneof(
              fc.constantFrom('http://127.0.0.1:9/hook', 'https://hooks.example.invalid/t'),
              textField(fc.string({ maxLength: 80 })),
            ),
          ),
        }),
      ),
    ],
    [
      'GET /v1/accounts/:accountId/notification-webhook',
      request(
        'GET',
        segment(accountId()).map((a) => `/v1/accounts/${a}/notification-webhook`),
      ),
    ],
    [
      'DELETE /v1/accounts/:accountId/notification-webhook',
      request(
        'DELETE',
        segment(accountId()).map((a) => `/v1/accounts/${a}/notification-webhook`),
      ),
    ],
    [
      'POST /v1/accounts/:accountId/keys',
      request(
        'POST',
        segment(accountId()).map((a) => `/v1/accounts/${a}/keys`),
        fuzzObject({
          env: field(fc.constantFrom('live', 'test')),
          name: field(fc.option(textField(fc.string({ minLength: 0, maxLength: 110 })))),
          scopes: field(scopes),
          metadata: field(metadata),
          expiresAt: field(fc.option(epochMs)),
        }),
      ),
    ],
    [
      'GET /v1/accounts/:accountId/keys',
      request(
        'GET',
        fc
          .tuple(
            segment(accountId()),
            query({}, { limit: fc.nat(120).map(String), cursor: keyId() }),
          )
          .map(([a, q]) => `/v1/accounts/${a}/keys${q}`),
      ),
    ],
    [
      'GET /v1/keys/:keyId',
      request(
        'GET',
        segment(keyId()).map((k) => `/v1/keys/${k}`),
      ),
    ],
    [
      'PATCH /v1/keys/:keyId',
      request(
        'PATCH',
        segment(keyId()).map((k) => `/v1/keys/${k}`),
        fuzzObject({
          name: field(fc.option(textField(fc.string({ minLength: 0, maxLength: 110 })))),
          scopes: field(scopes),
          metadata: field(metadata),
          expiresAt: field(fc.option(epochMs)),
        }),
      ),
    ],
    [
      'POST /v1/keys/:keyId/rotate',
      request(
        'POST',
        segment(keyId()).map((k) => `/v1/keys/${k}/rotate`),
        fc.oneof(fc.constant(null), fuzzObject({ graceMs: field(fc.nat(30 * 86_400_000)) })),
      ),
    ],
    [
      'POST /v1/keys/:keyId/revoke',
      request(
        'POST',
        segment(keyId()).map((k) => `/v1/keys/${k}/revoke`),
        reason,
      ),
    ],
    [
      'POST /v1/key-lookups',
      request(
        'POST',
        fc.constant('/v1/key-lookups'),
        fuzzObject({
          keyHash: field(fc.stringMatching(/^[0-9a-f]{64}$/)),
          pepperVersion: field(fc.integer({ min: 1, max: 2_147_483_647 })),
        }),
      ),
    ],
    [
      'POST /v1/plans',
      request(
        'POST',
        fc.constant('/v1/plans'),
        fuzzObject({ planId: field(createdPlanId), definition: planDefinition }),
      ),
    ],
    [
      'POST /v1/plans/:planId/versions',
      request(
        'POST',
        segment(createdPlanId).map((p) => `/v1/plans/${p}/versions`),
        fuzzObject({ definition: planDefinition, moveAccounts: field(fc.boolean()) }),
      ),
    ],
    [
      'GET /v1/plans',
      request(
        'GET',
        query({}, { limit: fc.constant('1') }).map((q) => `/v1/plans${q}`),
      ),
    ],
    [
      'GET /v1/plans/:planId',
      request(
        'GET',
        segment(assignablePlanId).map((p) => `/v1/plans/${p}`),
      ),
    ],
  ];

  /** Alerts signed like GitHub's (or not at all, or badly): tokens real, near-real and hostile. */
  const secretScanning = (): fc.Arbitrary<InjectOptions> => {
    const token = fc.oneof(fc.constantFrom(...fixture.plaintexts), hostileText);
    const alert = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.array(
          fuzzObject({
            token: field(token),
            type: field(fc.constant('tollgate_api_key')),
            url: field(fc.webUrl()),
          }),
          { maxLength: 4 },
        ),
      },
      { weight: 1, arbitrary: hostileJson },
    );
    return fc
      .tuple(alert, fc.constantFrom('signed', 'unsigned', 'forged'), headerText)
      .map(([body, how, forged]) => {
        const signed = github.alert(JSON.stringify(body) ?? 'null');
        const headers =
          how === 'signed'
            ? signed.headers
            : how === 'forged'
              ? { ...signed.headers, 'github-public-key-signature': forged }
              : { 'content-type': 'application/json' };
        return {
          method: 'POST' as const,
          url: '/webhooks/github/secret-scanning',
          headers,
          payload: signed.payload,
        };
      });
  };

  it('covers every route the OpenAPI document lists', async () => {
    const document = (await ks.app.inject('/openapi.json')).json<{
      paths: Record<string, Record<string, unknown>>;
    }>();
    const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map(
        (method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`,
      ),
    );
    const fuzzed = [...routes().map(([name]) => name), 'POST /webhooks/github/secret-scanning'];
    expect(documented.sort()).toEqual(fuzzed.sort());
  });

  it('never answers a 5xx, and every error is problem+json (≥ 10,000 requests)', async () => {
    const started = Date.now();
    const tally = newTally();
    for (const [name, requests, runs] of routes()) {
      const before = tally.ran;
      await fuzzRequests(ks.app, requests, runs ?? RUNS, tally);
      expect(tally.ran - before, name).toBe(runs ?? RUNS);
    }
    await fuzzRequests(ks.app, secretScanning(), RUNS, tally);
    expect(tally.ran).toBeGreaterThanOrEqual(MIN_TOTAL);
    // Most requests must get past validation, or the handlers and the database were never fuzzed.
    const handled = [...tally.byStatus].filter(([status]) => status !== 400);
    expect(handled.reduce((n, [, count]) => n + count, 0)).toBeGreaterThan(tally.ran / 4);
    // Nothing went wrong unseen either: no error was logged (the outbox relay included).
    expect(ks.logs.filter((line) => /"level":(50|60)/.test(line))).toEqual([]);
    console.info(`key-service fuzz: ${describeTally(tally)} in ${Date.now() - started} ms`);
  }, 180_000);
});
