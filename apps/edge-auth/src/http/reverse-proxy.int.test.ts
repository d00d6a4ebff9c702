import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, isolatedServiceEnv } from '@tollgate/test-infra';
import { startEdge, type EdgeUnderTest } from '../testing/edge-test-kit';
import { rawRequest, startRecordingUpstream } from '../testing/proxy-harness';
import { plan, TableTopics, type TableKey } from '../testing/table-topics';

const ENDPOINTS = JSON.stringify([
  { method: 'GET', path: '/v1/orders/:id', name: 'orders.get', scopes: ['orders:read'] },
  { method: 'GET', path: '/v1/reports/:id', name: 'reports.get', scopes: ['reports:read'] },
  { path: '/v1/admin/*', name: 'admin', scopes: ['admin'] },
]);

/**
 * edge-auth as the reverse proxy, black box: raw request targets over a real socket, and an
 * upstream that records exactly what reached it. A key with `orders:read` only must never get a
 * request to another endpoint through, whatever the spelling of the path.
 */
describe.each(['allow', 'deny'] as const)(
  'edge-auth reverse proxy: the path it checks is the path it forwards (UNMATCHED_ENDPOINTS=%s)',
  (unmatched) => {
    const isolated = isolatedServiceEnv(`edge_paths_${unmatched}`);
    let edge: EdgeUnderTest;
    let upstream: Awaited<ReturnType<typeof startRecordingUpstream>>;
    let topics: TableTopics;
    let reader: TableKey;
    let port: number;

    beforeAll(async () => {
      upstream = await startRecordingUpstream();
      edge = await startEdge(
        { url: 'http://127.0.0.1:9', topicPrefix: isolated.env.KAFKA_TOPIC_PREFIX },
        {
          ENDPOINTS,
          UNMATCHED_ENDPOINTS: unmatched,
          UPSTREAM_URL: `http://127.0.0.1:${upstream.port}`,
        },
      );
      await edge.app.listen({ host: '127.0.0.1', port: 0 });
      port = (edge.app.server.address() as AddressInfo).port;
      topics = await TableTopics.forEdge(edge.config);
      reader = await topics.key(await topics.account(plan('plan_paths', 10_000)), {
        scopes: ['orders:read'],
      });
      await eventually(async () => (await call('GET', '/v1/orders/1')).status === 200);
    }, 60_000);
    afterAll(async () => {
      await topics?.close();
      await edge?.close();
      await upstream?.close();
      await isolated.cleanup();
    });

    const call = (method: string, target: string, headers: Record<string, string> = {}) =>
      rawRequest(port, method, target, {
        authorization: `Bearer ${reader.plaintext}`,
        ...headers,
      });

    it.each([
      ['a dot segment', '/v1/./admin/1', 403],
      ['dot-dot segments', '/v1/orders/x/../../admin/1', 403],
      ['an encoded dot', '/v1/%2e/admin/1', 400],
      ['encoded dot-dots', '/v1/orders/%2e%2e/%2e%2e/admin/1', 400],
      ['an encoded slash', '/v1/orders%2f..%2f..%2fadmin%2f1', 400],
      ['backslashes', '/v1/orders/x\\..\\..\\admin\\1', 400],
      ['double-encoded dots', '/v1/%252e%252e/admin/1', 400],
      ['another case', '/V1/Admin/1', 403],
      ['an encoded letter', '/v1/%61dmin/1', 403],
      ['a path parameter', '/v1/admin;x=1/1', 403],
      ['doubled slashes', '/v1//admin//1', 403],
      ['absolute form for another host', 'http://evil.example/v1/orders/1', 400],
      ['the asterisk form', '*', 400],
    ])('%s (%s) → %i, and nothing reaches the upstream', async (_name, target, status) => {
      const from = upstream.received.length;
      const res = await call('GET', target);
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(JSON.parse(res.body)).toMatchObject({
        code: status === 400 ? 'bad_request' : 'forbidden',
      });
      expect(upstream.received.slice(from)).toEqual([]);
    });

    it('forwards a request no endpoint matches only under UNMATCHED_ENDPOINTS=allow', async () => {
      const expected = {
        allow: { status: 200, upstream: ['/v1/unlisted/1'] },
        deny: { status: 404, upstream: [] },
      }[unmatched];
      const from = upstream.received.length;
      const res = await call('GET', '/v1/unlisted/1');
      expect(res.status).toBe(expected.status);
      expect(upstream.received.slice(from).map((r) => r.url)).toEqual(expected.upstream);
      // Denied before the key is looked at: a request without one gets the same answer.
      const keyless = await rawRequest(port, 'GET', '/v1/unlisted/2');
      expect({
        status: keyless.status,
        code: (JSON.parse(keyless.body) as { code?: string }).code,
      }).toEqual(
        { allow: { status: 401, code: 'key_missing' }, deny: { status: 404, code: 'not_found' } }[
          unmatched
        ],
      );
      // A matched endpoint is unaffected.
      expect((await call('GET', '/v1/orders/9')).status).toBe(200);
    });

    it('forwards exactly the normalised target it decided on', async () => {
      const from = upstream.received.length;
      for (const target of [
        '/v1/orders/1',
        '/v1//orders/./2',
        '/v1/reports/../orders/3?x=%2F',
        '/v1/%6Frders/4',
      ])
        expect((await call('GET', target)).status).toBe(200);
      expect(upstream.received.slice(from).map((r) => r.url)).toEqual([
        '/v1/orders/1',
        '/v1/orders/2',
        '/v1/orders/3?x=%2F',
        '/v1/orders/4',
      ]);
    });

    it('serves an absolute-form request for its own host like the origin form', async () => {
      const from = upstream.received.length;
      const res = await call('GET', `http://127.0.0.1:${port}/v1/orders/5`);
      expect(res.status).toBe(200);
      expect(upstream.received.slice(from).map((r) => r.url)).toEqual(['/v1/orders/5']);
      expect((await call('GET', `http://127.0.0.1:${port}/v1/admin/5`)).status).toBe(403);
    });

    it('makes HEAD need what GET needs', async () => {
      expect((await call('HEAD', '/v1/orders/1')).status).toBe(200);
      expect((await call('HEAD', '/v1/reports/1')).status).toBe(403);
      expect((await call('HEAD', '/v1/admin/1')).status).toBe(403);
    });

    it('strips every client-sent X-Tollgate-* header and the key before forwarding', async () => {
      const from = upstream.received.length;
      await call('GET', '/v1/orders/6', {
        'x-tollgate-account-id': 'acct_forged',
        'x-tollgate-status': '200',
        'x-tollgate-anything': 'forged',
      });
      const [received] = upstream.received.slice(from);
      expect(received?.headers['x-tollgate-account-id']).toMatch(/^acct_/);
      expect(received?.headers['x-tollgate-account-id']).not.toBe('acct_forged');
      expect(received?.headers['x-tollgate-status']).toBeUndefined();
      expect(received?.headers['x-tollgate-anything']).toBeUndefined();
      expect(received?.headers['authorization']).toBeUndefined();
    });
  },
);
