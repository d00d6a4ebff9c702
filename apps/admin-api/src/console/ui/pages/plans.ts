import { api } from '../api';
import { loadInto, pageHeading, type PageContext } from '../context';
import { empty, h, table } from '../dom';
import type { PlanDetail, PlanSummary } from '../types';

const money = (minor: number, currency: string) =>
  new Intl.NumberFormat('en', { style: 'currency', currency }).format(minor / 100);

const windowText = (ms: number) =>
  ms % 3_600_000 === 0
    ? `${ms / 3_600_000} h`
    : ms % 60_000 === 0
      ? `${ms / 60_000} min`
      : `${ms / 1000} s`;

/** The plan catalog: every plan with its versions side by side. Plans change on the account page. */
export function plansPage(ctx: PageContext): void {
  const body = h('div', {});
  ctx.main.append(
    pageHeading('Plans'),
    h(
      'p',
      { class: 'hint' },
      'To move an account to a plan (now or at a date), open the account from the Accounts page.',
    ),
    body,
  );
  void loadInto(
    body,
    'the plan catalog',
    async () => {
      const { items } = await api<{ items: PlanSummary[] }>('GET', '/v1/plans');
      return Promise.all(
        items.map((p) => api<PlanDetail>('GET', `/v1/plans/${encodeURIComponent(p.planId)}`)),
      );
    },
    (plans) =>
      plans.length === 0
        ? empty('No plans yet.')
        : plans.map((plan) =>
            h(
              'section',
              { class: 'plan' },
              h(
                'h2',
                {},
                `${plan.versions.at(-1)?.definition.name ?? plan.planId} `,
                h('code', {}, plan.planId),
              ),
              table(
                `Versions of ${plan.planId}`,
                [
                  'Version',
                  'Monthly quota',
                  'Rate limits',
                  'Base fee',
                  'Included units',
                  'Published',
                ],
                plan.versions.map((v) => [
                  `v${v.version}`,
                  v.definition.monthlyQuota?.toLocaleString('en') ?? 'unlimited',
                  v.definition.rateLimits
                    .map((r) => `${r.limit} / ${windowText(r.windowMs)}`)
                    .join(', ') || 'none',
                  money(v.definition.price.baseFeeMinor, v.definition.price.currency),
                  v.definition.price.includedUnits.toLocaleString('en'),
                  new Date(v.createdAt).toISOString().slice(0, 10),
                ]),
              ),
            ),
          ),
  );
}
