import type { FastifyReply, FastifyRequest } from 'fastify';
import type { InternalClient } from '../../application/internal-client';

/**
 * Headers a management call carries on to the internal app: the caller as the actor of what it
 * causes (key-service publishes it in its events; it believes it from admin-api only), and the
 * idempotency key (retries stay idempotent end to end).
 */
export function forwardedHeaders(request: FastifyRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  if (request.principal) headers['x-tollgate-actor'] = request.principal.actor;
  const key = request.headers['idempotency-key'];
  if (typeof key === 'string') headers['idempotency-key'] = key;
  return headers;
}

/** The internal path with this request's query string, which the internal app validates. */
export function withQuery(request: FastifyRequest, path: string): string {
  const at = request.url.indexOf('?');
  return at < 0 ? path : path + request.url.slice(at);
}

/** Calls the internal app and answers with its status and body (4xx pass through as problems). */
export async function forward(
  client: InternalClient,
  request: FastifyRequest,
  reply: FastifyReply,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const res = await client.expect<unknown>(method, path, body, forwardedHeaders(request));
  return reply.code(res.status).send(res.body);
}
