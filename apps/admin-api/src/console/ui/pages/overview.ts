import { api, type Page } from '../api';
import { loadInto, pageHeading, type PageContext } from '../context';
import { empty, field, h, dropdown, table } from '../dom';
import type { Account, ClosestToQuota } from '../types';
import { usagePanel } from '../usage-chart';

/**
 * Requests over time by outcome for one account at a time (the first page of accounts to pick
 * from), with its busiest keys and routes in the same range.
 */
export function overviewPage(ctx: PageContext, accountParam?: string): void {
  const body = h('div', {});
  ctx.main.append(pageHeading('Overview'), body);
  if (ctx.can('GET /v1/usage/closest-to-quota')) ctx.main.append(closestToQuota());
  void loadInto(
    body,
    'accounts',
    () => api<Page<Account>>('GET', '/v1/accounts?limit=100'),
    ({ items }) => {
      if (items.length === 0)
        return empty(
          ctx.can('POST /v1/accounts')
            ? 'No accounts yet. Create one on the Accounts page; its traffic shows here.'
            : 'No accounts to show.',
        );
      const chosen = items.find((a) => a.accountId === accountParam) ?? items[0]!;
      const picker = dropdown(
        'account',
        items.map((a) => [a.accountId, `${a.name} (${a.accountId})`]),
        chosen.accountId,
      );
      const withTopLists = ctx.can('GET /v1/accounts/:accountId/usage/top');
      const chart = h('div', {}, usagePanel(chosen.accountId, { withTopLists }));
      picker.addEventListener('change', () =>
        chart.replaceChildren(usagePanel(picker.value, { withTopLists })),
      );
      return [h('div', { class: 'controls' }, field('Account', picker)), chart];
    },
  );
}

const percent = (ratio: number) =>
  ratio > 0 && ratio < 0.001 ? '< 0.1 %' : `${(ratio * 100).toFixed(ratio < 0.1 ? 1 : 0)} %`;

/**
 * The accounts closest to their monthly quota this month (UTC), by share of the quota: admin-api
 * ranks the month's busiest accounts (see docs/admin-api.md for why it is bounded that way).
 */
function closestToQuota(): HTMLElement {
  const body = h('div', {});
  void loadInto(
    body,
    'the accounts closest to their quota',
    () => api<ClosestToQuota>('GET', '/v1/usage/closest-to-quota?limit=10'),
    ({ period, items, complete, candidates }) => {
      if (items.length === 0)
        return empty(`No account on a plan with a monthly quota has used any of it in ${period}.`);
      return [
        table(
          `Closest to their monthly quota, ${period} (UTC)`,
          ['Account', 'Plan', 'Used (cost units)', 'Monthly quota', 'Share of the quota'],
          items.map((a) => {
            const id = `quota-${a.accountId}`;
            return [
              h('a', { href: `#/account/${a.accountId}` }, a.name),
              `${a.planId} v${a.planVersion}${a.limitScope === 'key' ? ' (per key)' : ''}`,
              h('span', { class: 'num' }, a.billableUnits.toLocaleString('en')),
              h('span', { class: 'num' }, a.monthlyQuota.toLocaleString('en')),
              h(
                'span',
                { class: 'share' },
                h('meter', {
                  id,
                  min: 0,
                  max: 1,
                  value: Math.min(a.usedRatio, 1),
                  low: 0.6,
                  high: 0.9,
                  optimum: 0,
                  'aria-label': `${a.name}: share of the monthly quota used`,
                  'data-ratio': a.usedRatio,
                }),
                ' ',
                percent(a.usedRatio),
              ),
            ];
          }),
        ),
        complete
          ? null
          : h(
              'p',
              { class: 'hint' },
              `Ranked among the ${candidates} accounts with the most usage this month; an account with less usage on a smaller quota may be missing.`,
            ),
      ];
    },
  );
  return h(
    'section',
    { 'aria-labelledby': 'closest-to-quota' },
    h('h2', { id: 'closest-to-quota' }, 'Closest to their monthly quota'),
    body,
  );
}
