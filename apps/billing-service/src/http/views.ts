import type { RatedPeriod } from '../application/invoicing';
import type { RatedInvoice, RatedLine } from '../domain/rating';
import type { InvoiceLineRecord, InvoiceRecord } from '../persistence/invoice-repository';

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

type AnyLine = RatedLine & Partial<Pick<InvoiceLineRecord, 'lineNo'>>;

function lineView(l: AnyLine) {
  return {
    ...(l.lineNo === undefined ? {} : { lineNo: l.lineNo }),
    kind: l.kind,
    description: l.description,
    planId: l.planId,
    planVersion: l.planVersion,
    from: iso(l.from),
    to: iso(l.to),
    quantity: l.quantity,
    includedUnits: l.includedUnits,
    amountMinor: l.amountMinor,
  };
}

export function ratedPeriodView(rated: RatedPeriod) {
  return {
    accountId: rated.accountId,
    period: rated.period,
    currency: rated.currency,
    lines: rated.lines.map(lineView),
    totalMinor: rated.totalMinor,
  };
}

/** The invoice a plan change would be billed at once (`PRORATION_BEHAVIOR=immediate`). */
export function prorationView(rated: RatedInvoice) {
  return {
    currency: rated.currency,
    lines: rated.lines.map(lineView),
    totalMinor: rated.totalMinor,
  };
}

export function invoiceView(invoice: InvoiceRecord) {
  return {
    invoiceId: invoice.invoiceId,
    accountId: invoice.accountId,
    period: invoice.period,
    kind: invoice.kind,
    changeEventId: invoice.changeEventId,
    currency: invoice.currency,
    status: invoice.status,
    totalMinor: invoice.totalMinor,
    finalizedAt: isoOrNull(invoice.finalizedAt),
    paidAt: isoOrNull(invoice.paidAt),
    voidedAt: isoOrNull(invoice.voidedAt),
    failedAttempts: invoice.failedAttempts,
    stripeInvoiceId: invoice.stripeInvoiceId,
    lines: invoice.lines.map(lineView),
  };
}
