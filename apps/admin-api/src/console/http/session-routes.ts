import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { ProblemError } from '@tollgate/service-runtime';
import type { Principal } from '../../application/admin-tokens';
import { allowedRoutes } from '../../application/permissions';
import { SESSION_COOKIE, type VerifiedCredential } from '../../http/admin-auth';
import type { ConsoleSessions } from '../sessions';

export interface SessionRouteDeps {
  sessions: ConsoleSessions;
  verify: (
    request: FastifyRequest,
    reply: FastifyReply,
    presented: string,
  ) => Promise<VerifiedCredential>;
  now: () => number;
}

/** What the console page knows about its session: who, until when, and what the role may call. */
function sessionView(
  principal: Principal,
  session: { csrfToken: string | null; idleExpiresAt: number | null; expiresAt: number | null },
) {
  const iso = (at: number | null) => (at === null ? null : new Date(at).toISOString());
  return {
    principal,
    csrfToken: session.csrfToken,
    idleExpiresAt: iso(session.idleExpiresAt),
    expiresAt: iso(session.expiresAt),
    // Derived from the one permission table: the page hides what the role cannot do.
    allowedRoutes: allowedRoutes(principal.role, principal.accountId !== null),
  };
}

/**
 * Sign-in, the current session and sign-out. The auth hook (`http/admin-auth.ts`) guards them by
 * `CONSOLE_ROUTE_PERMISSIONS`: sign-in is exempt (it verifies the credential itself, counting
 * failures like Bearer calls), the others need a session or token, and sign-out its CSRF token.
 */
export async function sessionRoutes(app: FastifyInstance, deps: SessionRouteDeps) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['console'];
  const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store');

  api.post(
    '/console/session',
    {
      schema: {
        tags,
        summary:
          'Sign in to the console with an admin token (or an OIDC token when configured): sets the session cookie',
        body: Type.Object(
          { token: Type.String({ minLength: 1, maxLength: 8192 }) },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      noStore(reply);
      const { principal, notAfter } = await deps.verify(request, reply, request.body.token);
      request.principal = principal;
      // A new sign-in replaces the browser's previous session rather than leaving it open.
      const previous = request.cookies[SESSION_COOKIE];
      if (previous) await deps.sessions.end(previous);
      const session = await deps.sessions.create(principal, notAfter);
      reply.setCookie(SESSION_COOKIE, session.sessionId, {
        httpOnly: true,
        sameSite: 'strict',
        secure: request.protocol === 'https',
        path: '/',
        maxAge: Math.max(1, Math.floor((session.expiresAt - deps.now()) / 1000)),
      });
      return reply.code(201).send(sessionView(principal, session));
    },
  );

  api.get(
    '/console/session',
    { schema: { tags, summary: 'The current console session: who, until when, what it may do' } },
    async (request, reply) => {
      noStore(reply);
      const session = request.consoleSession;
      return sessionView(request.principal!, {
        csrfToken: session ? deps.sessions.csrfTokenFor(session.id) : null,
        idleExpiresAt: session?.idleExpiresAt ?? null,
        expiresAt: session?.expiresAt ?? null,
      });
    },
  );

  api.delete(
    '/console/session',
    {
      schema: {
        tags,
        summary: 'Sign out: the session ends on the server and its cookie is cleared',
      },
    },
    async (request, reply) => {
      noStore(reply);
      const session = request.consoleSession;
      if (!session)
        throw new ProblemError('bad_request', 'Only a console session can sign out', {
          reason: 'no_session',
        });
      await deps.sessions.end(session.id);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send();
    },
  );
}
