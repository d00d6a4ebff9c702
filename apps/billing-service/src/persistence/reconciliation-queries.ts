import type { Sql } from '@tollgate/postgres';
import type { InvoiceCursor } from './invoice-repository';

export interface LedgerRow {
  accountId: string;
  invoiceId: string;
  status: string;
  currency: string;
  totalMinor: number;
  /** Units on the period's usage lines plus later adjustment lines that correct them. */
  invoicedUnits: number;
  usageFrom: number;
  usageTo: number;
  /** What the Stripe sync recorded for the invoice (`stripe_invoices`), null before it synced. */
  stripeAmountMinor: number | null;
}

/** A period's invoices in (account, invoice) order after `after`, with what the ledger and Stripe hold. */
export async function ledgerOfPeriodPage(
  sql: Sql,
  period: string,
  after: InvoiceCursor,
  limit: number,
): Promise<LedgerRow[]> {
  const rows = await sql.query<{
    account_id: string;
    invoice_id: string;
    status: string;
    currency: string;
    total_minor: string;
    invoiced_units: string;
    usage_from: string;
    usage_to: string;
    stripe_amount: string | null;
  }>(
    `select i.account_id, i.invoice_id, i.status, i.currency, i.total_minor::text,
            (coalesce((select sum(l.quantity) from invoice_lines l
                        where l.invoice_id = i.invoice_id and l.kind = 'usage'), 0)
             + coalesce((select sum(a.quantity) from invoice_lines a
                          where a.adjusts_invoice_id = i.invoice_id), 0))::text as invoiced_units,
            (select min(l.usage_from_ms) from invoice_lines l where l.invoice_id = i.invoice_id and l.kind = 'usage')::text as usage_from,
            (select max(l.usage_to_ms) from invoice_lines l where l.invoice_id = i.invoice_id and l.kind = 'usage')::text as usage_to,
            -- The invoice total Stripe holds (amount_due is floored at 0 and would flag credit notes).
            s.total_minor::text as stripe_amount
     from invoices i left join stripe_invoices s on s.invoice_id = i.invoice_id
     where i.period = ? and (i.account_id, i.invoice_id) > (?, ?)
     order by i.account_id, i.invoice_id limit ?`,
    [period, after.accountId, after.invoiceId, limit],
  );
  return rows.map((r) => ({
    accountId: r.account_id,
    invoiceId: r.invoice_id,
    status: r.status,
    currency: r.currency,
    totalMinor: Number(r.total_minor),
    invoicedUnits: Number(r.invoiced_units),
    usageFrom: Number(r.usage_from),
    usageTo: Number(r.usage_to),
    stripeAmountMinor: r.stripe_amount === null ? null : Number(r.stripe_amount),
  }));
}
