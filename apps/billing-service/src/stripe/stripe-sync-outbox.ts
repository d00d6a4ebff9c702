import type { Sql } from '@tollgate/postgres';
import type { InvoiceToCollect } from './types';

/**
 * Queues `invoice` for Stripe in the caller's transaction, so the invoice and its sync request
 * commit together. Enqueuing the same invoice twice keeps the first request (an invoice is
 * collected once; its lines never change after finalization).
 */
export async function enqueueStripeSync(tx: Sql, invoice: InvoiceToCollect): Promise<void> {
  await tx.query(
    `insert into stripe_sync_outbox (invoice_id, account_id, payload)
     values (?, ?, ?::jsonb)
     on conflict (invoice_id) do nothing`,
    [invoice.invoiceId, invoice.accountId, JSON.stringify(invoice)],
  );
}
