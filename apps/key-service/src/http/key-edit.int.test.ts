import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TollgateEvent } from '@tollgate/events';
import {
  collectTopics,
  startKeyService,
  type KeyServiceUnderTest,
} from '../testing/key-service-test-kit';

/** Fixed instant for the app's clock; the calendar plays no part. */
const T0 = Date.UTC(2030, 8, 2, 9, 0, 0);
const DAY = 86_400_000;

interface KeyBody {
  keyId: string;
  scopes: string[];
  expiresAt: string | null;
  stopsWorkingAt: string | null;
  status: string;
}

/** What the console's key dialog changes: scopes and expiry, checked and published to edge-auth. */
describe("editing a key's scopes and expiry (real Postgres + Kafka)", () => {
  let ks: KeyServiceUnderTest;
  let accountId: string;
  beforeAll(async () => {
    ks = await startKeyService({}, { now: () => T0 });
    const res = await ks.app.inject({
      method: 'POST',
      url: '/v1/accounts',
      payload: { name: 'Edited' },
    });
    accountId = res.json<{ accountId: string }>().accountId;
  });
  afterAll(async () => {
    await ks?.close();
  });

  const issue = async () => {
    const res = await ks.app.inject({
      method: 'POST',
      url: `/v1/accounts/${accountId}/keys`,
      payload: { env: 'live', scopes: ['orders:read'] },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ key: KeyBody }>().key.keyId;
  };
  const patch = (keyId: string, payload: object) =>
    ks.app.inject({ method: 'PATCH', url: `/v1/keys/${keyId}`, payload });

  it('changes scopes and expiry and publishes KeyUpdated with the full new state', async () => {
    const keyId = await issue();
    const res = await patch(keyId, {
      scopes: ['orders:write', 'orders:read', 'orders:write'],
      expiresAt: T0 + 30 * DAY,
    });
    expect(res.statusCode, res.body).toBe(200);
    const expiry = new Date(T0 + 30 * DAY).toISOString();
    expect(res.json<KeyBody>()).toMatchObject({
      scopes: ['orders:read', 'orders:write'],
      expiresAt: expiry,
      stopsWorkingAt: expiry,
      status: 'active',
    });
    const collector = await collectTopics([ks.keysTopic]);
    try {
      const updates = (events: TollgateEvent[]) =>
        events.flatMap((e) =>
          e.type === 'KeyUpdated' && e.payload.key.keyId === keyId ? [e.payload.key] : [],
        );
      await collector.waitFor((events) => updates(events).length === 1);
      expect(updates(collector.events)[0]).toMatchObject({
        scopes: ['orders:read', 'orders:write'],
        expiresAt: T0 + 30 * DAY,
      });
    } finally {
      await collector.stop();
    }
  });

  it('refuses an expiry that is not in the future, bad scopes and too many (400, nothing changes)', async () => {
    const keyId = await issue();
    for (const [payload, reason] of [
      [{ expiresAt: T0 }, 'expiry_in_past'],
      [{ expiresAt: T0 - DAY }, 'expiry_in_past'],
      [{ scopes: ['Orders Read'] }, 'invalid_scope'],
    ] as const) {
      const res = await patch(keyId, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json(), JSON.stringify(payload)).toMatchObject({ reason });
    }
    const tooMany = await patch(keyId, {
      scopes: Array.from({ length: 51 }, (_, i) => `scope${i}`),
    });
    expect(tooMany.statusCode).toBe(400);
    const tooLong = await patch(keyId, { scopes: ['a'.repeat(65)] });
    expect(tooLong.statusCode).toBe(400);
    const unchanged = await ks.app.inject({ method: 'GET', url: `/v1/keys/${keyId}` });
    expect(unchanged.json<KeyBody>()).toMatchObject({ scopes: ['orders:read'], expiresAt: null });
  });
});
