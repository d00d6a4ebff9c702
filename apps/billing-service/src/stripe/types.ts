/** A finalized Tollgate invoice as Stripe should collect it. Amounts in integer minor units. */
export interface InvoiceToCollect {
  invoiceId: string;
  accountId: string;
  /** ISO 4217, any case (Stripe wants lower case; the sync lowers it). */
  currency: string;
  /** The billing period, `YYYY-MM`. */
  period: string;
  /** Stripe's invoice description; `Tollgate usage <period>` when absent. */
  description?: string;
  lines: Array<{ lineId: string; description: string; amountMinor: number; quantity?: number }>;
  totalMinor: number;
}

/**
 * What Stripe's payment webhooks change on Tollgate's invoices; implemented by the invoice code
 * over its own table. Every call may be repeated (webhooks are at-least-once) and must be a no-op
 * when the invoice is already in that state. `at` is epoch ms.
 */
export interface InvoicePayments {
  markPaid(invoiceId: string, at: number): Promise<void>;
  /** `attempt` is Stripe's attempt count for this invoice (1 for the first failed charge). */
  markPaymentFailed(invoiceId: string, at: number, attempt: number): Promise<void>;
  markVoid(invoiceId: string, at: number): Promise<void>;
}
