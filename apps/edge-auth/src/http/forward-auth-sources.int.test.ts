import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedServiceEnv, workspaceRoot } from '@tollgate/test-infra';
import { IDENTITY_HEADERS } from '../pipeline/edge-pipeline';
import { startEdge } from '../testing/edge-test-kit';
import {
  sendRaw as send,
  startForwardAuthEdges,
  type ForwardAuthEdges,
} from '../testing/forward-auth-edges';
import { aheadForRoom } from '../testing/limit-windows';
import type { TableKey } from '../testing/table-topics';

const ENDPOINTS = JSON.stringify([
  { method: 'GET', path: '/v1/orders/:id', name: 'orders.get', scopes: ['orders:read'] },
  { path: '/v1/admin/*', name: 'admin', scopes: ['admin'] },
]);

/**
 * Traefik and Envoy are not packaged where the tests run: edge-auth gets requests shaped exactly as
 * their forward-auth sends them, and the shipped example configs are checked for the header
 * contract those requests rely on. nginx and Caddy run for real in proxies.e2e.test.ts.
 */
describe('forward-auth: one configured proxy decides which headers are read', () => {
  const isolated = isolatedServiceEnv('edge_sources');
  let started: ForwardAuthEdges<'nginx' | 'traefik' | 'envoy'>;
  let ports: Record<'nginx' | 'traefik' | 'envoy', number>;
  let reader: TableKey;

  beforeAll(async () => {
    const { keys, ...rest } = await startForwardAuthEdges({
      sources: ['nginx', 'traefik', 'envoy'],
      topicPrefix: isolated.env.KAFKA_TOPIC_PREFIX,
      overrides: { ENDPOINTS, TRUST_PROXY: '127.0.0.1' },
      planId: 'plan_sources',
      perMinute: 10_000,
      keys: [{ scopes: ['orders:read'] }],
    });
    started = rest;
    ports = rest.ports;
    reader = keys[0]!;
  }, 90_000);
  afterAll(async () => {
    await started?.close();
    await isolated.cleanup();
  });

  /** What Traefik's ForwardAuth sends: a GET with every client header and its X-Forwarded-*. */
  const traefik = (method: string, uri: string, client: Record<string, string>) =>
    send(ports.traefik, 'GET', '/verify', {
      ...client,
      'x-forwarded-method': method,
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'api.example.com',
      'x-forwarded-uri': uri,
      'x-forwarded-for': '203.0.113.7',
    });

  /** What Envoy's ext_authz (HTTP) sends: the original method, /verify + path, allowed headers. */
  const envoy = (method: string, path: string, client: Record<string, string>) =>
    send(ports.envoy, method, `/verify${path}`, {
      host: 'api.example.com',
      ...client,
      'x-forwarded-for': '203.0.113.8',
      'x-envoy-expected-rq-timeout-ms': '500',
      'content-length': '0',
    });

  const bearer = () => ({ authorization: `Bearer ${reader.plaintext}` });

  it('traefik: decides on X-Forwarded-Uri, never on a client-sent X-Original-URI', async () => {
    const allowed = await traefik('GET', '/v1/orders/7', bearer());
    expect(allowed.status).toBe(200);
    expect(allowed.headers[IDENTITY_HEADERS.endpoint]).toBe('orders.get');
    expect(allowed.headers[IDENTITY_HEADERS.key]).toBe(reader.keyId);

    const spoofed = await traefik('GET', '/v1/admin/1', {
      ...bearer(),
      'x-original-uri': '/v1/orders/1',
      'x-original-method': 'GET',
    });
    expect(spoofed.status).toBe(403);
    expect(JSON.parse(spoofed.body)).toMatchObject({ code: 'forbidden', endpoint: 'admin' });
  });

  it('traefik: refuses a client that sends X-Tollgate-* headers (ForwardAuth passes them on)', async () => {
    for (const forged of ['x-tollgate-account-id', 'x-tollgate-key-env', 'x-tollgate-status']) {
      const res = await traefik('GET', '/v1/orders/7', { ...bearer(), [forged]: 'forged' });
      expect({ forged, status: res.status }).toEqual({ forged, status: 400 });
      expect(JSON.parse(res.body)).toMatchObject({ code: 'bad_request' });
    }
  });

  it('traefik: a request without X-Forwarded-Uri is a 400 naming the header', async () => {
    const res = await send(ports.traefik, 'GET', '/verify', {
      ...bearer(),
      'x-original-uri': '/v1/orders/7',
    });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'bad_request' });
    expect(res.body).toContain('x-forwarded-uri');
  });

  it('traefik: HEAD needs what GET needs, and path tricks are normalised or refused', async () => {
    expect((await traefik('HEAD', '/v1/orders/7', bearer())).status).toBe(200);
    expect((await traefik('HEAD', '/v1/admin/7', bearer())).status).toBe(403);
    expect((await traefik('GET', '/v1/orders/../admin/7', bearer())).status).toBe(403);
    expect((await traefik('GET', '/v1/%2e%2e/admin/7', bearer())).status).toBe(400);
    expect((await traefik('GET', '/v1/orders/x\\..\\..\\admin\\1', bearer())).status).toBe(400);
  });

  it('envoy: decides on the path after /verify and the check request method', async () => {
    const allowed = await envoy('GET', '/v1/orders/7?expand=items', bearer());
    expect(allowed.status).toBe(200);
    expect(allowed.headers[IDENTITY_HEADERS.endpoint]).toBe('orders.get');
    expect(allowed.headers['ratelimit-policy']).toBeTruthy();

    // Headers other proxies use are ignored, whoever sent them.
    const spoofed = await envoy('DELETE', '/v1/admin/1', {
      ...bearer(),
      'x-original-uri': '/v1/orders/1',
      'x-forwarded-uri': '/v1/orders/1',
      'x-original-method': 'GET',
      'x-forwarded-method': 'GET',
    });
    expect(spoofed.status).toBe(403);
    expect(spoofed.headers['www-authenticate']).toBe(
      'Bearer realm="tollgate", error="insufficient_scope", scope="admin"',
    );
  });

  it('envoy: a missing key is a 401 with a Bearer challenge', async () => {
    const res = await envoy('GET', '/v1/orders/7', {});
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="tollgate"');
    const invalid = await envoy('GET', '/v1/orders/7', { authorization: 'Bearer tg_live_nope' });
    expect(invalid.headers['www-authenticate']).toBe(
      'Bearer realm="tollgate", error="invalid_token", error_description="key_invalid"',
    );
  });

  it('nginx: ignores X-Forwarded-Uri (a client could have sent it through nginx)', async () => {
    const res = await send(ports.nginx, 'GET', '/verify', {
      ...bearer(),
      'x-original-method': 'GET',
      'x-original-uri': '/v1/admin/1',
      'x-forwarded-uri': '/v1/orders/1',
    });
    expect(res.status).toBe(403);
  });

  it('takes the client address from X-Forwarded-For of the trusted proxy', async () => {
    const ahead = aheadForRoom(3_600_000, 20 * 60_000);
    const limited = await startEdge(
      { url: 'http://127.0.0.1:9', topicPrefix: isolated.env.KAFKA_TOPIC_PREFIX },
      {
        ENDPOINTS,
        FORWARD_AUTH_SOURCE: 'traefik',
        TRUST_PROXY: '127.0.0.1',
        FAILED_AUTH_LIMIT: '2',
        // Counted per hour of the edge's clock, moved on if this hour is ending: the count
        // cannot start afresh between the calls.
        FAILED_AUTH_WINDOW_MS: '3600000',
      },
      { now: () => Date.now() + ahead },
    );
    try {
      await limited.app.listen({ host: '127.0.0.1', port: 0 });
      const port = (limited.app.server.address() as AddressInfo).port;
      const from = (ip: string, key: string) =>
        send(port, 'GET', '/verify', {
          authorization: `Bearer ${key}`,
          'x-forwarded-method': 'GET',
          'x-forwarded-uri': '/v1/orders/7',
          'x-forwarded-for': ip,
        });
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await from('203.0.113.1', 'bad')).status);
      expect(statuses).toEqual([401, 401, 429]);
      expect((await from('203.0.113.2', 'bad')).status).toBe(401);
    } finally {
      await limited.close();
    }
  });
});

