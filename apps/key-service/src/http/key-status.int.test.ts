import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKeyService, type KeyServiceUnderTest } from '../testing/key-service-test-kit';

const HOUR = 3_600_000;
/** The app's clock starts here and only moves when a test moves it; the calendar plays no part. */
const T0 = Date.UTC(2030, 0, 15, 12, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();

interface KeyBody {
  keyId: string;
  status: string;
  stopsWorkingAt: string | null;
  expiresAt: string | null;
  revocation: { reason: string; effectiveAt: string } | null;
}

describe('key status follows the clock as edge-auth decides it (real Postgres + Kafka)', () => {
  let ks: KeyServiceUnderTest;
  let clock = T0;
  beforeAll(async () => {
    ks = await startKeyService({}, { now: () => clock });
  });
  afterAll(async () => {
    await ks?.close();
  });

  const post = (url: string, payload: object = {}) =>
    ks.app.inject({ method: 'POST', url, payload });
  const getKey = async (keyId: string) =>
    (await ks.app.inject(`/v1/keys/${keyId}`)).json<KeyBody>();
  async function issueKey(expiresAt: number | null) {
    clock = T0;
    const account = await post('/v1/accounts', { name: 'Clocked' });
    const { accountId } = account.json<{ accountId: string }>();
    const res = await post(`/v1/accounts/${accountId}/keys`, { env: 'live', expiresAt });
    expect(res.statusCode, res.body).toBe(201);
    return { accountId, keyId: res.json<{ key: KeyBody }>().key.keyId };
  }

  it('reads "expired" once the expiry has passed, in the key and in the list', async () => {
    const { accountId, keyId } = await issueKey(T0 + HOUR);
    expect(await getKey(keyId)).toMatchObject({
      status: 'active',
      stopsWorkingAt: iso(T0 + HOUR),
    });
    clock = T0 + HOUR;
    expect(await getKey(keyId)).toMatchObject({
      status: 'expired',
      stopsWorkingAt: iso(T0 + HOUR),
    });
    const list = await ks.app.inject(`/v1/accounts/${accountId}/keys`);
    expect(list.json<{ items: KeyBody[] }>().items).toMatchObject([{ keyId, status: 'expired' }]);
  });

  it('refuses to rotate or re-date an expired key with 409 key_expired and issues nothing', async () => {
    const { accountId, keyId } = await issueKey(T0 + HOUR);
    clock = T0 + 2 * HOUR;
    const res = await post(`/v1/keys/${keyId}/rotate`);
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'conflict', reason: 'key_expired' });
    const list = await ks.app.inject(`/v1/accounts/${accountId}/keys`);
    expect(list.json<{ items: KeyBody[] }>().items).toHaveLength(1);
    expect(await getKey(keyId)).toMatchObject({ status: 'expired', revocation: null });
    // Nor can a new expiry bring it back.
    for (const expiresAt of [null, T0 + 48 * HOUR]) {
      const patched = await ks.app.inject({
        method: 'PATCH',
        url: `/v1/keys/${keyId}`,
        payload: { expiresAt },
      });
      expect(patched.statusCode).toBe(409);
      expect(patched.json()).toMatchObject({ code: 'conflict', reason: 'key_expired' });
    }
    expect(await getKey(keyId)).toMatchObject({ status: 'expired', expiresAt: iso(T0 + HOUR) });
  });

  it('reads "rotating" with the end of the grace period, then "revoked"; the replacement keeps the expiry', async () => {
    const { keyId } = await issueKey(T0 + 48 * HOUR);
    const rotated = await post(`/v1/keys/${keyId}/rotate`, { graceMs: HOUR });
    expect(rotated.statusCode).toBe(201);
    const replacement = rotated.json<{ key: KeyBody }>().key;
    expect(replacement).toMatchObject({ status: 'active', expiresAt: iso(T0 + 48 * HOUR) });

    expect(await getKey(keyId)).toMatchObject({
      status: 'rotating',
      stopsWorkingAt: iso(T0 + HOUR),
      revocation: { reason: 'rotated', effectiveAt: iso(T0 + HOUR) },
    });
    clock = T0 + HOUR - 1;
    expect((await getKey(keyId)).status).toBe('rotating');
    clock = T0 + HOUR;
    expect(await getKey(keyId)).toMatchObject({
      status: 'revoked',
      stopsWorkingAt: iso(T0 + HOUR),
    });
  });

  it('ends a rotation grace period at the expiry when that comes first', async () => {
    const { keyId } = await issueKey(T0 + HOUR / 2);
    expect((await post(`/v1/keys/${keyId}/rotate`, { graceMs: HOUR })).statusCode).toBe(201);
    expect(await getKey(keyId)).toMatchObject({
      status: 'rotating',
      stopsWorkingAt: iso(T0 + HOUR / 2),
    });
    clock = T0 + HOUR / 2;
    expect((await getKey(keyId)).status).toBe('expired');
    clock = T0 + HOUR;
    expect((await getKey(keyId)).status).toBe('revoked');
  });

  it('reads "revoked" at once for a plain revocation, and null stopsWorkingAt for a key without end', async () => {
    const { keyId } = await issueKey(null);
    expect(await getKey(keyId)).toMatchObject({ status: 'active', stopsWorkingAt: null });
    await post(`/v1/keys/${keyId}/revoke`, { reason: 'no longer needed' });
    expect(await getKey(keyId)).toMatchObject({ status: 'revoked', stopsWorkingAt: iso(T0) });
  });
});

describe('expiresAt: null means "no expiry" (Ajv type coercion must not turn it into 0)', () => {
  let ks: KeyServiceUnderTest;
  beforeAll(async () => {
    ks = await startKeyService({}, { now: () => T0 });
  });
  afterAll(async () => {
    await ks?.close();
  });

  it('issues a key without expiry and removes an expiry with PATCH', async () => {
    const account = await ks.app.inject({
      method: 'POST',
      url: '/v1/accounts',
      payload: { name: 'No end' },
    });
    const { accountId } = account.json<{ accountId: string }>();
    const issued = await ks.app.inject({
      method: 'POST',
      url: `/v1/accounts/${accountId}/keys`,
      payload: { env: 'live', expiresAt: T0 + HOUR },
    });
    const { keyId } = issued.json<{ key: KeyBody }>().key;
    const patched = await ks.app.inject({
      method: 'PATCH',
      url: `/v1/keys/${keyId}`,
      payload: { expiresAt: null },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ expiresAt: null, stopsWorkingAt: null });
    const withoutEnd = await ks.app.inject({
      method: 'POST',
      url: `/v1/accounts/${accountId}/keys`,
      payload: { env: 'test', expiresAt: null },
    });
    expect(withoutEnd.statusCode, withoutEnd.body).toBe(201);
    const bad = await ks.app.inject({
      method: 'PATCH',
      url: `/v1/keys/${keyId}`,
      payload: { expiresAt: 'tomorrow' },
    });
    expect(bad.json()).toMatchObject({ status: 400, code: 'validation_failed' });
  });
});
