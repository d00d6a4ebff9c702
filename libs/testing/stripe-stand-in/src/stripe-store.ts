import { randomBytes } from 'node:crypto';
import type Stripe from 'stripe';
import type { FormParams, FormValue } from './form-encoding';
import {
  invalidParam,
  lineOf,
  list,
  missingParam,
  newCustomer,
  newInvoice,
  newInvoiceItem,
  noSuch,
  StripeApiError,
} from './stripe-objects';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const stripeId = (prefix: string) =>
  `${prefix}_${Array.from(randomBytes(24), (b) => ALPHABET[b % ALPHABET.length]).join('')}`;

const str = (params: FormParams, name: string): string | undefined => {
  const v = params[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw invalidParam(name, `Invalid string: ${name}`);
  return v;
};
const required = (params: FormParams, name: string): string => {
  const v = str(params, name);
  if (v === undefined || v === '') throw missingParam(name);
  return v;
};
const integer = (params: FormParams, name: string): number | undefined => {
  const v = str(params, name);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(Number(v)))
    throw invalidParam(name, `Invalid integer: ${v}`);
  return Number(v);
};
const bool = (params: FormParams, name: string): boolean | undefined => {
  const v = str(params, name);
  if (v === undefined) return undefined;
  if (v !== 'true' && v !== 'false') throw invalidParam(name, `Invalid boolean: ${v}`);
  return v === 'true';
};
function metadataOf(params: FormParams): Stripe.Metadata {
  const v: FormValue | undefined = params.metadata;
  if (v === undefined || v === '') return {};
  if (typeof v !== 'object' || Array.isArray(v))
    throw invalidParam('metadata', 'Invalid hash: metadata');
  const entries = Object.entries(v);
  if (entries.length > 50) throw invalidParam('metadata', 'Metadata can have at most 50 keys');
  return Object.fromEntries(
    entries.map(([k, value]) => {
      if (typeof value !== 'string' || k.length > 40 || value.length > 500)
        throw invalidParam(`metadata[${k}]`, 'Invalid metadata value');
      return [k, value];
    }),
  );
}
const currencyOf = (params: FormParams): string | undefined => {
  const v = str(params, 'currency');
  if (v === undefined) return undefined;
  if (!/^[a-zA-Z]{3}$/.test(v)) throw invalidParam('currency', `Invalid currency: ${v}`);
  return v.toLowerCase();
};

const idOf = (ref: string | { id: string } | null): string =>
  ref === null ? '' : typeof ref === 'string' ? ref : ref.id;

export interface StoreCounts {
  customers: number;
  invoices: number;
  invoiceItems: number;
  finalizations: number;
}

/**
 * The objects the stand-in holds and the rules Stripe applies to them, for the endpoints Tollgate
 * calls. Times are Stripe's (epoch seconds) from the stand-in's clock.
 */
export class StripeStore {
  readonly customers = new Map<string, Stripe.Customer>();
  readonly invoices = new Map<string, Stripe.Invoice>();
  readonly invoiceItems = new Map<string, Stripe.InvoiceItem>();
  readonly counts: StoreCounts = { customers: 0, invoices: 0, invoiceItems: 0, finalizations: 0 };

  constructor(private readonly nowSeconds: () => number) {}

  createCustomer(params: FormParams): Stripe.Customer {
    const customer = newCustomer(
      stripeId('cus'),
      this.nowSeconds(),
      {
        name: str(params, 'name') ?? null,
        email: str(params, 'email') ?? null,
        description: str(params, 'description') ?? null,
      },
      metadataOf(params),
    );
    this.customers.set(customer.id, customer);
    this.counts.customers++;
    return customer;
  }

  customer(id: string, param = 'id'): Stripe.Customer {
    const found = this.customers.get(id);
    if (!found) throw noSuch('customer', id, param);
    return found;
  }

