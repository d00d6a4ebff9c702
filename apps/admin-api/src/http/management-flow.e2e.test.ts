import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '@tollgate/test-infra';
import {
  startAdminApi,
  startInternalApp,
  startInternalApps,
  type AdminApiUnderTest,
  type InternalApps,
} from '../testing/admin-test-kit';

/**
 * The whole path a user takes: admin-api → key-service → Kafka → edge-auth → Kafka →
 * usage-ingestor → admin-api, with real processes of every app but admin-api (in process).
 */
describe('management flow across every app (real processes, Kafka, Postgres, Redis)', () => {
  let internal: InternalApps;
  let edge: Awaited<ReturnType<typeof startInternalApp>>;
  let admin: AdminApiUnderTest;
  let spool: string;
  let owner: string;

  beforeAll(async () => {
    internal = await startInternalApps();
    spool = await mkdtemp(join(tmpdir(), 'flow-spool-'));
    edge = await startInternalApp('apps/edge-auth', {
      KAFKA_TOPIC_PREFIX: internal.topicPrefix,
      KEY_SERVICE_URL: internal.keyServiceUrl,
      SERVICE_TOKEN: internal.edgeCredential,
      SPOOL_DIR: spool,
      METER_LINGER_MS: '5',
    });
    admin = await startAdminApi(internal);
    owner = await admin.token({ name: 'flow owner', role: 'owner' });
  }, 240_000);
  afterAll(async () => {
    await admin?.close();
    await edge?.stop();
    await internal?.stop();
    if (spool) await rm(spool, { recursive: true, force: true });
  });

  const manage = (method: string, url: string, payload?: object) =>
    admin.app.inject({
      method: method as 'GET',
      url,
      headers: { authorization: `Bearer ${owner}` },
      ...(payload ? { payload } : {}),
    });
  const verify = (key: string) =>
    fetch(new URL('/verify', edge.url), {
      headers: {
        authorization: `Bearer ${key}`,
        'x-original-uri': '/v1/orders',
        'x-original-method': 'GET',
      },
    });

  it('a key issued through admin-api works at the edge, its traffic shows up as usage, and revoking it locks it out', async () => {
    const account = await manage('POST', '/v1/accounts', { name: 'flow', planId: 'plan_pro' });
    expect(account.statusCode, account.body).toBe(201);
    const { accountId } = account.json<{ accountId: string }>();
    const issued = await manage('POST', `/v1/accounts/${accountId}/keys`, { env: 'live' });
    const { plaintext, key } = issued.json<{ plaintext: string; key: { keyId: string } }>();

    const from = Date.now() - 60_000;
    const statuses: number[] = [];
    await eventually(
      async () => (await verify(plaintext)).status === 200,
      30_000,
      'the edge to accept the new key',
    );
    for (let i = 0; i < 5; i++) statuses.push((await verify(plaintext)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);

    const to = Date.now() + 120_000;
    let allowed = 0;
    await eventually(
      async () => {
        const series = await manage(
          'GET',
          `/v1/accounts/${accountId}/usage/series?granularity=minute&from=${from}&to=${to}&outcome=allowed`,
        );
        allowed = series
          .json<{ points: Array<{ requests: number }> }>()
          .points.reduce((n, p) => n + p.requests, 0);
        return allowed >= 6;
      },
      30_000,
      () => `6 allowed requests in admin-api's usage (saw ${allowed})`,
    );
    expect(allowed).toBe(6);
    // The analytics a console shows: the busiest key, and when each key was last used.
    const top = await manage(
      'GET',
      `/v1/accounts/${accountId}/usage/top?by=key&from=${from}&to=${to}`,
    );
    expect(top.json()).toMatchObject({
      items: [{ keyId: key.keyId, requests: 6, allowedRequests: 6, rejectedRequests: 0 }],
    });
    const lastUsed = await manage(
      'GET',
      `/v1/accounts/${accountId}/usage/keys-last-used?keyId=${key.keyId}`,
    );
    const [used] = lastUsed.json<{ items: Array<{ keyId: string; lastUsedAt: string }> }>().items;
    expect(used?.keyId).toBe(key.keyId);
    expect(Date.parse(used?.lastUsedAt ?? '')).toBeGreaterThanOrEqual(from - 60_000);

    expect(
      (await manage('POST', `/v1/keys/${key.keyId}/revoke`, { reason: 'flow test' })).statusCode,
    ).toBe(200);
    let last: Response | undefined;
    await eventually(
      async () => (last = await verify(plaintext)).status === 401,
      10_000,
      'the edge to refuse the revoked key',
    );
    expect(await last!.json()).toMatchObject({ code: 'key_revoked' });
  }, 120_000);
});
