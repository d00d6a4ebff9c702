import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ID_PATTERNS, Outcome } from '@tollgate/events';
import { epochMs, idSchemas, isoMonth, ProblemError, safeText } from '@tollgate/service-runtime';
import { MAX_RANGE_MS, type UsageQueries } from '../persistence/usage-queries';

const { account: accountId, key: keyId } = idSchemas(ID_PATTERNS);
const accountParams = Type.Object({ accountId });

export async function usageRoutes(
  app: FastifyInstance,
  { queries, now }: { queries: UsageQueries; now: () => number },
): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/v1/usage/accounts/:accountId/series',
    {
      schema: {
        summary:
          'Request counts over time by outcome; minute ranges ≤ 24 h, hour ≤ 31 d, day ≤ 366 d',
        params: accountParams,
        querystring: Type.Object(
          {
            granularity: Type.Enum(['minute', 'hour', 'day'], { type: 'string' }),
            from: epochMs,
            to: epochMs,
            keyId: Type.Optional(keyId),
            route: Type.Optional(safeText({ maxLength: 200 })),
            outcome: Type.Optional(Type.Enum([...Outcome], { type: 'string' })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const { granularity, from, to } = request.query;
      if (to <= from)
        throw new ProblemError('validation_failed', '`to` must be after `from`', { field: 'to' });
      if (to - from > MAX_RANGE_MS[granularity]) {
        throw new ProblemError(
          'validation_failed',
          `a ${granularity} series covers at most ${MAX_RANGE_MS[granularity]} ms`,
          { field: 'to' },
        );
      }
      return {
        points: await queries.series({ accountId: request.params.accountId, ...request.query }),
      };
    },
  );

  api.get(
    '/v1/usage/accounts/:accountId/totals',
    {
      schema: {
        summary:
          'Usage in a billing period (UTC month); billableUnits is what billing invoices. 404 for an account with no usage ever recorded',
        params: accountParams,
        querystring: Type.Object({ period: isoMonth }, { additionalProperties: false }),
      },
    },
    async (request) => {
      const { accountId } = request.params;
      const totals = await queries.periodTotals(accountId, request.query.period);
      if (!totals)
        throw new ProblemError('not_found', `no usage was ever recorded for account ${accountId}`, {
          reason: 'no_usage_recorded',
        });
      return totals;
    },
  );

  api.get(
    '/v1/usage/freshness',
    { schema: { summary: 'How far behind the newest aggregated event is' } },
    () => queries.freshness(now()),
  );
}
