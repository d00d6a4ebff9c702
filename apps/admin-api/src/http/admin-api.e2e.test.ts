import { eventually } from '@tollgate/test-infra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, ROUTE_PERMISSIONS, roleAllows, type Role } from '../application/permissions';
import {
  startAdminApi,
  startInternalApps,
  type AdminApiUnderTest,
  type InternalApps,
} from '../testing/admin-test-kit';

const MISSING_TOKEN_ID = 'atok_01JDQ3W8Y6T4K2M9N7P5R3S1V0';
/** Fails validation wherever it lands, so an allowed call in the sweep changes nothing. */
const SWEEP_BODY = { sweepProbe: true };
/** Allowed routes whose 404 is the internal app's answer (nothing there), not a refusal. */
const NOT_FOUND_IS_AN_ANSWER = new Set([
  'POST /v1/admin-tokens/:tokenId/revoke',
  'GET /v1/accounts/:accountId/notification-webhook',
  'DELETE /v1/accounts/:accountId/notification-webhook',
  // billing has no plan for a fresh account until it consumed its PlanChanged, nor this invoice
  'GET /v1/accounts/:accountId/upcoming-invoice',
  'GET /v1/accounts/:accountId/invoices/:invoiceId',
  'GET /v1/accounts/:accountId/invoices/:invoiceId/csv',
]);

