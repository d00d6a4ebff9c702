import Stripe from 'stripe';

/**
 * Stripe objects as the API answers them, typed with the SDK's own types so the stand-in cannot
 * drift from what the SDK (and our code reading its results) expects. Only the fields a fresh
 * object of that kind has are filled; everything optional Stripe leaves out is left out.
 */

export type ErrorType = 'api_error' | 'idempotency_error' | 'invalid_request_error';

/** A Stripe error answer: `{ error: { type, code?, message, param? } }` with its HTTP status. */
export class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: ErrorType,
    message: string,
    readonly extra: { code?: string; param?: string } = {},
  ) {
    super(message);
  }

  body(): { error: Stripe.StripeRawError } {
    return { error: { type: this.type, message: this.message, ...this.extra } };
  }
}

export const missingParam = (param: string) =>
  new StripeApiError(400, 'invalid_request_error', `Missing required param: ${param}.`, {
    code: 'parameter_missing',
    param,
  });

export const invalidParam = (param: string, message: string) =>
  new StripeApiError(400, 'invalid_request_error', message, { code: 'parameter_invalid', param });

export const noSuch = (kind: string, id: string, param = 'id') =>
  new StripeApiError(404, 'invalid_request_error', `No such ${kind}: '${id}'`, {
    code: 'resource_missing',
    param,
  });

export function newCustomer(
  id: string,
  created: number,
  fields: { name: string | null; email: string | null; description: string | null },
  metadata: Stripe.Metadata,
): Stripe.Customer {
  return {
    id,
    object: 'customer',
    address: null,
    balance: 0,
    created,
    currency: null,
    default_source: null,
    delinquent: false,
    description: fields.description,
    email: fields.email,
    invoice_prefix: id.slice(4, 12).toUpperCase(),
    invoice_settings: {
      custom_fields: null,
      default_payment_method: null,
      footer: null,
      rendering_options: null,
    },
    livemode: false,
    metadata,
    name: fields.name,
    next_invoice_sequence: 1,
    phone: null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: null,
  };
}

export function newInvoice(
  id: string,
  created: number,
  fields: {
    customer: Stripe.Customer;
    currency: string;
    description: string | null;
    autoAdvance: boolean;
    collectionMethod: Stripe.Invoice.CollectionMethod;
    daysUntilDue: number | null;
  },
  metadata: Stripe.Metadata,
): Stripe.Invoice {
  return {
    id,
    object: 'invoice',
    account_country: 'US',
    account_name: 'Tollgate stand-in',
    account_tax_ids: null,
    amount_due: 0,
    amount_overpaid: 0,
    amount_paid: 0,
    amount_remaining: 0,
    amount_shipping: 0,
    application: null,
    attempt_count: 0,
    attempted: false,
    auto_advance: fields.autoAdvance,
    automatic_tax: {
      disabled_reason: null,
      enabled: false,
      liability: null,
      provider: null,
      status: null,
    },
    automatically_finalizes_at: null,
    billing_reason: 'manual',
    collection_method: fields.collectionMethod,
    created,
    currency: fields.currency,
    custom_fields: null,
    customer: fields.customer.id,
    customer_account: null,
    customer_address: null,
    customer_email: fields.customer.email,
    customer_name: fields.customer.name ?? null,
    customer_phone: null,
    customer_shipping: null,
    customer_tax_exempt: 'none',
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: fields.description,
    discounts: [],
    due_date: fields.daysUntilDue === null ? null : created + fields.daysUntilDue * 24 * 60 * 60,
    effective_at: null,
    ending_balance: null,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: null,
    invoice_pdf: null,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: list(`/v1/invoices/${id}/lines`, []),
    livemode: false,
    metadata,
    next_payment_attempt: null,
    number: null,
    on_behalf_of: null,
    parent: null,
    payment_settings: {
      default_mandate: null,
      payment_method_options: null,
      payment_method_types: null,
    },
    period_end: created,
    period_start: created,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    status: 'draft',
    status_transitions: {
      finalized_at: null,
      marked_uncollectible_at: null,
      paid_at: null,
      voided_at: null,
    },
    subtotal: 0,
    subtotal_excluding_tax: 0,
    test_clock: null,
    total: 0,
    total_discount_amounts: [],
    total_excluding_tax: 0,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: null,
  };
}

export function newInvoiceItem(
  id: string,
  created: number,
  fields: {
    customer: string;
    invoice: string | null;
    amount: number;
    currency: string;
    description: string | null;
    quantity: number;
    period: Stripe.InvoiceItem.Period;
  },
  metadata: Stripe.Metadata,
): Stripe.InvoiceItem {
  return {
    id,
    object: 'invoiceitem',
    amount: fields.amount,
    currency: fields.currency,
    customer: fields.customer,
    customer_account: null,
    date: created,
    description: fields.description,
    discountable: true,
    discounts: [],
    invoice: fields.invoice,
    livemode: false,
    metadata,
    parent: null,
    period: fields.period,
    pricing: null,
    proration: false,
    quantity: fields.quantity,
    quantity_decimal: Stripe.Decimal.from(fields.quantity),
    tax_rates: [],
    test_clock: null,
  };
}

/** The invoice's line for one of its invoice items. */
export function lineOf(item: Stripe.InvoiceItem, invoiceId: string): Stripe.InvoiceLineItem {
  return {
    id: `il_${item.id.slice(3)}`,
    object: 'line_item',
    amount: item.amount,
    currency: item.currency,
    description: item.description,
    discount_amounts: [],
    discountable: item.discountable,
    discounts: [],
    invoice: invoiceId,
    livemode: false,
    metadata: item.metadata ?? {},
    parent: {
      invoice_item_details: {
        invoice_item: item.id,
        proration: false,
        proration_details: { credited_items: null },
        subscription: null,
      },
      subscription_item_details: null,
      type: 'invoice_item_details',
    },
    period: item.period,
    pretax_credit_amounts: [],
    pricing: null,
    quantity: item.quantity,
    quantity_decimal: item.quantity_decimal,
    subscription: null,
    subtotal: item.amount,
    taxes: [],
  };
}

export function list<T>(url: string, data: T[], hasMore = false): Stripe.ApiList<T> {
  return { object: 'list', data, has_more: hasMore, url };
}