  /** Customer search, for the one query shape Tollgate uses: `metadata['key']:'value'`. */
  searchCustomers(params: FormParams): Stripe.ApiSearchResult<Stripe.Customer> {
    const query = required(params, 'query');
    const match = /^metadata\['([^']+)'\]:'([^']*)'$/.exec(query.trim());
    if (!match) throw invalidParam('query', `Unsupported search query: ${query}`);
    const [, key = '', value] = match;
    const data = [...this.customers.values()].filter((c) => c.metadata[key] === value);
    return {
      object: 'search_result',
      data,
      has_more: false,
      next_page: null,
      url: '/v1/customers/search',
    };
  }

  createInvoiceItem(params: FormParams): Stripe.InvoiceItem {
    const customer = this.customer(required(params, 'customer'), 'customer');
    const amount = integer(params, 'amount');
    if (amount === undefined) throw missingParam('amount');
    const currency = currencyOf(params);
    if (currency === undefined) throw missingParam('currency');
    const quantity = integer(params, 'quantity') ?? 1;
    const invoiceId = str(params, 'invoice');
    if (invoiceId !== undefined) {
      const invoice = this.invoice(invoiceId, 'invoice');
      if (invoice.customer !== customer.id)
        throw invalidParam('invoice', 'The invoice belongs to another customer.');
      if (invoice.status !== 'draft')
        throw invalidParam(
          'invoice',
          `Invoice ${invoice.id} is not a draft; items cannot be added.`,
        );
      if (invoice.currency !== currency)
        throw invalidParam('currency', 'The invoice item currency must match the invoice.');
    }
    const period = params.period;
    const periodOf = (name: 'start' | 'end') => {
      if (typeof period !== 'object' || Array.isArray(period)) return this.nowSeconds();
      const value = integer(period, name);
      if (value === undefined) throw missingParam(`period[${name}]`);
      return value;
    };
    const item = newInvoiceItem(
      stripeId('ii'),
      this.nowSeconds(),
      {
        customer: customer.id,
        invoice: invoiceId ?? null,
        amount,
        currency,
        description: str(params, 'description') ?? null,
        quantity,
        period: { start: periodOf('start'), end: periodOf('end') },
      },
      metadataOf(params),
    );
    this.invoiceItems.set(item.id, item);
    this.counts.invoiceItems++;
    if (invoiceId !== undefined) this.recompute(invoiceId);
    return item;
  }

  listInvoiceItems(params: FormParams): Stripe.ApiList<Stripe.InvoiceItem> {
    const invoice = str(params, 'invoice');
    const customer = str(params, 'customer');
    const pending = bool(params, 'pending');
    const items = [...this.invoiceItems.values()].filter(
      (i) =>
        (invoice === undefined || i.invoice === invoice) &&
        (customer === undefined || i.customer === customer) &&
        (pending === undefined || (i.invoice === null) === pending),
    );
    return this.page('/v1/invoiceitems', items, params);
  }

  createInvoice(params: FormParams): Stripe.Invoice {
    const customer = this.customer(required(params, 'customer'), 'customer');
    const behavior = str(params, 'pending_invoice_items_behavior') ?? 'exclude';
    if (behavior !== 'exclude' && behavior !== 'include')
      throw invalidParam('pending_invoice_items_behavior', `Invalid value: ${behavior}`);
    const collectionMethod = str(params, 'collection_method') ?? 'charge_automatically';
    if (collectionMethod !== 'charge_automatically' && collectionMethod !== 'send_invoice')
      throw invalidParam('collection_method', `Invalid value: ${collectionMethod}`);
    const daysUntilDue = integer(params, 'days_until_due') ?? null;
    if (collectionMethod === 'send_invoice' && daysUntilDue === null)
      throw missingParam('days_until_due');
    const pending = [...this.invoiceItems.values()].filter(
      (i) => i.customer === customer.id && i.invoice === null,
    );
    const currency = currencyOf(params) ?? pending[0]?.currency ?? 'usd';
    const invoice = newInvoice(
      stripeId('in'),
      this.nowSeconds(),
      {
        customer,
        currency,
        description: str(params, 'description') ?? null,
        autoAdvance: bool(params, 'auto_advance') ?? false,
        collectionMethod,
        daysUntilDue,
      },
      metadataOf(params),
    );
    this.invoices.set(invoice.id, invoice);
    this.counts.invoices++;
    if (behavior === 'include')
      for (const item of pending) if (item.currency === currency) item.invoice = invoice.id;
    this.recompute(invoice.id);
    return invoice;
  }

  invoice(id: string, param = 'id'): Stripe.Invoice {
    const found = this.invoices.get(id);
    if (!found) throw noSuch('invoice', id, param);
    return found;
  }

  listInvoices(params: FormParams): Stripe.ApiList<Stripe.Invoice> {
    const customer = str(params, 'customer');
    const status = str(params, 'status');
    const invoices = [...this.invoices.values()].filter(
      (i) =>
        (customer === undefined || i.customer === customer) &&
        (status === undefined || i.status === status),
    );
    return this.page('/v1/invoices', invoices, params);
  }

  finalizeInvoice(id: string, params: FormParams): Stripe.Invoice {
    const invoice = this.invoice(id);
    if (invoice.status !== 'draft')
      throw new StripeApiError(
        400,
        'invalid_request_error',
        `This invoice is already finalized, you can't re-finalize a non-draft invoice.`,
        { code: 'invoice_not_editable' },
      );
    const now = this.nowSeconds();
    const customer = this.customer(idOf(invoice.customer));
    const autoAdvance = bool(params, 'auto_advance');
    if (autoAdvance !== undefined) invoice.auto_advance = autoAdvance;
    invoice.number = `${customer.invoice_prefix}-${String(customer.next_invoice_sequence ?? 1).padStart(4, '0')}`;
    customer.next_invoice_sequence = (customer.next_invoice_sequence ?? 1) + 1;
    invoice.status = 'open';
    invoice.status_transitions.finalized_at = now;
    invoice.effective_at = now;
    invoice.hosted_invoice_url = `https://invoice.stripe.com/i/${invoice.id}`;
    if (invoice.collection_method === 'charge_automatically' && invoice.amount_due > 0)
      invoice.next_payment_attempt = now + 60 * 60;
    // A zero-amount invoice is paid the moment it is finalized, as Stripe does.
    if (invoice.amount_due === 0) this.markPaid(invoice, now);
    this.counts.finalizations++;
    return invoice;
  }

  /** Test helper: the customer's payment succeeded. */
  pay(id: string): Stripe.Invoice {
    const invoice = this.invoice(id);
    if (invoice.status !== 'open') throw new Error(`invoice ${id} is ${invoice.status}, not open`);
    invoice.attempt_count++;
    invoice.attempted = true;
    this.markPaid(invoice, this.nowSeconds());
    return invoice;
  }

  /** Test helper: a charge attempt failed; Stripe will retry (next_payment_attempt). */
  failPayment(id: string): Stripe.Invoice {
    const invoice = this.invoice(id);
    if (invoice.status !== 'open') throw new Error(`invoice ${id} is ${invoice.status}, not open`);
    invoice.attempt_count++;
    invoice.attempted = true;
    invoice.next_payment_attempt = this.nowSeconds() + 3 * 24 * 60 * 60;
    return invoice;
  }

  /** Test helper (and what `POST /v1/invoices/:id/void` would do). */
  void(id: string): Stripe.Invoice {
    const invoice = this.invoice(id);
    if (invoice.status !== 'open' && invoice.status !== 'uncollectible')
      throw new Error(`invoice ${id} is ${invoice.status}; only open invoices can be voided`);
    invoice.status = 'void';
    invoice.status_transitions.voided_at = this.nowSeconds();
    invoice.next_payment_attempt = null;
    invoice.amount_remaining = 0;
    return invoice;
  }

  private markPaid(invoice: Stripe.Invoice, now: number): void {
    invoice.status = 'paid';
    invoice.amount_paid = invoice.amount_due;
    invoice.amount_remaining = 0;
    invoice.next_payment_attempt = null;
    invoice.status_transitions.paid_at = now;
  }

  private recompute(invoiceId: string): void {
    const invoice = this.invoice(invoiceId);
    const items = [...this.invoiceItems.values()].filter((i) => i.invoice === invoiceId);
    const total = items.reduce((sum, i) => sum + i.amount, 0);
    invoice.lines = list(
      `/v1/invoices/${invoiceId}/lines`,
      items.map((i) => lineOf(i, invoiceId)),
    );
    invoice.subtotal = total;
    invoice.subtotal_excluding_tax = total;
    invoice.total = total;
    invoice.total_excluding_tax = total;
    invoice.amount_due = Math.max(total, 0);
    invoice.amount_remaining = Math.max(total, 0);
    if (items.length > 0) {
      invoice.period_start = Math.min(...items.map((i) => i.period.start));
      invoice.period_end = Math.max(...items.map((i) => i.period.end));
    }
  }

  /** Newest first, `limit` (1-100, default 10) after `starting_after`, as Stripe pages lists. */
  private page<T extends { id: string }>(
    url: string,
    all: T[],
    params: FormParams,
  ): Stripe.ApiList<T> {
    const limit = integer(params, 'limit') ?? 10;
    if (limit < 1 || limit > 100) throw invalidParam('limit', 'limit must be between 1 and 100');
    const newestFirst = [...all].reverse();
    const after = str(params, 'starting_after');
    let start = 0;
    if (after !== undefined) {
      const at = newestFirst.findIndex((o) => o.id === after);
      if (at < 0) throw invalidParam('starting_after', `No such object: '${after}'`);
      start = at + 1;
    }
    const data = newestFirst.slice(start, start + limit);
    return list(url, data, start + limit < newestFirst.length);
  }
}
