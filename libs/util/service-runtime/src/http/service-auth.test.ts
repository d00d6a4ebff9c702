import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { serviceTokens } from '../config/env-fields';
import { createHttpServer } from './create-http-server';
import { installServiceAuth } from './service-auth';

const ADMIN = 'a'.repeat(40);
const EDGE = 'e'.repeat(40);

describe('service-to-service authentication', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await createHttpServer({ service: 'internal', logger: pino({ level: 'silent' }) });
    installServiceAuth(app, {
      tokens: serviceTokens.parse(`admin-api:${ADMIN},edge-auth:${EDGE}`),
      allow: { 'admin-api': 'all', 'edge-auth': ['POST /v1/keys/lookup'] },
      publicRoutes: ['POST /v1/webhooks/:source'],
    });
    app.post('/v1/webhooks/:source', async (request) => ({
      caller: request.serviceCaller ?? null,
    }));
    app.post('/v1/keys/lookup', async (request) => ({ caller: request.serviceCaller }));
    app.post('/v1/accounts', async (request) => ({ caller: request.serviceCaller }));
  });
  afterAll(() => app.close());

  const call = (url: string, token?: string) =>
    app.inject({
      method: 'POST',
      url,
      payload: {},
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });

  it('refuses a /v1 call without a credential: 401 with WWW-Authenticate', async () => {
    const res = await call('/v1/accounts');
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
    expect(res.json()).toMatchObject({
      code: 'unauthorized',
      reason: 'service_credential_missing',
    });
  });

  it('refuses an unknown credential: 401', async () => {
    const res = await call('/v1/accounts', 'x'.repeat(40));
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ reason: 'service_credential_invalid' });
  });

  it('lets each caller use only its routes: 403 for the wrong caller', async () => {
    expect((await call('/v1/accounts', EDGE)).statusCode).toBe(403);
    expect((await call('/v1/keys/lookup', EDGE)).json()).toEqual({ caller: 'edge-auth' });
    expect((await call('/v1/accounts', ADMIN)).json()).toEqual({ caller: 'admin-api' });
  });

  it('asks no credential on public routes (they check their own signature), only on them', async () => {
    expect((await call('/v1/webhooks/stripe')).json()).toEqual({ caller: null });
    expect((await app.inject({ method: 'GET', url: '/v1/webhooks/stripe' })).statusCode).toBe(401);
  });

  it('keeps health, readiness and metrics open', async () => {
    expect((await app.inject('/healthz')).statusCode).toBe(200);
    expect((await app.inject('/readyz')).statusCode).toBe(200);
    expect((await app.inject('/metrics')).statusCode).toBe(200);
  });

  it('refuses malformed SERVICE_TOKENS (short secret, bad caller name)', () => {
    expect(serviceTokens.safeParse('admin-api:short').success).toBe(false);
    expect(serviceTokens.safeParse(`Admin:${ADMIN}`).success).toBe(false);
  });
});
