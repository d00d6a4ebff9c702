import type Stripe from 'stripe';
import type { Sql } from '@tollgate/postgres';
import {
  saveFinalizedInvoice,
  saveStripeCustomer,
  saveStripeInvoice,
  saveStripeItem,
  stripeCustomerOf,
  stripeInvoiceOf,
  stripeItemsOf,
} from '../persistence/stripe/stripe-records';
import type { InvoiceToCollect } from './types';

/**
 * The Idempotency-Key of every Stripe call, derived from Tollgate ids only: a retry of the same
 * step sends the same key with the same parameters, so Stripe answers the first result again
 * instead of creating a second object.
 */
export const idempotencyKeys = {
  customer: (accountId: string) => `tg-cust-${accountId}`,
  invoice: (invoiceId: string) => `tg-inv-${invoiceId}`,
  item: (invoiceId: string, lineId: string) => `tg-inv-${invoiceId}-item-${lineId}`,
  finalize: (invoiceId: string) => `tg-inv-${invoiceId}-finalize`,
};

/** The invoice cannot be collected as it is: retrying will not help, a person must look. */
export class UncollectableInvoiceError extends Error {}

/** An invoice goes to Stripe only when it is self-consistent: integer amounts that add up. */
function assertCollectable(invoice: InvoiceToCollect): void {
  const problem = (detail: string) =>
    new UncollectableInvoiceError(`invoice ${invoice.invoiceId}: ${detail}`);
  if (!/^[A-Za-z]{3}$/.test(invoice.currency)) throw problem(`currency ${invoice.currency}`);
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(invoice.period)) throw problem(`period ${invoice.period}`);
  if (!invoice.lines.every((l) => Number.isSafeInteger(l.amountMinor)))
    throw problem('line amounts must be integers in minor units');
  if (new Set(invoice.lines.map((l) => l.lineId)).size !== invoice.lines.length)
    throw problem('line ids repeat');
  const sum = invoice.lines.reduce((total, l) => total + l.amountMinor, 0);
  if (sum !== invoice.totalMinor)
    throw problem(`lines add up to ${sum}, the total says ${invoice.totalMinor}`);
}

/** `YYYY-MM` → the month as Stripe's period (epoch seconds, end exclusive). */
function periodOf(period: string): { start: number; end: number } {
  const [year, month] = period.split('-').map(Number) as [number, number];
  return { start: Date.UTC(year, month - 1, 1) / 1000, end: Date.UTC(year, month, 1) / 1000 };
}

/**
 * Puts one finalized Tollgate invoice into Stripe: the account's customer, a draft invoice that
 * takes no pending items (so nothing else of the customer's slips in), one invoice item per line
 * attached to that draft, then finalization with automatic collection. Every step is skipped
 * when its Stripe id is already stored, and repeated under the same idempotency key when it is
 * not. From the second attempt on, Stripe is also searched by metadata for objects an earlier
 * attempt created without living to store their id — that covers a retry later than Stripe's
 * 24-hour idempotency window.
 */
export async function syncInvoiceToStripe(
  stripe: Stripe,
  sql: Sql,
  invoice: InvoiceToCollect,
  attempt: number,
): Promise<Stripe.Invoice> {
  assertCollectable(invoice);
  const recovering = attempt > 1;
  const customerId = await ensureCustomer(stripe, sql, invoice.accountId, recovering);
  const draft = await ensureInvoice(stripe, sql, invoice, customerId, recovering);
  let finalized = draft;
  if (draft.status === 'draft') {
    await ensureItems(stripe, sql, invoice, customerId, draft.id, recovering);
    // Checked before finalizing: once finalized, Stripe charges what the invoice says.
    assertSameTotal(invoice, await stripe.invoices.retrieve(draft.id));
    finalized = await stripe.invoices.finalizeInvoice(
      draft.id,
      { auto_advance: true },
      { idempotencyKey: idempotencyKeys.finalize(invoice.invoiceId) },
    );
  }
  assertSameTotal(invoice, finalized);
  await saveFinalizedInvoice(sql, invoice.invoiceId, {
    status: finalized.status ?? 'open',
    totalMinor: finalized.total,
    amountDueMinor: finalized.amount_due,
  });
  return finalized;
}

