import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServiceTokens } from '../config/env-fields';
import { ProblemError } from './problem';

/** A route a caller may use: the method and Fastify's route pattern, e.g. `POST /v1/keys/lookup`. */
export type ServiceRoute = `${'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'} /v1/${string}`;

export interface ServiceAuthOptions {
  /** Who holds which credential; undefined switches the check off (development only: the config refuses it in production). */
  tokens: ServiceTokens | undefined;
  /** Per caller: every `/v1` route, or only these. A caller not listed may call nothing. */
  allow: Record<string, 'all' | readonly ServiceRoute[]>;
  /**
   * `/v1` routes a third party calls (e.g. Stripe's webhooks), authenticated by their own means
   * (a signature over the body) instead of a service credential.
   */
  publicRoutes?: readonly ServiceRoute[];
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The internal app that called (service credentials), when the check is on. */
    serviceCaller?: string;
  }
}

const digest = (secret: string) => createHash('sha256').update(secret).digest();

/**
 * Service-to-service authentication for an internal app: every `/v1` request carries
 * `Authorization: Bearer <caller secret>`; the secret is compared in constant time against each
 * configured caller's, and the caller may use only its routes. Missing or unknown → 401,
 * known caller on another route → 403. Health, readiness and metrics stay open.
 */
export function installServiceAuth(app: FastifyInstance, options: ServiceAuthOptions): void {
  const { tokens } = options;
  if (!tokens) {
    app.log.warn('SERVICE_TOKENS is not set: /v1 routes accept calls without a service credential');
    return;
  }
  const callers = tokens.map(({ caller, secret }) => ({ caller, digest: digest(secret) }));
  const identify = (request: FastifyRequest): string | undefined => {
    const header = request.headers.authorization;
    if (typeof header !== 'string' || !header.startsWith('Bearer ')) return undefined;
    const presented = digest(header.slice('Bearer '.length).trim());
    let found: string | undefined;
    // Compare against every caller, matched or not: the time taken says nothing about which.
    for (const candidate of callers)
      if (timingSafeEqual(candidate.digest, presented)) found = candidate.caller;
    return found;
  };
  const routeOf = (request: FastifyRequest) =>
    `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`;
  const publicRoutes = new Set<string>(options.publicRoutes ?? []);
  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/v1/')) return;
    if (publicRoutes.has(routeOf(request))) return;
    if (request.headers.authorization === undefined) {
      reply.header('www-authenticate', 'Bearer realm="tollgate-internal"');
      throw new ProblemError('unauthorized', 'This internal API needs a service credential', {
        reason: 'service_credential_missing',
      });
    }
    const caller = identify(request);
    if (!caller) {
      reply.header('www-authenticate', 'Bearer realm="tollgate-internal", error="invalid_token"');
      throw new ProblemError('unauthorized', 'The service credential is not valid', {
        reason: 'service_credential_invalid',
      });
    }
    const allowed = options.allow[caller];
    const route = routeOf(request);
    if (allowed !== 'all' && !(allowed ?? []).some((r) => r === route)) {
      throw new ProblemError('forbidden', `${caller} may not call ${route}`);
    }
    request.serviceCaller = caller;
  });
}
