import type { Sql } from '@tollgate/postgres';
import type { LineKind } from '../domain/rating';

export type InvoiceStatus = 'draft' | 'finalized' | 'paid' | 'payment_failed' | 'void';

/**
 * `period`: a billing period's invoice (one per account and period). `proration`: a plan change
 * inside a period invoiced at once (`PRORATION_BEHAVIOR=immediate`), one per PlanChanged eventId.
 */
export type InvoiceKind = 'period' | 'proration';

export interface InvoiceLineRecord {
  lineNo: number;
  kind: LineKind;
  description: string;
  planId: string;
  planVersion: number;
  from: number;
  to: number;
  usageFrom: number;
  usageTo: number;
  suspended: boolean;
  quantity: number;
  includedUnits: number;
  amountMinor: number;
  adjusts: { invoiceId: string; lineNo: number } | null;
}

export interface InvoiceRecord {
  invoiceId: string;
  accountId: string;
  period: string;
  kind: InvoiceKind;
  /** The PlanChanged a proration invoice bills; null on a period's invoice. */
  changeEventId: string | null;
  currency: string;
  status: InvoiceStatus;
  totalMinor: number;
  createdAt: number;
  finalizedAt: number | null;
  paidAt: number | null;
  voidedAt: number | null;
  failedAttempts: number;
  /** The Stripe invoice it was synced to; null until the sync has created it. */
  stripeInvoiceId: string | null;
  lines: InvoiceLineRecord[];
}

interface InvoiceRow {
  invoice_id: string;
  account_id: string;
  period: string;
  kind: InvoiceKind;
  change_event_id: string | null;
  currency: string;
  status: InvoiceStatus;
  total_minor: string;
  created_at_ms: string;
  finalized_at_ms: string | null;
  paid_at_ms: string | null;
  voided_at_ms: string | null;
  failed_attempts: number;
  stripe_invoice_id: string | null;
}

interface LineRow {
  invoice_id: string;
  line_no: number;
  kind: LineKind;
  description: string;
  plan_id: string;
  plan_version: number;
  from_ms: string;
  to_ms: string;
  usage_from_ms: string;
  usage_to_ms: string;
  suspended: boolean;
  quantity: string;
  included_units: string;
  amount_minor: string;
  adjusts_invoice_id: string | null;
  adjusts_line_no: number | null;
}

const INVOICE_COLUMNS = `invoice_id, account_id, period, kind, change_event_id, currency, status, total_minor::text,
  created_at_ms::text, finalized_at_ms::text, paid_at_ms::text, voided_at_ms::text, failed_attempts,
  (select s.stripe_invoice_id from stripe_invoices s where s.invoice_id = invoices.invoice_id) as stripe_invoice_id`;
const LINE_COLUMNS = `invoice_id, line_no, kind, description, plan_id, plan_version, from_ms::text, to_ms::text,
  usage_from_ms::text, usage_to_ms::text, suspended, quantity::text, included_units::text, amount_minor::text,
  adjusts_invoice_id, adjusts_line_no`;

const numberOrNull = (v: string | null) => (v === null ? null : Number(v));

function lineOf(r: LineRow): InvoiceLineRecord {
  return {
    lineNo: r.line_no,
    kind: r.kind,
    description: r.description,
    planId: r.plan_id,
    planVersion: r.plan_version,
    from: Number(r.from_ms),
    to: Number(r.to_ms),
    usageFrom: Number(r.usage_from_ms),
    usageTo: Number(r.usage_to_ms),
    suspended: r.suspended,
    quantity: Number(r.quantity),
    includedUnits: Number(r.included_units),
    amountMinor: Number(r.amount_minor),
    adjusts:
      r.adjusts_invoice_id === null
        ? null
        : { invoiceId: r.adjusts_invoice_id, lineNo: r.adjusts_line_no ?? 0 },
  };
}

function invoiceOf(r: InvoiceRow, lines: InvoiceLineRecord[]): InvoiceRecord {
  return {
    invoiceId: r.invoice_id,
    accountId: r.account_id,
    period: r.period,
    kind: r.kind,
    changeEventId: r.change_event_id,
    currency: r.currency,
    status: r.status,
    totalMinor: Number(r.total_minor),
    createdAt: Number(r.created_at_ms),
    finalizedAt: numberOrNull(r.finalized_at_ms),
    paidAt: numberOrNull(r.paid_at_ms),
    voidedAt: numberOrNull(r.voided_at_ms),
    failedAttempts: r.failed_attempts,
    stripeInvoiceId: r.stripe_invoice_id,
    lines,
  };
}

