import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceRoot, freePort, eventually } from '@tollgate/test-infra';
import { windowWithRoom } from '../testing/limit-windows';
import {
  startEdge,
  startKeyServiceProcess,
  type EdgeUnderTest,
  type KeyServiceProcess,
} from '../testing/edge-test-kit';

interface Echo {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** The API behind edge-auth: echoes what reached it. */
async function startUpstream(): Promise<{ server: Server; url: string; port: number }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const echo: Echo = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers as Record<string, string>,
        body: Buffer.concat(chunks).toString(),
      };
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' });
      res.end(JSON.stringify(echo));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, port };
}

describe('edge-auth deployment modes (real key-service, Kafka, Redis)', () => {
  let ks: KeyServiceProcess;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let key: { keyId: string; plaintext: string };
  let accountId: string;

  beforeAll(async () => {
    ks = await startKeyServiceProcess();
    upstream = await startUpstream();
    accountId = await ks.createAccount('plan_enterprise');
    key = await ks.issueKey(accountId, { scopes: ['orders:write'] });
  }, 120_000);
  afterAll(async () => {
    upstream?.server.close();
    await ks?.stop();
  });

  describe('reverse proxy', () => {
    let edge: EdgeUnderTest;
    beforeAll(async () => {
      edge = await startEdge(ks, {
        UPSTREAM_URL: upstream.url,
        ENDPOINTS: JSON.stringify([{ method: 'POST', path: '/v1/orders', name: 'orders.create' }]),
      });
    }, 60_000);
    afterAll(async () => edge?.close());

    it('streams allowed requests upstream with identity headers and without the key', async () => {
      const res = await edge.app.inject({
        method: 'POST',
        url: '/v1/orders?sort=asc',
        headers: {
          authorization: `Bearer ${key.plaintext}`,
          'content-type': 'application/xml',
          'x-tollgate-account-id': 'acct_forged',
        },
        payload: '<order>1</order>',
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-upstream']).toBe('yes');
      expect(res.headers['x-ratelimit-limit']).toBeDefined();
      const echo = res.json<Echo>();
      expect(echo).toMatchObject({
        method: 'POST',
        url: '/v1/orders?sort=asc',
        body: '<order>1</order>',
      });
      expect(echo.headers['authorization']).toBeUndefined();
      expect(echo.headers['x-tollgate-account-id']).toBe(accountId);
      expect(echo.headers['x-tollgate-key-id']).toBe(key.keyId);
      expect(echo.headers['x-tollgate-endpoint']).toBe('orders.create');
    });

    it('answers denials itself, never reaching the upstream', async () => {
      const res = await edge.app.inject({ method: 'GET', url: '/v1/orders' });
      expect(res.statusCode).toBe(401);
      expect(res.headers['x-upstream']).toBeUndefined();
      expect(res.json()).toMatchObject({ code: 'key_missing' });
    });
  });

  const nginx = spawnSync('nginx', ['-v']).status === 0 ? 'nginx' : undefined;
  describe('behind nginx auth_request', () => {
    let edge: EdgeUnderTest;
    let edgePort: number;
    let dir: string;
    let child: ChildProcess | undefined;
    let base: string;

    beforeAll(async () => {
      if (!nginx) throw new Error('nginx is required for this test (apt-get install nginx-light)');
      edge = await startEdge(ks, {
        TRUST_PROXY: '127.0.0.1',
        ENDPOINTS: JSON.stringify([
          { method: 'GET', path: '/v1/orders/:id', name: 'orders.get', scopes: ['orders:write'] },
          { method: 'GET', path: '/v1/admin', name: 'admin', scopes: ['admin'] },
        ]),
      });
      await edge.app.listen({ host: '127.0.0.1', port: 0 });
      edgePort = (edge.app.server.address() as AddressInfo).port;
      dir = await mkdtemp(join(tmpdir(), 'tollgate-nginx-'));
      const listenPort = await freePort();
      const template = await readFile(
        join(workspaceRoot(), 'infra/nginx/forward-auth.conf.template'),
        'utf8',
      );
      await writeFile(
        join(dir, 'nginx.conf'),
        template
          .replaceAll('__PREFIX__', dir)
          .replaceAll('__LISTEN__', `127.0.0.1:${listenPort}`)
          .replaceAll('__EDGE_AUTH__', `127.0.0.1:${edgePort}`)
          .replaceAll('__UPSTREAM__', `127.0.0.1:${upstream.port}`),
      );
      child = spawn(nginx, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], {
        stdio: 'ignore',
      });
      base = `http://127.0.0.1:${listenPort}`;
      await eventually(
        async () => {
          try {
            await fetch(base);
            return true;
          } catch {
            return false;
          }
        },
        10_000,
        'nginx to listen',
      );
    }, 60_000);
    afterAll(async () => {
      child?.kill('SIGQUIT');
      await edge?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('passes allowed requests with identity headers and restores every denial status', async () => {
      const ok = await fetch(`${base}/v1/orders/9`, {
        headers: { authorization: `Bearer ${key.plaintext}` },
      });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('x-ratelimit-limit')).toBeTruthy();
      const echo = (await ok.json()) as Echo;
      expect(echo.headers['x-tollgate-account-id']).toBe(accountId);
      expect(echo.headers['x-tollgate-key-id']).toBe(key.keyId);
      expect(echo.headers['authorization']).toBeUndefined();

      const missing = await fetch(`${base}/v1/orders/9`);
      expect(missing.status).toBe(401);
      expect(await missing.json()).toMatchObject({ code: 'key_missing' });
      const forbidden = await fetch(`${base}/v1/admin`, {
        headers: { authorization: `Bearer ${key.plaintext}` },
      });
      expect(forbidden.status).toBe(403);
      expect(await forbidden.json()).toMatchObject({ code: 'forbidden' });
      const inQuery = await fetch(`${base}/v1/orders/9?api_key=x`, {
        headers: { authorization: `Bearer ${key.plaintext}` },
      });
      expect(inQuery.status).toBe(400);
      expect(await inQuery.json()).toMatchObject({ code: 'key_in_query' });
    });

    it('turns a rate-limit denial into a 429 with Retry-After', async () => {
      await ks.createPlan('plan_nginx', {
        // Cannot roll over between the calls that count.
        rateLimits: [
          { name: 'per-hour', limit: 2, windowMs: windowWithRoom(3_600_000, 20 * 60_000) },
        ],
        monthlyQuota: null,
        limitScope: 'key',
      });
      const own = await ks.createAccount('plan_nginx');
      const limited = await ks.issueKey(own, { scopes: ['orders:write'] });
      const call = () =>
        fetch(`${base}/v1/orders/1`, { headers: { authorization: `Bearer ${limited.plaintext}` } });
      expect([(await call()).status, (await call()).status]).toEqual([200, 200]);
      const denied = await call();
      expect(denied.status).toBe(429);
      expect(Number(denied.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(denied.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(await denied.json()).toMatchObject({ status: 429, code: 'rate_limited' });
    });
  });
});
