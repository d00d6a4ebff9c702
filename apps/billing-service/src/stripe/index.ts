/**
 * The Stripe side of billing: Tollgate's ledger is the source of truth, Stripe collects the money.
 * The invoice code hands a finalized invoice over with `enqueueStripeSync` in its own transaction;
 * the sync worker pushes it to Stripe (customer, one invoice item per line, one finalized invoice),
 * and Stripe's webhooks report payment back through `InvoicePayments`; dunning suspends an account
 * through key-service after repeated failed payments and reactivates it once paid.
 */
export { enqueueStripeSync } from '../persistence/stripe/stripe-sync-outbox';
export type { InvoiceToCollect, InvoicePayments } from './types';
export { installStripeBilling, type StripeBilling, type StripeBillingHost } from './stripe-billing';
export { stripeEnv, StripeConfig } from './stripe-config';
export { STRIPE_WEBHOOK_ROUTE } from './stripe-webhooks';
export { STRIPE_API_VERSION } from './stripe-client';
