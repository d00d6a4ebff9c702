import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { epochMs, ProblemError } from '@tollgate/service-runtime';
import type { Invoicing } from '../application/invoicing';
import type { PlanCatalog } from '../application/plan-catalog';
import type { Database } from '@tollgate/postgres';
import { invoiceById, invoicesOf } from '../persistence/invoice-repository';
import { knownPlanVersion } from '../persistence/timeline-repository';
import {
  accountId,
  invoice,
  invoiceId,
  isoMonth,
  MAX_PAGE_SIZE,
  planId,
  prorationPreview,
  ratedPeriod,
} from './schemas';
import { invoiceView, prorationView, ratedPeriodView } from './views';

export async function billingRoutes(
  app: FastifyInstance,
  {
    invoicing,
    db,
    now,
    plans,
  }: { invoicing: Invoicing; db: Database; now: () => number; plans: PlanCatalog },
): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['invoices'];
  const params = Type.Object({ accountId });
  const noSubscription = (id: string) =>
    new ProblemError('not_found', `billing has no plan for account ${id}`, {
      reason: 'no_subscription',
    });

  api.get(
    '/v1/accounts/:accountId/upcoming-invoice',
    {
      schema: {
        tags,
        summary:
          "What the current period costs so far: the full period's base fees (prorated per plan segment) and usage up to now",
        params,
        response: { 200: ratedPeriod },
      },
    },
    async (request) => {
      const rated = await invoicing.upcoming(request.params.accountId);
      if (!rated) throw noSubscription(request.params.accountId);
      return ratedPeriodView(rated);
    },
  );

  api.post(
    '/v1/accounts/:accountId/plan-change-preview',
    {
      schema: {
        tags,
        summary:
          "The current period rated as it stands and with a move to a plan version from effectiveAt (default now); a version billing has not seen in a PlanChanged is priced from key-service's catalog (404 unknown_plan_version when key-service has no such version, 503 when it cannot be asked)",
        params,
        body: Type.Object(
          {
            planId,
            planVersion: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }),
            effectiveAt: Type.Optional(epochMs),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            current: ratedPeriod,
            withChange: ratedPeriod,
            prorationInvoice: Type.Union([prorationPreview, Type.Null()]),
            differenceMinor: Type.Integer(),
          }),
        },
      },
    },
    async (request) => {
      const at = now();
      const effectiveAt = request.body.effectiveAt ?? at;
      if (effectiveAt < at)
        throw new ProblemError('validation_failed', 'effectiveAt must be now or later', {
          field: 'effectiveAt',
        });
      const { planId: wanted, planVersion } = request.body;
      const plan =
        (await knownPlanVersion(db.sql, wanted, planVersion)) ??
        (await plans.planVersion(wanted, planVersion));
      if (!plan)
        throw new ProblemError(
          'not_found',
          `neither billing nor key-service knows ${wanted} v${planVersion}`,
          { reason: 'unknown_plan_version' },
        );
      const preview = await invoicing.previewPlanChange(
        request.params.accountId,
        plan,
        effectiveAt,
      );
      if (!preview) throw noSubscription(request.params.accountId);
      if (preview.current.currency !== plan.currency)
        throw new ProblemError(
          'conflict',
          `the account is billed in ${preview.current.currency}; the plan is priced in ${plan.currency}`,
          { reason: 'plan_currency_mismatch' },
        );
      return {
        current: ratedPeriodView(preview.current),
        withChange: ratedPeriodView(preview.withChange),
        prorationInvoice: preview.prorationInvoice && prorationView(preview.prorationInvoice),
        differenceMinor: preview.differenceMinor,
      };
    },
  );

  api.get(
    '/v1/accounts/:accountId/invoices',
    {
      schema: {
        tags,
        summary:
          "An account's invoices, newest period first (a period's proration invoices beside its own); `limit` periods per page, the next page with `before` (a period)",
        params,
        querystring: Type.Object(
          {
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, default: 12 })),
            before: Type.Optional(isoMonth),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(invoice),
            nextBefore: Type.Union([Type.String(), Type.Null()]),
          }),
        },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 12;
      const { invoices, periods } = await invoicesOf(db.sql, request.params.accountId, {
        limit,
        beforePeriod: request.query.before,
      });
      return {
        items: invoices.map(invoiceView),
        nextBefore: periods.length === limit ? periods.at(-1)! : null,
      };
    },
  );

  api.get(
    '/v1/invoices/:invoiceId',
    {
      schema: {
        tags,
        summary: 'One invoice with its lines',
        params: Type.Object({ invoiceId }),
        response: { 200: invoice },
      },
    },
    async (request) => {
      const found = await invoiceById(db.sql, request.params.invoiceId);
      if (!found) throw new ProblemError('not_found', `no invoice ${request.params.invoiceId}`);
      return invoiceView(found);
    },
  );
}
