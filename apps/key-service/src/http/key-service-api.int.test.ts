import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyHasher, parseApiKey } from '@tollgate/api-keys';
import { DEFAULT_PLANS } from '@tollgate/key-service-domain';
import { peppersOf } from '../config';
import type { TollgateEvent } from '@tollgate/events';
import {
  collectTopics,
  startKeyService,
  type KeyServiceUnderTest,
} from '../testing/key-service-test-kit';

describe('key-service HTTP API (real Postgres + Kafka)', () => {
  let ks: KeyServiceUnderTest;
  beforeAll(async () => {
    ks = await startKeyService();
  });
  afterAll(async () => {
    await ks?.close();
  });

  const post = (url: string, payload?: object, headers: Record<string, string> = {}) =>
    ks.app.inject({ method: 'POST', url, payload: payload ?? {}, headers });
  const get = (url: string) => ks.app.inject({ method: 'GET', url });

  async function createAccount(name = 'Acme') {
    const res = await post('/v1/accounts', { name });
    expect(res.statusCode).toBe(201);
    return res.json<{ accountId: string }>().accountId;
  }
  async function issueKey(
    accountId: string,
    body: object = { env: 'live', scopes: ['usage:read'] },
  ) {
    const res = await post(`/v1/accounts/${accountId}/keys`, body);
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{
      key: { keyId: string; displayHint: string; status: string };
      plaintext: string;
    }>();
  }

  describe('happy path', () => {
    it('creates an account on the free plan and lists it', async () => {
      const accountId = await createAccount();
      expect(accountId).toMatch(/^acct_[0-9A-Z]{26}$/);
      const account = (await get(`/v1/accounts/${accountId}`)).json();
      expect(account).toMatchObject({
        name: 'Acme',
        status: 'active',
        plan: { planId: 'plan_free', planVersion: 1 },
      });
      const list = (await get('/v1/accounts?limit=100')).json<{
        items: Array<{ accountId: string }>;
      }>();
      expect(list.items.map((a) => a.accountId)).toContain(accountId);
    });

    it('issues a key whose plaintext is returned once and never listed', async () => {
      const accountId = await createAccount();
      const issued = await issueKey(accountId, {
        env: 'test',
        scopes: ['usage:read'],
        metadata: { team: 'web' },
      });
      expect(parseApiKey(issued.plaintext, { prefix: 'tg' })).toMatchObject({
        ok: true,
        env: 'test',
      });
      expect(issued.key.displayHint.endsWith(issued.plaintext.slice(-4))).toBe(true);

      const listed = (await get(`/v1/accounts/${accountId}/keys`)).body;
      const single = (await get(`/v1/keys/${issued.key.keyId}`)).body;
      for (const body of [listed, single]) {
        expect(body).toContain(issued.key.keyId);
        expect(body).not.toContain(issued.plaintext);
        expect(body).not.toMatch(/keyHash|key_hash/);
      }
    });

    it('looks a key up by its hash with the state the events carry', async () => {
      const accountId = await createAccount();
      const issued = await issueKey(accountId);
      const { hash, pepperVersion } = new KeyHasher(peppersOf(ks.config)).hash(issued.plaintext);
      const res = await post('/v1/key-lookups', { keyHash: hash, pepperVersion });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        key: {
          keyId: issued.key.keyId,
          accountId,
          keyHash: hash,
          pepperVersion,
          env: 'live',
          scopes: ['usage:read'],
        },
        revocation: null,
        accountStatus: 'active',
        plan: { planId: 'plan_free', rateLimits: expect.any(Array), limitScope: 'account' },
      });
      expect(
        (await post('/v1/key-lookups', { keyHash: 'f'.repeat(64), pepperVersion: 1 })).statusCode,
      ).toBe(404);
    });

    it('updates, rotates with a grace period, and revokes', async () => {
      const accountId = await createAccount();
      const issued = await issueKey(accountId);
      const updated = await ks.app.inject({
        method: 'PATCH',
        url: `/v1/keys/${issued.key.keyId}`,
        payload: { scopes: ['orders:write'] },
      });
      expect(updated.json()).toMatchObject({ scopes: ['orders:write'] });

      const before = Date.now();
      const rotated = await post(`/v1/keys/${issued.key.keyId}/rotate`, { graceMs: 3_600_000 });
      expect(rotated.statusCode).toBe(201);
      const replacement = rotated.json<{
        key: { keyId: string; rotatedFromKeyId: string; scopes: string[] };
        plaintext: string;
      }>();
      expect(replacement.plaintext).not.toBe(issued.plaintext);
      expect(replacement.key).toMatchObject({
        rotatedFromKeyId: issued.key.keyId,
        scopes: ['orders:write'],
      });
      const old = (await get(`/v1/keys/${issued.key.keyId}`)).json<{
        status: string;
        replacedByKeyId: string;
        revocation: { effectiveAt: string };
      }>();
      expect(old).toMatchObject({ status: 'rotating', replacedByKeyId: replacement.key.keyId });
      expect(Date.parse(old.revocation.effectiveAt)).toBeGreaterThanOrEqual(before + 3_600_000);

      const revoked = await post(`/v1/keys/${replacement.key.keyId}/revoke`, {
        reason: 'leaked in a screenshot',
      });
      expect(revoked.json()).toMatchObject({
        status: 'revoked',
        revocation: { reason: 'leaked in a screenshot' },
      });
    });

    it('manages plans: versions are immutable and accounts can move with them', async () => {
      const created = await post('/v1/plans', {
        planId: 'plan_team',
        definition: DEFAULT_PLANS.plan_pro,
      });
      expect(created.statusCode).toBe(201);
      const accountId = await createAccount();
      expect(
        (
          await ks.app.inject({
            method: 'PUT',
            url: `/v1/accounts/${accountId}/plan`,
            payload: { planId: 'plan_team' },
          })
        ).json(),
      ).toMatchObject({
        plan: { planId: 'plan_team', planVersion: 1 },
      });
      const edited = { ...DEFAULT_PLANS.plan_pro, monthlyQuota: 2_000_000 };
      const version = await post('/v1/plans/plan_team/versions', {
        definition: edited,
        moveAccounts: true,
      });
      expect(version.json()).toMatchObject({ version: 2, movedAccounts: 1 });
      expect((await get(`/v1/accounts/${accountId}`)).json()).toMatchObject({
        plan: { planId: 'plan_team', planVersion: 2 },
      });
      const plan = (await get('/v1/plans/plan_team')).json<{
        versions: Array<{ version: number; definition: { monthlyQuota: number } }>;
      }>();
      expect(plan.versions.map((v) => v.definition.monthlyQuota)).toEqual([1_000_000, 2_000_000]);
      const plans = (await get('/v1/plans')).json<{ items: Array<{ planId: string }> }>();
      expect(plans.items.map((p) => p.planId)).toEqual(
        expect.arrayContaining(['plan_free', 'plan_pro', 'plan_enterprise', 'plan_team']),
      );
    });

    it('publishes an OpenAPI document', async () => {
      const res = await get('/openapi.json');
      expect(res.statusCode).toBe(200);
      expect(Object.keys(res.json<{ paths: object }>().paths)).toEqual(
        expect.arrayContaining([
          '/v1/accounts',
          '/v1/accounts/{accountId}/keys',
          '/v1/key-lookups',
        ]),
      );
    });
  });

  describe('errors', () => {
    it('names the bad field with 400', async () => {
      const accountId = await createAccount();
      const res = await post(`/v1/accounts/${accountId}/keys`, { env: 'staging' });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'validation_failed' });
      expect(res.json<{ detail: string }>().detail).toMatch(/env/);
      const scope = await post(`/v1/accounts/${accountId}/keys`, {
        env: 'live',
        scopes: ['Not A Scope'],
      });
      expect(scope.json()).toMatchObject({ status: 400, reason: 'invalid_scope', field: 'scopes' });
      const expiry = await post(`/v1/accounts/${accountId}/keys`, {
        env: 'live',
        expiresAt: Date.now() - 1_000,
      });
      expect(expiry.json()).toMatchObject({
        status: 400,
        reason: 'expiry_in_past',
        field: 'expiresAt',
      });
    });

    it('refuses plans no edge could apply with 400 and keeps none (the poison plans of the security review)', async () => {
      const poison = {
        'a rate limit of 1e13': {
          ...DEFAULT_PLANS.plan_pro,
          rateLimits: [{ name: 'per-second', limit: 1e13, windowMs: 1_000 }],
        },
        'a rate policy named monthly-quota': {
          ...DEFAULT_PLANS.plan_pro,
          rateLimits: [{ name: 'monthly-quota', limit: 10, windowMs: 1_000 }],
        },
        'a monthly quota of 2e12': { ...DEFAULT_PLANS.plan_pro, monthlyQuota: 2e12 },
      };
      for (const [what, definition] of Object.entries(poison)) {
        const created = await post('/v1/plans', { planId: 'plan_poison', definition });
        expect(created.statusCode, what).toBe(400);
        expect(created.headers['content-type'], what).toContain('application/problem+json');
        const version = await post('/v1/plans/plan_pro/versions', { definition });
        expect(version.statusCode, what).toBe(400);
      }
      expect((await get('/v1/plans/plan_poison')).statusCode).toBe(404);
    });

    it('answers unknown and malformed ids with 404 and 400', async () => {
      expect((await get('/v1/accounts/acct_01JDQ3W8Y6T4K2M9N7P5R3S1V2')).statusCode).toBe(404);
      expect((await get('/v1/keys/key_01JDQ3W8Y6T4K2M9N7P5R3S1V2')).json()).toMatchObject({
        status: 404,
        code: 'not_found',
      });
      expect((await get("/v1/keys/key_1' or '1'='1")).statusCode).toBe(400);
      expect(
        (await post('/v1/accounts/acct_01JDQ3W8Y6T4K2M9N7P5R3S1V2/keys', { env: 'live' })).json(),
      ).toMatchObject({
        status: 404,
        reason: 'account_not_found',
      });
    });

    it('refuses illegal transitions with 409 and a stable reason', async () => {
      const accountId = await createAccount();
      const { key } = await issueKey(accountId);
      await post(`/v1/keys/${key.keyId}/revoke`, { reason: 'first' });
      expect(
        (await post(`/v1/keys/${key.keyId}/revoke`, { reason: 'second' })).json(),
      ).toMatchObject({ status: 409, reason: 'key_already_revoked' });
      expect((await post(`/v1/keys/${key.keyId}/rotate`)).json()).toMatchObject({
        status: 409,
        reason: 'key_already_revoked',
      });

      await post(`/v1/accounts/${accountId}/suspend`, { reason: 'unpaid invoice' });
      expect((await post(`/v1/accounts/${accountId}/keys`, { env: 'live' })).json()).toMatchObject({
        status: 409,
        reason: 'account_suspended',
      });
      await post(`/v1/accounts/${accountId}/reactivate`);
      expect((await post(`/v1/accounts/${accountId}/keys`, { env: 'live' })).statusCode).toBe(201);

      // edge-auth learns about suspensions from the compacted accounts topic.
      const collector = await collectTopics([ks.accountsTopic]);
      try {
        const statuses = (events: TollgateEvent[]) =>
          events.flatMap((e) =>
            e.type === 'AccountStatusChanged' && e.payload.accountId === accountId
              ? [[e.payload.status, e.payload.reason]]
              : [],
          );
        await collector.waitFor((events) => statuses(events).length === 2);
        expect(statuses(collector.events)).toEqual([
          ['suspended', 'unpaid invoice'],
          ['active', null],
        ]);
      } finally {
        await collector.stop();
      }
    });

    it('refuses with 409 a plan change to another currency (an invoice has one currency)', async () => {
      const usd = {
        ...DEFAULT_PLANS.plan_pro,
        price: { ...DEFAULT_PLANS.plan_pro.price, currency: 'USD' },
      };
      expect(
        (await post('/v1/plans', { planId: 'plan_pro_usd', definition: usd })).statusCode,
      ).toBe(201);
      const accountId = await createAccount();
      const moved = await ks.app.inject({
        method: 'PUT',
        url: `/v1/accounts/${accountId}/plan`,
        payload: { planId: 'plan_pro_usd' },
      });
      expect(moved.json()).toMatchObject({ status: 409, reason: 'plan_currency_mismatch' });
      expect((await get(`/v1/accounts/${accountId}`)).json()).toMatchObject({
        plan: { planId: 'plan_free', planVersion: 1 },
      });
    });

    it('bounds input: page size, body size, content type', async () => {
      expect((await get('/v1/accounts?limit=1000')).statusCode).toBe(400);
      const big = await post('/v1/accounts', { name: 'x'.repeat(100_000) });
      expect(big.statusCode).toBe(413);
      const text = await ks.app.inject({
        method: 'POST',
        url: '/v1/accounts',
        payload: 'name=x',
        headers: { 'content-type': 'text/plain' },
      });
      expect(text.statusCode).toBe(415);
    });

    it('pages through keys with a cursor', async () => {
      const accountId = await createAccount();
      for (let i = 0; i < 5; i++) await issueKey(accountId);
      const first = (await get(`/v1/accounts/${accountId}/keys?limit=2`)).json<{
        items: unknown[];
        nextCursor: string;
      }>();
      const second = (
        await get(`/v1/accounts/${accountId}/keys?limit=2&cursor=${first.nextCursor}`)
      ).json<{ items: unknown[]; nextCursor: string }>();
      const third = (
        await get(`/v1/accounts/${accountId}/keys?limit=2&cursor=${second.nextCursor}`)
      ).json<{ items: unknown[]; nextCursor: null }>();
      expect([first.items.length, second.items.length, third.items.length]).toEqual([2, 2, 1]);
      expect(third.nextCursor).toBeNull();
    });
  });

  describe('idempotency', () => {
    it('replays the first result for a retried POST, without the plaintext', async () => {
      const accountId = await createAccount();
      const headers = { 'idempotency-key': `issue-${accountId}` };
      const first = await post(`/v1/accounts/${accountId}/keys`, { env: 'live' }, headers);
      const retry = await post(`/v1/accounts/${accountId}/keys`, { env: 'live' }, headers);
      expect(first.statusCode).toBe(201);
      expect(retry.statusCode).toBe(201);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.json<{ key: { keyId: string } }>().key.keyId).toBe(
        first.json<{ key: { keyId: string } }>().key.keyId,
      );
      expect(retry.json()).toMatchObject({ plaintext: null });
      const keys = (await get(`/v1/accounts/${accountId}/keys`)).json<{ items: unknown[] }>();
      expect(keys.items).toHaveLength(1);

      const different = await post(`/v1/accounts/${accountId}/keys`, { env: 'test' }, headers);
      expect(different.json()).toMatchObject({ status: 409, reason: 'idempotency_key_reused' });
      expect(
        (await post('/v1/accounts', { name: 'x' }, { 'idempotency-key': 'has spaces' })).statusCode,
      ).toBe(400);
    });

    it('compares requests in canonical form: the same JSON with its keys in another order replays', async () => {
      const headers = { 'idempotency-key': `plan-order-${Date.now()}` };
      const planId = `plan_order_${Date.now()}`;
      const definition = DEFAULT_PLANS.plan_pro;
      const reordered = Object.fromEntries(Object.entries(definition).reverse());
      const first = await post('/v1/plans', { planId, definition }, headers);
      expect(first.statusCode, first.body).toBe(201);
      const sameFieldsOtherOrder = await ks.app.inject({
        method: 'POST',
        url: '/v1/plans',
        headers: { ...headers, 'content-type': 'application/json' },
        payload: JSON.stringify({ definition: reordered, planId }),
      });
      expect(sameFieldsOtherOrder.statusCode, sameFieldsOtherOrder.body).toBe(201);
      expect(sameFieldsOtherOrder.headers['idempotent-replayed']).toBe('true');
      const changed = await post(
        '/v1/plans',
        { planId, definition: { ...definition, name: 'Other' } },
        headers,
      );
      expect(changed.json()).toMatchObject({ status: 409, reason: 'idempotency_key_reused' });
    });

    it('honours Idempotency-Key on suspend and reactivate', async () => {
      const accountId = await createAccount();
      const suspendKey = { 'idempotency-key': `suspend-${accountId}` };
      const suspended = await post(
        `/v1/accounts/${accountId}/suspend`,
        { reason: 'unpaid' },
        suspendKey,
      );
      expect(suspended.statusCode).toBe(200);
      const retried = await post(
        `/v1/accounts/${accountId}/suspend`,
        { reason: 'unpaid' },
        suspendKey,
      );
      expect(retried.statusCode).toBe(200);
      expect(retried.headers['idempotent-replayed']).toBe('true');
      expect(retried.json()).toEqual(suspended.json());
      const reused = await post(
        `/v1/accounts/${accountId}/suspend`,
        { reason: 'fraud' },
        suspendKey,
      );
      expect(reused.json()).toMatchObject({ status: 409, reason: 'idempotency_key_reused' });
      // Without the header a second suspension is still the illegal transition it always was.
      expect(
        (await post(`/v1/accounts/${accountId}/suspend`, { reason: 'unpaid' })).json(),
      ).toMatchObject({ status: 409, reason: 'account_already_suspended' });

      const reactivateKey = { 'idempotency-key': `reactivate-${accountId}` };
      const reactivated = await post(`/v1/accounts/${accountId}/reactivate`, {}, reactivateKey);
      expect(reactivated.json()).toMatchObject({ status: 'active' });
      const again = await post(`/v1/accounts/${accountId}/reactivate`, {}, reactivateKey);
      expect(again.statusCode).toBe(200);
      expect(again.headers['idempotent-replayed']).toBe('true');
    });
  });

  describe('concurrency', () => {
    // Revoking a key inside its rotation grace period legitimately succeeds (it cuts the grace
    // short), so revocations and rotations race in separate tests: within each, one winner.
    it.each([
      { action: 'revoke', body: { reason: 'leaked' }, winner: 200 },
      { action: 'rotate', body: {}, winner: 201 },
    ])(
      'lets exactly one of many parallel $action calls win; the stream stays consistent',
      async ({ action, body, winner }) => {
        const accountId = await createAccount();
        const { key } = await issueKey(accountId);
        const results = await Promise.all(
          Array.from({ length: 12 }, () => post(`/v1/keys/${key.keyId}/${action}`, body)),
        );
        const statuses = results.map((r) => r.statusCode);
        expect(statuses.filter((s) => s === winner)).toHaveLength(1);
        expect(statuses.filter((s) => s === 409 || s === 412)).toHaveLength(11);
        const reasons = new Set(
          results
            .filter((r) => r.statusCode >= 400)
            .map((r) => r.json<{ reason: string }>().reason),
        );
        expect(
          [...reasons].every((r) => r === 'key_already_revoked' || r === 'concurrent_modification'),
        ).toBe(true);
        const state = (await get(`/v1/keys/${key.keyId}`)).json<{ status: string }>();
        // A rotated key still verifies during its grace period: it reads as rotating until then.
        expect(state.status).toBe(action === 'rotate' ? 'rotating' : 'revoked');
        const keys = (await get(`/v1/accounts/${accountId}/keys`)).json<{ items: unknown[] }>();
        expect(keys.items).toHaveLength(action === 'rotate' ? 2 : 1);
      },
    );
  });
});
