import { Readable } from 'node:stream';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { stringify } from 'csv-stringify';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Database } from '@tollgate/postgres';
import { reconcilePeriod } from '../application/reconciliation';
import type { UsageSource } from '../application/usage-source';
import { invoicesOfPeriod, revenueByPlan } from '../persistence/export-queries';
import { exportQuery } from './schemas';

const iso = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString());

/** Column names are a contract with finance (documented in the README): only ever add at the end. */
export const INVOICE_EXPORT_COLUMNS = [
  'period',
  'invoice_id',
  'account_id',
  'invoice_status',
  'currency',
  'line_no',
  'line_kind',
  'plan_id',
  'plan_version',
  'segment_from',
  'segment_to',
  'quantity',
  'amount_minor',
  'invoice_total_minor',
  'finalized_at',
  'invoice_kind',
] as const;

export const USAGE_EXPORT_COLUMNS = [
  'period',
  'account_id',
  'invoice_id',
  'line_kind',
  'plan_id',
  'plan_version',
  'segment_from',
  'segment_to',
  'suspended',
  'billable_units',
  'included_units',
  'amount_minor',
] as const;

export const REVENUE_EXPORT_COLUMNS = [
  'period',
  'currency',
  'plan_id',
  'plan_version',
  'invoices',
  'base_fee_minor',
  'usage_minor',
  'adjustment_minor',
  'total_minor',
] as const;

export const RECONCILIATION_COLUMNS = [
  'period',
  'account_id',
  'invoice_id',
  'invoice_status',
  'currency',
  'ingestor_billable_units',
  'invoiced_units',
  'invoice_total_minor',
  'stripe_amount_minor',
  'mismatch',
] as const;

type Row = Record<string, string | number | boolean>;

/**
 * Reads the first row before answering, so a failure to start (usage-ingestor unreachable, the
 * database gone) is an ordinary problem answer instead of a broken stream.
 */
async function primed(rows: AsyncGenerator<Row>): Promise<AsyncGenerator<Row>> {
  const first = await rows.next();
  return (async function* () {
    if (first.done) return;
    yield first.value;
    yield* rows;
  })();
}

/** Streams rows as RFC 4180 CSV (header first) or as a JSON array, without holding them all. */
async function send(
  reply: FastifyReply,
  format: 'csv' | 'json',
  name: string,
  columns: readonly string[],
  unprimed: AsyncGenerator<Row>,
) {
  const rows = await primed(unprimed);
  if (format === 'json') {
    async function* json() {
      let first = true;
      yield '[';
      for await (const row of rows) {
        yield (first ? '' : ',') + JSON.stringify(row);
        first = false;
      }
      yield ']';
    }
    return reply.type('application/json').send(Readable.from(json()));
  }
  const csv = stringify({ header: true, columns: [...columns], record_delimiter: 'windows' });
  Readable.from(rows)
    .on('error', (err) => csv.destroy(err))
    .pipe(csv);
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name}.csv"`)
    .send(csv);
}

/** One export: its route, what it is, its columns and the rows of a period. */
interface ExportRoute {
  url: string;
  /** The file name before `-<period>.csv`. */
  name: string;
  summary: string;
  columns: readonly string[];
  rows(period: string): AsyncGenerator<Row>;
}

export async function exportRoutes(
  app: FastifyInstance,
  { db, usage }: { db: Database; usage: UsageSource },
): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const exports: ExportRoute[] = [
    {
      url: '/v1/exports/invoices',
      name: 'invoices',
      summary: "A period's invoices, one row per line (CSV per RFC 4180, or JSON)",
      columns: INVOICE_EXPORT_COLUMNS,
      async *rows(period) {
        for await (const invoice of invoicesOfPeriod(db.sql, period))
          for (const line of invoice.lines)
            yield {
              period,
              invoice_id: invoice.invoiceId,
              account_id: invoice.accountId,
              invoice_status: invoice.status,
              currency: invoice.currency,
              line_no: line.lineNo,
              line_kind: line.kind,
              plan_id: line.planId,
              plan_version: line.planVersion,
              segment_from: iso(line.from),
              segment_to: iso(line.to),
              quantity: line.quantity,
              amount_minor: line.amountMinor,
              invoice_total_minor: invoice.totalMinor,
              finalized_at: iso(invoice.finalizedAt),
              invoice_kind: invoice.kind,
            };
      },
    },
    {
      url: '/v1/exports/usage',
      name: 'usage',
      summary: "A period's invoiced usage per account and plan segment, late adjustments included",
      columns: USAGE_EXPORT_COLUMNS,
      async *rows(period) {
        for await (const invoice of invoicesOfPeriod(db.sql, period))
          for (const line of invoice.lines)
            if (line.kind !== 'base_fee')
              yield {
                period,
                account_id: invoice.accountId,
                invoice_id: invoice.invoiceId,
                line_kind: line.kind,
                plan_id: line.planId,
                plan_version: line.planVersion,
                segment_from: iso(line.from),
                segment_to: iso(line.to),
                suspended: line.suspended,
                billable_units: line.quantity,
                included_units: line.includedUnits,
                amount_minor: line.amountMinor,
              };
      },
    },
    {
      url: '/v1/exports/revenue',
      name: 'revenue',
      summary: "A period's revenue per plan version (void invoices left out)",
      columns: REVENUE_EXPORT_COLUMNS,
      async *rows(period) {
        for (const r of await revenueByPlan(db.sql, period))
          yield {
            period,
            currency: r.currency,
            plan_id: r.planId,
            plan_version: r.planVersion,
            invoices: r.invoices,
            base_fee_minor: r.baseFeeMinor,
            usage_minor: r.usageMinor,
            adjustment_minor: r.adjustmentMinor,
            total_minor: r.totalMinor,
          };
      },
    },
    {
      url: '/v1/reports/reconciliation',
      name: 'reconciliation',
      summary:
        "A period's reconciliation, one row per invoice: usage-ingestor's billable units now against the invoiced units (usage lines and later adjustments), the invoice total against the amount Stripe holds; `mismatch` lists units, stripe_amount or not_in_stripe (empty when all agree)",
      columns: RECONCILIATION_COLUMNS,
      async *rows(period) {
        for await (const r of reconcilePeriod(db.sql, usage, period))
          yield {
            period,
            account_id: r.accountId,
            invoice_id: r.invoiceId,
            invoice_status: r.status,
            currency: r.currency,
            ingestor_billable_units: r.ingestorUnits,
            invoiced_units: r.invoicedUnits,
            invoice_total_minor: r.totalMinor,
            stripe_amount_minor: r.stripeAmountMinor ?? '',
            mismatch: r.mismatches.join(';'),
          };
      },
    },
  ];

  for (const route of exports)
    api.get(
      route.url,
      {
        schema: {
          tags: ['exports'],
          summary: `${route.summary}. Columns: ${route.columns.join(', ')}`,
          querystring: exportQuery,
          produces: ['text/csv', 'application/json'],
        },
      },
      (request, reply) => {
        const { period } = request.query;
        return send(
          reply,
          formatOf(request.query.format),
          `${route.name}-${period}`,
          route.columns,
          route.rows(period),
        );
      },
    );
}

const formatOf = (format: string | undefined): 'csv' | 'json' =>
  format === 'json' ? 'json' : 'csv';
