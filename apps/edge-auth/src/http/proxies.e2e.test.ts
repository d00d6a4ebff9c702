import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '@tollgate/api-keys';
import { eventually, isolatedServiceEnv } from '@tollgate/test-infra';
import { IDENTITY_HEADERS } from '../pipeline/edge-pipeline';
import { startEdge, type EdgeUnderTest } from '../testing/edge-test-kit';
import {
  rawRequest,
  startCaddy,
  startNginx,
  startRecordingUpstream,
  type RunningProxy,
} from '../testing/proxy-harness';
import { aheadForRoom, windowWithRoom } from '../testing/limit-windows';
import { plan, TableTopics, type TableKey } from '../testing/table-topics';

const HOUR = 3_600_000;
const ENDPOINTS = JSON.stringify([
  { method: 'GET', path: '/v1/orders/:id', name: 'orders.get', scopes: ['orders:read'] },
  { path: '/v1/admin/*', name: 'admin', scopes: ['admin'] },
]);

/**
 * The shipped nginx and Caddy configurations, run for real in front of edge-auth (forward-auth)
 * and an API that records what reached it: nothing the client forges and no path the scope check
 * did not see gets through, denials keep their status, headers and problem body.
 */
describe.each([
  { source: 'nginx' as const, start: startNginx },
  { source: 'caddy' as const, start: startCaddy },
])('edge-auth behind $source (forward-auth, shipped config)', ({ source, start }) => {
  const isolated = isolatedServiceEnv(`edge_${source}`);
  let edge: EdgeUnderTest;
  let upstream: Awaited<ReturnType<typeof startRecordingUpstream>>;
  let proxy: RunningProxy;
  let topics: TableTopics;
  let reader: TableKey;
  let limitedKey: TableKey;
  let accountId: string;

  const ahead = aheadForRoom(HOUR, 20 * 60_000);

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    edge = await startEdge(
      { url: 'http://127.0.0.1:9', topicPrefix: isolated.env.KAFKA_TOPIC_PREFIX },
      {
        ENDPOINTS,
        FORWARD_AUTH_SOURCE: source,
        // As the shipped configs say: trust the proxy in front.
        TRUST_PROXY: '127.0.0.1',
        FAILED_AUTH_LIMIT: '20',
        // Failed attempts count per hour of the edge's clock, moved on if this hour is ending:
        // no count starts afresh while this file runs.
        FAILED_AUTH_WINDOW_MS: String(HOUR),
      },
      { now: () => Date.now() + ahead },
    );
    await edge.app.listen({ host: '127.0.0.1', port: 0 });
    proxy = await start((edge.app.server.address() as AddressInfo).port, upstream.port);
    topics = await TableTopics.forEdge(edge.config);
    accountId = await topics.account(plan('plan_proxy', 10_000));
    reader = await topics.key(accountId, { scopes: ['orders:read'] });
    const limitedAccount = await topics.account(
      plan('plan_proxy_limited', 0, {
        // A window that cannot roll over between the warm-up here and the test that counts.
        rateLimits: [{ name: 'per-hour', limit: 2, windowMs: windowWithRoom(HOUR, 20 * 60_000) }],
      }),
    );
    limitedKey = await topics.key(limitedAccount, { scopes: ['orders:read'] });
    await eventually(
      async () => (await call('/v1/orders/1', limitedKey)).status === 200,
      10_000,
      'keys known to the edge',
    );
    await eventually(async () => (await call('/v1/orders/1', reader)).status === 200);
  }, 90_000);
  afterAll(async () => {
    await proxy?.close();
    await topics?.close();
    await edge?.close();
    await upstream?.close();
    await isolated.cleanup();
  });

  const call = (
    target: string,
    key?: TableKey | string,
    headers: Record<string, string> = {},
    method = 'GET',
  ) =>
    rawRequest(proxy.port, method, target, {
      ...(key === undefined
        ? {}
        : { authorization: `Bearer ${typeof key === 'string' ? key : key.plaintext}` }),
      ...headers,
    });

  /** Requests that reached the API since `from`. */
  const reachedSince = (from: number) => upstream.received.slice(from);

  it('lets an allowed request through with every identity header and no key', async () => {
    const from = upstream.received.length;
    const res = await call('/v1/orders/9?sort=asc', reader);
    expect(res.status).toBe(200);
    expect(res.headers['x-upstream']).toBe('yes');
    expect(res.headers['x-ratelimit-limit']).toBe('10000');
    expect(res.headers['ratelimit-policy']).toBe('"per-minute";q=10000;w=60');
    const [received] = reachedSince(from);
    expect(received?.url).toBe('/v1/orders/9?sort=asc');
    expect(received?.headers).toMatchObject({
      [IDENTITY_HEADERS.account]: accountId,
      [IDENTITY_HEADERS.key]: reader.keyId,
      [IDENTITY_HEADERS.plan]: 'plan_proxy@1',
      [IDENTITY_HEADERS.env]: 'live',
      [IDENTITY_HEADERS.endpoint]: 'orders.get',
    });
    expect(received?.headers['authorization']).toBeUndefined();
  });

  it('never lets a client-sent X-Tollgate-* header reach the API', async () => {
    const from = upstream.received.length;
    const forged = {
      'x-tollgate-account-id': 'acct_forged',
      'x-tollgate-key-env': 'test',
      'x-tollgate-endpoint': 'admin',
      'x-tollgate-status': '200',
      'x-tollgate-anything': 'forged',
    };
    for (const [name, value] of Object.entries(forged)) {
      const res = await call('/v1/orders/9', reader, { [name]: value });
      if (source === 'nginx') {
        // nginx hands the client's headers to edge-auth, which refuses the request outright.
        expect(res.status, name).toBe(400);
        expect(JSON.parse(res.body), name).toMatchObject({ code: 'bad_request' });
      } else {
        // Caddy's shipped config drops them before asking edge-auth: the request goes through.
        expect(res.status, name).toBe(200);
      }
    }
    const reached = reachedSince(from);
    // What reached the API: nothing behind nginx; behind Caddy every request, carrying the
    // identity edge-auth decided and none of the forged values.
    expect(reached).toHaveLength(source === 'nginx' ? 0 : Object.keys(forged).length);
    for (const received of reached) {
      expect(received.headers).toMatchObject({
        [IDENTITY_HEADERS.account]: accountId,
        [IDENTITY_HEADERS.env]: 'live',
        [IDENTITY_HEADERS.endpoint]: 'orders.get',
      });
      expect(received.headers['x-tollgate-status']).toBeUndefined();
      expect(received.headers['x-tollgate-anything']).toBeUndefined();
    }
  });

  it('decides on the real request, not on original-request headers a client sends', async () => {
    const from = upstream.received.length;
    const res = await call('/v1/admin/1', reader, {
      'x-original-uri': '/v1/orders/1',
      'x-original-method': 'GET',
      'x-forwarded-uri': '/v1/orders/1',
      'x-forwarded-method': 'GET',
    });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'forbidden' });
    expect(reachedSince(from)).toEqual([]);
  });

  it('refuses path tricks that would reach another endpoint, and never forwards them', async () => {
    const from = upstream.received.length;
    for (const target of [
      '/v1/./admin/1',
      '/v1/orders/../admin/1',
      '/v1/%2e/admin/1',
      '/v1/orders/%2e%2e/admin/1',
      '/v1/orders/x\\..\\..\\admin\\1',
      '/V1/ADMIN/1',
      '/v1/%61dmin/1',
    ]) {
      const { status } = await call(target, reader);
      expect([400, 403], `${target} → ${status}`).toContain(status);
    }
    expect((await call('/v1/admin/1', reader, {}, 'HEAD')).status).toBe(403);
    expect(reachedSince(from).map((r) => r.url)).toEqual([]);
  });

  it('restores every denial with its status, problem code and headers', async () => {
    const missing = await call('/v1/orders/9');
    expect(missing.status).toBe(401);
    expect(JSON.parse(missing.body)).toMatchObject({ code: 'key_missing' });
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="tollgate"');

    const invalid = await call('/v1/orders/9', 'tg_live_nope');
    expect(invalid.status).toBe(401);
    expect(invalid.headers['www-authenticate']).toBe(
      'Bearer realm="tollgate", error="invalid_token", error_description="key_invalid"',
    );

    const inQuery = await call('/v1/orders/9?api_key=x', reader);
    expect(inQuery.status).toBe(400);
    expect(JSON.parse(inQuery.body)).toMatchObject({ code: 'key_in_query' });

    expect((await call('/v1/orders/1', limitedKey)).status).toBe(200);
    const denied = await call('/v1/orders/1', limitedKey);
    expect(denied.status).toBe(429);
    expect(Number(denied.headers['retry-after'])).toBeGreaterThan(0);
    expect(denied.headers['x-ratelimit-remaining']).toBe('0');
    expect(JSON.parse(denied.body)).toMatchObject({ status: 429, code: 'rate_limited' });
  });

  it("never refuses a valid key because of another client's failures", async () => {
    // Every client reaches edge-auth through the same proxy address here.
    for (let i = 0; i < 21; i++) await call('/v1/orders/9', `tg_live_not_a_key_${i}`);
    const unknown = await call('/v1/orders/9', generateApiKey({ env: 'live' }).plaintext);
    expect(unknown.status).toBe(429);
    expect(JSON.parse(unknown.body)).toMatchObject({ code: 'auth_attempts_exceeded' });
    expect((await call('/v1/orders/9', reader)).status).toBe(200);
  });
});
