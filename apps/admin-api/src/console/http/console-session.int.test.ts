import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CONSOLE_ROUTE_PERMISSIONS } from '../../application/permissions';
import { secret, startAdminApi, type AdminApiUnderTest } from '../../testing/admin-test-kit';

/**
 * Console sessions against real Postgres and Redis (no internal app is needed: the routes used
 * here — /v1/me, admin tokens, the audit log — are admin-api's own). The clock is injected and
 * moved by the tests, so idle and absolute expiry are checked without waiting.
 */
const START = Date.UTC(2031, 4, 6, 8, 0, 0);
const MINUTE = 60_000;

describe('console sessions (real Postgres + Redis, injected clock)', () => {
  let admin: AdminApiUnderTest;
  let clock = START;
  let owner: string;
  let ip = 0;
  /** Each test signs in from its own client address, so failure counts stay apart. */
  const nextIp = () => `10.9.0.${++ip}`;

  beforeAll(async () => {
    const unused = 'http://127.0.0.1:9';
    admin = await startAdminApi(
      { keyServiceUrl: unused, usageIngestorUrl: unused, adminCredential: secret() },
      {
        CONSOLE_SESSION_IDLE_MINUTES: '30',
        CONSOLE_SESSION_MAX_HOURS: '2',
        AUTH_FAILURES_PER_MINUTE: '3',
        TRUST_PROXY: '10.9.0.0/16',
        CONSOLE_ASSETS_DIR: inject('consoleAssetsDir'),
      },
      { now: () => clock },
    );
    owner = await admin.token({ name: 'owner', role: 'owner' });
  });
  afterAll(() => admin?.close());

  const cookieOf = (res: LightMyRequestResponse) => {
    const header = res.headers['set-cookie'];
    return (Array.isArray(header) ? header : [header ?? '']).find((c) =>
      c.startsWith('tg_console_session='),
    );
  };

  async function signIn(token: string, remoteAddress = nextIp()) {
    const res = await admin.app.inject({
      method: 'POST',
      url: '/console/session',
      payload: { token },
      remoteAddress,
    });
    expect(res.statusCode, res.body).toBe(201);
    const setCookie = cookieOf(res)!;
    const sessionId = /^tg_console_session=([^;]+)/.exec(setCookie)![1]!;
    const body = res.json<{ csrfToken: string; principal: { actor: string } }>();
    return { sessionId, setCookie, csrf: body.csrfToken, body, remoteAddress };
  }

  const withSession = (
    session: { sessionId: string; remoteAddress: string },
    method: string,
    url: string,
    options: { csrf?: string; payload?: object } = {},
  ) =>
    admin.app.inject({
      method: method as 'GET',
      url,
      remoteAddress: session.remoteAddress,
      cookies: { tg_console_session: session.sessionId },
      headers: options.csrf ? { 'x-csrf-token': options.csrf } : {},
      ...(options.payload ? { payload: options.payload } : {}),
    });

  it('signs in with an admin token: an httpOnly, SameSite=Strict cookie (Secure only behind TLS), a CSRF token, and the same principal as Bearer', async () => {
    clock = START;
    const session = await signIn(owner);
    expect(session.setCookie).toMatch(/HttpOnly/i);
    expect(session.setCookie).toMatch(/SameSite=Strict/i);
    expect(session.setCookie).toMatch(/Path=\//);
    expect(session.setCookie).not.toMatch(/Secure/i);
    expect(session.sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session.body).toMatchObject({
      principal: { role: 'owner', via: 'admin_token' },
      allowedRoutes: expect.arrayContaining(['POST /v1/admin-tokens', 'GET /v1/audit-events']),
    });

    const bySession = await withSession(session, 'GET', '/v1/me');
    expect(bySession.headers['cache-control']).toBe('no-store');
    const byBearer = await admin.app.inject({
      url: '/v1/me',
      headers: { authorization: `Bearer ${owner}` },
    });
    expect(bySession.statusCode, bySession.body).toBe(200);
    expect(bySession.json()).toEqual(byBearer.json());

    // The page can ask for its CSRF token again after a reload.
    const current = await withSession(session, 'GET', '/console/session');
    expect(current.json()).toMatchObject({ csrfToken: session.csrf });
    expect(current.headers['cache-control']).toBe('no-store');
    expect(current.headers['content-security-policy']).toContain("default-src 'self'");
    expect(current.headers['x-frame-options']).toBe('DENY');

    // Nothing the cookie or the token holds is stored.
    const stored = JSON.stringify(await admin.db.sql.query('select * from console_sessions'));
    expect(stored).not.toContain(session.sessionId);
    expect(stored).not.toContain(session.csrf);
    expect(stored).not.toContain(owner);
    expect(admin.logs.join('\n')).not.toContain(session.sessionId);
    expect(admin.logs.join('\n')).not.toContain(owner);
  });

  it('a new sign-in from the same browser ends the session it replaces', async () => {
    clock = START;
    const first = await signIn(owner);
    const again = await admin.app.inject({
      method: 'POST',
      url: '/console/session',
      payload: { token: owner },
      remoteAddress: first.remoteAddress,
      cookies: { tg_console_session: first.sessionId },
    });
    expect(again.statusCode, again.body).toBe(201);
    expect(cookieOf(again)).not.toContain(first.sessionId);
    expect((await withSession(first, 'GET', '/v1/me')).statusCode).toBe(401);
  });

  it('sets Secure when the request came over TLS through a trusted proxy', async () => {
    const res = await admin.app.inject({
      method: 'POST',
      url: '/console/session',
      payload: { token: owner },
      remoteAddress: nextIp(),
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(cookieOf(res)).toMatch(/; Secure/i);
  });

  it('refuses a mutation by cookie without the CSRF token (403, audited as denied) and allows it with the token', async () => {
    clock = START;
    const session = await signIn(owner);
    const payload = { name: 'made in the console', role: 'viewer' };
    const missing = await withSession(session, 'POST', '/v1/admin-tokens', { payload });
    expect(missing.statusCode, missing.body).toBe(403);
    expect(missing.json()).toMatchObject({ code: 'forbidden', reason: 'csrf_token_invalid' });
    const wrong = await withSession(session, 'POST', '/v1/admin-tokens', {
      payload,
      csrf: 'x'.repeat(43),
    });
    expect(wrong.statusCode).toBe(403);
    const allowed = await withSession(session, 'POST', '/v1/admin-tokens', {
      payload,
      csrf: session.csrf,
    });
    expect(allowed.statusCode, allowed.body).toBe(201);

    const audit = await admin.app.inject({
      url: `/v1/audit-events?actor=${encodeURIComponent(session.body.principal.actor)}&action=admin_token.create`,
      headers: { authorization: `Bearer ${owner}` },
    });
    const outcomes = audit
      .json<{ items: Array<{ outcome: string; status: number }> }>()
      .items.map((e) => `${e.outcome} ${e.status}`);
    expect(outcomes).toEqual(expect.arrayContaining(['denied 403', 'allowed 201']));
  });

  it("gives a viewer's session the viewer's rights: a forged mutation with a valid CSRF token is still 403", async () => {
    clock = START;
    const viewer = await signIn(await admin.token({ name: 'viewer', role: 'viewer' }));
    expect(viewer.body).toMatchObject({ principal: { role: 'viewer' } });
    expect(
      (viewer.body as unknown as { allowedRoutes: string[] }).allowedRoutes.filter(
        (r) => !r.startsWith('GET '),
      ),
    ).toEqual([]);
    const forged = await withSession(viewer, 'POST', '/v1/admin-tokens', {
      payload: { name: 'escalate', role: 'owner' },
      csrf: viewer.csrf,
    });
    expect(forged.statusCode, forged.body).toBe(403);
    expect(forged.json()).toMatchObject({ code: 'forbidden' });
  });

  it('ends every session of a token the moment the token is revoked', async () => {
    clock = START;
    const token = await admin.token({ name: 'to revoke', role: 'admin' });
    const session = await signIn(token);
    expect((await withSession(session, 'GET', '/v1/me')).statusCode).toBe(200);
    const { tokenId } = (
      await admin.app.inject({ url: '/v1/me', headers: { authorization: `Bearer ${token}` } })
    ).json<{ tokenId: string }>();
    const revoked = await admin.app.inject({
      method: 'POST',
      url: `/v1/admin-tokens/${tokenId}/revoke`,
      headers: { authorization: `Bearer ${owner}` },
    });
    expect(revoked.statusCode, revoked.body).toBe(204);
    const after = await withSession(session, 'GET', '/v1/me');
    expect(after.statusCode).toBe(401);
    expect(after.json()).toMatchObject({ code: 'admin_token_invalid' });
  });

  it('ends a session after the idle time without use, and after the absolute time even when used', async () => {
    clock = START;
    const idle = await signIn(owner);
    clock = START + 29 * MINUTE;
    expect((await withSession(idle, 'GET', '/v1/me')).statusCode).toBe(200); // moves idle expiry on
    clock = START + 58 * MINUTE;
    expect((await withSession(idle, 'GET', '/v1/me')).statusCode).toBe(200);
    clock = START + 88 * MINUTE + 1;
    expect((await withSession(idle, 'GET', '/v1/me')).statusCode).toBe(401);

    clock = START;
    const busy = await signIn(owner);
    for (let minutes = 20; minutes < 120; minutes += 20) {
      clock = START + minutes * MINUTE;
      expect((await withSession(busy, 'GET', '/v1/me')).statusCode, `${minutes} min`).toBe(200);
    }
    clock = START + 120 * MINUTE;
    expect((await withSession(busy, 'GET', '/v1/me')).statusCode).toBe(401);
  });

  it('signs out: the session ends on the server and the cookie is cleared; sign-out needs the CSRF token', async () => {
    clock = START;
    const session = await signIn(owner);
    const withoutCsrf = await withSession(session, 'DELETE', '/console/session');
    expect(withoutCsrf.statusCode).toBe(403);
    const out = await withSession(session, 'DELETE', '/console/session', { csrf: session.csrf });
    expect(out.statusCode, out.body).toBe(204);
    expect(cookieOf(out)).toMatch(/Expires=Thu, 01 Jan 1970|Max-Age=0/);
    const reused = await withSession(session, 'GET', '/console/session');
    expect(reused.statusCode).toBe(401);

    const audit = await admin.app.inject({
      url: `/v1/audit-events?actor=${encodeURIComponent(session.body.principal.actor)}`,
      headers: { authorization: `Bearer ${owner}` },
    });
    const actions = audit
      .json<{ items: Array<{ action: string; outcome: string; bodyDigest: string | null }> }>()
      .items.filter((e) => e.action.startsWith('console.'));
    expect(actions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: 'console.sign_in',
          outcome: 'allowed',
          bodyDigest: null,
        }),
        expect.objectContaining({ action: 'console.sign_out', outcome: 'allowed' }),
        expect.objectContaining({ action: 'console.sign_out', outcome: 'denied' }),
      ]),
    );
  });

  it('counts failed sign-ins toward the per-client failure limit (then 429), audits them, and refuses bad input with 4xx', async () => {
    clock = START;
    const from = nextIp();
    const attempt = (token: string) =>
      admin.app.inject({
        method: 'POST',
        url: '/console/session',
        payload: { token },
        remoteAddress: from,
      });
    for (let i = 0; i < 3; i++) {
      const res = await attempt(`tgadm_live_${'x'.repeat(40)}`);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ code: 'admin_token_invalid' });
      expect(cookieOf(res)).toBeUndefined();
    }
    const limited = await attempt('still wrong');
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({ code: 'auth_attempts_exceeded' });
    // A valid token is never refused because of failures.
    expect((await attempt(owner)).statusCode).toBe(201);

    const denied = await admin.db.sql.query<{ n: string }>(
      `select count(*)::text as n from audit_events where action = 'console.sign_in' and outcome = 'denied' and client_ip = ?`,
      [from],
    );
    expect(Number(denied[0]!.n)).toBe(4);

    for (const payload of [
      {},
      { token: '' },
      { token: { nested: 'a' } },
      { token: 'a', extra: true },
    ]) {
      const res = await admin.app.inject({
        method: 'POST',
        url: '/console/session',
        payload,
        remoteAddress: nextIp(),
      });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    const garbageCookie = await admin.app.inject({
      url: '/console/session',
      cookies: { tg_console_session: 'not-a-session' },
      remoteAddress: nextIp(),
    });
    expect(garbageCookie.statusCode).toBe(401);
  });

  it('guards every console route by the table: each entry is served, exemptions are written down', async () => {
    for (const [route, rule] of Object.entries(CONSOLE_ROUTE_PERMISSIONS)) {
      const [method, url] = route.split(' ') as ['GET', string];
      expect(admin.app.hasRoute({ method, url }), route).toBe(true);
      if ('exempt' in rule) expect(rule.exempt.length, route).toBeGreaterThan(20);
    }
    const anonymous = await admin.app.inject('/console/session');
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toMatchObject({ code: 'admin_token_missing' });
  });

  it('serves the built console under /console with a strict CSP, no framing and no inline script', async () => {
    const redirect = await admin.app.inject('/console');
    expect(redirect.statusCode).toBe(308);
    expect(redirect.headers.location).toBe('/console/');
    const page = await admin.app.inject('/console/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    const csp = String(page.headers['content-security-policy']);
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "frame-ancestors 'none'",
      "object-src 'none'",
    ])
      expect(csp).toContain(directive);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    // Scripts and styles come only from files: no inline <script> body, no <style>, no style="".
    expect(page.body).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(page.body).not.toMatch(/<style|style=/);
    for (const [file, type] of [
      ['console.js', /javascript/],
      ['console.css', /text\/css/],
    ] as const) {
      const asset = await admin.app.inject(`/console/${file}`);
      expect(asset.statusCode, file).toBe(200);
      expect(asset.headers['content-type']).toMatch(type);
      expect(asset.headers['content-security-policy']).toBe(csp);
    }
    // uPlot's styles are bundled into the console's own stylesheet.
    expect((await admin.app.inject('/console/console.css')).body).toContain('.uplot');
    const missing = await admin.app.inject('/console/nothing-here.js');
    expect(missing.statusCode).toBe(404);
  });
});
