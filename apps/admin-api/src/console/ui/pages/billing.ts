import { api, ApiError, messageOf } from '../api';
import { loadInto, pageHeading, type PageContext } from '../context';
import { empty, errorBox, field, h, table, when } from '../dom';
import type { InvoiceDetail } from '../types';

/** An amount in minor units as money: 4900 EUR → "49.00 EUR" (currencies with cents). */
export const money = (minor: number, currency: string) => `${(minor / 100).toFixed(2)} ${currency}`;

interface RatedLine {
  kind: string;
  description: string;
  quantity: number;
  amountMinor: number;
}

export interface RatedPeriod {
  period: string;
  currency: string;
  lines: RatedLine[];
  totalMinor: number;
}

interface Invoice extends RatedPeriod {
  invoiceId: string;
  status: string;
  finalizedAt: string | null;
}

const linesTable = (caption: string, rated: RatedPeriod) =>
  table(
    caption,
    ['Line', 'Quantity', 'Amount'],
    rated.lines.map((l) => [
      l.description,
      String(l.quantity),
      money(l.amountMinor, rated.currency),
    ]),
  );

/** The account page's billing: the period so far, and the invoices (newest first). */
export function invoicesSection(ctx: PageContext, accountId: string): HTMLElement | null {
  if (!ctx.can('GET /v1/accounts/:accountId/invoices')) return null;
  const id = encodeURIComponent(accountId);
  const upcoming = h('div', {});
  const invoices = h('div', {});
  if (ctx.can('GET /v1/accounts/:accountId/upcoming-invoice'))
    void loadInto(
      upcoming,
      'the current period',
      // 404: billing has not seen the account's plan yet (nothing to rate), not an error.
      () =>
        api<RatedPeriod>('GET', `/v1/accounts/${id}/upcoming-invoice`).catch((err: unknown) => {
          if (err instanceof ApiError && err.status === 404) return null;
          throw err;
        }),
      (rated) =>
        rated === null
          ? empty('Billing has not rated this account yet.')
          : [
              h(
                'p',
                {},
                `This period (${rated.period}) so far: `,
                h('strong', {}, money(rated.totalMinor, rated.currency)),
              ),
              linesTable(`Period ${rated.period} so far`, rated),
            ],
    ).catch(() => undefined);
  void loadInto(
    invoices,
    'invoices',
    () => api<{ items: Invoice[] }>('GET', `/v1/accounts/${id}/invoices`),
    ({ items }) =>
      items.length === 0
        ? empty('No invoices yet: the first one is made when the current period closes.')
        : table(
            'Invoices',
            ['Period', 'Invoice', 'Status', 'Total', 'Finalized'],
            items.map((i) => [
              i.period,
              h(
                'a',
                {
                  href: `#/invoice/${accountId}/${i.invoiceId}`,
                  'aria-label': `Invoice ${i.invoiceId} (${i.period})`,
                },
                h('code', {}, i.invoiceId),
              ),
              h('span', { class: `status status-${i.status}` }, i.status),
              money(i.totalMinor, i.currency),
              when(i.finalizedAt),
            ]),
          ),
  );
  return h('section', { 'aria-label': 'Billing' }, h('h2', {}, 'Billing'), upcoming, invoices);
}

type InvoiceLine = InvoiceDetail['lines'][number];

/**
 * What a line counts: a base fee is prorated by the seconds of its plan segment (shown in days);
 * usage counts cost units, of which the plan's included ones are free.
 */
function lineQuantity(l: InvoiceLine): string {
  if (l.kind === 'base_fee') return `${(l.quantity / 86_400).toFixed(1)} days`;
  const included = l.kind === 'usage' && l.includedUnits ? l.includedUnits : 0;
  return included > 0
    ? `${l.quantity.toLocaleString('en')} (${included.toLocaleString('en')} included)`
    : l.quantity.toLocaleString('en');
}

/**
 * The price of one billed unit: the amount over the units beyond the included ones, to the cent
 * when exact, else to 1/10,000 (tiers average); none for a base fee (a monthly price, prorated).
 */
