import { stringify } from 'csv-stringify/sync';

/** billing-service's invoice, as admin-api forwards it. */
export interface InvoiceView {
  invoiceId: string;
  accountId: string;
  period: string;
  currency: string;
  status: string;
  totalMinor: number;
  lines: Array<{
    lineNo?: number;
    kind: string;
    description: string;
    planId: string;
    planVersion: number;
    from: string;
    to: string;
    quantity: number;
    amountMinor: number;
  }>;
}

const INVOICE_CSV_COLUMNS = [
  'invoice_id',
  'period',
  'status',
  'currency',
  'line_no',
  'kind',
  'description',
  'plan_id',
  'plan_version',
  'segment_from',
  'segment_to',
  'quantity',
  'amount_minor',
];

/**
 * An invoice's lines as CSV (RFC 4180, CRLF), the total as a last row of kind `total`. A cell that
 * a spreadsheet would read as a formula (=, +, -, @ first) is prefixed with `'`.
 */
export function invoiceCsv(invoice: InvoiceView): string {
  const cell = (value: string | number) =>
    typeof value === 'string' && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  const head = [invoice.invoiceId, invoice.period, invoice.status, invoice.currency];
  const rows = invoice.lines.map((l, i) =>
    [
      ...head,
      l.lineNo ?? i + 1,
      l.kind,
      l.description,
      l.planId,
      l.planVersion,
      l.from,
      l.to,
      l.quantity,
      l.amountMinor,
    ].map(cell),
  );
  rows.push([...head, '', 'total', 'Total', '', '', '', '', '', invoice.totalMinor].map(cell));
  return stringify(rows, {
    header: true,
    columns: INVOICE_CSV_COLUMNS,
    record_delimiter: 'windows',
  });
}
