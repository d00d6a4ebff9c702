import { Type } from 'typebox';
import { ID_PATTERNS } from '@tollgate/events';
import { idSchemas, isoMonth } from '@tollgate/service-runtime';

export const { account: accountId, plan: planId, invoice: invoiceId } = idSchemas(ID_PATTERNS);
export { isoMonth };

export const MAX_PAGE_SIZE = 100;

const line = Type.Object({
  lineNo: Type.Optional(Type.Integer()),
  kind: Type.String({ enum: ['base_fee', 'usage', 'adjustment'] }),
  description: Type.String(),
  planId: Type.String(),
  planVersion: Type.Integer(),
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  quantity: Type.Integer({ description: 'seconds for a base fee, billable cost units otherwise' }),
  includedUnits: Type.Integer(),
  amountMinor: Type.Integer({ description: 'minor units, rounded once per line, half-even' }),
});

export const ratedPeriod = Type.Object({
  accountId: Type.String(),
  period: Type.String(),
  currency: Type.String(),
  lines: Type.Array(line),
  totalMinor: Type.Integer(),
});

export const prorationPreview = Type.Object({
  currency: Type.String(),
  lines: Type.Array(line),
  totalMinor: Type.Integer({ description: 'negative for a credit (a downgrade)' }),
});

export const invoice = Type.Object({
  invoiceId: Type.String(),
  accountId: Type.String(),
  period: Type.String(),
  kind: Type.String({
    enum: ['period', 'proration'],
    description:
      "`period`: the period's invoice; `proration`: a plan change invoiced at once (PRORATION_BEHAVIOR=immediate)",
  }),
  changeEventId: Type.Union([Type.String(), Type.Null()], {
    description: 'the PlanChanged eventId a proration invoice bills',
  }),
  currency: Type.String(),
  status: Type.String({ enum: ['draft', 'finalized', 'paid', 'payment_failed', 'void'] }),
  totalMinor: Type.Integer(),
  finalizedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  paidAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  voidedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  failedAttempts: Type.Integer(),
  /** The Stripe invoice it was synced to; null until the sync has created it. */
  stripeInvoiceId: Type.Union([Type.String(), Type.Null()]),
  lines: Type.Array(line),
});

export const exportQuery = Type.Object(
  {
    period: isoMonth,
    format: Type.Optional(Type.String({ enum: ['csv', 'json'], default: 'csv' })),
  },
  { additionalProperties: false },
);