export type NewInvoice = Omit<
  InvoiceRecord,
  'status' | 'finalizedAt' | 'paidAt' | 'voidedAt' | 'failedAttempts' | 'stripeInvoiceId'
>;

/**
 * Writes a draft invoice and its lines; false when it exists already: the account's invoice of
 * the period (kind `period`) or the invoice of the same plan change (kind `proration`).
 */
export async function insertDraftInvoice(tx: Sql, invoice: NewInvoice): Promise<boolean> {
  const inserted = await tx.query(
    `insert into invoices (invoice_id, account_id, period, kind, change_event_id, currency, status, total_minor, created_at_ms)
     values (?, ?, ?, ?, ?, ?, 'draft', ?, ?) on conflict do nothing returning invoice_id`,
    [
      invoice.invoiceId,
      invoice.accountId,
      invoice.period,
      invoice.kind,
      invoice.changeEventId,
      invoice.currency,
      invoice.totalMinor,
      invoice.createdAt,
    ],
  );
  if (inserted.length === 0) return false;
  const lines = invoice.lines;
  if (lines.length > 0) {
    await tx.query(
      `insert into invoice_lines (invoice_id, line_no, kind, description, plan_id, plan_version, from_ms, to_ms,
         usage_from_ms, usage_to_ms, suspended, quantity, included_units, amount_minor, adjusts_invoice_id, adjusts_line_no)
       select ?, * from unnest(?::int[], ?::text[], ?::text[], ?::text[], ?::int[], ?::bigint[], ?::bigint[],
         ?::bigint[], ?::bigint[], ?::boolean[], ?::bigint[], ?::bigint[], ?::bigint[], ?::text[], ?::int[])`,
      [
        invoice.invoiceId,
        lines.map((l) => l.lineNo),
        lines.map((l) => l.kind),
        lines.map((l) => l.description),
        lines.map((l) => l.planId),
        lines.map((l) => l.planVersion),
        lines.map((l) => l.from),
        lines.map((l) => l.to),
        lines.map((l) => l.usageFrom),
        lines.map((l) => l.usageTo),
        lines.map((l) => l.suspended),
        lines.map((l) => l.quantity),
        lines.map((l) => l.includedUnits),
        lines.map((l) => l.amountMinor),
        lines.map((l) => l.adjusts?.invoiceId ?? null),
        lines.map((l) => l.adjusts?.lineNo ?? null),
      ],
    );
  }
  return true;
}

/**
 * Moves an invoice from one of `from` to `to`, setting the given columns; false when it is in
 * another status (the transition was already made, or is not allowed). Row-locked by the update.
 */
export async function transitionInvoice(
  tx: Sql,
  invoiceId: string,
  from: readonly InvoiceStatus[],
  to: InvoiceStatus,
  set: { finalizedAt?: number; paidAt?: number; voidedAt?: number; failedAt?: number } = {},
): Promise<InvoiceRecord | undefined> {
  const [row] = await tx.query<InvoiceRow>(
    `update invoices set status = ?,
       finalized_at_ms = coalesce(?, finalized_at_ms),
       paid_at_ms = coalesce(?, paid_at_ms),
       voided_at_ms = coalesce(?, voided_at_ms),
       last_failed_at_ms = coalesce(?, last_failed_at_ms),
       failed_attempts = failed_attempts + case when ?::bigint is null then 0 else 1 end
     where invoice_id = ? and status = any(?::text[])
     returning ${INVOICE_COLUMNS}`,
    [
      to,
      set.finalizedAt ?? null,
      set.paidAt ?? null,
      set.voidedAt ?? null,
      set.failedAt ?? null,
      set.failedAt ?? null,
      invoiceId,
      from,
    ],
  );
  return row
    ? invoiceOf(row, await linesOf(tx, [row.invoice_id]).then((m) => m.get(row.invoice_id) ?? []))
    : undefined;
}

async function linesOf(
  sql: Sql,
  invoiceIds: readonly string[],
): Promise<Map<string, InvoiceLineRecord[]>> {
  const byInvoice = new Map<string, InvoiceLineRecord[]>();
  if (invoiceIds.length === 0) return byInvoice;
  const rows = await sql.query<LineRow>(
    `select ${LINE_COLUMNS} from invoice_lines where invoice_id = any(?::text[]) order by invoice_id, line_no`,
    [invoiceIds],
  );
  for (const r of rows) {
    const list = byInvoice.get(r.invoice_id) ?? [];
    list.push(lineOf(r));
    byInvoice.set(r.invoice_id, list);
  }
  return byInvoice;
}

