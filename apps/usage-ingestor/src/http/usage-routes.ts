import type { FastifyInstance } from 'fastify';
import { ID_PATTERNS } from '@tollgate/events';
import { ProblemError } from '@tollgate/service-runtime';
import { MAX_RANGE_MS, type Granularity, type UsageQueries } from '../ingest/usage-queries';

const epochMs = { type: 'integer', minimum: 0, maximum: 8_640_000_000_000 } as const;
const accountParams = {
  type: 'object',
  required: ['accountId'],
  properties: { accountId: { type: 'string', pattern: ID_PATTERNS.account } },
} as const;

export async function usageRoutes(
  app: FastifyInstance,
  { queries, now }: { queries: UsageQueries; now: () => number },
): Promise<void> {
  app.get<{
    Params: { accountId: string };
    Querystring: {
      granularity: Granularity;
      from: number;
      to: number;
      keyId?: string;
      route?: string;
      outcome?: string;
    };
  }>(
    '/v1/usage/accounts/:accountId/series',
    {
      schema: {
        summary:
          'Request counts over time by outcome; minute ranges ≤ 24 h, hour ≤ 31 d, day ≤ 366 d',
        params: accountParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['granularity', 'from', 'to'],
          properties: {
            granularity: { type: 'string', enum: ['minute', 'hour', 'day'] },
            from: epochMs,
            to: epochMs,
            keyId: { type: 'string', pattern: ID_PATTERNS.key },
            route: { type: 'string', maxLength: 200 },
            outcome: {
              type: 'string',
              enum: [
                'allowed',
                'rate_limited',
                'quota_exceeded',
                'invalid',
                'revoked',
                'expired',
                'forbidden',
              ],
            },
          },
        },
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

  app.get<{ Params: { accountId: string }; Querystring: { period: string } }>(
    '/v1/usage/accounts/:accountId/totals',
    {
      schema: {
        summary: 'Usage in a billing period (UTC month); billableUnits is what billing invoices',
        params: accountParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['period'],
          properties: { period: { type: 'string', pattern: '^20[0-9]{2}-(0[1-9]|1[0-2])$' } },
        },
      },
    },
    (request) => queries.periodTotals(request.params.accountId, request.query.period),
  );

  app.get(
    '/v1/usage/freshness',
    { schema: { summary: 'How far behind the newest aggregated event is' } },
    () => queries.freshness(now()),
  );
}
