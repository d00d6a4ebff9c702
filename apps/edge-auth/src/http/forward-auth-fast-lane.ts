import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import {
  PROBLEM_CONTENT_TYPE,
  requestIdFrom,
  toProblem,
  type FastLane,
  type ServiceMetrics,
} from '@tollgate/service-runtime';
import type { ForwardAuthSource } from '../config';
import type { EdgePipeline } from '../pipeline/edge-pipeline';
import {
  answerForwardAuth,
  VERIFY_PATH,
  type ForwardAuthAnswer,
  type IncomingForwardAuth,
} from './forward-auth-routes';

export interface ForwardAuthFastLaneOptions {
  pipeline: EdgePipeline;
  source: Exclude<ForwardAuthSource, 'none'>;
  /** The public server: a response while it closes ends its connection. */
  server: Server;
  metrics: ServiceMetrics;
  logger: Logger;
  clientIp: (request: IncomingMessage) => string;
}

/** Methods a proxy's auth request uses; anything rarer goes through Fastify's routes. */
const LANE_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const PROBLEM_TYPE = `${PROBLEM_CONTENT_TYPE}; charset=utf-8`;

/**
 * Forward-auth on the raw Node server: the same answer as the `/verify` routes
 * (`answerForwardAuth`), without Fastify's request and reply objects, hooks and router, which cost
 * more per request than the whole decision. It takes only the plain case: a bodiless request on
 * `/verify`, `/verify?…` or `/verify/…` without percent-escapes, with a usual method. Anything
 * else (a body to limit or parse, an escape to validate, an odd method) is left to Fastify, so
 * there is one behaviour per request, and `forward-auth-fast-lane.int.test.ts` checks both agree.
 * It keeps what the shared plumbing gives every response: `x-request-id`, the request-duration
 * histogram (same labels), problem+json for failures, `connection: close` during shutdown.
 */
export function forwardAuthFastLane(options: ForwardAuthFastLaneOptions): FastLane {
  const { pipeline, source, server, metrics, logger, clientIp } = options;
  /** Histogram children by method, route and status, bound once instead of per request. */
  const durations = new Map<string, { observe(seconds: number): void }>();
  const observe = (method: string, route: string, status: number, started: number) => {
    const id = `${method} ${route} ${status}`;
    let child = durations.get(id);
    if (child === undefined) {
      child = metrics.httpDuration.labels({ method, route, status_code: String(status) });
      durations.set(id, child);
    }
    child.observe((performance.now() - started) / 1000);
  };

  const send = (
    request: IncomingMessage,
    response: ServerResponse,
    route: string,
    started: number,
    requestId: string,
    answer: ForwardAuthAnswer,
  ) => {
    const headers = answer.headers;
    headers['x-request-id'] = requestId;
    if (!server.listening) headers.connection = 'close';
    let body: string | undefined;
    if (answer.problem === undefined) headers['content-length'] = '0';
    else {
      body = JSON.stringify(answer.problem);
      headers['content-type'] = PROBLEM_TYPE;
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    response.writeHead(answer.status, headers);
    response.end(body);
    observe(request.method ?? '', route, answer.status, started);
  };

  const fail = (
    request: IncomingMessage,
    response: ServerResponse,
    route: string,
    started: number,
    requestId: string,
    err: unknown,
  ) => {
    logger.error({ err, reqId: requestId }, 'unhandled error');
    if (response.headersSent) return void response.destroy();
    send(request, response, route, started, requestId, {
      status: 500,
      headers: {},
      problem: toProblem('internal_error', 'An unexpected error occurred', requestId),
    });
  };

  // Answered synchronously when the decision needs no I/O: no promise, no microtask.
  const answer = (request: IncomingMessage, response: ServerResponse, route: string) => {
    const started = performance.now();
    const requestId = requestIdFrom(request);
    try {
      const incoming = new RawForwardAuth(request, clientIp);
      const answered = answerForwardAuth(pipeline, source, incoming, requestId);
      if (answered instanceof Promise)
        answered
          .then((later) => send(request, response, route, started, requestId, later))
          .catch((err: unknown) => fail(request, response, route, started, requestId, err));
      else send(request, response, route, started, requestId, answered);
    } catch (err) {
      fail(request, response, route, started, requestId, err);
    }
  };

  return (request, response) => {
    // A server's requests always have both (only a client's IncomingMessage lacks them).
    const url = request.url ?? '';
    const method = request.method ?? '';
    if (!url.startsWith(VERIFY_PATH)) return false;
    const next = url.charCodeAt(VERIFY_PATH.length);
    // NaN: exactly /verify; 63 '?'; 47 '/'.
    const route = next === 47 ? `${VERIFY_PATH}/*` : VERIFY_PATH;
    if (!(Number.isNaN(next) || next === 63 || next === 47)) return false;
    if (url.includes('%') || !LANE_METHODS.has(method) || hasBody(request.headers)) return false;
    answer(request, response, route);
    return true;
  };
}

/** A body (of any length) is Fastify's to limit, parse or refuse. */
function hasBody(headers: IncomingHttpHeaders): boolean {
  const length = headers['content-length'];
  return (length !== undefined && length !== '0') || headers['transfer-encoding'] !== undefined;
}

class RawForwardAuth implements IncomingForwardAuth {
  constructor(
    private readonly request: IncomingMessage,
    private readonly clientIp: (request: IncomingMessage) => string,
  ) {}

  get method(): string {
    return this.request.method ?? '';
  }

  get url(): string {
    return this.request.url ?? '';
  }

  get headers(): IncomingHttpHeaders {
    return this.request.headers;
  }

  get ip(): string {
    return this.clientIp(this.request);
  }
}
