import type Stripe from 'stripe';
import type { Database, Sql } from '@tollgate/postgres';
import { ProblemError } from '@tollgate/service-runtime';
import { enqueueDunningAction, hasDunningSuspension } from '../persistence/stripe/dunning-actions';
import { reactivationFor, suspensionFor, type DunningPolicy } from './dunning';
import {
  stripeInvoiceByStripeId,
  type StripeInvoiceRecord,
} from '../persistence/stripe/stripe-records';
import type { InvoicePayments } from './types';
import { recordEvent, seenDelivery } from '../persistence/stripe/webhook-event-log';

export type EventOutcome =
  | 'applied'
  /** Not an invoice event we act on, or an invoice Tollgate did not create: acknowledged. */
  | 'ignored'
  /** Applied before; Stripe delivering it again changes nothing. */
  | 'duplicate'
  /** The exact delivery we already took, sent again: refused. */
  | 'replayed'
  /**
   * The invoice side refused the change (its invoice is in a state Stripe's event cannot move it
   * from): acknowledged so Stripe stops redelivering, recorded, and logged as an error.
   */
  | 'conflict';

export interface PaymentEventsOptions {
  db: Pick<Database, 'sql' | 'transaction'>;
  payments: InvoicePayments;
  policy: DunningPolicy;
  /** Called after an event queued a dunning action, to run it without waiting for a poll. */
  onDunningAction?: () => void;
  log: { error(obj: object, msg: string): void };
}

/** `InvoicePayments` refused the event's change with a 4xx problem (conflict, not found). */
class LedgerRefusal extends Error {}

const epochMs = (seconds: number | null | undefined, fallbackSeconds: number) =>
  (seconds ?? fallbackSeconds) * 1000;

/**
 * Applies a verified Stripe event to Tollgate's invoices once. `invoice.paid`,
 * `invoice.payment_failed` and `invoice.voided` of invoices the sync created go to
 * `InvoicePayments` (whose calls are safe to repeat), then the event id, Stripe's status and any
 * dunning action commit together — so a failure in between makes Stripe deliver again, and the
 * repeat does nothing twice.
 */
export class PaymentEvents {
  constructor(private readonly options: PaymentEventsOptions) {}

  async apply(event: Stripe.Event, signedAt: number, nowMs: number): Promise<EventOutcome> {
    const { db } = this.options;
    const seen = await seenDelivery(db.sql, event.id, signedAt);
    if (seen === 'replay') return 'replayed';
    if (seen === 'redelivery') return 'duplicate';
    const payment = isPaymentEvent(event) ? event : undefined;
    const invoice = payment?.data.object;
    const record = invoice ? await stripeInvoiceByStripeId(db.sql, invoice.id) : undefined;
    let effect: Effect | undefined;
    let outcome: EventOutcome = 'applied';
    try {
      effect =
        payment && invoice && record ? await this.effectOf(payment, invoice, record) : undefined;
    } catch (err) {
      if (!(err instanceof LedgerRefusal)) throw err;
      this.options.log.error(
        { eventId: event.id, type: event.type, invoiceId: record?.invoiceId, reason: err.message },
        'a Stripe event conflicts with the invoice ledger; recorded, not applied',
      );
      outcome = 'conflict';
    }
    let dunningQueued = false;
    const recorded = await db.transaction(async (tx) => {
      const first = await recordEvent(
        tx,
        { id: event.id, type: event.type, objectId: invoice?.id, signedAt },
        nowMs,
      );
      if (first && effect) dunningQueued = await effect(tx);
      return first;
    });
    // After the commit, so the worker finds the action it is woken for.
    if (dunningQueued) this.options.onDunningAction?.();
    if (!recorded) return 'duplicate';
    if (outcome === 'conflict') return outcome;
    return effect ? 'applied' : 'ignored';
  }

  /** Tells `InvoicePayments`, and returns what to commit with the event record. */
  private async effectOf(
    event: PaymentEvent,
    invoice: Stripe.Invoice,
    record: StripeInvoiceRecord,
  ): Promise<Effect | undefined> {
    const { payments, policy } = this.options;
    const ids = { invoiceId: record.invoiceId, accountId: record.accountId };
    const settled = record.status === 'paid' || record.status === 'void';
    switch (event.type) {
      case 'invoice.paid': {
        const at = epochMs(invoice.status_transitions.paid_at, event.created);
        await ledger(() => payments.markPaid(record.invoiceId, at));
        const lift = await hasDunningSuspension(this.options.db.sql, record.accountId);
        return async (tx) => {
          await setStatus(tx, record.invoiceId, 'paid', invoice.attempt_count, at);
          return lift && queueDunning(tx, reactivationFor(ids));
        };
      }
      case 'invoice.voided': {
        const at = epochMs(invoice.status_transitions.voided_at, event.created);
        await ledger(() => payments.markVoid(record.invoiceId, at));
        const lift = await hasDunningSuspension(this.options.db.sql, record.accountId);
        return async (tx) => {
          await setStatus(tx, record.invoiceId, 'void', invoice.attempt_count, null);
          return lift && queueDunning(tx, reactivationFor(ids));
        };
      }
      case 'invoice.payment_failed': {
        // Late news of a failure on an invoice that has since been paid or voided changes nothing.
        if (settled) return async () => false;
        const attempt = Math.max(invoice.attempt_count, 1);
        await ledger(() =>
          payments.markPaymentFailed(record.invoiceId, event.created * 1000, attempt),
        );
        const suspension = suspensionFor(policy, ids, attempt);
        return async (tx) => {
          await setStatus(tx, record.invoiceId, 'open', attempt, null);
          return suspension !== undefined && queueDunning(tx, suspension);
        };
      }
    }
  }
}

/** What an event changes in billing's tables; true when it queued a dunning action. */
type Effect = (tx: Sql) => Promise<boolean>;

async function queueDunning(
  tx: Sql,
  action: Parameters<typeof enqueueDunningAction>[1],
): Promise<true> {
  await enqueueDunningAction(tx, action);
  return true;
}

/** Runs an `InvoicePayments` call; its 4xx refusals become `LedgerRefusal`. */
async function ledger(call: () => Promise<void>): Promise<void> {
  try {
    await call();
  } catch (err) {
    if (err instanceof ProblemError && err.status >= 400 && err.status < 500)
      throw new LedgerRefusal(`${err.code}: ${err.message}`);
    throw err;
  }
}

type PaymentEvent =
  Stripe.InvoicePaidEvent | Stripe.InvoicePaymentFailedEvent | Stripe.InvoiceVoidedEvent;

function isPaymentEvent(event: Stripe.Event): event is PaymentEvent {
  return (
    event.type === 'invoice.paid' ||
    event.type === 'invoice.payment_failed' ||
    event.type === 'invoice.voided'
  );
}

/** Stripe's view of the invoice; a settled status is never moved back by a late event. */
async function setStatus(
  tx: Sql,
  invoiceId: string,
  status: 'open' | 'paid' | 'void',
  attempts: number,
  paidAtMs: number | null,
): Promise<void> {
  await tx.query(
    `update stripe_invoices
        set status = case when status in ('paid', 'void') then status else ? end,
            payment_failures = greatest(payment_failures, ?),
            paid_at_ms = coalesce(paid_at_ms, ?),
            updated_at = now()
      where invoice_id = ?`,
    [status, status === 'open' ? attempts : 0, paidAtMs, invoiceId],
  );
}
