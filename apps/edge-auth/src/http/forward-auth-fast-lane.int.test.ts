import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, isolatedServiceEnv } from '@tollgate/test-infra';
import { startEdge, type EdgeUnderTest } from '../testing/edge-test-kit';
import { plan, TableTopics, type TableKey } from '../testing/table-topics';

const ENDPOINTS = JSON.stringify([
  { method: 'GET', path: '/v1/orders/:id', name: 'orders.get', scopes: ['orders:read'] },
  { path: '/v1/admin/*', name: 'admin', scopes: ['admin'] },
]);

interface Answer {
  status: number;
  headers: Record<string, unknown>;
  body: string;
}

/** Headers the transport adds (Node's server, not the app) or that count down between requests. */
const TRANSPORT = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);

function comparable(answer: Answer): Answer {
  const headers: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(answer.headers)) {
    if (TRANSPORT.has(name)) continue;
    // Remaining budget goes down by one per request; its presence and shape must still match.
    if (name === 'x-ratelimit-remaining') headers[name] = 'N';
    else if (name === 'ratelimit') headers[name] = String(value).replace(/r=\d+/g, 'r=N');
    else headers[name] = value;
  }
  return { status: answer.status, headers, body: answer.body };
}

function overHttp(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * The fast lane answers bodiless /verify requests on the raw server; `app.inject` always reaches
 * the Fastify routes. For the same request (same X-Request-Id) both must give the same status,
 * headers and body: the lane is an optimisation, never a second behaviour.
 */
describe('forward-auth fast lane: the same answers as the Fastify routes', () => {
  const isolated = isolatedServiceEnv('edge_fast_lane');
  const edges: Partial<Record<'nginx' | 'envoy', EdgeUnderTest>> = {};
  const ports: Record<string, number> = {};
  let topics: TableTopics;
  let reader: TableKey;
  let testKey: TableKey;

  beforeAll(async () => {
    for (const source of ['nginx', 'envoy'] as const) {
      const edge = await startEdge(
        { url: 'http://127.0.0.1:9', topicPrefix: isolated.env.KAFKA_TOPIC_PREFIX },
        { ENDPOINTS, FORWARD_AUTH_SOURCE: source, ACCEPTED_KEY_ENVS: 'live,test' },
      );
      await edge.app.listen({ host: '127.0.0.1', port: 0 });
      edges[source] = edge;
      ports[source] = (edge.app.server.address() as AddressInfo).port;
    }
    topics = await TableTopics.forEdge(edges.nginx!.config);
    const accountId = await topics.account(plan('plan_lane', 1_000_000));
    reader = await topics.key(accountId, { scopes: ['orders:read'] });
    testKey = await topics.key(accountId, { env: 'test', scopes: ['orders:read'] });
    for (const edge of Object.values(edges))
      await eventually(
        async () =>
          (
            await edge.app.inject({
              url: '/verify/v1/orders/1',
              headers: {
                authorization: `Bearer ${testKey.plaintext}`,
                'x-original-uri': '/v1/orders/1',
              },
            })
          ).statusCode === 200,
        10_000,
        'both keys in every edge',
      );
  }, 90_000);
  afterAll(async () => {
    await topics?.close();
    for (const edge of Object.values(edges)) await edge.close();
    await isolated.cleanup();
  });

  let n = 0;
  async function both(
    source: 'nginx' | 'envoy',
    method: string,
    path: string,
    headers: Record<string, string>,
  ): Promise<Answer> {
    const id = `lane-${++n}`;
    const sent = { ...headers, 'x-request-id': id };
    const lane = await overHttp(ports[source]!, method, path, sent);
    const injected = await edges[source]!.app.inject({
      method: method as 'GET',
      url: path,
      headers: sent,
    });
    const routed: Answer = {
      status: injected.statusCode,
      headers: injected.headers,
      body: method === 'HEAD' ? '' : injected.body,
    };
    expect({ path, ...comparable(lane) }).toEqual({ path, ...comparable(routed) });
    expect(lane.headers['x-request-id']).toBe(id);
    return lane;
  }

  const bearer = (key: TableKey = reader) => ({ authorization: `Bearer ${key.plaintext}` });
  const original = (uri: string, method = 'GET') => ({
    'x-original-uri': uri,
    'x-original-method': method,
  });

  it('nginx: allowed, missing, invalid, out-of-scope, unmatched and test-key answers', async () => {
    expect(
      (await both('nginx', 'GET', '/verify', { ...bearer(), ...original('/v1/orders/1') })).status,
    ).toBe(200);
    expect((await both('nginx', 'GET', '/verify', original('/v1/orders/1'))).status).toBe(401);
    const invalid = { authorization: 'Bearer tg_live_nope', ...original('/v1/orders/1') };
    expect((await both('nginx', 'GET', '/verify', invalid)).status).toBe(401);
    expect(
      (await both('nginx', 'GET', '/verify', { ...bearer(), ...original('/v1/admin/x') })).status,
    ).toBe(403);
    expect(
      (
        await both('nginx', 'POST', '/verify', {
          ...bearer(),
          ...original('/v1/orders/1', 'DELETE'),
        })
      ).status,
    ).toBe(200);
    expect(
      (await both('nginx', 'GET', '/verify', { ...bearer(), ...original('/v2/unknown') })).status,
    ).toBe(200);
    expect(
      (await both('nginx', 'GET', '/verify', { ...bearer(testKey), ...original('/v1/orders/2') }))
        .status,
    ).toBe(200);
    expect(
      (await both('nginx', 'HEAD', '/verify', { ...bearer(), ...original('/v1/admin/x') })).status,
    ).toBe(403);
    expect(
      (await both('nginx', 'GET', '/verify?probe=1', { ...bearer(), ...original('/v1/orders/1') }))
        .status,
    ).toBe(200);
  });

  it('nginx: bad input is the same problem either way', async () => {
    expect((await both('nginx', 'GET', '/verify', bearer())).status).toBe(400);
    const inQuery = original(`/v1/orders/1?api_key=${reader.plaintext}`);
    expect((await both('nginx', 'GET', '/verify', inQuery)).status).toBe(400);
    const forged = { ...bearer(), ...original('/v1/orders/1'), 'x-tollgate-account-id': 'acct_x' };
    expect((await both('nginx', 'GET', '/verify', forged)).status).toBe(400);
    const traversal = { ...bearer(), ...original('/v1/orders/../admin/1') };
    expect((await both('nginx', 'GET', '/verify', traversal)).status).toBe(403);
  });

  it('nginx mode: denials as 401/403 with the real status in X-Tollgate-Status', async () => {
    const mode = { 'x-tollgate-forward-auth': 'nginx' };
    const outOfScope = await both('nginx', 'GET', '/verify', {
      ...mode,
      ...bearer(),
      ...original('/v1/admin/x'),
    });
    expect(outOfScope.status).toBe(403);
    expect(outOfScope.headers['x-tollgate-status']).toBe('403');
    const missing = await both('nginx', 'GET', '/verify', { ...mode, ...bearer() });
    expect(missing.status).toBe(403);
    expect(missing.headers['x-tollgate-status']).toBe('400');
    expect(
      (await both('nginx', 'GET', '/verify', { ...mode, ...original('/v1/orders/1') })).status,
    ).toBe(401);
  });

  it('envoy: the path after /verify, with the check request method', async () => {
    expect((await both('envoy', 'GET', '/verify/v1/orders/7?expand=items', bearer())).status).toBe(
      200,
    );
    expect((await both('envoy', 'DELETE', '/verify/v1/admin/1', bearer())).status).toBe(403);
    expect((await both('envoy', 'GET', '/verify/', bearer())).status).toBe(200);
    expect((await both('envoy', 'OPTIONS', '/verify/v1/orders/7', {})).status).toBe(401);
    expect(
      (await both('envoy', 'GET', '/verify/v1/orders/7', { ...bearer(), 'content-length': '0' }))
        .status,
    ).toBe(200);
  });
});
