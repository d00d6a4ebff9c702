import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKeyService, type KeyServiceUnderTest } from '../testing/key-service-test-kit';

/** Fixed instant for the app's clock; the calendar plays no part. */
const T0 = Date.UTC(2030, 8, 2, 9, 0, 0);

interface KeyBody {
  keyId: string;
  name: string | null;
  status: string;
}

describe('keys have human names (real Postgres + Kafka)', () => {
  let ks: KeyServiceUnderTest;
  let accountId: string;
  beforeAll(async () => {
    ks = await startKeyService({}, { now: () => T0 });
    const res = await ks.app.inject({
      method: 'POST',
      url: '/v1/accounts',
      payload: { name: 'Named' },
    });
    accountId = res.json<{ accountId: string }>().accountId;
  });
  afterAll(async () => {
    await ks?.close();
  });

  const call = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
    ks.app.inject({ method, url, payload });

  it('issues a named key, renames it, keeps the name through a rotation, and removes it', async () => {
    const issued = await call('POST', `/v1/accounts/${accountId}/keys`, {
      env: 'live',
      name: '  billing worker ',
    });
    expect(issued.statusCode, issued.body).toBe(201);
    const { keyId } = issued.json<{ key: KeyBody }>().key;
    expect(issued.json<{ key: KeyBody }>().key.name).toBe('billing worker');

    const renamed = await call('PATCH', `/v1/keys/${keyId}`, { name: 'nightly export' });
    expect(renamed.json<KeyBody>().name).toBe('nightly export');
    // Another change leaves the name alone.
    const scoped = await call('PATCH', `/v1/keys/${keyId}`, { scopes: ['usage:read'] });
    expect(scoped.json<KeyBody>().name).toBe('nightly export');

    const rotated = await call('POST', `/v1/keys/${keyId}/rotate`, { graceMs: 60_000 });
    const replacement = rotated.json<{ key: KeyBody }>().key;
    expect(replacement.name).toBe('nightly export');

    const unnamed = await call('PATCH', `/v1/keys/${replacement.keyId}`, { name: null });
    expect(unnamed.json<KeyBody>().name).toBeNull();
    const listed = await call('GET', `/v1/accounts/${accountId}/keys`);
    expect(
      listed
        .json<{ items: KeyBody[] }>()
        .items.map((k) => [k.keyId, k.name])
        .sort(),
    ).toEqual(
      [
        [keyId, 'nightly export'],
        [replacement.keyId, null],
      ].sort(),
    );
  });

  it('refuses names that are empty, too long or hold control characters with 400', async () => {
    for (const name of ['', '   ', 'x'.repeat(101), 'line\nbreak']) {
      const res = await call('POST', `/v1/accounts/${accountId}/keys`, { env: 'live', name });
      expect(res.statusCode, JSON.stringify(name)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });
});
