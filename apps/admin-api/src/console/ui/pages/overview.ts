import { api, type Page } from '../api';
import { loadInto, pageHeading, type PageContext } from '../context';
import { empty, field, h, dropdown } from '../dom';
import type { Account } from '../types';
import { usagePanel } from '../usage-chart';

/**
 * Requests over time by outcome for one account at a time (the first page of accounts to pick
 * from), with its busiest keys and routes in the same range.
 */
export function overviewPage(ctx: PageContext, accountParam?: string): void {
  const body = h('div', {});
  ctx.main.append(pageHeading('Overview'), body);
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
