import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { AdminContext } from '../context';
import { forward, withQuery } from './forward';
import { accountId, forwardedBody, keyId, page } from './schemas';

export async function keyRoutes(app: FastifyInstance, { keyService }: AdminContext) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['keys'];
  const accountParams = Type.Object({ accountId });
  const keyParams = Type.Object({ keyId });

  api.post(
    '/v1/accounts/:accountId/keys',
    {
      schema: {
        tags,
        summary: 'Issue a key (its plaintext is in this answer only)',
        params: accountParams,
        body: forwardedBody,
      },
    },
    (request, reply) =>
      forward(
        keyService,
        request,
        reply,
        'POST',
        `/v1/accounts/${request.params.accountId}/keys`,
        request.body,
      ),
  );
  api.get(
    '/v1/accounts/:accountId/keys',
    {
      schema: { tags, summary: "List an account's keys", params: accountParams, querystring: page },
    },
    (request, reply) =>
      forward(
        keyService,
        request,
        reply,
        'GET',
        withQuery(request, `/v1/accounts/${request.params.accountId}/keys`),
      ),
  );
  api.get(
    '/v1/keys/:keyId',
    { schema: { tags, summary: 'Get a key', params: keyParams } },
    (request, reply) =>
      forward(keyService, request, reply, 'GET', `/v1/keys/${request.params.keyId}`),
  );
  api.patch(
    '/v1/keys/:keyId',
    {
      schema: {
        tags,
        summary: 'Update scopes, metadata or expiry',
        params: keyParams,
        body: forwardedBody,
      },
    },
    (request, reply) =>
      forward(
        keyService,
        request,
        reply,
        'PATCH',
        `/v1/keys/${request.params.keyId}`,
        request.body,
      ),
  );
  for (const action of ['rotate', 'revoke'] as const)
    api.post(
      `/v1/keys/:keyId/${action}`,
      {
        schema: {
          tags,
          summary: action === 'rotate' ? 'Rotate a key with a grace period' : 'Revoke a key',
          params: keyParams,
          body: forwardedBody,
        },
      },
      (request, reply) =>
        forward(
          keyService,
          request,
          reply,
          'POST',
          `/v1/keys/${request.params.keyId}/${action}`,
          request.body,
        ),
    );
}
