import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedServiceEnv } from '@tollgate/test-infra';
import {
  sendRaw,
  startForwardAuthEdges,
  type ForwardAuthEdges,
  type RawAnswer,
} from '../testing/forward-auth-edges';
import type { TableKey } from '../testing/table-topics';

const ENDPOINTS = JSON.stringify([
  { method: 'GET', path: '/v1/orders/:id', name: 'orders.get', scopes: ['orders:read'] },
  { path: '/v1/admin/*', name: 'admin', scopes: ['admin'] },
]);

/** Headers the transport adds (Node's server, not the app) or that count down between requests. */
const TRANSPORT = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);

/** An answer as either side reports it (`inject` may give header values as numbers). */
interface Answer {
  status: number;
  headers: Record<string, unknown>;
  body: string;
}

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

/**
 * The fast lane answers bodiless /verify requests on the raw server; `app.inject` always reaches
 * the Fastify routes. For the same request (same X-Request-Id) both must give the same status,
 * headers and body: the lane is an optimisation, never a second behaviour.
 */
describe('forward-auth fast lane: the same answers as the Fastify routes', () => {
  const isolated = isolatedServiceEnv('edge_fast_lane');
  let started: ForwardAuthEdges<'nginx' | 'envoy'>;
  let reader: TableKey;
  let testKey: TableKey;

  beforeAll(async () => {
    const { keys, ...rest } = await startForwardAuthEdges({
      sources: ['nginx', 'envoy'],
      topicPrefix: isolated.env.KAFKA_TOPIC_PREFIX,
      overrides: { ENDPOINTS, ACCEPTED_KEY_ENVS: 'live,test' },
      planId: 'plan_lane',
      perMinute: 1_000_000,
      keys: [{ scopes: ['orders:read'] }, { env: 'test', scopes: ['orders:read'] }],
    });
    started = rest;
    [reader, testKey] = keys as [TableKey, TableKey];
  }, 90_000);
  afterAll(async () => {
    await started?.close();
    await isolated.cleanup();
  });

  let n = 0;
  async function both(
    source: 'nginx' | 'envoy',
    method: string,
    path: string,
    headers: Record<string, string>,
  ): Promise<RawAnswer> {
    const id = `lane-${++n}`;
    const sent = { ...headers, 'x-request-id': id };
    const lane = await sendRaw(started.ports[source], method, path, sent);
    const injected = await started.edges[source].app.inject({
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
