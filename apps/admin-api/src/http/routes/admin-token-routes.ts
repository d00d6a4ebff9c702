import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { epochMs, nullable, safeText } from '@tollgate/service-runtime';
import type { AdminContext } from '../context';
import { accountId, page, role, tokenId } from './schemas';

export async function adminTokenRoutes(app: FastifyInstance, { tokens }: AdminContext) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/v1/me',
    { schema: { tags: ['identity'], summary: 'Who the caller is: token, role, account scope' } },
    (request) => request.principal,
  );

  api.post(
    '/v1/admin-tokens',
    {
      schema: {
        tags: ['admin tokens'],
        summary: 'Create an admin token (its plaintext is in this answer only)',
        body: Type.Object(
          {
            name: safeText({ minLength: 1, maxLength: 100 }),
            role,
            accountId: Type.Optional(nullable(accountId)),
            expiresAt: Type.Optional(nullable(epochMs)),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      const issued = await tokens.issue(request.body, request.principal!.actor);
      return reply.code(201).send(issued);
    },
  );

  api.get(
    '/v1/admin-tokens',
    { schema: { tags: ['admin tokens'], summary: 'List admin tokens', querystring: page } },
    (request) => tokens.list(request.query.cursor, request.query.limit),
  );

  api.post(
    '/v1/admin-tokens/:tokenId/revoke',
    {
      schema: {
        tags: ['admin tokens'],
        summary: 'Revoke an admin token (effective at once)',
        params: Type.Object({ tokenId }),
      },
    },
    async (request, reply) => {
      await tokens.revoke(request.params.tokenId);
      return reply.code(204).send();
    },
  );
}
