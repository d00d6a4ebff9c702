import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ID_PATTERNS, Outcome } from '@tollgate/events';
import {
  epochMs,
  idSchemas,
  isoMinute,
  isoMonth,
  ProblemError,
  safeText,
} from '@tollgate/service-runtime';
import { MAX_RANGE_MS, MAX_TOTALS_RANGE_MS, type UsageQueries } from '../persistence/usage-queries';

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

  const envTotals = Type.Object({
    requests: Type.Integer(),
    costUnits: Type.Integer(),
    billableRequests: Type.Integer({ description: 'allowed requests' }),
    billableUnits: Type.Integer({ description: "allowed requests' cost units" }),
  });
  api.get(
    '/v1/usage/accounts/:accountId/range-totals',
    {
      schema: {
        summary:
          "Usage in [from, to) at minute precision (≤ 366 days), by key env: billableUnits is live allowed requests' cost units, what billing rates a plan segment with; test keys are reported, never billable. Zeros for an account without usage",
        params: accountParams,
        querystring: Type.Object(
          { from: isoMinute, to: isoMinute },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            accountId: Type.String(),
            from: Type.String({ format: 'date-time' }),
            to: Type.String({ format: 'date-time' }),
            billableUnits: Type.Integer(),
            billableRequests: Type.Integer(),
            byEnv: Type.Object({ live: envTotals, test: envTotals }),
            newestEventAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
              description:
                'occurredAt of the newest aggregated event (any account): data up to it is complete',
            }),
          }),
        },
      },
    },
    async (request) => {
      const from = minuteInstant(request.query.from, 'from');
      const to = minuteInstant(request.query.to, 'to');
      if (to <= from)
        throw new ProblemError('validation_failed', '`to` must be after `from`', { field: 'to' });
      if (to - from > MAX_TOTALS_RANGE_MS)
        throw new ProblemError(
          'validation_failed',
          `a ranged total covers at most ${MAX_TOTALS_RANGE_MS} ms`,
          { field: 'to' },
        );
      return queries.rangeTotals(request.params.accountId, from, to);
    },
  );

  api.get(
    '/v1/usage/accounts/:accountId/top',
    {
      schema: {
        summary:
          "The account's busiest keys or routes in [from, to) (≤ 366 days): requests of every outcome, allowed and rejected apart, and the last minute seen",
        params: accountParams,
        querystring: Type.Object(
          {
            by: Type.Enum(['key', 'route'], { type: 'string' }),
            from: epochMs,
            to: epochMs,
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const { by, from, to, limit = 10 } = request.query;
      if (to <= from)
        throw new ProblemError('validation_failed', '`to` must be after `from`', { field: 'to' });
      if (to - from > MAX_TOTALS_RANGE_MS)
        throw new ProblemError(
          'validation_failed',
          `a top list covers at most ${MAX_TOTALS_RANGE_MS} ms`,
          { field: 'to' },
        );
      return { items: await queries.top(request.params.accountId, by, from, to, limit) };
    },
  );

  api.get(
    '/v1/usage/accounts/:accountId/keys/last-used',
    {
      schema: {
        summary:
          'When each listed key of the account last presented a request (any outcome, minute precision); null for never or another account’s key',
        params: accountParams,
        querystring: Type.Object(
          {
            // Repeat it (`?keyId=a&keyId=b`); one value is a list of one.
            keyId: Type.Array(keyId, { minItems: 1, maxItems: 100 }),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const ids = [...new Set(request.query.keyId)];
      return { items: await queries.lastUsed(request.params.accountId, ids) };
    },
  );

  api.get(
    '/v1/usage/top-accounts',
    {
      schema: {
        summary:
          "The accounts with the most billable units (live keys' allowed cost units) in a billing period (UTC month), most first; at most `limit` (≤ 100)",
        querystring: Type.Object(
          {
            period: isoMonth,
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const { period, limit = 10 } = request.query;
      return { period, items: await queries.topAccounts(period, limit) };
    },
  );

  api.get(
    '/v1/usage/freshness',
    { schema: { summary: 'How far behind the newest aggregated event is' } },
    () => queries.freshness(now()),
  );
}

/** Epoch ms of an `isoMinute` value; refuses dates the calendar does not have (2026-02-30). */
function minuteInstant(value: string, field: string): number {
  const at = Date.parse(value);
  if (Number.isNaN(at) || new Date(at).toISOString().slice(0, 16) !== value.slice(0, 16))
    throw new ProblemError('validation_failed', `${field} is not a date of the calendar`, {
      field,
    });
  return at;
}
