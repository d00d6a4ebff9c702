import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import {
  CANDIDATES,
  periodOf,
  rankByQuota,
  type AccountPlan,
  type PlanQuota,
  type UsedUnits,
} from '../../application/closest-to-quota';
import type { AdminContext } from '../context';

/** Calls to key-service in flight at once while reading the candidates' plans. */
const CONCURRENCY = 8;

interface PlanDetail {
  planId: string;
  versions: Array<{
    version: number;
    definition: { monthlyQuota: number | null; limitScope: string };
  }>;
}

/** Deployment-wide: the accounts closest to their monthly quota this month (see closest-to-quota.ts). */
export async function quotaRoutes(app: FastifyInstance, { keyService, usage, now }: AdminContext) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  api.get(
    '/v1/usage/closest-to-quota',
    {
      schema: {
        tags: ['usage'],
        summary: `The accounts closest to their monthly quota in the current UTC month, by used / quota, among the ${CANDIDATES} with the most billable units (\`complete\` says whether the ranking is provably exact)`,
        querystring: Type.Object(
          { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: 10 })) },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const period = periodOf(now());
      const { body: top } = await usage.expect<{ items: UsedUnits[] }>(
        'GET',
        `/v1/usage/top-accounts?period=${period}&limit=${CANDIDATES}`,
      );
      const { body: catalog } = await keyService.expect<{ items: Array<{ planId: string }> }>(
        'GET',
        '/v1/plans',
      );
      const quotas: PlanQuota[] = [];
      for (const { planId } of catalog.items) {
        const { body: plan } = await keyService.expect<PlanDetail>(
          'GET',
          `/v1/plans/${encodeURIComponent(planId)}`,
        );
        for (const v of plan.versions)
          quotas.push({
            planId,
            planVersion: v.version,
            monthlyQuota: v.definition.monthlyQuota,
            limitScope: v.definition.limitScope,
          });
      }
      const accounts = new Map<string, AccountPlan>();
      const queue = [...top.items];
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          for (let next = queue.shift(); next; next = queue.shift()) {
            // 404: usage outlived the account in key-service; it is left out.
            const res = await keyService.call<AccountPlan>(
              'GET',
              `/v1/accounts/${encodeURIComponent(next.accountId)}`,
            );
            if (res.status === 200) accounts.set(next.accountId, res.body);
          }
        }),
      );
      return rankByQuota({
        period,
        used: top.items,
        accounts,
        quotas,
        limit: request.query.limit ?? 10,
      });
    },
  );
}
