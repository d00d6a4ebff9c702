import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '@tollgate/api-keys';
import {
  startEdge,
  startKeyServiceProcess,
  type EdgeUnderTest,
  type KeyServiceProcess,
} from '../testing/edge-test-kit';
import { eventually } from '@tollgate/test-infra';
import { aheadForRoom, windowWithRoom } from '../testing/limit-windows';

const ENDPOINTS = JSON.stringify([
  { method: 'GET', path: '/v1/orders/:id', name: 'orders.get', scopes: ['orders:read'] },
  { method: 'POST', path: '/v1/orders', name: 'orders.create', scopes: ['orders:write'] },
  { path: '/v1/public/*', name: 'public' },
]);

describe('edge-auth key verification (real key-service, Kafka, Redis)', () => {
  let ks: KeyServiceProcess;
  let edge: EdgeUnderTest;
  let accountId: string;
  /** The edge's clock runs this far ahead of the wall clock (key-service keeps the wall clock). */
  let ahead = 0;

  beforeAll(async () => {
    ks = await startKeyServiceProcess();
    edge = await startEdge(
      ks,
      { ENDPOINTS, FAILED_AUTH_LIMIT: '1000' },
      { now: () => Date.now() + ahead },
    );
    accountId = await ks.createAccount('plan_enterprise');
  }, 120_000);
  afterAll(async () => {
    await edge?.close();
    await ks?.stop();
  });
  afterEach(() => {
    ahead = 0;
  });

  const verify = (
    key: string | undefined,
    uri = '/v1/orders/42',
    method = 'GET',
    extra: Record<string, string> = {},
  ) =>
    edge.app.inject({
      method: 'GET',
      url: '/verify',
      headers: {
        'x-original-method': method,
        'x-original-uri': uri,
        ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
        ...extra,
      },
    });

  /** Issued through key-service; resolves once edge-auth's table (fed by Kafka) has the key. */
  async function issued(body: Parameters<KeyServiceProcess['issueKey']>[1] = {}) {
    const key = await ks.issueKey(accountId, { scopes: ['orders:read'], ...body });
    await eventually(async () => (await verify(key.plaintext)).statusCode !== 401, 10_000, 'key');
    return key;
  }

  it('lets a valid key through with identity and rate-limit headers', async () => {
    const key = await issued();
    const res = await verify(key.plaintext);
    expect(res.statusCode).toBe(200);
    expect(res.headers).toMatchObject({
      'x-tollgate-account-id': accountId,
      'x-tollgate-key-id': key.keyId,
      'x-tollgate-plan': expect.stringMatching(/^plan_enterprise@\d+$/),
      'x-tollgate-endpoint': 'orders.get',
    });
    expect(res.headers['ratelimit-policy']).toBeDefined();
    expect(res.headers['x-ratelimit-limit']).toBeDefined();
    // X-API-Key works as well.
    const viaApiKey = await edge.app.inject({
      method: 'GET',
      url: '/verify',
      headers: { 'x-api-key': key.plaintext, 'x-original-uri': '/v1/orders/7' },
    });
    expect(viaApiKey.statusCode).toBe(200);
    expect(viaApiKey.headers['x-tollgate-endpoint']).toBe('orders.get');
  });

  it('answers each failure with its own status and code', async () => {
    const valid = await issued();
    const unknown = generateApiKey({ env: 'live' }).plaintext;
    const lastChar = valid.plaintext.at(-1) === 'A' ? 'B' : 'A';
    const badChecksum = valid.plaintext.slice(0, -1) + lastChar;
    const cases: Array<[string, Awaited<ReturnType<typeof verify>>, number, string]> = [
      ['missing', await verify(undefined), 401, 'key_missing'],
      ['malformed', await verify('not-a-key'), 401, 'key_invalid'],
      ['bad checksum', await verify(badChecksum), 401, 'key_invalid'],
      ['unknown', await verify(unknown), 401, 'key_invalid'],
      ['wrong scope', await verify(valid.plaintext, '/v1/orders', 'POST'), 403, 'forbidden'],
      [
        'basic auth',
        await edge.app.inject({
          url: '/verify',
          headers: { authorization: 'Basic dXNlcjpwYXNz', 'x-original-uri': '/v1/orders/42' },
        }),
        401,
        'key_invalid',
      ],
      [
        'key in query',
        await verify(valid.plaintext, `/v1/orders/1?api_key=${valid.plaintext}`),
        400,
        'key_in_query',
      ],
    ];
    for (const [name, res, status, code] of cases) {
      expect({ name, status: res.statusCode }).toEqual({ name, status });
      expect(res.headers['content-type']).toContain('application/problem+json');
      const problem = res.json<{ code: string; requestId: string; detail: string }>();
      expect({ name, code: problem.code }).toEqual({ name, code });
      expect(problem.requestId).toBeTruthy();
      expect(res.body).not.toContain(valid.plaintext);
    }
  });

  it('refuses revoked keys, and rotated-out keys once their grace period ends', async () => {
    const revoked = await issued();
    await ks.revoke(revoked.keyId);
    await eventually(async () => (await verify(revoked.plaintext)).statusCode === 401);
    expect((await verify(revoked.plaintext)).json()).toMatchObject({ code: 'key_revoked' });

    const old = await issued();
    const grace = 10 * 60_000;
    const rotatedBy = Date.now();
    const replacement = await ks.rotate(old.keyId, grace);
    // The edge's clock past the grace period: once the rotation reaches the edge, the old key is
    // refused and the replacement works.
    ahead = grace + 1_000;
    await eventually(async () => (await verify(old.plaintext)).statusCode === 401, 10_000);
    expect((await verify(old.plaintext)).json()).toMatchObject({ code: 'key_revoked' });
    expect((await verify(replacement.plaintext)).statusCode).toBe(200);
    // Inside the grace period (up to 5 s before its earliest possible end) both keys work.
    ahead = rotatedBy + grace - 5_000 - Date.now();
    expect((await verify(old.plaintext)).statusCode).toBe(200);
    ahead = 0;
    expect((await verify(old.plaintext)).statusCode).toBe(200);
    expect((await verify(replacement.plaintext)).statusCode).toBe(200);
  });

  it('refuses expired keys', async () => {
    const expiresAt = Date.now() + 10 * 60_000;
    const key = await issued({ expiresAt });
    expect((await verify(key.plaintext)).statusCode).toBe(200);
    ahead = expiresAt - 5_000 - Date.now();
    expect((await verify(key.plaintext)).statusCode).toBe(200);
    ahead = expiresAt - Date.now();
    expect((await verify(key.plaintext)).json()).toMatchObject({
      status: 401,
      code: 'key_expired',
    });
  });

  it('refuses keys of a suspended account until it is reactivated', async () => {
    const own = await ks.createAccount('plan_enterprise');
    const key = await ks.issueKey(own, { scopes: ['orders:read'] });
    await eventually(async () => (await verify(key.plaintext)).statusCode === 200);
    await ks.suspend(own);
    await eventually(async () => (await verify(key.plaintext)).statusCode === 403);
    expect((await verify(key.plaintext)).json()).toMatchObject({ code: 'account_suspended' });
    await ks.reactivate(own);
    await eventually(async () => (await verify(key.plaintext)).statusCode === 200);
  });

  it('applies scope changes from KeyUpdated', async () => {
    const key = await issued();
    expect((await verify(key.plaintext, '/v1/orders', 'POST')).statusCode).toBe(403);
    await ks.update(key.keyId, { scopes: ['orders:read', 'orders:write'] });
    await eventually(
      async () => (await verify(key.plaintext, '/v1/orders', 'POST')).statusCode === 200,
    );
  });

  it('accepts live keys only by default; where test keys are accepted, they get low limits', async () => {
    const testKey = await ks.issueKey(accountId, { env: 'test', scopes: ['orders:read'] });
    const refused = await verify(testKey.plaintext);
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toMatchObject({ code: 'key_env_mismatch' });
    expect(refused.headers['www-authenticate']).toBe(
      'Bearer realm="tollgate", error="invalid_token", error_description="key_env_mismatch"',
    );

    // An hour-long window that cannot roll over while the test counts to its limit.
    const hourly = windowWithRoom(3_600_000, 20 * 60_000);
    const withTestKeys = await startEdge(ks, {
      ENDPOINTS,
      ACCEPTED_KEY_ENVS: 'live,test',
      TEST_KEY_RATE_LIMITS: JSON.stringify([{ name: 'test-per-hour', limit: 3, windowMs: hourly }]),
    });
    try {
      const call = () =>
        withTestKeys.app.inject({
          url: '/verify',
          headers: {
            'x-original-uri': '/v1/orders/1',
            authorization: `Bearer ${testKey.plaintext}`,
          },
        });
      await eventually(async () => (await call()).statusCode === 200, 10_000, 'test key known');
      const allowed = await call();
      // Not the enterprise plan's limits: the test-key limits, per account.
      expect(allowed.headers['ratelimit-policy']).toBe(
        `"test-per-hour";q=3;w=${hourly / 1000}, "monthly-quota";q=10000`,
      );
      expect(allowed.headers['x-tollgate-key-env']).toBe('test');
      expect((await call()).statusCode).toBe(200);
      const limited = await call();
      expect(limited.statusCode).toBe(429);
      expect(limited.json()).toMatchObject({ code: 'rate_limited', policy: 'test-per-hour' });
      // The account's live keys keep the plan's limits.
      const live = await issued();
      const liveAnswer = await withTestKeys.app.inject({
        url: '/verify',
        headers: { 'x-original-uri': '/v1/orders/1', authorization: `Bearer ${live.plaintext}` },
      });
      expect(liveAnswer.statusCode).toBe(200);
      expect(liveAnswer.headers['ratelimit-policy']).toContain('"burst"');
    } finally {
      await withTestKeys.close();
    }
  });

  it('turns revocations into 401 within a bounded time (propagation over 100 revocations)', async () => {
    const keys: Array<{ keyId: string; plaintext: string }> = [];
    for (let i = 0; i < 100; i++)
      keys.push(await ks.issueKey(accountId, { scopes: ['orders:read'] }));
    await eventually(
      async () => (await verify(keys.at(-1)!.plaintext)).statusCode === 200,
      20_000,
      'last key',
    );
    const delays: number[] = [];
    const codes = new Set<string>();
    for (const key of keys) {
      expect((await verify(key.plaintext)).statusCode).toBe(200);
      const started = performance.now();
      await ks.revoke(key.keyId);
      let answer: Awaited<ReturnType<typeof verify>> | undefined;
      await eventually(
        async () => (answer = await verify(key.plaintext)).statusCode !== 200,
        10_000,
        'revocation to reach the edge',
      );
      delays.push(performance.now() - started);
      codes.add(`${answer!.statusCode} ${answer!.json<{ code: string }>().code}`);
    }
    // Each key's first refusal is a revocation, not some other failure.
    expect([...codes]).toEqual(['401 key_revoked']);
    delays.sort((a, b) => a - b);
    const p = (q: number) => delays[Math.min(delays.length - 1, Math.floor(q * delays.length))]!;
    console.info(
      `revocation propagation (revoke call → edge 401) over ${delays.length}: ` +
        `p50 ${p(0.5).toFixed(1)} ms, p99 ${p(0.99).toFixed(1)} ms, max ${delays.at(-1)!.toFixed(1)} ms`,
    );
    expect(delays).toHaveLength(100);
    // docs/admin-api.md promises a revoked key is refused within a second.
    expect(p(0.99)).toBeLessThan(1_000);
  }, 120_000);
});

