import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createServiceMetrics } from '@tollgate/service-runtime';
import type { EdgeDecision, EdgePipeline } from '../pipeline/edge-pipeline';
import { forwardAuthFastLane } from './forward-auth-fast-lane';

interface Sent {
  status: number;
  headers: Record<string, string>;
  body: string | undefined;
}

function laneWith(decide: () => Promise<EdgeDecision>, listening = true) {
  const metrics = createServiceMetrics('lane-test');
  const logged: unknown[] = [];
  const logger = pino(
    { level: 'error' },
    { write: (line: string) => logged.push(JSON.parse(line)) },
  );
  const lane = forwardAuthFastLane({
    pipeline: { decide } as unknown as EdgePipeline,
    source: 'nginx',
    server: { listening } as Server,
    metrics,
    logger,
    clientIp: () => '192.0.2.1',
  });
  const take = (method: string, url: string, headers: Record<string, string> = {}) => {
    let resolve!: (sent: Sent) => void;
    const sent = new Promise<Sent>((r) => (resolve = r));
    let status = 0;
    let sentHeaders: Record<string, string> = {};
    const response = {
      headersSent: false,
      writeHead(code: number, h: Record<string, string>) {
        status = code;
        sentHeaders = h;
      },
      end(body?: string) {
        resolve({ status, headers: sentHeaders, body });
      },
    } as unknown as ServerResponse;
    const request = {
      method,
      url,
      headers: { 'x-original-uri': '/v1/orders/1', ...headers },
    } as unknown as IncomingMessage;
    return { taken: lane(request, response), sent };
  };
  return { take, metrics, logged };
}

const allowed = async (): Promise<EdgeDecision> => ({
  status: 200,
  headers: { 'x-tollgate-endpoint': 'orders.get' },
  endpoint: 'orders.get',
});

describe('forward-auth fast lane: which requests it takes', () => {
  it('takes bodiless /verify requests with a usual method', async () => {
    const { take } = laneWith(allowed);
    for (const [method, url] of [
      ['GET', '/verify'],
      ['HEAD', '/verify'],
      ['POST', '/verify?probe=1'],
      ['DELETE', '/verify/v1/orders/1'],
      ['OPTIONS', '/verify/'],
    ] as const) {
      const { taken, sent } = take(method, url, { 'content-length': '0' });
      expect({ method, url, taken }).toEqual({ method, url, taken: true });
      expect((await sent).status).toBe(200);
    }
  });

  it('leaves Fastify everything else: other paths, escapes, bodies, rare methods', () => {
    const { take } = laneWith(allowed);
    const passed: Array<[string, string, Record<string, string>]> = [
      ['GET', '/verifyx', {}],
      ['GET', '/healthz', {}],
      ['GET', '/v1/verify', {}],
      ['GET', '/verify/v1/%2e%2e/admin', {}],
      ['GET', '/verify?uri=%2F', {}],
      ['POST', '/verify', { 'content-length': '2' }],
      ['POST', '/verify', { 'transfer-encoding': 'chunked' }],
      ['PROPFIND', '/verify', {}],
    ];
    for (const [method, url, headers] of passed)
      expect({ method, url, taken: take(method, url, headers).taken }).toEqual({
        method,
        url,
        taken: false,
      });
  });
});

describe('forward-auth fast lane: what it keeps from the shared plumbing', () => {
  it('answers a failing decision with a 500 problem, no stack, and logs it', async () => {
    const { take, logged } = laneWith(async () => {
      throw new Error('boom at /secret/path.ts:1');
    });
    const sent = await take('GET', '/verify', { 'x-request-id': 'req-1' }).sent;
    expect(sent.status).toBe(500);
    expect(sent.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(sent.headers['x-request-id']).toBe('req-1');
    const problem = JSON.parse(sent.body!) as Record<string, unknown>;
    expect(problem).toMatchObject({ code: 'internal_error', status: 500, requestId: 'req-1' });
    expect(sent.body).not.toContain('boom');
    expect(logged).toEqual([expect.objectContaining({ msg: 'unhandled error', reqId: 'req-1' })]);
  });

  it('ends the connection of an answer sent while the server closes', async () => {
    const { take } = laneWith(allowed, false);
    const sent = await take('GET', '/verify').sent;
    expect(sent.headers.connection).toBe('close');
    expect(sent.headers['content-length']).toBe('0');
  });

  it('observes the request-duration histogram with the route template as Fastify names it', async () => {
    const { take, metrics } = laneWith(allowed);
    await take('GET', '/verify').sent;
    await take('GET', '/verify/v1/orders/1').sent;
    const text = await metrics.registry.metrics();
    expect(text).toMatch(
      /http_request_duration_seconds_count\{service="lane-test",method="GET",route="\/verify",status_code="200"\} 1/,
    );
    expect(text).toMatch(
      /http_request_duration_seconds_count\{service="lane-test",method="GET",route="\/verify\/\*",status_code="200"\} 1/,
    );
  });
});
