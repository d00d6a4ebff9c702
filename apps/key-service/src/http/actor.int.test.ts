import { randomBytes } from 'node:crypto';
import type { TollgateEvent } from '@tollgate/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actorOfRequest } from '../application/actor';
import {
  collectTopics,
  startKeyService,
  type KeyServiceUnderTest,
} from '../testing/key-service-test-kit';

const secret = () => randomBytes(24).toString('base64url');

describe('actorOfRequest: only the management entry may name a person', () => {
  it('believes admin-api, names other services, and refuses malformed actors', () => {
    expect(actorOfRequest('admin-api', 'token:atok_01JDQ3W8Y6T4K2M9N7P5R3S1V8')).toBe(
      'token:atok_01JDQ3W8Y6T4K2M9N7P5R3S1V8',
    );
    expect(actorOfRequest('admin-api', 'oidc:alice@example.test')).toBe('oidc:alice@example.test');
    expect(actorOfRequest('billing-service', 'token:atok_forged')).toBe('service:billing-service');
    expect(actorOfRequest('admin-api', 'root')).toBe('service:admin-api');
    expect(actorOfRequest('admin-api', 'token:has space')).toBe('service:admin-api');
    expect(actorOfRequest('admin-api', `token:${'x'.repeat(201)}`)).toBe('service:admin-api');
    expect(actorOfRequest('admin-api', ['token:a', 'token:b'])).toBe('service:admin-api');
    // Without service credentials (development) the header is all there is.
    expect(actorOfRequest(undefined, 'token:atok_dev')).toBe('token:atok_dev');
    expect(actorOfRequest(undefined, undefined)).toBeNull();
  });
});

describe('events name who caused them (real Postgres + Kafka, service credentials on)', () => {
  let ks: KeyServiceUnderTest;
  const admin = secret();
  const billing = secret();
  beforeAll(async () => {
    ks = await startKeyService({
      SERVICE_TOKENS: `admin-api:${admin},billing-service:${billing}`,
    });
  });
  afterAll(async () => {
    await ks?.close();
  });

  const call = (
    credential: string,
    method: 'POST' | 'PUT',
    url: string,
    payload: object,
    actor?: string,
  ) =>
    ks.app.inject({
      method,
      url,
      payload,
      headers: {
        authorization: `Bearer ${credential}`,
        ...(actor ? { 'x-tollgate-actor': actor } : {}),
      },
    });

  it('carries the asserted actor from admin-api and the calling service otherwise', async () => {
    const created = await call(admin, 'POST', '/v1/accounts', { name: 'Acted' }, 'oidc:alice');
    expect(created.statusCode, created.body).toBe(201);
    const { accountId } = created.json<{ accountId: string }>();
    const issued = await call(
      admin,
      'POST',
      `/v1/accounts/${accountId}/keys`,
      { env: 'live' },
      'token:atok_01JDQ3W8Y6T4K2M9N7P5R3S1V8',
    );
    const { keyId } = issued.json<{ key: { keyId: string } }>().key;
    // billing-service cannot pass a person off as the actor of its dunning suspension.
    const suspended = await call(
      billing,
      'POST',
      `/v1/accounts/${accountId}/suspend`,
      { reason: 'unpaid invoice' },
      'oidc:alice',
    );
    expect(suspended.statusCode, suspended.body).toBe(200);
    const revoked = await call(admin, 'POST', `/v1/keys/${keyId}/revoke`, { reason: 'test' });
    expect(revoked.statusCode, revoked.body).toBe(200);

    const collector = await collectTopics([ks.keysTopic, ks.accountsTopic, ks.plansTopic]);
    try {
      const actors = (events: TollgateEvent[]) =>
        events.flatMap((e) => {
          const mine =
            ('accountId' in e.payload && e.payload.accountId === accountId) ||
            ('key' in e.payload && e.payload.key.keyId === keyId);
          return mine && 'actor' in e.payload ? [[e.type, e.payload.actor]] : [];
        });
      await collector
        .waitFor((events) => actors(events).length === 4)
        .catch((err: unknown) => {
          throw new Error(`${String(err)}: ${JSON.stringify(actors(collector.events))}`);
        });
      expect(actors(collector.events)).toEqual(
        expect.arrayContaining([
          ['PlanChanged', 'oidc:alice'],
          ['KeyIssued', 'token:atok_01JDQ3W8Y6T4K2M9N7P5R3S1V8'],
          ['AccountStatusChanged', 'service:billing-service'],
          ['KeyRevoked', 'service:admin-api'],
        ]),
      );
    } finally {
      await collector.stop();
    }
  });
});