describe('edge-auth cache misses (the table does not know the key yet)', () => {
  let ks: KeyServiceProcess;
  let edge: EdgeUnderTest;

  beforeAll(async () => {
    ks = await startKeyServiceProcess();
    // An edge reading another (empty) topic namespace: every key is a miss answered by key-service.
    // Its clock is moved into the next minute if this one is ending: the lookup budget counts per
    // minute of the edge's clock, and must not start afresh while a test counts.
    const ahead = aheadForRoom(60_000, 50_000);
    edge = await startEdge(
      { url: ks.url, topicPrefix: `${ks.topicPrefix}elsewhere.` },
      { LOOKUPS_PER_CLIENT_PER_MINUTE: '5', FAILED_AUTH_LIMIT: '1000' },
      { now: () => Date.now() + ahead },
    );
  }, 120_000);
  afterAll(async () => {
    await edge?.close();
    await ks?.stop();
  });

  const verify = (key: string, ip = '10.0.0.1') =>
    edge.app.inject({
      url: '/verify',
      headers: { authorization: `Bearer ${key}`, 'x-original-uri': '/x' },
      remoteAddress: ip,
    });

  it('asks key-service for a well-formed unknown key and caches what it learns', async () => {
    const accountId = await ks.createAccount('plan_enterprise');
    const key = await ks.issueKey(accountId);
    const first = await verify(key.plaintext);
    expect(first.statusCode).toBe(200);
    expect(first.headers['x-tollgate-key-id']).toBe(key.keyId);
    // Now from the table: even with key-service's budget for this client exhausted.
    for (let i = 0; i < 10; i++) expect((await verify(key.plaintext)).statusCode).toBe(200);
  });

  it('never asks key-service about garbage, and bounds lookups per client', async () => {
    // Garbage and a key with a bad checksum, from the client that probes the budget next: had
    // any of them cost a lookup, the budget of 5 would run out before the fifth unknown key.
    const wellFormed = generateApiKey({ env: 'live' }).plaintext;
    const badChecksum = wellFormed.slice(0, -1) + (wellFormed.at(-1) === 'A' ? 'B' : 'A');
    for (const key of ['garbage', 'tg_live_garbage', badChecksum, 'garbage', badChecksum, 'x'])
      expect((await verify(key, '10.0.0.3')).json()).toMatchObject({ code: 'key_invalid' });
    const statuses = [];
    for (let i = 0; i < 8; i++)
      statuses.push(
        (await verify(generateApiKey({ env: 'live' }).plaintext, '10.0.0.3')).statusCode,
      );
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    // Another client is not affected.
    expect((await verify(generateApiKey({ env: 'live' }).plaintext, '10.0.0.4')).statusCode).toBe(
      401,
    );
  });
});
