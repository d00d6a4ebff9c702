import type { Sql } from '@tollgate/postgres';

/**
 * Which Stripe object stands for which Tollgate one. Each id is stored the moment Stripe returned
 * it, so a later attempt reuses it instead of creating another.
 */

export async function stripeCustomerOf(sql: Sql, accountId: string): Promise<string | undefined> {
  const [row] = await sql.query<{ stripe_customer_id: string }>(
    'select stripe_customer_id from stripe_customers where account_id = ?',
    [accountId],
  );
  return row?.stripe_customer_id;
}

/** Saves the mapping; the one already stored wins (returned) if another attempt got there first. */
export async function saveStripeCustomer(
  sql: Sql,
  accountId: string,
  stripeCustomerId: string,
): Promise<string> {
  await sql.query(
    `insert into stripe_customers (account_id, stripe_customer_id) values (?, ?)
     on conflict (account_id) do nothing`,
    [accountId, stripeCustomerId],
  );
  return (await stripeCustomerOf(sql, accountId)) ?? stripeCustomerId;
}

export interface StripeInvoiceRecord {
  invoiceId: string;
  accountId: string;
  stripeCustomerId: string;
  stripeInvoiceId: string;
  status: string;
  amountDueMinor: number | null;
  paymentFailures: number;
  paidAtMs: number | null;
}

const invoiceColumns = `invoice_id as "invoiceId", account_id as "accountId",
  stripe_customer_id as "stripeCustomerId", stripe_invoice_id as "stripeInvoiceId", status,
  amount_due_minor::float8 as "amountDueMinor", payment_failures as "paymentFailures",
  paid_at_ms::float8 as "paidAtMs"`;

export async function stripeInvoiceOf(
  sql: Sql,
  invoiceId: string,
): Promise<StripeInvoiceRecord | undefined> {
  const [row] = await sql.query<StripeInvoiceRecord>(
    `select ${invoiceColumns} from stripe_invoices where invoice_id = ?`,
    [invoiceId],
  );
  return row;
}

export async function stripeInvoiceByStripeId(
  sql: Sql,
  stripeInvoiceId: string,
): Promise<StripeInvoiceRecord | undefined> {
  const [row] = await sql.query<StripeInvoiceRecord>(
    `select ${invoiceColumns} from stripe_invoices where stripe_invoice_id = ?`,
    [stripeInvoiceId],
  );
  return row;
}

export async function saveStripeInvoice(
  sql: Sql,
  record: Pick<
    StripeInvoiceRecord,
    'invoiceId' | 'accountId' | 'stripeCustomerId' | 'stripeInvoiceId' | 'status'
  >,
): Promise<void> {
  await sql.query(
    `insert into stripe_invoices (invoice_id, account_id, stripe_customer_id, stripe_invoice_id, status)
     values (?, ?, ?, ?, ?)
     on conflict (invoice_id) do nothing`,
    [
      record.invoiceId,
      record.accountId,
      record.stripeCustomerId,
      record.stripeInvoiceId,
      record.status,
    ],
  );
}

/** After finalization: Stripe's status and figures, unless a webhook already moved the status on. */
export async function saveFinalizedInvoice(
  sql: Sql,
  invoiceId: string,
  finalized: { status: string; totalMinor: number; amountDueMinor: number },
): Promise<void> {
  await sql.query(
    `update stripe_invoices
        set status = case when status = 'draft' then ? else status end,
            total_minor = ?, amount_due_minor = ?, updated_at = now()
      where invoice_id = ?`,
    [finalized.status, finalized.totalMinor, finalized.amountDueMinor, invoiceId],
  );
}

export async function stripeItemsOf(sql: Sql, invoiceId: string): Promise<Map<string, string>> {
  const rows = await sql.query<{ line_id: string; stripe_invoice_item_id: string }>(
    'select line_id, stripe_invoice_item_id from stripe_invoice_items where invoice_id = ?',
    [invoiceId],
  );
  return new Map(rows.map((r) => [r.line_id, r.stripe_invoice_item_id]));
}

export async function saveStripeItem(
  sql: Sql,
  invoiceId: string,
  lineId: string,
  stripeInvoiceItemId: string,
): Promise<void> {
  await sql.query(
    `insert into stripe_invoice_items (invoice_id, line_id, stripe_invoice_item_id) values (?, ?, ?)
     on conflict (invoice_id, line_id) do nothing`,
    [invoiceId, lineId, stripeInvoiceItemId],
  );
}
