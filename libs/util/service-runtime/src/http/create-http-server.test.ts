import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createLogger } from '../logging/logger';
import type { Dependency } from '../lifecycle/dependency';
import { createHttpServer } from './create-http-server';
import { ProblemError } from './problem';

const silent = () =>
  createLogger({
    service: 'test',
    level: 'silent',
    destination: new Writable({ write: (_c, _e, cb) => cb() }),
  });

function dependency(name: string, ready: boolean, onClose?: () => void): Dependency {
  return {
    name,
    checkReady: async () => {
      if (!ready) throw new Error(`${name} refused the connection`);
    },
    close: async () => onClose?.(),
  };
}

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function build(deps: Dependency[] = [], bodyLimitBytes = 1024) {
  app = await createHttpServer({
    service: 'test',
    logger: silent(),
    dependencies: deps,
    bodyLimitBytes,
  });
  app.post(
    '/things',
    {
      schema: {
        body: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
      },
    },
    async (request) => request.body,
  );
  app.get('/things/:id', async (request) => request.params);
  app.get('/boom', async () => {
    throw new Error('database password is hunter2');
  });
  app.get('/forbidden', async () => {
    throw new ProblemError('forbidden', 'Key lacks scope usage:read', { scope: 'usage:read' });
  });
  await app.ready();
  return app;
}

describe('createHttpServer', () => {
  it('answers /healthz', async () => {
    const res = await (await build()).inject('/healthz');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('is ready only when every dependency is', async () => {
    const ok = await (await build([dependency('postgres', true)])).inject('/readyz');
    expect(ok.statusCode).toBe(200);
    await app!.close();

    const res = await (
      await build([dependency('postgres', true), dependency('redis', false)])
    ).inject('/readyz');
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({
      code: 'not_ready',
      checks: { postgres: 'ok', redis: 'redis refused the connection' },
    });
  });

  it('times out a dependency that hangs', async () => {
    const hanging: Dependency = {
      name: 'kafka',
      checkReady: () => new Promise(() => {}),
      close: async () => {},
    };
    app = await createHttpServer({
      service: 't',
      logger: silent(),
      dependencies: [hanging],
      readinessTimeoutMs: 50,
    });
    const res = await app.inject('/readyz');
    expect(res.statusCode).toBe(503);
    expect(res.json().checks.kafka).toMatch(/did not answer within 50 ms/);
  });

  it('serves Prometheus text with request metrics', async () => {
    const server = await build();
    await server.inject('/healthz');
    const res = await server.inject('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toMatch(
      /http_request_duration_seconds_count\{[^}]*route="\/healthz",status_code="200"\} 1/,
    );
    expect(res.body).toContain('process_cpu_user_seconds_total');
  });

  it('reuses a plain x-request-id and replaces an unsafe one', async () => {
    const server = await build();
    const reused = await server.inject({ url: '/healthz', headers: { 'x-request-id': 'abc-123' } });
    expect(reused.headers['x-request-id']).toBe('abc-123');
    const replaced = await server.inject({
      url: '/healthz',
      headers: { 'x-request-id': 'bad id <script>' },
    });
    expect(replaced.headers['x-request-id']).not.toBe('bad id <script>');
  });

  it('closes dependencies in reverse order', async () => {
    const order: string[] = [];
    const server = await build([
      dependency('a', true, () => order.push('a')),
      dependency('b', true, () => order.push('b')),
    ]);
    await server.close();
    app = undefined;
    expect(order).toEqual(['b', 'a']);
  });

  describe('errors are problem+json with stable codes', () => {
    it.each([
      ['unknown route', { method: 'GET' as const, url: '/nope' }, 404, 'not_found'],
      [
        'schema violation',
        { method: 'POST' as const, url: '/things', payload: { other: 1 } },
        400,
        'validation_failed',
      ],
      [
        'invalid JSON',
        {
          method: 'POST' as const,
          url: '/things',
          payload: '{"name":',
          headers: { 'content-type': 'application/json' },
        },
        400,
        'bad_request',
      ],
      [
        'unsupported media type',
        {
          method: 'POST' as const,
          url: '/things',
          payload: 'x',
          headers: { 'content-type': 'application/x-thing' },
        },
        415,
        'unsupported_media_type',
      ],
      [
        'oversized body',
        { method: 'POST' as const, url: '/things', payload: { name: 'x'.repeat(5000) } },
        413,
        'payload_too_large',
      ],
      ['domain problem', { method: 'GET' as const, url: '/forbidden' }, 403, 'forbidden'],
      [
        'a path that is not valid percent-encoded UTF-8 (a lone surrogate)',
        { method: 'GET' as const, url: '/things/%ED%A0%80' },
        400,
        'bad_request',
      ],
      [
        'an overlong path parameter',
        { method: 'GET' as const, url: `/things/${'x'.repeat(200)}` },
        400,
        'bad_request',
      ],
    ])('%s', async (_name, request, status, code) => {
      const server = await build();
      const res = await server.inject(request);
      expect(res.statusCode).toBe(status);
      expect(res.headers['content-type']).toContain('application/problem+json');
      const body = res.json();
      expect(body).toMatchObject({ status, code, requestId: res.headers['x-request-id'] });
      expect(typeof body.detail).toBe('string');
    });

    it('hides internals of an unexpected error', async () => {
      const res = await (await build()).inject('/boom');
      expect(res.statusCode).toBe(500);
      expect(res.json()).toMatchObject({ code: 'internal_error' });
      expect(res.body).not.toContain('hunter2');
      expect(res.body).not.toContain('at ');
    });
  });
});