describe('admin-api (real key-service process, Postgres, Redis)', () => {
  let internal: InternalApps;
  let admin: AdminApiUnderTest;
  let owner: string;
  const ids = { accountA: '', accountB: '', keyA: '', keyB: '' };
  const principals: Array<{ label: string; role: Role; scoped: boolean; token: string }> = [];

  const call = (token: string | undefined, method: string, url: string, payload?: object) =>
    admin.app.inject({
      method: method as 'GET',
      url,
      headers: token ? { authorization: `Bearer ${token}` } : {},
      ...(payload ? { payload } : {}),
    });

  beforeAll(async () => {
    internal = await startInternalApps();
    admin = await startAdminApi(internal);
    owner = await admin.token({ name: 'owner', role: 'owner' });
    for (const side of ['A', 'B'] as const) {
      const account = await call(owner, 'POST', '/v1/accounts', { name: `tenant ${side}` });
      expect(account.statusCode, account.body).toBe(201);
      ids[`account${side}`] = account.json<{ accountId: string }>().accountId;
      const key = await call(owner, 'POST', `/v1/accounts/${ids[`account${side}`]}/keys`, {
        env: 'live',
      });
      expect(key.statusCode, key.body).toBe(201);
      ids[`key${side}`] = key.json<{ key: { keyId: string } }>().key.keyId;
    }
    for (const role of ROLES)
      principals.push({
        label: role,
        role,
        scoped: false,
        token: await admin.token({ name: role, role }),
      });
    principals.push({
      label: 'admin scoped to A',
      role: 'admin',
      scoped: true,
      token: await admin.token({ name: 'self-service', role: 'admin', accountId: ids.accountA }),
    });
  }, 180_000);
  afterAll(async () => {
    await admin?.close();
    await internal?.stop();
  });

  const urlOf = (route: string, tenant: 'A' | 'B') =>
    route
      .replace(':accountId', tenant === 'A' ? ids.accountA : ids.accountB)
      .replace(':keyId', tenant === 'A' ? ids.keyA : ids.keyB)
      .replace(':planId', 'plan_free')
      .replace(':tokenId', MISSING_TOKEN_ID)
      .replace(':invoiceId', 'inv_01JDQ3W8Y6T4K2M9N7P5R3S1V9');

  it('reaches billing-service: invoices, the proration preview and streamed finance exports', async () => {
    const finance = principals.find((p) => p.label === 'finance')!.token;
    const scoped = principals.find((p) => p.scoped)!.token;
    const invoices = await call(finance, 'GET', `/v1/accounts/${ids.accountA}/invoices`);
    expect(invoices.statusCode, invoices.body).toBe(200);
    expect(invoices.json()).toEqual({ items: [], nextBefore: null });
    expect((await call(scoped, 'GET', `/v1/accounts/${ids.accountB}/invoices`)).statusCode).toBe(
      404,
    );
    // billing knows plans through PlanChanged: put tenant B on Pro, then wait (asking billing
    // directly, not to spend the admin tokens' request budget) until it can rate A's move to Pro.
    const moved = await call(owner, 'PUT', `/v1/accounts/${ids.accountB}/plan`, {
      planId: 'plan_pro',
    });
    expect(moved.statusCode, moved.body).toBe(200);
    let direct = 0;
    await eventually(
      async () =>
        (direct = (
          await fetch(
            new URL(`/v1/accounts/${ids.accountA}/plan-change-preview`, internal.billingServiceUrl),
            {
              method: 'POST',
              headers: {
                authorization: `Bearer ${internal.adminCredential}`,
                'content-type': 'application/json',
              },
              body: JSON.stringify({ planId: 'plan_pro', planVersion: 1 }),
            },
          )
        ).status) === 200,
      30_000,
      () => `billing-service to rate account A's move to Pro (answered ${direct})`,
    );
    const preview = await call(owner, 'POST', `/v1/accounts/${ids.accountA}/plan-change-preview`, {
      planId: 'plan_pro',
      planVersion: 1,
    });
    expect(preview.statusCode, preview.body).toBe(200);
    expect(preview.json()).toMatchObject({
      current: { currency: expect.any(String) },
      differenceMinor: expect.any(Number),
    });
    const csv = await call(finance, 'GET', '/v1/exports/invoices?period=2026-11&format=csv');
    expect(csv.statusCode, csv.body).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.body.split('\r\n')[0]).toMatch(/^period,invoice_id,account_id,/);
    // Billing's own 400s pass through; exports are finance's, not a viewer's.
    expect((await call(finance, 'GET', '/v1/exports/invoices?period=nope')).statusCode).toBe(400);
    const viewer = principals.find((p) => p.label === 'viewer')!.token;
    expect((await call(viewer, 'GET', '/v1/exports/invoices?period=2026-11')).statusCode).toBe(403);
    // The plan change itself answers with billing's preview of it (rated before the change).
    const changed = await call(owner, 'PUT', `/v1/accounts/${ids.accountA}/plan`, {
      planId: 'plan_pro',
    });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toMatchObject({
      plan: { planId: 'plan_pro' },
      prorationPreview: {
        differenceMinor: preview.json<{ differenceMinor: number }>().differenceMinor,
      },
    });
  }, 60_000);

  it('role × route sweep: every role and an account-scoped token get exactly what the permission table says', async () => {
    const unexpected: string[] = [];
    let calls = 0;
    for (const principal of principals) {
      for (const [route, rule] of Object.entries(ROUTE_PERMISSIONS)) {
        const [method, pattern] = route.split(' ') as [string, string];
        const res = await call(
          principal.token,
          method,
          urlOf(pattern, 'A'),
          method === 'GET' ? undefined : SWEEP_BODY,
        );
        calls++;
        const expected =
          principal.scoped && rule.scope === 'unscoped'
            ? 404
            : !roleAllows(principal.role, rule.permission)
              ? 403
              : 'allowed';
        const ok =
          expected === 'allowed'
            ? ![401, 403, 429, 500, 503].includes(res.statusCode) &&
              (res.statusCode !== 404 || NOT_FOUND_IS_AN_ANSWER.has(route))
            : res.statusCode === expected;
        if (!ok)
          unexpected.push(
            `${principal.label} ${route} → ${res.statusCode} (want ${expected}) ${res.body.slice(0, 200)}`,
          );
      }
    }
    expect(unexpected).toEqual([]);
    expect(calls).toBe(principals.length * Object.keys(ROUTE_PERMISSIONS).length);
  }, 120_000);

  it("cross-tenant sweep: an account-scoped token gets 404 for every other account's id, and lists only its own", async () => {
    const scoped = principals.find((p) => p.scoped)!.token;
    const leaks: string[] = [];
    const tenantRoutes = Object.entries(ROUTE_PERMISSIONS).filter(
      ([, rule]) => rule.scope === 'account' || rule.scope === 'key',
    );
    // The sweep covers something: every route that names an account or a key.
    expect(tenantRoutes.length).toBeGreaterThanOrEqual(20);
    for (const [route] of tenantRoutes) {
      const [method, pattern] = route.split(' ') as [string, string];
      const res = await call(
        scoped,
        method,
        urlOf(pattern, 'B'),
        method === 'GET' ? undefined : SWEEP_BODY,
      );
      if (res.statusCode !== 404 || res.body.includes(ids.accountB) || res.body.includes(ids.keyB))
        leaks.push(`${route} → ${res.statusCode} ${res.body.slice(0, 200)}`);
    }
    expect(leaks).toEqual([]);
    const listed = await call(scoped, 'GET', '/v1/accounts');
    expect(
      listed.json<{ items: Array<{ accountId: string }> }>().items.map((a) => a.accountId),
    ).toEqual([ids.accountA]);
  });

  it('audits a mutating call with actor, action and target, denied calls too; the database refuses UPDATE and DELETE', async () => {
    const viewer = principals.find((p) => p.label === 'viewer')!.token;
    const created = await call(owner, 'POST', '/v1/accounts', { name: 'audited' });
    const accountId = created.json<{ accountId: string }>().accountId;
    const denied = await call(viewer, 'POST', `/v1/accounts/${accountId}/suspend`, {
      reason: 'nope',
    });
    expect(denied.statusCode).toBe(403);
    const forCreate = await call(
      owner,
      'GET',
      `/v1/audit-events?target=${accountId}&action=account.create`,
    );
    const events = forCreate.json<{ items: Array<Record<string, unknown>> }>().items;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      action: 'account.create',
      method: 'POST',
      outcome: 'allowed',
      status: 201,
      target: { accountId },
      role: 'owner',
      requestId: created.headers['x-request-id'],
    });
    const forDenied = await call(
      owner,
      'GET',
      `/v1/audit-events?target=${accountId}&action=account.suspend`,
    );
    expect(forDenied.json<{ items: unknown[] }>().items).toEqual([
      expect.objectContaining({ outcome: 'denied', status: 403, role: 'viewer' }),
    ]);
    const exported = await call(owner, 'GET', `/v1/audit-events/export?target=${accountId}`);
    expect(exported.headers['content-type']).toMatch(/application\/x-ndjson/);
    expect(exported.body.trim().split('\n')).toHaveLength(2);
    await expect(
      admin.db.sql.query('update audit_events set actor = ?', ['forged']),
    ).rejects.toThrow(/append-only/);
    await expect(admin.db.sql.query('delete from audit_events')).rejects.toThrow(/append-only/);
  });

  it('never stores or returns a token plaintext except once at creation', async () => {
    const created = await call(owner, 'POST', '/v1/admin-tokens', { name: 'ops', role: 'support' });
    expect(created.statusCode).toBe(201);
    const { plaintext, token } = created.json<{ plaintext: string; token: { tokenId: string } }>();
    expect(plaintext).toMatch(/^tgadm_live_[0-9A-Za-z]+$/);
    const rows = await admin.db.sql.query<{ row: string }>(
      'select t::text as row from admin_tokens t',
    );
    expect(rows.map((r) => r.row).join('\n')).not.toContain(plaintext);
    const listed = await call(owner, 'GET', '/v1/admin-tokens?limit=100');
    expect(listed.body).not.toContain(plaintext);
    expect(listed.body).toContain(token.tokenId);
  });

  it('a revoked or expired token stops working at once', async () => {
    const created = await call(owner, 'POST', '/v1/admin-tokens', {
      name: 'short-lived',
      role: 'viewer',
    });
    const { plaintext, token } = created.json<{ plaintext: string; token: { tokenId: string } }>();
    expect((await call(plaintext, 'GET', '/v1/me')).statusCode).toBe(200);
    expect((await call(owner, 'POST', `/v1/admin-tokens/${token.tokenId}/revoke`)).statusCode).toBe(
      204,
    );
    expect((await call(plaintext, 'GET', '/v1/me')).json()).toMatchObject({
      code: 'admin_token_invalid',
    });
    const expired = await admin.token({
      name: 'expired',
      role: 'viewer',
      expiresAt: Date.now() - 1_000,
    });
    expect((await call(expired, 'GET', '/v1/me')).statusCode).toBe(401);
  });

  it('revokes every key of an account at once (incident response)', async () => {
    const account = (await call(owner, 'POST', '/v1/accounts', { name: 'incident' })).json<{
      accountId: string;
    }>().accountId;
    for (let i = 0; i < 3; i++)
      await call(owner, 'POST', `/v1/accounts/${account}/keys`, { env: 'live' });
    const res = await call(owner, 'POST', `/v1/accounts/${account}/revoke-all-keys`, {
      reason: 'leak',
    });
    expect(res.json<{ revokedKeyIds: string[] }>().revokedKeyIds).toHaveLength(3);
    const keys = (await call(owner, 'GET', `/v1/accounts/${account}/keys`)).json<{
      items: Array<{ status: string }>;
    }>();
    expect(keys.items.map((k) => k.status)).toEqual(['revoked', 'revoked', 'revoked']);
  });

  it('key-service refuses calls without a service credential (401) and from the wrong caller (403)', async () => {
    const url = new URL('/v1/accounts', internal.keyServiceUrl);
    const post = (authorization?: string) =>
      fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(authorization ? { authorization } : {}),
        },
        body: JSON.stringify({ name: 'x' }),
      });
    expect((await post()).status).toBe(401);
    expect((await post('Bearer not-a-credential-of-anyone-here-000000')).status).toBe(401);
    expect((await post(`Bearer ${internal.edgeCredential}`)).status).toBe(403);
    expect((await post(`Bearer ${internal.adminCredential}`)).status).toBe(201);
    expect((await fetch(new URL('/healthz', internal.keyServiceUrl))).status).toBe(200);
  });
});

