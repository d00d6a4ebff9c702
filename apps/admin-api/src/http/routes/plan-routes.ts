import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { AdminContext } from '../context';
import { forward } from './forward';
import { accountId, forwardedBody, planId } from './schemas';

export async function planRoutes(app: FastifyInstance, { keyService }: AdminContext) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['plans'];
  const params = Type.Object({ planId });

  api.get('/v1/plans', { schema: { tags, summary: 'The plan catalog' } }, (request, reply) =>
    forward(keyService, request, reply, 'GET', '/v1/plans'),
  );
  api.get(
    '/v1/plans/:planId',
    { schema: { tags, summary: "A plan's versions", params } },
    (request, reply) =>
      forward(keyService, request, reply, 'GET', `/v1/plans/${request.params.planId}`),
  );
  api.post(
    '/v1/plans',
    { schema: { tags, summary: 'Create a plan', body: forwardedBody } },
    (request, reply) => forward(keyService, request, reply, 'POST', '/v1/plans', request.body),
  );
  api.post(
    '/v1/plans/:planId/versions',
    { schema: { tags, summary: 'Publish a new plan version', params, body: forwardedBody } },
    (request, reply) =>
      forward(
        keyService,
        request,
        reply,
        'POST',
        `/v1/plans/${request.params.planId}/versions`,
        request.body,
      ),
  );
  api.put(
    '/v1/accounts/:accountId/plan',
    {
      schema: {
        tags,
        summary: 'Move an account to a plan now or at a time (upgrade or downgrade)',
        params: Type.Object({ accountId }),
        body: forwardedBody,
      },
    },
    (request, reply) =>
      forward(
        keyService,
        request,
        reply,
        'PUT',
        `/v1/accounts/${request.params.accountId}/plan`,
        request.body,
      ),
  );
}
