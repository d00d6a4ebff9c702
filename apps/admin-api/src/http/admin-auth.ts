import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { newId } from '@tollgate/events';
import type { Database } from '@tollgate/postgres';
import { ProblemError } from '@tollgate/service-runtime';
import type { AdminTokens, Principal } from '../application/admin-tokens';
import type { AuthLimits } from '../application/auth-limits';
import type { InternalClient } from '../application/internal-client';
import { looksLikeJwt, type OidcVerifier } from '../application/oidc';
import { isExempt, roleAllows, ruleOf, type RoutePermission } from '../application/permissions';
import type { ConsoleSessions } from '../console/sessions';
import { appendAuditEvent } from '../persistence/audit-log';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller (set by the auth hook on every guarded route). */
    principal?: Principal;
    /** Set when the caller authenticated with the console session cookie. */
    consoleSession?: { id: string; idleExpiresAt: number; expiresAt: number };
  }
}

export interface AdminAuthDeps {
  tokens: AdminTokens;
  limits: AuthLimits;
  keyService: InternalClient;
  db: Database;
  now: () => number;
  /** Set when people may sign in with an OIDC token (JWT) instead of an admin token. */
  oidc?: OidcVerifier;
  /** Console sessions: the session cookie authenticates like the token that opened it. */
  sessions: ConsoleSessions;
}

/** The console session cookie: an opaque id (httpOnly, SameSite=Strict; Secure on TLS). */
export const SESSION_COOKIE = 'tg_console_session';
export const CSRF_HEADER = 'x-csrf-token';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const REALM = 'Bearer realm="tollgate-admin"';

function presentedToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? '';
}

const routeOf = (request: FastifyRequest) =>
  request.routeOptions.url ?? request.url.split('?')[0] ?? request.url;

/** Routes behind the auth hook: the management API and the console's own routes. */
const isGuarded = (url: string) =>
  url.startsWith('/v1/') || url === '/console' || /^\/console[/?]/.test(url);

/** A verified credential: who it is, and until when it may open a console session. */
export interface VerifiedCredential {
  principal: Principal;
  /** An OIDC token's expiry; admin tokens are checked again on every request instead. */
  notAfter?: number;
}

/**
 * Verifies a presented admin token or OIDC token, or throws the problem to answer: a failed
 * attempt counts toward the client's per-minute failure limit (Bearer calls and console sign-in
 * alike).
 */
export function credentialVerifier(deps: AdminAuthDeps) {
  return async (
    request: FastifyRequest,
    reply: FastifyReply,
    presented: string,
  ): Promise<VerifiedCredential> => {
    if (deps.oidc && looksLikeJwt(presented)) {
      const outcome = await deps.oidc.verify(presented);
      if (outcome.ok) return { principal: outcome.principal, notAfter: outcome.expiresAt };
      if (outcome.reason === 'unavailable') {
        request.log.warn({ detail: outcome.detail }, 'OIDC keys unavailable');
        throw new ProblemError(
          'dependency_unavailable',
          'The identity provider cannot be reached to verify this token; retry shortly',
        );
      }
      if (outcome.reason === 'no_role')
        throw new ProblemError(
          'forbidden',
          'This identity has no Tollgate role; ask an owner to map one of your groups to a role',
        );
      request.log.info({ detail: outcome.detail }, 'OIDC token refused');
    } else if (presented) {
      const principal = await deps.tokens.verify(presented);
      if (principal) return { principal };
    }
    return refuseFailedAttempt(
      request,
      reply,
      deps,
      deps.oidc
        ? 'The admin token or OIDC token is invalid, revoked or expired'
        : 'The admin token is invalid, revoked or expired',
    );
  };
}

/** Counts a failed authentication of this client and throws 401 (or 429 past the limit). */
async function refuseFailedAttempt(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: AdminAuthDeps,
  detail: string,
): Promise<never> {
  const { exceeded, retryAfterS } = await deps.limits.failuresExceeded(request.ip);
  if (exceeded) {
    reply.header('retry-after', String(retryAfterS));
    throw new ProblemError(
      'auth_attempts_exceeded',
      'Too many failed authentication attempts from this client',
    );
  }
  await deps.limits.recordFailure(request.ip);
  reply.header('www-authenticate', `${REALM}, error="invalid_token"`);
  throw new ProblemError('admin_token_invalid', detail);
}

/**
 * Authentication, authorization and audit for every `/v1` and `/console` route, in one place:
 * the bearer admin token (or OIDC token, or console session cookie) is verified (revocation and
 * expiry take effect at once), failed attempts are limited per client IP and requests per token
 * (Redis, shared by replicas), the route's entry in the one permission table decides (missing
 * entry → refused), account-scoped tokens see only their account (anything else is 404), a
 * mutation authenticated by cookie must carry the session's CSRF token, and every mutating call
 * — allowed or denied — is audited.
 */
