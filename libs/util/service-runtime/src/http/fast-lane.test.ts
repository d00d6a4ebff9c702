import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../logging/logger';
import { createHttpServer } from './create-http-server';
import { clientIpResolver } from './fast-lane';

const silent = () =>
  createLogger({
    service: 'test',
    level: 'silent',
    destination: new Writable({ write: (_c, _e, cb) => cb() }),
  });

describe('fast lane: a raw handler in front of Fastify', () => {
  it("answers what it takes, leaves the rest to Fastify, on a server with Fastify's timeouts", async () => {
    const app = await createHttpServer({ service: 'lane', logger: silent(), fastLane: true });
    app.get('/routed', async () => ({ by: 'fastify' }));
    app.setFastLane((request, response) => {
      if (request.url !== '/fast') return false;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ by: 'lane' }));
      return true;
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      expect(await (await fetch(`${base}/fast`)).json()).toEqual({ by: 'lane' });
      const routed = await fetch(`${base}/routed`);
      expect(await routed.json()).toEqual({ by: 'fastify' });
      expect(routed.headers.get('x-request-id')).toBeTruthy();
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      // Fastify's own defaults, as on the server it would have created itself.
      expect(app.server.keepAliveTimeout).toBe(72_000);
      expect(app.server.requestTimeout).toBe(0);
    } finally {
      await app.close();
    }
  });

  it('refuses a lane when the server was not built for one', async () => {
    const app = await createHttpServer({ service: 'no-lane', logger: silent() });
    expect(() => app.setFastLane(() => false)).toThrow(/not asked for a fast lane/);
    await app.close();
  });
});

/**
 * A fast lane answers without Fastify, so it computes `request.ip` itself: for every way our
 * config spells TRUST_PROXY, it must give what Fastify gives for the same socket and headers.
 */
describe('clientIpResolver: the client address as Fastify computes it', () => {
  const cases: Array<boolean | string | string[]> = [
    false,
    true,
    ['127.0.0.1'],
    ['10.0.0.0/8', '127.0.0.1'],
    '127.0.0.1, 10.0.0.1',
    ['192.0.2.1'],
  ];
  const forwardedFor = ['203.0.113.9', '203.0.113.9, 198.51.100.2', '198.51.100.2, 10.1.2.3'];

  for (const trustProxy of cases) {
    it(`trustProxy ${JSON.stringify(trustProxy)}`, async () => {
      const app = Fastify({ trustProxy });
      app.get('/', async (request) => ({ ip: request.ip }));
      const resolve = clientIpResolver(trustProxy);
      for (const header of forwardedFor) {
        const injected = await app.inject({ url: '/', headers: { 'x-forwarded-for': header } });
        const fastify = injected.json<{ ip: string }>().ip;
        const raw = {
          socket: { remoteAddress: '127.0.0.1' },
          headers: { 'x-forwarded-for': header },
        } as unknown as IncomingMessage;
        expect({ header, ip: resolve(raw) }).toEqual({ header, ip: fastify });
      }
      await app.close();
    });
  }
});
