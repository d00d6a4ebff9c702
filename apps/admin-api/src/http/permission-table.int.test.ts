import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_PERMISSIONS, ROLES, ROLE_PERMISSIONS } from '../application/permissions';
import { secret, startAdminApi, type AdminApiUnderTest } from '../testing/admin-test-kit';

/** Every /v1 operation of admin-api's own OpenAPI document, as `METHOD /v1/path/:param`. */
async function documentedRoutes(admin: AdminApiUnderTest): Promise<string[]> {
  const doc = (await admin.app.inject('/openapi.json')).json<{
    paths: Record<string, Record<string, unknown>>;
  }>();
  return Object.entries(doc.paths)
    .filter(([path]) => path.startsWith('/v1/'))
    .flatMap(([path, operations]) =>
      Object.keys(operations)
        .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
        .map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    )
    .sort();
}

describe('the permission table (real Postgres + Redis)', () => {
  let admin: AdminApiUnderTest;
  beforeAll(async () => {
    // No internal app is needed to read the document.
    admin = await startAdminApi({
      keyServiceUrl: 'http://127.0.0.1:9',
      usageIngestorUrl: 'http://127.0.0.1:9',
      adminCredential: secret(),
    });
  });
  afterAll(() => admin?.close());

  it('names every route admin-api serves, and nothing it does not serve', async () => {
    expect(await documentedRoutes(admin)).toEqual(Object.keys(ROUTE_PERMISSIONS).sort());
  });

  it('gives owner every permission and every other role a strict subset', () => {
    const all = ROLE_PERMISSIONS.owner;
    for (const role of ROLES.filter((r) => r !== 'owner')) {
      const own = ROLE_PERMISSIONS[role];
      expect(
        [...own].every((p) => all.has(p)),
        role,
      ).toBe(true);
      expect(own.size, role).toBeLessThan(all.size);
      expect(own.has('admin_tokens:manage'), role).toBe(false);
    }
  });

  it('audits every mutating route under a named action', () => {
    for (const [route, rule] of Object.entries(ROUTE_PERMISSIONS)) {
      if (route.startsWith('GET ')) expect(rule.action, route).toBeUndefined();
      else expect(rule.action, route).toMatch(/^[a-z_]+\.[a-z_]+$/);
    }
  });

  it('refuses a call without a token (401 + WWW-Authenticate) and a garbage token (401 admin_token_invalid)', async () => {
    const missing = await admin.app.inject('/v1/me');
    expect(missing.statusCode).toBe(401);
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer realm="tollgate-admin"/);
    expect(missing.json()).toMatchObject({ code: 'admin_token_missing' });
    const garbage = await admin.app.inject({
      url: '/v1/me',
      headers: { authorization: 'Bearer nope' },
    });
    expect(garbage.statusCode).toBe(401);
    expect(garbage.json()).toMatchObject({ code: 'admin_token_invalid' });
    expect(garbage.headers['www-authenticate']).toMatch(/error="invalid_token"/);
  });

  it('answers /v1/me with the token identity, role and scope', async () => {
    const token = await admin.token({ name: 'me', role: 'viewer' });
    const me = await admin.app.inject({
      url: '/v1/me',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(me.statusCode, me.body).toBe(200);
    expect(me.json()).toMatchObject({ name: 'me', role: 'viewer', accountId: null });
    expect(me.body).not.toContain(token);
  });
});