describe('failed admin authentication is limited per client across replicas (real Redis)', () => {
  let internal: InternalApps;
  let admin: AdminApiUnderTest;
  // A fixed clock: the one-minute window cannot roll over mid-test.
  const now = () => Date.UTC(2026, 10, 30, 12, 0, 30);

  beforeAll(async () => {
    internal = {
      keyServiceUrl: 'http://127.0.0.1:9',
      usageIngestorUrl: 'http://127.0.0.1:9',
      billingServiceUrl: 'http://127.0.0.1:9',
      topicPrefix: '',
      adminCredential: 'x'.repeat(40),
      edgeCredential: '',
      stop: async () => undefined,
    };
    admin = await startAdminApi(
      internal,
      { AUTH_FAILURES_PER_MINUTE: '5', REQUESTS_PER_MINUTE_PER_TOKEN: '3' },
      { now },
    );
  });
  afterAll(() => admin?.close());

  it('answers 429 after 5 failures shared by two replicas, yet a valid token still works', async () => {
    const second = await admin.replica();
    const bad = { authorization: 'Bearer tgadm_live_0000000000000000000000000000000AAAAAA' };
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++)
      statuses.push(
        (await (i % 2 ? second : admin.app).inject({ url: '/v1/me', headers: bad })).statusCode,
      );
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    const valid = await admin.token({ name: 'valid', role: 'viewer' });
    expect(
      (await second.inject({ url: '/v1/me', headers: { authorization: `Bearer ${valid}` } }))
        .statusCode,
    ).toBe(200);
  });

  it('limits each token to its per-minute budget: 429 with Retry-After', async () => {
    const token = await admin.token({ name: 'busy', role: 'viewer' });
    const me = () =>
      admin.app.inject({ url: '/v1/me', headers: { authorization: `Bearer ${token}` } });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await me()).statusCode);
    const last = await me();
    statuses.push(last.statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(last.headers['retry-after']).toBe('30');
    expect(last.json()).toMatchObject({ code: 'rate_limited' });
  });
});
