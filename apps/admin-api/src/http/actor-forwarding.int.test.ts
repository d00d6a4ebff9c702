import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdminApi, type AdminApiUnderTest } from '../testing/admin-test-kit';

/**
 * admin-api names the caller to key-service (`x-tollgate-actor`), which publishes it in the events
 * the call causes. A recording stand-in for key-service shows what is sent; key-service's own
 * side (whom it believes) is tested in apps/key-service/src/http/actor.int.test.ts.
 */
describe('admin-api forwards the caller as the actor (real Postgres and Redis)', () => {
  let recorder: Server;
  const seen: Array<{ url: string; headers: IncomingHttpHeaders }> = [];
  let admin: AdminApiUnderTest;

  beforeAll(async () => {
    recorder = createServer((req, res) => {
      seen.push({ url: req.url ?? '', headers: req.headers });
      req.resume();
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.statusCode = req.method === 'POST' ? 201 : 200;
        res.end(JSON.stringify({ accountId: 'acct_01JDQ3W8Y6T4K2M9N7P5R3S1A1' }));
      });
    });
    await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(recorder.address() as AddressInfo).port}`;
    admin = await startAdminApi({
      keyServiceUrl: url,
      usageIngestorUrl: url,
      adminCredential: 'admin-credential-for-this-test-0123456789',
    });
  }, 60_000);
  afterAll(async () => {
    await admin?.close();
    await new Promise<void>((resolve) => recorder?.close(() => resolve()));
  });

  it('sends token:<id> of the admin token that made the call', async () => {
    const token = await admin.token({ name: 'ops', role: 'admin' });
    const me = await admin.app.inject({
      url: '/v1/me',
      headers: { authorization: `Bearer ${token}` },
    });
    const { tokenId } = me.json<{ tokenId: string }>();
    const res = await admin.app.inject({
      method: 'POST',
      url: '/v1/accounts',
      payload: { name: 'Acme' },
      headers: { authorization: `Bearer ${token}`, 'x-tollgate-actor': 'token:forged' },
    });
    expect(res.statusCode, res.body).toBe(201);
    const call = seen.find((s) => s.url === '/v1/accounts');
    expect(call?.headers['x-tollgate-actor']).toBe(`token:${tokenId}`);
    expect(call?.headers.authorization).toBe('Bearer admin-credential-for-this-test-0123456789');
  });
});
