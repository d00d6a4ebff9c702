import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { EdgePipeline, EdgeRequest } from '../pipeline/edge-pipeline';
import { sendDecision } from './edge-responses';

export const VERIFY_PATH = '/verify';

/**
 * nginx `auth_request` treats any status but 2xx/401/403 as an error (500 to the client). With
 * this request header, denials are answered as 401/403 and the real status travels in
 * `X-Tollgate-Status` for the nginx config to restore (see infra/nginx).
 */
const NGINX_MODE_HEADER = 'x-tollgate-forward-auth';

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The original request behind a forward-auth call: nginx sends X-Original-Method/-URI (by our
 * sample config), Traefik X-Forwarded-Method/-Uri, Envoy ext_authz the original method with the
 * original path appended to the verify path.
 */
export function originalRequest(request: FastifyRequest): EdgeRequest {
  const method =
    header(request, 'x-original-method') ?? header(request, 'x-forwarded-method') ?? request.method;
  let uri = header(request, 'x-original-uri') ?? header(request, 'x-forwarded-uri');
  if (uri === undefined) {
    const rest = request.url.slice(VERIFY_PATH.length);
    uri = rest.startsWith('/') ? rest : '/';
  }
  return { method: method.toUpperCase(), uri, headers: request.headers, clientIp: request.ip };
}

/** Forward-auth: nginx auth_request, Envoy ext_authz (HTTP) and Traefik ForwardAuth. */
export function forwardAuthRoutes(app: FastifyInstance, pipeline: EdgePipeline): void {
  const handler = async (request: FastifyRequest, reply: Parameters<typeof sendDecision>[1]) => {
    const decision = await pipeline.decide(originalRequest(request));
    if (decision.code !== undefined && header(request, NGINX_MODE_HEADER) === 'nginx') {
      reply.header('x-tollgate-status', String(decision.status));
      reply.header('x-tollgate-code', decision.code);
      return sendDecision(request, reply, decision, decision.status === 401 ? 401 : 403);
    }
    return sendDecision(request, reply, decision);
  };
  // Per-request access logs would cost more than the decision itself on this path.
  const options = { logLevel: 'warn' as const };
  app.all(VERIFY_PATH, options, handler);
  app.all(`${VERIFY_PATH}/*`, options, handler);
}