function unitPrice(l: InvoiceLine, currency: string): string {
  if (l.kind === 'base_fee') return '—';
  const billed = l.quantity - (l.kind === 'usage' ? (l.includedUnits ?? 0) : 0);
  if (billed <= 0) return '—';
  const perUnit = l.amountMinor / billed;
  return Number.isInteger(perUnit)
    ? money(perUnit, currency)
    : `${(perUnit / 100).toFixed(4)} ${currency}`;
}

const segment = (from: string, to: string) =>
  `${from.slice(0, 10)} – ${new Date(Date.parse(to) - 1).toISOString().slice(0, 10)}`;

/** One invoice: status, totals, its lines (each a plan segment of the period), CSV download. */
export function invoicePage(ctx: PageContext, accountId?: string, invoiceId?: string): void {
  if (!accountId || !invoiceId)
    return void ctx.main.append(pageHeading('Invoice'), empty('No invoice chosen.'));
  const path = `/v1/accounts/${encodeURIComponent(accountId)}/invoices/${encodeURIComponent(invoiceId)}`;
  const body = h('div', {});
  ctx.main.append(
    h(
      'p',
      { class: 'breadcrumb' },
      h('a', { href: `#/account/${accountId}` }, 'Back to the account'),
    ),
    pageHeading('Invoice', h('code', {}, invoiceId)),
    body,
  );
  void loadInto(
    body,
    'the invoice',
    () => api<InvoiceDetail>('GET', path),
    (invoice) => [
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Account'),
        h(
          'dd',
          {},
          h('a', { href: `#/account/${invoice.accountId}` }, h('code', {}, invoice.accountId)),
        ),
        h('dt', {}, 'Period'),
        h('dd', {}, `${invoice.period} (UTC month)`),
        h('dt', {}, 'Status'),
        h('dd', {}, h('span', { class: `status status-${invoice.status}` }, invoice.status)),
        h('dt', {}, 'Total'),
        h(
          'dd',
          {},
          h('strong', { class: 'invoice-total' }, money(invoice.totalMinor, invoice.currency)),
        ),
        h('dt', {}, 'Finalized'),
        h('dd', {}, when(invoice.finalizedAt)),
        h('dt', {}, 'Paid'),
        h('dd', {}, when(invoice.paidAt)),
        invoice.voidedAt ? h('dt', {}, 'Voided') : null,
        invoice.voidedAt ? h('dd', {}, when(invoice.voidedAt)) : null,
        h('dt', {}, 'Failed payment attempts'),
        h('dd', {}, String(invoice.failedAttempts)),
        h('dt', {}, 'Stripe invoice'),
        h('dd', {}, invoice.stripeInvoiceId ? h('code', {}, invoice.stripeInvoiceId) : 'none'),
      ),
      h(
        'p',
        {},
        h(
          'a',
          { href: `${path}/csv`, download: `${invoice.invoiceId}.csv` },
          'Download this invoice (CSV)',
        ),
      ),
      invoice.lines.length === 0
        ? empty('This invoice has no lines.')
        : table(
            `Lines of invoice ${invoice.invoiceId}`,
            ['Description', 'Plan segment', 'Quantity', 'Unit price', 'Amount'],
            [
              ...invoice.lines.map((l) => [
                l.description,
                `${segment(l.from, l.to)} · ${l.planId} v${l.planVersion}`,
                h('span', { class: 'num' }, lineQuantity(l)),
                h('span', { class: 'num' }, unitPrice(l, invoice.currency)),
                h('span', { class: 'num' }, money(l.amountMinor, invoice.currency)),
              ]),
              [
                h('strong', {}, 'Total'),
                '',
                '',
                '',
                h('strong', { class: 'num' }, money(invoice.totalMinor, invoice.currency)),
              ],
            ],
          ),
    ],
  );
}

/**
 * What a plan change would cost this period, shown in the change dialog before it is confirmed
 * (billing rates it; nothing changes until the dialog is submitted).
 */