export function installAdminAuth(app: FastifyInstance, deps: AdminAuthDeps): void {
  const verify = credentialVerifier(deps);
  // onRequest: before the body is read or validated, so nobody unauthenticated learns anything.
  app.addHook('onRequest', async (request, reply) => {
    if (!isGuarded(request.url)) return;
    const rule = ruleOf(request.method, routeOf(request));
    if (!rule) {
      request.log.error({ route: routeOf(request) }, 'route missing from the permission table');
      throw new ProblemError('forbidden', 'This route is not open to anyone');
    }
    if (isExempt(rule)) return;
    const presented = presentedToken(request);
    const sessionId = request.cookies[SESSION_COOKIE];
    let principal: Principal;
    if (presented !== undefined) {
      principal = (await verify(request, reply, presented)).principal;
    } else if (sessionId) {
      const session = await deps.sessions.resolve(sessionId);
      if (!session)
        return refuseFailedAttempt(
          request,
          reply,
          deps,
          'The console session has ended (signed out, expired, or its token was revoked); sign in again',
        );
      principal = session.principal;
      request.consoleSession = {
        id: sessionId,
        idleExpiresAt: session.idleExpiresAt,
        expiresAt: session.expiresAt,
      };
      // What a signed-in page reads stays out of every cache (nothing to see after sign-out).
      reply.header('cache-control', 'no-store');
      if (MUTATING.has(request.method)) {
        request.principal = principal; // the audit record names who was refused
        if (!deps.sessions.csrfMatches(sessionId, headerValue(request, CSRF_HEADER)))
          throw new ProblemError(
            'forbidden',
            `A change made with the console session needs its CSRF token in the ${CSRF_HEADER} header`,
            { reason: 'csrf_token_invalid' },
          );
      }
    } else {
      reply.header('www-authenticate', REALM);
      throw new ProblemError(
        'admin_token_missing',
        'Send an admin token: Authorization: Bearer tgadm_…',
      );
    }
    request.principal = principal;
    const budget = await deps.limits.consumeRequest(principal.actor);
    if (!budget.allowed) {
      reply.header('retry-after', String(budget.retryAfterS));
      throw new ProblemError(
        'rate_limited',
        'This admin token is over its per-minute request limit',
      );
    }
    await authorize(request, principal, rule, deps.keyService);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    if (!isGuarded(request.url) || !MUTATING.has(request.method)) return payload;
    const rule = ruleOf(request.method, routeOf(request));
    const consoleRoute = !request.url.startsWith('/v1/');
    if (consoleRoute && !rule?.action) return payload;
    const principal = request.principal;
    const status = reply.statusCode;
    await appendAuditEvent(deps.db.sql, {
      eventId: newId('auditEvent', deps.now()),
      at: new Date(deps.now()),
      actor: principal?.actor ?? 'anonymous',
      role: principal?.role ?? null,
      accountScope: principal?.accountId ?? null,
      action: rule?.action ?? 'unknown',
      method: request.method,
      route: routeOf(request),
      target: consoleRoute
        ? principal?.tokenId
          ? { tokenId: principal.tokenId }
          : {}
        : targetOf(request, status, payload),
      outcome:
        status < 400
          ? 'allowed'
          : status === 401 || status === 403 || status === 404 || status === 429
            ? 'denied'
            : 'failed',
      status,
      requestId: request.id,
      clientIp: request.ip,
      userAgent:
        typeof request.headers['user-agent'] === 'string'
          ? request.headers['user-agent'].slice(0, 512)
          : null,
      // A sign-in body is a credential: not even its digest is kept.
      bodyDigest:
        request.body === undefined || consoleRoute
          ? null
          : createHash('sha256').update(JSON.stringify(request.body)).digest('hex'),
    });
    return payload;
  });
}

function headerValue(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

async function authorize(
  request: FastifyRequest,
  principal: Principal,
  rule: RoutePermission,
  keyService: InternalClient,
): Promise<void> {
  const scoped = principal.accountId;
  const notFound = () => new ProblemError('not_found', 'Not found');
  if (scoped && rule.scope === 'unscoped') throw notFound();
  if (!roleAllows(principal.role, rule.permission))
    throw new ProblemError(
      'forbidden',
      `Role ${principal.role} may not do this (needs ${rule.permission})`,
    );
  if (!scoped) return;
  const params = request.params as Record<string, string | undefined>;
  if (rule.scope === 'account' && params.accountId !== scoped) throw notFound();
  if (rule.scope === 'key') {
    const key = await keyService.call<{ accountId?: string }>(
      'GET',
      `/v1/keys/${encodeURIComponent(params.keyId ?? '')}`,
    );
    if (key.status !== 200 || key.body.accountId !== scoped) throw notFound();
  }
}

/** The ids a mutating call named or created: route params, plus ids in a successful answer. */
function targetOf(
  request: FastifyRequest,
  status: number,
  payload: unknown,
): Record<string, string> {
  const target: Record<string, string> = {};
  for (const [k, v] of Object.entries((request.params ?? {}) as Record<string, unknown>))
    if (typeof v === 'string') target[k] = v.slice(0, 200);
  if (status < 300 && typeof payload === 'string' && payload.startsWith('{')) {
    try {
      const body = JSON.parse(payload) as Record<string, unknown>;
      const nested = (name: string, field: string) =>
        typeof body[name] === 'object' && body[name] !== null
          ? (body[name] as Record<string, unknown>)[field]
          : undefined;
      for (const [name, value] of Object.entries({
        accountId: body.accountId ?? nested('key', 'accountId'),
        keyId: nested('key', 'keyId'),
        tokenId: nested('token', 'tokenId'),
        planId: body.planId,
      }))
        if (typeof value === 'string' && target[name] === undefined) target[name] = value;
    } catch {
      // Not JSON: the params are the target.
    }
  }
  return target;
}
