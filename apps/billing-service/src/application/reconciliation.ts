import type { Sql } from '@tollgate/postgres';
import { FIRST_INVOICE } from '../persistence/invoice-repository';
import { ledgerOfPeriodPage } from '../persistence/reconciliation-queries';
import type { UsageSource } from './usage-source';

export type Mismatch = 'units' | 'stripe_amount' | 'not_in_stripe';

export interface ReconciliationRow {
  accountId: string;
  invoiceId: string;
  status: string;
  currency: string;
  /** usage-ingestor's billable units now, over the invoice's usage range. */
  ingestorUnits: number;
  /** Units invoiced for the period: its usage lines plus later adjustments of them. */
  invoicedUnits: number;
  totalMinor: number;
  stripeAmountMinor: number | null;
  mismatches: Mismatch[];
}

const PAGE = 100;

/**
 * A period's reconciliation, one row per invoice: usage-ingestor's billable units against the
 * invoiced units (a difference is usage that arrived late and is not adjusted yet, or a fault),
 * and the invoice total against the amount Stripe holds. Void invoices are not expected in Stripe.
 */
export async function* reconcilePeriod(
  sql: Sql,
  usage: UsageSource,
  period: string,
): AsyncGenerator<ReconciliationRow> {
  let after = FIRST_INVOICE;
  for (;;) {
    const page = await ledgerOfPeriodPage(sql, period, after, PAGE);
    for (const row of page) {
      const ingestorUnits =
        row.usageTo > row.usageFrom
          ? await usage.billableUnits(row.accountId, row.usageFrom, row.usageTo)
          : 0;
      const mismatches: Mismatch[] = [];
      if (ingestorUnits !== row.invoicedUnits) mismatches.push('units');
      if (row.status !== 'void' && row.status !== 'draft') {
        if (row.stripeAmountMinor === null) mismatches.push('not_in_stripe');
        else if (row.stripeAmountMinor !== row.totalMinor) mismatches.push('stripe_amount');
      }
      yield {
        accountId: row.accountId,
        invoiceId: row.invoiceId,
        status: row.status,
        currency: row.currency,
        ingestorUnits,
        invoicedUnits: row.invoicedUnits,
        totalMinor: row.totalMinor,
        stripeAmountMinor: row.stripeAmountMinor,
        mismatches,
      };
    }
    if (page.length < PAGE) return;
    after = page.at(-1) ?? after;
  }
}
