import { newEventId, type EventCodec } from '@tollgate/events';
import { enqueueOutbox, type Database } from '@tollgate/postgres';
import { ProblemError } from '@tollgate/service-runtime';
import {
  invoiceById,
  transitionInvoice,
  type InvoiceStatus,
} from '../persistence/invoice-repository';
import type { InvoicePayments } from '../stripe';
import { PRODUCER } from './invoicing';

/**
 * The payment side of the invoice lifecycle (finalized → paid / payment_failed / void), driven
 * by the payment provider's webhooks. Each call is idempotent: repeating one leaves the invoice as
 * it is; a transition the lifecycle does not allow (paying a void invoice) is a 409.
 */
export class InvoicePaymentLedger implements InvoicePayments {
  constructor(private readonly options: { db: Database; codec: EventCodec }) {}

  markPaid(invoiceId: string, at: number): Promise<void> {
    return this.move(invoiceId, ['finalized', 'payment_failed'], 'paid', { paidAt: at });
  }

  markVoid(invoiceId: string, at: number): Promise<void> {
    return this.move(invoiceId, ['finalized', 'payment_failed'], 'void', { voidedAt: at });
  }

  /** Records the failed attempt and publishes PaymentFailed (outbox) in the same transaction. */
  async markPaymentFailed(invoiceId: string, at: number, attempt: number): Promise<void> {
    await this.options.db.transaction(async (tx) => {
      const invoice = await transitionInvoice(
        tx,
        invoiceId,
        ['finalized', 'payment_failed'],
        'payment_failed',
        { failedAt: at },
      );
      if (!invoice) return this.refuseUnless(invoiceId, ['payment_failed'], 'payment_failed');
      await enqueueOutbox(tx, invoice.accountId, {
        type: 'PaymentFailed',
        payload: {
          eventId: newEventId(at),
          occurredAt: at,
          producer: PRODUCER,
          schemaVersion: this.options.codec.currentVersion('PaymentFailed'),
          invoiceId,
          accountId: invoice.accountId,
          period: invoice.period,
          currency: invoice.currency,
          amountMinor: invoice.totalMinor,
          attempt,
          failedAt: at,
        },
      });
    });
  }

  private async move(
    invoiceId: string,
    from: InvoiceStatus[],
    to: InvoiceStatus,
    set: { paidAt?: number; voidedAt?: number },
  ): Promise<void> {
    const moved = await this.options.db.transaction((tx) =>
      transitionInvoice(tx, invoiceId, from, to, set),
    );
    if (!moved) await this.refuseUnless(invoiceId, [to], to);
  }

  /** Already in the target state: a repeated call, fine. Anything else: refused. */
  private async refuseUnless(
    invoiceId: string,
    fine: InvoiceStatus[],
    target: InvoiceStatus,
  ): Promise<void> {
    const invoice = await invoiceById(this.options.db.sql, invoiceId);
    if (!invoice) throw new ProblemError('not_found', `no invoice ${invoiceId}`);
    if (fine.includes(invoice.status)) return;
    throw new ProblemError(
      'conflict',
      `invoice ${invoiceId} is ${invoice.status}; it cannot become ${target}`,
      { reason: 'invoice_status_conflict' },
    );
  }
}
