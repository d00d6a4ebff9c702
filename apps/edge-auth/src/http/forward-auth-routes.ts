import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, toProblem, type Problem } from '@tollgate/service-runtime';
import type { ForwardAuthSource } from '../config';
import type { EdgeDecision, EdgePipeline, EdgeRequest } from '../pipeline/edge-pipeline';
import { problemOf } from './edge-responses';

export const VERIFY_PATH = '/verify';

/**
 * nginx `auth_request` treats any status but 2xx/401/403 as an error (500 to the client). With
 * this request header (and FORWARD_AUTH_SOURCE=nginx), denials are answered as 401/403 and the
 * real status travels in `X-Tollgate-Status` for the nginx config to restore (see infra/nginx).
 */
const NGINX_MODE_HEADER = 'x-tollgate-forward-auth';

/** Where each proxy puts the original request; no other header is read for it. */
const ORIGINAL_REQUEST_HEADERS: Record<
  Exclude<ForwardAuthSource, 'envoy' | 'none'>,
  { method: string; uri: string; host: string }
> = {
  // infra/nginx/forward-auth.conf.template sets these on the auth subrequest.
  nginx: { method: 'x-original-method', uri: 'x-original-uri', host: 'x-original-host' },
  // Caddy's forward_auth and Traefik's ForwardAuth set (and overwrite) these.
  caddy: { method: 'x-forwarded-method', uri: 'x-forwarded-uri', host: 'x-forwarded-host' },
  traefik: { method: 'x-forwarded-method', uri: 'x-forwarded-uri', host: 'x-forwarded-host' },
};

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A forward-auth request as either server layer sees it (a FastifyRequest is one). */
export interface IncomingForwardAuth {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** The client address (after `trustProxy`); read only when a decision needs it. */
  readonly ip: string;
}

/**
 * The original request behind a forward-auth call, read only the way the configured proxy sends
 * it: nginx and Caddy/Traefik in headers (a header another proxy would use is ignored, so a
 * client-sent `X-Original-URI` cannot override Traefik's `X-Forwarded-Uri`), Envoy ext_authz as
 * the check request's own method with the original path appended to the verify path.
 */
export function originalRequest(
  request: IncomingForwardAuth,
  source: Exclude<ForwardAuthSource, 'none'>,
): EdgeRequest | { missing: string } {
  let method: string;
  let uri: string | undefined;
  let host: string | undefined;
  if (source === 'envoy') {
    const rest = request.url.slice(VERIFY_PATH.length);
    method = request.method;
    uri = rest.startsWith('/') ? rest : `/${rest}`;
    host = header(request.headers, 'host');
  } else {
    const names = ORIGINAL_REQUEST_HEADERS[source];
    uri = header(request.headers, names.uri);
    if (uri === undefined || uri === '') return { missing: names.uri };
    // Without a method header the auth request's own method stands in (nginx's subrequest keeps it).
    method = (header(request.headers, names.method) || request.method).toUpperCase();
    host = header(request.headers, names.host);
  }
  return new ForwardedRequest(request, method, uri, host, forgedHeaderOf(request.headers));
}

/** The first client-sent `X-Tollgate-*` header (other than nginx mode's own), if any. */
function forgedHeaderOf(headers: IncomingHttpHeaders): string | undefined {
  for (const name in headers) {
    if (name.startsWith('x-tollgate-') && name !== NGINX_MODE_HEADER) return name;
  }
  return undefined;
}

/**
 * An EdgeRequest whose client IP is read only when a decision needs it (failed-attempt budgets,
 * key-service lookups): with `trustProxy` Fastify parses X-Forwarded-For for every `request.ip`.
 */
class ForwardedRequest implements EdgeRequest {
  constructor(
    private readonly request: IncomingForwardAuth,
    readonly method: string,
    readonly uri: string,
    readonly host: string | undefined,
    readonly forgedHeader: string | undefined,
  ) {}

  get headers(): IncomingHttpHeaders {
    return this.request.headers;
  }

  get clientIp(): string {
    return this.request.ip;
  }
}

/** What a forward-auth request is answered, whichever server layer sends it. */
export interface ForwardAuthAnswer {
  status: number;
  headers: Record<string, string>;
  /** Set when denied: sent as problem+json. */
  problem?: Problem;
}

/**
 * The forward-auth answer for the configured proxy: nginx auth_request, Caddy, Traefik or Envoy
 * ext_authz. Fastify's routes and the fast lane both send exactly this. Synchronous when the
 * decision is (`EdgePipeline.decide`).
 */
export function answerForwardAuth(
  pipeline: EdgePipeline,
  source: Exclude<ForwardAuthSource, 'none'>,
  request: IncomingForwardAuth,
  requestId: string,
): ForwardAuthAnswer | Promise<ForwardAuthAnswer> {
  const nginxMode = source === 'nginx' && header(request.headers, NGINX_MODE_HEADER) === 'nginx';
  const original = originalRequest(request, source);
  if ('missing' in original) {
    const detail = `a ${source} forward-auth request carries the original request in ${original.missing}: it is missing (is FORWARD_AUTH_SOURCE right?)`;
    return {
      status: nginxMode ? 403 : 400,
      headers: nginxMode ? { 'x-tollgate-status': '400', 'x-tollgate-code': 'bad_request' } : {},
      problem: toProblem('bad_request', detail, requestId),
    };
  }
  const decision = pipeline.decide(original);
  return decision instanceof Promise
    ? decision.then((decided) => answerOf(decided, nginxMode, requestId))
    : answerOf(decision, nginxMode, requestId);
}

function answerOf(
  decision: EdgeDecision,
  nginxMode: boolean,
  requestId: string,
): ForwardAuthAnswer {
  if (decision.code === undefined) return { status: decision.status, headers: decision.headers };
  let status = decision.status;
  if (nginxMode) {
    decision.headers['x-tollgate-status'] = String(decision.status);
    decision.headers['x-tollgate-code'] = decision.code;
    status = decision.status === 401 ? 401 : 403;
  }
  return { status, headers: decision.headers, problem: problemOf(decision, requestId) };
}

/** Forward-auth routes for the configured proxy (the fast lane answers most of their traffic). */
export function forwardAuthRoutes(
  app: FastifyInstance,
  pipeline: EdgePipeline,
  source: ForwardAuthSource,
): void {
  if (source === 'none') return;
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const answer = await answerForwardAuth(pipeline, source, request, request.id);
    reply.code(answer.status).headers(answer.headers);
    if (answer.problem === undefined) return reply.send();
    return reply.type(PROBLEM_CONTENT_TYPE).send(answer.problem);
  };
  // Per-request access logs would cost more than the decision itself on this path.
  const options = { logLevel: 'warn' as const };
  app.all(VERIFY_PATH, options, handler);
  app.all(`${VERIFY_PATH}/*`, options, handler);
}
