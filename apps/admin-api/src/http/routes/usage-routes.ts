import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { AdminContext } from '../context';
import { forward, withQuery } from './forward';
import { accountId } from './schemas';

export async function usageRoutes(app: FastifyInstance, { usage }: AdminContext) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const params = Type.Object({ accountId });
  // usage-ingestor validates the query (granularity, range, period): its 400s pass through.
  const query = Type.Object({}, { additionalProperties: true, maxProperties: 10 });
  for (const view of ['series', 'totals'] as const)
    api.get(
      `/v1/accounts/:accountId/usage/${view}`,
      {
        schema: {
          tags: ['usage'],
          summary: view === 'series' ? 'Usage time series' : 'Totals of a billing period',
          params,
          querystring: query,
        },
      },
      (request, reply) =>
        forward(
          usage,
          request,
          reply,
          'GET',
          withQuery(request, `/v1/usage/accounts/${request.params.accountId}/${view}`),
        ),
    );
}
