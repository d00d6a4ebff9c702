import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { newId } from '@tollgate/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdminApi, type AdminApiUnderTest } from '../testing/admin-test-kit';

/**
 * OIDC sign-in against a local identity provider this test starts: a discovery document and a
 * JWKS on loopback, tokens signed with jose. The clock is injected (a fixed instant), so expiry
 * is checked against it, not against today.
 */
const NOW = Date.UTC(2031, 2, 14, 9, 0, 0);
const AUDIENCE = 'tollgate-admin';

interface Provider {
  issuer: string;
  sign(claims: Record<string, unknown>, options?: SignOptions): Promise<string>;
  requests: number;
  close(): Promise<void>;
}

interface SignOptions {
  expiresAt?: number;
  audience?: string;
  issuer?: string;
  key?: CryptoKey;
  kid?: string;
}

async function startProvider(): Promise<Provider> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  let issuer = '';
  const provider = {
    issuer,
    requests: 0,
  } as Provider;
  const server: Server = createServer((req, res) => {
    provider.requests++;
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration')
      return res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks.json` }));
    if (req.url === '/jwks.json') return res.end(JSON.stringify({ keys: [jwk] }));
    res.statusCode = 404;
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  provider.issuer = issuer;
  provider.sign = (claims, options = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: options.kid ?? 'k1' })
      .setIssuer(options.issuer ?? issuer)
      .setAudience(options.audience ?? AUDIENCE)
      .setIssuedAt(Math.floor(NOW / 1000) - 60)
      .setExpirationTime(Math.floor((options.expiresAt ?? NOW + 3_600_000) / 1000))
      .sign(options.key ?? privateKey);
  provider.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return provider;
}

/** A token signed with a shared secret (HS256) or not at all: never an identity. */
function forged(
  alg: 'HS256' | 'none',
  claims: Record<string, unknown>,
  secret = 'public-key',
): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const head = `${encode({ alg, typ: 'JWT' })}.${encode(claims)}`;
  if (alg === 'none') return `${head}.`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

describe('admin-api OIDC sign-in (local JWKS, real Postgres and Redis)', () => {
  let idp: Provider;
  let admin: AdminApiUnderTest;
  const unreachable = {
    keyServiceUrl: 'http://127.0.0.1:9',
    usageIngestorUrl: 'http://127.0.0.1:9',
    adminCredential: 'unused-in-this-test-0123456789abcdef',
  };
  const scopedAccount = newId('account', NOW);
  /** The injected clock; a test that moves it puts it back. */
  let clock = NOW;

  const call = (token: string, method: 'GET' | 'POST' = 'GET', url = '/v1/me', payload?: object) =>
    admin.app.inject({ method, url, payload, headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    idp = await startProvider();
    admin = await startAdminApi(
      unreachable,
      {
        OIDC_ISSUER: idp.issuer,
        OIDC_AUDIENCE: AUDIENCE,
        OIDC_ROLE_CLAIM: 'groups',
        OIDC_ROLE_MAP: 'platform-owners:owner,support-team:support,everyone:viewer',
        OIDC_ACCOUNT_CLAIM: 'tollgate_account',
        AUTH_FAILURES_PER_MINUTE: '1000',
      },
      { now: () => clock },
    );
  }, 60_000);

  afterAll(async () => {
    await admin?.close();
    await idp?.close();
  });

  it('a person in a mapped group signs in with the most privileged of their roles', async () => {
    const token = await idp.sign({
      sub: 'alice',
      email: 'alice@example.test',
      groups: ['everyone', 'platform-owners'],
    });
    const me = await call(token);
    expect(me.statusCode).toBe(200);
    expect(me.json()).toEqual({
      actor: 'oidc:alice',
      via: 'oidc',
      tokenId: null,
      name: 'alice@example.test',
      role: 'owner',
      accountId: null,
    });

    // An owner may create admin tokens; the audit log names the person.
    const created = await call(token, 'POST', '/v1/admin-tokens', { name: 'ci', role: 'viewer' });
    expect(created.statusCode).toBe(201);
    expect(created.json<{ token: { createdBy: string } }>().token.createdBy).toBe('oidc:alice');
    const audit = await call(token, 'GET', '/v1/audit-events?action=admin_token.create');
    const events = audit.json<{ items: Array<{ actor: string; role: string; status: number }> }>();
    expect(events.items[0]).toMatchObject({ actor: 'oidc:alice', role: 'owner', status: 201 });
  });

  it('enforces the role: a viewer may read but not create tokens', async () => {
    const token = await idp.sign({ sub: 'victor', groups: 'everyone' });
    expect((await call(token)).json()).toMatchObject({ role: 'viewer', name: 'victor' });
    const refused = await call(token, 'POST', '/v1/admin-tokens', { name: 'x', role: 'owner' });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'forbidden' });
  });

  it('scopes a person with an account claim to that account; other accounts are 404', async () => {
    const token = await idp.sign({
      sub: 'carol',
      groups: ['support-team'],
      tollgate_account: scopedAccount,
    });
    expect((await call(token)).json()).toMatchObject({ role: 'support', accountId: scopedAccount });
    const other = await call(token, 'GET', `/v1/accounts/${newId('account', NOW)}`);
    expect(other.statusCode).toBe(404);
    expect((await call(token, 'GET', '/v1/admin-tokens')).statusCode).toBe(404);

    const malformed = await idp.sign({
      sub: 'mallory',
      groups: 'support-team',
      tollgate_account: 'acct_1',
    });
    expect((await call(malformed)).statusCode).toBe(401);
  });

  it('answers 403 to a real identity without a Tollgate role', async () => {
    const res = await call(await idp.sign({ sub: 'dave', groups: ['marketing'] }));
    expect(res.statusCode).toBe(403);
    expect(res.json<{ detail: string }>().detail).toMatch(/no Tollgate role/);
  });

  it('refuses expired, wrong-audience, wrong-issuer, foreign-key, HMAC and unsigned tokens with 401', async () => {
    const claims = { sub: 'eve', groups: ['platform-owners'] };
    const { privateKey: foreignKey } = await generateKeyPair('ES256');
    const refused = {
      // Expired beyond the 30 s tolerance, measured on the injected clock.
      expired: await idp.sign(claims, { expiresAt: NOW - 31_000 }),
      audience: await idp.sign(claims, { audience: 'another-app' }),
      issuer: await idp.sign(claims, { issuer: 'https://evil.example.test' }),
      foreignKey: await idp.sign(claims, { key: foreignKey }),
      unknownKid: await idp.sign(claims, { key: foreignKey, kid: `k-${randomUUID()}` }),
      hmac: forged('HS256', { ...claims, iss: idp.issuer, aud: AUDIENCE, exp: NOW / 1000 + 60 }),
      unsigned: forged('none', { ...claims, iss: idp.issuer, aud: AUDIENCE, exp: NOW / 1000 + 60 }),
    };
    for (const [label, token] of Object.entries(refused)) {
      const res = await call(token);
      expect(res.statusCode, label).toBe(401);
      expect(res.json(), label).toMatchObject({ code: 'admin_token_invalid' });
      expect(res.headers['www-authenticate'], label).toMatch(/error="invalid_token"/);
    }
    // Still valid within the clock tolerance.
    const justExpired = await idp.sign(claims, { expiresAt: NOW - 10_000 });
    expect((await call(justExpired)).statusCode).toBe(200);
  });

  it('answers 503 (not 401, not 500) while the identity provider cannot be reached', async () => {
    const closedIdp = await startProvider();
    const token = await closedIdp.sign({ sub: 'frank', groups: ['everyone'] });
    await closedIdp.close();
    const offline = await startAdminApi(
      unreachable,
      { OIDC_ISSUER: closedIdp.issuer, OIDC_AUDIENCE: AUDIENCE, OIDC_ROLE_CLAIM: 'groups' },
      { now: () => NOW },
    );
    try {
      const res = await offline.app.inject({
        url: '/v1/me',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ code: 'dependency_unavailable' });
    } finally {
      await offline.close();
    }
  });

  it('opens a console session with an OIDC token: the person, role and scope carry over, and the session ends with the token', async () => {
    const token = await idp.sign(
      { sub: 'carol', groups: 'support-team', tollgate_account: scopedAccount },
      { expiresAt: NOW + 10 * 60_000 },
    );
    const signIn = await admin.app.inject({
      method: 'POST',
      url: '/console/session',
      payload: { token },
    });
    expect(signIn.statusCode, signIn.body).toBe(201);
    expect(signIn.json()).toMatchObject({
      principal: { actor: 'oidc:carol', via: 'oidc', role: 'support', accountId: scopedAccount },
      // Capped by the token's exp, well before the 12 h a session may last.
      expiresAt: new Date(NOW + 10 * 60_000).toISOString(),
    });
    const sessionId = /tg_console_session=([^;]+)/.exec(String(signIn.headers['set-cookie']))![1]!;
    const me = () =>
      admin.app.inject({ url: '/v1/me', cookies: { tg_console_session: sessionId } });
    expect((await me()).json()).toMatchObject({ actor: 'oidc:carol', accountId: scopedAccount });
    try {
      clock = NOW + 10 * 60_000;
      expect((await me()).statusCode).toBe(401);
    } finally {
      clock = NOW;
    }

    const hmac = await admin.app.inject({
      method: 'POST',
      url: '/console/session',
      payload: { token: forged('HS256', { sub: 'mallory', groups: 'platform-owners' }) },
    });
    expect(hmac.statusCode).toBe(401);
    expect(hmac.headers['set-cookie']).toBeUndefined();
  });

  it('still accepts admin tokens next to OIDC', async () => {
    const plaintext = await admin.token({ name: 'robot', role: 'finance' });
    expect((await call(plaintext)).json()).toMatchObject({ via: 'admin_token', role: 'finance' });
  });
});
