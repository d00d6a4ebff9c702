import type { Sql } from '@tollgate/postgres';
import { FIRST_INVOICE, invoicesOfPeriodPage, type InvoiceRecord } from './invoice-repository';

const PAGE = 200;

/**
 * A period's invoices (void ones included, with their status; proration invoices beside the
 * period's own), a page at a time in (account, invoice) order.
 */
export async function* invoicesOfPeriod(sql: Sql, period: string): AsyncGenerator<InvoiceRecord> {
  let after = FIRST_INVOICE;
  for (;;) {
    const page = await invoicesOfPeriodPage(sql, period, after, PAGE);
    yield* page;
    if (page.length < PAGE) return;
    after = page.at(-1)!;
  }
}

export interface RevenueRow {
  currency: string;
  planId: string;
  planVersion: number;
  invoices: number;
  baseFeeMinor: number;
  usageMinor: number;
  adjustmentMinor: number;
  totalMinor: number;
}

/** Revenue of a period per plan version (void invoices left out), from the invoice lines. */
export async function revenueByPlan(sql: Sql, period: string): Promise<RevenueRow[]> {
  const rows = await sql.query<{
    currency: string;
    plan_id: string;
    plan_version: number;
    invoices: string;
    base_fee: string;
    usage: string;
    adjustment: string;
    total: string;
  }>(
    `select i.currency, l.plan_id, l.plan_version, count(distinct i.invoice_id)::text as invoices,
            coalesce(sum(l.amount_minor) filter (where l.kind = 'base_fee'), 0)::text as base_fee,
            coalesce(sum(l.amount_minor) filter (where l.kind = 'usage'), 0)::text as usage,
            coalesce(sum(l.amount_minor) filter (where l.kind = 'adjustment'), 0)::text as adjustment,
            sum(l.amount_minor)::text as total
     from invoices i join invoice_lines l on l.invoice_id = i.invoice_id
     where i.period = ? and i.status <> 'void'
     group by 1, 2, 3 order by 1, 2, 3`,
    [period],
  );
  return rows.map((r) => ({
    currency: r.currency,
    planId: r.plan_id,
    planVersion: r.plan_version,
    invoices: Number(r.invoices),
    baseFeeMinor: Number(r.base_fee),
    usageMinor: Number(r.usage),
    adjustmentMinor: Number(r.adjustment),
    totalMinor: Number(r.total),
  }));
}