function assertSameTotal(invoice: InvoiceToCollect, stripeInvoice: Stripe.Invoice): void {
  if (stripeInvoice.total !== invoice.totalMinor)
    throw new UncollectableInvoiceError(
      `invoice ${invoice.invoiceId}: Stripe's ${stripeInvoice.id} totals ${stripeInvoice.total}, Tollgate's ${invoice.totalMinor}`,
    );
}

async function ensureCustomer(
  stripe: Stripe,
  sql: Sql,
  accountId: string,
  recovering: boolean,
): Promise<string> {
  const stored = await stripeCustomerOf(sql, accountId);
  if (stored) return stored;
  if (recovering) {
    const found = await stripe.customers.search({
      query: `metadata['tollgate_account_id']:'${accountId.replaceAll("'", "\\'")}'`,
      limit: 1,
    });
    const existing = found.data[0];
    if (existing) return saveStripeCustomer(sql, accountId, existing.id);
  }
  const created = await stripe.customers.create(
    {
      description: `Tollgate account ${accountId}`,
      metadata: { tollgate_account_id: accountId },
    },
    { idempotencyKey: idempotencyKeys.customer(accountId) },
  );
  return saveStripeCustomer(sql, accountId, created.id);
}

async function ensureInvoice(
  stripe: Stripe,
  sql: Sql,
  invoice: InvoiceToCollect,
  customerId: string,
  recovering: boolean,
): Promise<Stripe.Invoice> {
  const stored = await stripeInvoiceOf(sql, invoice.invoiceId);
  if (stored) return stripe.invoices.retrieve(stored.stripeInvoiceId);
  let draft: Stripe.Invoice | undefined;
  if (recovering) {
    for await (const candidate of stripe.invoices.list({ customer: customerId, limit: 100 }))
      if (candidate.metadata?.tollgate_invoice_id === invoice.invoiceId) {
        draft = candidate;
        break;
      }
  }
  draft ??= await stripe.invoices.create(
    {
      customer: customerId,
      currency: invoice.currency.toLowerCase(),
      collection_method: 'charge_automatically',
      auto_advance: false,
      pending_invoice_items_behavior: 'exclude',
      description: invoice.description ?? `Tollgate usage ${invoice.period}`,
      metadata: {
        tollgate_invoice_id: invoice.invoiceId,
        tollgate_account_id: invoice.accountId,
        tollgate_period: invoice.period,
      },
    },
    { idempotencyKey: idempotencyKeys.invoice(invoice.invoiceId) },
  );
  await saveStripeInvoice(sql, {
    invoiceId: invoice.invoiceId,
    accountId: invoice.accountId,
    stripeCustomerId: customerId,
    stripeInvoiceId: draft.id,
    status: draft.status ?? 'draft',
  });
  return draft;
}

async function ensureItems(
  stripe: Stripe,
  sql: Sql,
  invoice: InvoiceToCollect,
  customerId: string,
  stripeInvoiceId: string,
  recovering: boolean,
): Promise<void> {
  const stored = await stripeItemsOf(sql, invoice.invoiceId);
  if (recovering && stored.size < invoice.lines.length) {
    for await (const item of stripe.invoiceItems.list({ invoice: stripeInvoiceId, limit: 100 })) {
      const lineId = item.metadata?.tollgate_line_id;
      if (lineId && !stored.has(lineId)) {
        await saveStripeItem(sql, invoice.invoiceId, lineId, item.id);
        stored.set(lineId, item.id);
      }
    }
  }
  const period = periodOf(invoice.period);
  for (const line of invoice.lines) {
    if (stored.has(line.lineId)) continue;
    const item = await stripe.invoiceItems.create(
      {
        customer: customerId,
        invoice: stripeInvoiceId,
        currency: invoice.currency.toLowerCase(),
        amount: line.amountMinor,
        description: line.description,
        period,
        metadata: {
          tollgate_invoice_id: invoice.invoiceId,
          tollgate_line_id: line.lineId,
          ...(line.quantity !== undefined ? { tollgate_quantity: String(line.quantity) } : {}),
        },
      },
      { idempotencyKey: idempotencyKeys.item(invoice.invoiceId, line.lineId) },
    );
    await saveStripeItem(sql, invoice.invoiceId, line.lineId, item.id);
  }
}