export function previewPanel(accountId: string): {
  element: HTMLElement;
  show(planId: string, planVersion: number | undefined, effectiveAt: number | undefined): void;
} {
  const element = h('div', { class: 'preview', 'aria-live': 'polite' });
  let asked = 0;
  return {
    element,
    show(planId, planVersion, effectiveAt) {
      const mine = ++asked;
      if (!planId || planVersion === undefined) return void element.replaceChildren();
      element.replaceChildren(h('p', { class: 'loading', role: 'status' }, 'Rating the change…'));
      api<{
        current: RatedPeriod;
        withChange: RatedPeriod;
        /** Under PRORATION_BEHAVIOR=immediate: what the change is invoiced at once; else null. */
        prorationInvoice: { currency: string; totalMinor: number } | null;
        differenceMinor: number;
      }>('POST', `/v1/accounts/${encodeURIComponent(accountId)}/plan-change-preview`, {
        planId,
        planVersion,
        ...(effectiveAt !== undefined ? { effectiveAt } : {}),
      }).then(
        (preview) => {
          if (mine !== asked) return;
          const currency = preview.current.currency;
          const signed = (minor: number) =>
            `${minor >= 0 ? '+' : '−'}${money(Math.abs(minor), currency)}`;
          const proration = preview.prorationInvoice;
          // With a proration invoice the period's invoice leaves the plan difference to it, so
          // the difference in all is told on its own line.
          element.replaceChildren(
            h(
              'p',
              {},
              'This period: ',
              money(preview.current.totalMinor, currency),
              ' now, ',
              h('strong', {}, money(preview.withChange.totalMinor, currency)),
              proration
                ? ' with the change.'
                : ` with the change (${signed(preview.differenceMinor)}).`,
            ),
            ...(proration
              ? [
                  h(
                    'p',
                    {},
                    proration.totalMinor >= 0
                      ? 'Invoiced at once for the change: '
                      : 'Credited at once for the change: ',
                    h('strong', {}, money(Math.abs(proration.totalMinor), currency)),
                    ` (a proration invoice); ${signed(preview.differenceMinor)} this period in all.`,
                  ),
                ]
              : []),
          );
        },
        (err: unknown) => {
          if (mine !== asked) return;
          element.replaceChildren(h('p', { class: 'hint' }, `No preview: ${messageOf(err)}`));
        },
      );
    },
  };
}

/** Finance: the period's exports to download, and the reconciliation report. */
export function exportsPage(ctx: PageContext): void {
  const lastMonth = new Date();
  lastMonth.setUTCDate(1);
  lastMonth.setUTCMonth(lastMonth.getUTCMonth() - 1);
  const period = h('input', {
    type: 'month',
    name: 'period',
    required: true,
    value: lastMonth.toISOString().slice(0, 7),
  });
  const links = h('ul', { class: 'downloads' });
  const report = h('div', {});
  const show = () => {
    const p = period.value;
    if (!/^\d{4}-\d{2}$/.test(p)) return void links.replaceChildren(errorBox('Choose a month.'));
    links.replaceChildren(
      ...(
        [
          ['invoices', 'Invoices'],
          ['usage', 'Usage per account and plan segment'],
          ['revenue', 'Revenue per plan'],
        ] as const
      ).map(([what, label]) =>
        h(
          'li',
          {},
          h(
            'a',
            { href: `/v1/exports/${what}?period=${p}&format=csv`, download: `${what}-${p}.csv` },
            `${label} (CSV)`,
          ),
          ' · ',
          h('a', { href: `/v1/exports/${what}?period=${p}&format=json` }, 'JSON'),
        ),
      ),
    );
    if (ctx.can('GET /v1/reports/reconciliation'))
      void loadInto(
        report,
        'the reconciliation report',
        () =>
          api<Array<{ account_id: string; invoice_id: string; mismatch: string }>>(
            'GET',
            `/v1/reports/reconciliation?period=${p}&format=json`,
          ),
        (rows) => {
          const mismatches = rows.filter((r) => r.mismatch !== '');
          if (rows.length === 0) return empty(`No invoices for ${p}.`);
          return mismatches.length === 0
            ? h(
                'p',
                {},
                `${p}: ingested, invoiced and collected figures agree on ${rows.length} invoices.`,
              )
            : table(
                `Reconciliation ${p}: mismatches`,
                ['Account', 'Invoice', 'Mismatch'],
                mismatches.map((m) => [
                  h('code', {}, m.account_id),
                  h('code', {}, m.invoice_id),
                  m.mismatch,
                ]),
              );
        },
      );
  };
  period.addEventListener('change', show);
  ctx.main.append(
    pageHeading('Finance exports'),
    field('Billing period (UTC month)', period),
    links,
    h('h2', {}, 'Reconciliation'),
    report,
  );
  show();
}