describe('the shipped Traefik and Envoy examples', () => {
  const identity = Object.values(IDENTITY_HEADERS);

  it('traefik: ForwardAuth to /verify, identity headers copied, forwarded headers not trusted', async () => {
    const config = parse(
      await readFile(join(workspaceRoot(), 'infra/traefik/dynamic.yml'), 'utf8'),
    ) as {
      http: {
        routers: Record<string, { middlewares: string[] }>;
        middlewares: Record<string, { forwardAuth?: Record<string, unknown> }>;
      };
    };
    const forwardAuth = config.http.middlewares['tollgate-edge-auth']?.forwardAuth;
    expect(forwardAuth?.['address']).toMatch(/\/verify$/);
    expect(forwardAuth?.['trustForwardHeader']).toBe(false);
    // Every client header reaches edge-auth, so it can refuse forged X-Tollgate-* ones.
    expect(forwardAuth?.['authRequestHeaders']).toBeUndefined();
    expect(
      (forwardAuth?.['authResponseHeaders'] as string[]).map((h) => h.toLowerCase()).sort(),
    ).toEqual([...identity].sort());
    expect(config.http.routers['your-api']?.middlewares[0]).toBe('tollgate-edge-auth');
  });

  it('envoy: ext_authz on /verify after the X-Tollgate-* scrub, identity headers upstream', async () => {
    const text = await readFile(join(workspaceRoot(), 'infra/envoy/envoy.yaml'), 'utf8');
    const config = parse(text) as {
      static_resources: {
        listeners: Array<{
          filter_chains: Array<{
            filters: Array<{ typed_config: Record<string, unknown> }>;
          }>;
        }>;
      };
    };
    const hcm = config.static_resources.listeners[0]!.filter_chains[0]!.filters[0]!.typed_config;
    expect(hcm['use_remote_address']).toBe(true);
    interface ExtAuthz {
      failure_mode_allow: boolean;
      http_service: {
        path_prefix: string;
        authorization_request: { allowed_headers: { patterns: Array<{ exact: string }> } };
        authorization_response: {
          allowed_upstream_headers: { patterns: unknown[] };
          allowed_client_headers: { patterns: unknown[] };
        };
      };
    }
    const filters = hcm['http_filters'] as Array<{
      name: string;
      typed_config: ExtAuthz & { default_source_code: { inline_string: string } };
    }>;
    const names = filters.map((f) => f.name);
    expect(names.indexOf('envoy.filters.http.lua')).toBeLessThan(
      names.indexOf('envoy.filters.http.ext_authz'),
    );
    expect(filters[0]!.typed_config.default_source_code.inline_string).toContain('x-tollgate-');
    const authz = filters.find((f) => f.name === 'envoy.filters.http.ext_authz')!.typed_config;
    expect(authz.failure_mode_allow).toBe(false);
    expect(authz.http_service.path_prefix).toBe('/verify');
    const allowed = authz.http_service.authorization_request.allowed_headers.patterns.map(
      (p) => p.exact,
    );
    expect(allowed).toEqual(expect.arrayContaining(['authorization', 'x-api-key']));
    expect(authz.http_service.authorization_response.allowed_upstream_headers.patterns).toEqual([
      { prefix: 'x-tollgate-' },
    ]);
    expect(
      authz.http_service.authorization_response.allowed_client_headers.patterns,
    ).toContainEqual({ exact: 'www-authenticate' });
  });
});
