import { Readable } from 'node:stream';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ID_PATTERNS } from '@tollgate/events';
import { idSchemas, ProblemError } from '@tollgate/service-runtime';
import { invoiceCsv, type InvoiceView } from '../../application/invoice-csv';
import type { AdminContext } from '../context';
import { forward, forwardedHeaders, withQuery } from './forward';
import { accountId, forwardedBody } from './schemas';

const { invoice: invoiceId } = idSchemas(ID_PATTERNS);

/** billing-service validates the query (period, format, paging): its 400s pass through. */
const billingQuery = Type.Object({}, { additionalProperties: true, maxProperties: 10 });

/**
 * Invoices, the proration preview and finance exports, from billing-service. Reads of one account
 * follow the account scope like every account route; an invoice is read under its account's path,
 * so a scoped token can never name another account's invoice. Exports stream through unparsed.
 */
export async function billingRoutes(app: FastifyInstance, { billing }: AdminContext) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['billing'];
  const account = Type.Object({ accountId });

  api.get(
    '/v1/accounts/:accountId/invoices',
    {
      schema: {
        tags,
        summary: "The account's invoices, newest period first (`limit`, `before` a period)",
        params: account,
        querystring: billingQuery,
      },
    },
    (request, reply) =>
      forward(
        billing,
        request,
        reply,
        'GET',
        withQuery(request, `/v1/accounts/${request.params.accountId}/invoices`),
      ),
  );

  api.get(
    '/v1/accounts/:accountId/invoices/:invoiceId',
    {
      schema: {
        tags,
        summary: 'One invoice with its lines (404 unless it is this account’s)',
        params: Type.Object({ accountId, invoiceId }),
      },
    },
    async (request) => {
      const { body } = await billing.expect<{ accountId?: string }>(
        'GET',
        `/v1/invoices/${request.params.invoiceId}`,
      );
      if (body.accountId !== request.params.accountId)
        throw new ProblemError('not_found', 'Not found');
      return body;
    },
  );

  api.get(
    '/v1/accounts/:accountId/invoices/:invoiceId/csv',
    {
      schema: {
        tags,
        summary:
          'One invoice as CSV: a row per line (period segment, quantity, amount), then the total',
        params: Type.Object({ accountId, invoiceId }),
        produces: ['text/csv'],
      },
    },
    async (request, reply) => {
      const { body } = await billing.expect<InvoiceView>(
        'GET',
        `/v1/invoices/${request.params.invoiceId}`,
      );
      if (body.accountId !== request.params.accountId)
        throw new ProblemError('not_found', 'Not found');
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${body.invoiceId}.csv"`)
        .send(invoiceCsv(body));
    },
  );

  api.get(
    '/v1/accounts/:accountId/upcoming-invoice',
    {
      schema: {
        tags,
        summary: 'What the current period costs so far (404 while billing has no plan for it)',
        params: account,
      },
    },
    (request, reply) =>
      forward(
        billing,
        request,
        reply,
        'GET',
        `/v1/accounts/${request.params.accountId}/upcoming-invoice`,
      ),
  );

  api.post(
    '/v1/accounts/:accountId/plan-change-preview',
    {
      schema: {
        tags,
        summary:
          'What moving to a plan version (`planId`, `planVersion`, `effectiveAt`) would cost this period, before doing it',
        params: account,
        body: forwardedBody,
      },
    },
    (request, reply) =>
      forward(
        billing,
        request,
        reply,
        'POST',
        `/v1/accounts/${request.params.accountId}/plan-change-preview`,
        request.body,
      ),
  );

  for (const [path, summary] of [
    ['/v1/exports/invoices', 'Invoices of a period (`period`, `format=csv|json`), streamed'],
    ['/v1/exports/usage', 'Usage per account and plan segment of a period, streamed'],
    ['/v1/exports/revenue', 'Revenue per plan of a period, streamed'],
    [
      '/v1/reports/reconciliation',
      'Ingested vs invoiced units vs what Stripe holds, per account, for a period',
    ],
  ] as const)
    api.get(
      path,
      { schema: { tags: ['finance'], summary, querystring: billingQuery } },
      async (request, reply) => {
        const answer = await billing.stream(withQuery(request, path), forwardedHeaders(request));
        reply.code(answer.status).type(answer.contentType);
        if (answer.contentDisposition)
          reply.header('content-disposition', answer.contentDisposition);
        return reply.send(Readable.fromWeb(answer.body));
      },
    );
}
