import { describe, expect, it } from 'vitest';
import { invoiceCsv, type InvoiceView } from './invoice-csv';

const invoice: InvoiceView = {
  invoiceId: 'inv_01JDQ3W8Y6T4K2M9N7P5R3S1C1',
  accountId: 'acct_01JDQ3W8Y6T4K2M9N7P5R3S1C1',
  period: '2030-07',
  currency: 'EUR',
  status: 'finalized',
  totalMinor: 5150,
  lines: [
    {
      lineNo: 1,
      kind: 'base_fee',
      description: 'Pro, base fee (1-15 Jul)',
      planId: 'plan_pro',
      planVersion: 1,
      from: '2030-07-01T00:00:00.000Z',
      to: '2030-07-16T00:00:00.000Z',
      quantity: 1,
      amountMinor: 5000,
    },
    {
      lineNo: 2,
      kind: 'usage',
      description: '=HYPERLINK("x"), "quoted"',
      planId: 'plan_pro',
      planVersion: 1,
      from: '2030-07-01T00:00:00.000Z',
      to: '2030-07-16T00:00:00.000Z',
      quantity: 1500,
      amountMinor: 150,
    },
  ],
};

describe('an invoice as CSV', () => {
  it('has a header, a row per line with its plan segment, and the total last (CRLF)', () => {
    const rows = invoiceCsv(invoice).split('\r\n');
    expect(rows[0]).toBe(
      'invoice_id,period,status,currency,line_no,kind,description,plan_id,plan_version,segment_from,segment_to,quantity,amount_minor',
    );
    expect(rows[1]).toBe(
      'inv_01JDQ3W8Y6T4K2M9N7P5R3S1C1,2030-07,finalized,EUR,1,base_fee,"Pro, base fee (1-15 Jul)",plan_pro,1,2030-07-01T00:00:00.000Z,2030-07-16T00:00:00.000Z,1,5000',
    );
    expect(rows[3]).toBe(
      'inv_01JDQ3W8Y6T4K2M9N7P5R3S1C1,2030-07,finalized,EUR,,total,Total,,,,,,5150',
    );
    expect(rows[4]).toBe('');
    expect(rows).toHaveLength(5);
  });

  it('quotes commas and quotes, and defuses a cell a spreadsheet would run as a formula', () => {
    const usage = invoiceCsv(invoice).split('\r\n')[2]!;
    expect(usage).toContain(`"'=HYPERLINK(""x""), ""quoted"""`);
  });
});