async function withLines(sql: Sql, rows: InvoiceRow[]): Promise<InvoiceRecord[]> {
  const lines = await linesOf(
    sql,
    rows.map((r) => r.invoice_id),
  );
  return rows.map((r) => invoiceOf(r, lines.get(r.invoice_id) ?? []));
}

export async function invoiceById(sql: Sql, invoiceId: string): Promise<InvoiceRecord | undefined> {
  const rows = await sql.query<InvoiceRow>(
    `select ${INVOICE_COLUMNS} from invoices where invoice_id = ?`,
    [invoiceId],
  );
  return (await withLines(sql, rows))[0];
}

/** The account's invoice of the period (kind `period`; proration invoices are not it). */
export async function invoiceOfPeriod(
  sql: Sql,
  accountId: string,
  period: string,
): Promise<InvoiceRecord | undefined> {
  const rows = await sql.query<InvoiceRow>(
    `select ${INVOICE_COLUMNS} from invoices where account_id = ? and period = ? and kind = 'period'`,
    [accountId, period],
  );
  return (await withLines(sql, rows))[0];
}

/** The proration invoice of one plan change (its PlanChanged eventId), if it was issued. */
export async function invoiceOfChange(
  sql: Sql,
  accountId: string,
  changeEventId: string,
): Promise<InvoiceRecord | undefined> {
  const rows = await sql.query<InvoiceRow>(
    `select ${INVOICE_COLUMNS} from invoices
     where account_id = ? and change_event_id = ? and kind = 'proration'`,
    [accountId, changeEventId],
  );
  return (await withLines(sql, rows))[0];
}

/**
 * The account's finalized (or later) period invoices before `period`, oldest first: the ones
 * usage that arrived late may still have to be adjusted for.
 */
export async function collectedPeriodInvoicesBefore(
  sql: Sql,
  accountId: string,
  period: string,
): Promise<InvoiceRecord[]> {
  const rows = await sql.query<InvoiceRow>(
    `select ${INVOICE_COLUMNS} from invoices
     where account_id = ? and period < ? and kind = 'period' and status not in ('draft', 'void')
     order by period`,
    [accountId, period],
  );
  return withLines(sql, rows);
}

/**
 * An account's invoices, newest period first (in a period: the newest invoice first), of at most
 * `limit` periods before the cursor (a period): a page never splits a period's invoices.
 */
export async function invoicesOf(
  sql: Sql,
  accountId: string,
  page: { limit: number; beforePeriod?: string | undefined },
): Promise<{ invoices: InvoiceRecord[]; periods: string[] }> {
  const periods = (
    await sql.query<{ period: string }>(
      `select distinct period from invoices
       where account_id = ? and (?::text is null or period < ?) order by period desc limit ?`,
      [accountId, page.beforePeriod ?? null, page.beforePeriod ?? null, page.limit],
    )
  ).map((r) => r.period);
  const rows = await sql.query<InvoiceRow>(
    `select ${INVOICE_COLUMNS} from invoices
     where account_id = ? and period = any(?::text[])
     order by period desc, created_at_ms desc, invoice_id desc`,
    [accountId, periods],
  );
  return { invoices: await withLines(sql, rows), periods };
}

/**
 * Units already billed for each usage line of an invoice by later adjustment lines (late
 * arrivals), so a late unit is billed once even if the check runs again.
 */
export async function adjustedUnits(sql: Sql, invoiceId: string): Promise<Map<number, number>> {
  const rows = await sql.query<{ adjusts_line_no: number; units: string }>(
    `select adjusts_line_no, sum(quantity)::text as units from invoice_lines
     where adjusts_invoice_id = ? group by adjusts_line_no`,
    [invoiceId],
  );
  return new Map(rows.map((r) => [r.adjusts_line_no, Number(r.units)]));
}

/** Where a page of a period's invoices ends: they are read in (account, invoice) order. */
export interface InvoiceCursor {
  accountId: string;
  invoiceId: string;
}
export const FIRST_INVOICE: InvoiceCursor = { accountId: '', invoiceId: '' };

/** One page of a period's invoices for exports, in (account, invoice) order after `after`. */
export async function invoicesOfPeriodPage(
  sql: Sql,
  period: string,
  after: InvoiceCursor,
  limit: number,
): Promise<InvoiceRecord[]> {
  const rows = await sql.query<InvoiceRow>(
    `select ${INVOICE_COLUMNS} from invoices where period = ? and (account_id, invoice_id) > (?, ?)
     order by account_id, invoice_id limit ?`,
    [period, after.accountId, after.invoiceId, limit],
  );
  return withLines(sql, rows);
}
