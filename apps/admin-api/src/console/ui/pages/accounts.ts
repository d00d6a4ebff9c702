import { api, ApiError, type Page } from '../api';
import { loadInto, pageHeading, type PageContext } from '../context';
import { formDialog, showSecretOnce, valueOf } from '../dialogs';
import { empty, epochFromInput, field, h, dropdown, table, uid, when } from '../dom';
import type { Account, ApiKey, PlanDetail, PlanSummary } from '../types';
import { usagePanel } from '../usage-chart';
import { invoicesSection, previewPanel } from './billing';

const accountLink = (a: Account) => h('a', { href: `#/account/${a.accountId}` }, a.name);

/** How long typing pauses before the search runs. */
const SEARCH_DEBOUNCE_MS = 300;

/** Accounts, a page at a time (cursor paging), searched by name prefix or id, and creating one. */
export function accountsPage(ctx: PageContext): void {
  const body = h('div', {});
  let cursors: Array<string | null> = [null];
  let query = '';
  const create = ctx.can('POST /v1/accounts')
    ? h(
        'button',
        {
          type: 'button',
          class: 'primary',
          onclick: () =>
            formDialog({
              title: 'Create an account',
              fields: [
                field('Account name', h('input', { name: 'name', required: true, maxlength: 200 })),
              ],
              submitLabel: 'Create account',
              action: async (form) => {
                const account = await api<Account>('POST', '/v1/accounts', {
                  name: valueOf(form, 'name'),
                });
                location.hash = `#/account/${account.accountId}`;
              },
            }),
        },
        'Create account',
      )
    : null;
  const wanted = h('input', {
    name: 'accountId',
    placeholder: 'acct_…',
    required: true,
    pattern: 'acct_[0-9A-Za-z]+',
  });
  const open = h(
    'form',
    { class: 'controls', 'aria-label': 'Open an account by id' },
    field('Account id', wanted),
    h('button', { type: 'submit' }, 'Open'),
  );
  open.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = `#/account/${wanted.value.trim()}`;
  });
  const search = h('input', {
    type: 'search',
    name: 'q',
    maxlength: 100,
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const searchForm = h(
    'form',
    { class: 'controls', role: 'search', 'aria-label': 'Search accounts' },
    field('Search accounts', search, 'The start of a name (any case) or an exact account id.'),
  );
  let pending: ReturnType<typeof setTimeout> | undefined;
  const runSearch = () => {
    clearTimeout(pending);
    const wantedQuery = search.value.trim();
    if (wantedQuery === query) return;
    query = wantedQuery;
    cursors = [null];
    show(0);
  };
  search.addEventListener('input', () => {
    clearTimeout(pending);
    pending = setTimeout(runSearch, SEARCH_DEBOUNCE_MS);
  });
  searchForm.addEventListener('submit', (event) => {
    event.preventDefault();
    runSearch();
  });
  ctx.main.append(pageHeading('Accounts', create), searchForm, open, body);

  const show = (page: number) => {
    const cursor = cursors[page];
    const q = query;
    // Each load draws into its own element: an answer to an older search lands off the page.
    const target = h('div', {});
    body.replaceChildren(target);
    void loadInto(
      target,
      'accounts',
      () =>
        api<Page<Account>>(
          'GET',
          `/v1/accounts?limit=25${q ? `&q=${encodeURIComponent(q)}` : ''}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        ),
      ({ items, nextCursor }) => {
        cursors[page + 1] = nextCursor;
        if (items.length === 0 && page === 0)
          return empty(q ? `No account matches “${q}”.` : 'No accounts yet.');
        return [
          table(
            q ? `Accounts matching “${q}”, page ${page + 1}` : `Accounts, page ${page + 1}`,
            ['Name', 'Account id', 'Status', 'Plan', 'Created'],
            items.map((a) => [
              accountLink(a),
              h('code', {}, a.accountId),
              h('span', { class: `status status-${a.status}` }, a.status),
              `${a.plan.planId} v${a.plan.planVersion}`,
              when(a.createdAt),
            ]),
          ),
          h(
            'div',
            { class: 'pager' },
            h(
              'button',
              { type: 'button', disabled: page === 0, onclick: () => show(page - 1) },
              'Previous page',
            ),
            h(
              'button',
              { type: 'button', disabled: !nextCursor, onclick: () => show(page + 1) },
              'Next page',
            ),
          ),
        ];
      },
    );
  };
  show(0);
}

/** One account: plan (current and scheduled), status, usage and keys, with what the role may change. */
export function accountPage(ctx: PageContext, accountId?: string): void {
  if (!accountId) return void ctx.main.append(pageHeading('Account'), empty('No account chosen.'));
  const id = encodeURIComponent(accountId);
  const summary = h('div', {});
  const keys = h('div', {});
  ctx.main.append(pageHeading('Account', h('code', {}, accountId)), summary);
  if (ctx.can('GET /v1/accounts/:accountId/usage/series'))
    ctx.main.append(h('h2', {}, 'Usage'), usagePanel(accountId));
  if (ctx.can('GET /v1/accounts/:accountId/keys')) ctx.main.append(keys);
  const reload = () => ctx.refresh();

  void loadInto(
    summary,
    'the account',
    () => api<Account>('GET', `/v1/accounts/${id}`),
    (account) => {
      const actions = h('div', { class: 'actions' });
      if (account.status === 'active' && ctx.can('POST /v1/accounts/:accountId/suspend'))
        actions.append(
          h(
            'button',
            {
              type: 'button',
              class: 'danger',
              onclick: () =>
                formDialog({
                  title: `Suspend ${account.name}`,
                  fields: [
                    h(
                      'p',
                      {},
                      'While suspended, every key of the account is refused at the edge (403 account_suspended).',
                    ),
                    field('Reason', h('input', { name: 'reason', required: true, maxlength: 200 })),
                  ],
                  submitLabel: 'Suspend account',
                  danger: true,
                  action: async (form) => {
                    await api('POST', `/v1/accounts/${id}/suspend`, {
                      reason: valueOf(form, 'reason'),
                    });
                    reload();
                  },
                }),
            },
            'Suspend…',
          ),
        );
      if (account.status === 'suspended' && ctx.can('POST /v1/accounts/:accountId/reactivate'))
        actions.append(
          h(
            'button',
            {
              type: 'button',
              onclick: () =>
                formDialog({
                  title: `Reactivate ${account.name}`,
                  fields: [
                    h('p', {}, 'Its keys work at the edge again (unless revoked or expired).'),
                  ],
                  submitLabel: 'Reactivate account',
                  action: async () => {
                    await api('POST', `/v1/accounts/${id}/reactivate`);
                    reload();
                  },
                }),
            },
            'Reactivate…',
          ),
        );
      if (ctx.can('PUT /v1/accounts/:accountId/plan'))
        actions.append(
          h(
            'button',
            {
              type: 'button',
              onclick: () =>
                changePlan(
                  account,
                  reload,
                  ctx.can('POST /v1/accounts/:accountId/plan-change-preview'),
                ),
            },
            'Change plan…',
          ),
        );
      const scheduled = account.scheduledPlanChange;
      return [
        h('h2', {}, account.name),
        h(
          'dl',
          { class: 'facts' },
          h('dt', {}, 'Status'),
          h(
            'dd',
            {},
            h('span', { class: `status status-${account.status}` }, account.status),
            account.suspensionReason ? ` — ${account.suspensionReason}` : '',
          ),
          h('dt', {}, 'Plan'),
          h('dd', {}, `${account.plan.planId} v${account.plan.planVersion}`),
          h('dt', {}, 'Scheduled plan change'),
          h(
            'dd',
            {},
            scheduled
              ? `to ${scheduled.planId} v${scheduled.planVersion} at ${when(scheduled.effectiveAt)}`
              : 'none',
            scheduled && ctx.can('DELETE /v1/accounts/:accountId/scheduled-plan-change')
              ? h(
                  'button',
                  {
                    type: 'button',
                    class: 'inline',
                    onclick: () =>
                      formDialog({
                        title: 'Cancel the scheduled plan change',
                        fields: [h('p', {}, `The account stays on ${account.plan.planId}.`)],
                        submitLabel: 'Cancel the change',
                        danger: true,
                        action: async () => {
                          await api('DELETE', `/v1/accounts/${id}/scheduled-plan-change`);
                          reload();
                        },
                      }),
                  },
                  'Cancel scheduled change…',
                )
              : null,
          ),
          h('dt', {}, 'Created'),
          h('dd', {}, when(account.createdAt)),
        ),
        quotaGauge(ctx, account),
        actions,
      ];
    },
  );
  if (ctx.can('GET /v1/accounts/:accountId/keys')) keysSection(ctx, accountId, keys);
  const billing = invoicesSection(ctx, accountId);
  if (billing) ctx.main.append(billing);
}

/**
 * This month's use against the plan's monthly quota (cost units per UTC month): live keys' allowed
 * cost units from usage-ingestor's period totals, next to the quota of the account's plan version.
 */
function quotaGauge(ctx: PageContext, account: Account): HTMLElement | null {
  if (!ctx.can('GET /v1/plans/:planId') || !ctx.can('GET /v1/accounts/:accountId/usage/totals'))
    return null;
  const box = h('div', { class: 'quota' });
  const period = new Date().toISOString().slice(0, 7);
  void loadInto(
    box,
    'the quota',
    async () => {
      const plan = await api<PlanDetail>(
        'GET',
        `/v1/plans/${encodeURIComponent(account.plan.planId)}`,
      );
      const version =
        plan.versions.find((v) => v.version === account.plan.planVersion) ?? plan.versions.at(-1);
      let used = 0;
      try {
        used = (
          await api<{ billableUnits: number }>(
            'GET',
            `/v1/accounts/${encodeURIComponent(account.accountId)}/usage/totals?period=${period}`,
          )
        ).billableUnits;
      } catch (err) {
        // 404: no usage was ever recorded for the account, so nothing is used.
        if (!(err instanceof ApiError && err.status === 404)) throw err;
      }
      return {
        quota: version?.definition.monthlyQuota ?? null,
        perKey: version?.definition.limitScope === 'key',
        used,
      };
    },
    ({ quota, perKey, used }) => {
      if (quota === null)
        return h(
          'p',
          {},
          `Monthly quota: unlimited (${used.toLocaleString('en')} cost units used in ${period}).`,
        );
      const id = uid('quota');
      return h(
        'div',
        { class: 'field' },
        h(
          'label',
          { for: id },
          `Monthly quota${perKey ? ' (each key has its own; the account total is shown)' : ''}: ${used.toLocaleString('en')} of ${quota.toLocaleString('en')} cost units used in ${period} (UTC, live keys)`,
        ),
        h('meter', {
          id,
          min: 0,
          max: quota,
          value: Math.min(used, quota),
          low: quota * 0.6,
          high: quota * 0.9,
          optimum: 0,
        }),
      );
    },
  );
  return box;
}

function changePlan(account: Account, done: () => void, canPreview: boolean): void {
  const plan = h(
    'select',
    { name: 'planId', required: true },
    h('option', { value: '' }, 'Loading plans…'),
  );
  const at = h('input', { type: 'datetime-local', name: 'effectiveAt' });
  const preview = canPreview ? previewPanel(account.accountId) : null;
  let versions = new Map<string, number>();
  const rate = () => preview?.show(plan.value, versions.get(plan.value), epochFromInput(at.value));
  void api<{ items: PlanSummary[] }>('GET', '/v1/plans').then(({ items }) => {
    versions = new Map(items.map((p) => [p.planId, p.latestVersion]));
    plan.replaceChildren(
      ...dropdown(
        'planId',
        items.map((p) => [p.planId, `${p.name} (${p.planId}, v${p.latestVersion})`]),
        account.plan.planId,
      ).children,
    );
  });
  plan.addEventListener('change', rate);
  at.addEventListener('change', rate);
  formDialog({
    title: `Change the plan of ${account.name}`,
    fields: [
      field('Plan', plan),
      field(
        'Effective at (UTC)',
        at,
        'Empty: now. A later date schedules the change; it can be cancelled until then.',
      ),
      ...(preview ? [preview.element] : []),
    ],
    submitLabel: 'Change plan',
    action: async (form) => {
      const effectiveAt = epochFromInput(valueOf(form, 'effectiveAt'));
      await api('PUT', `/v1/accounts/${encodeURIComponent(account.accountId)}/plan`, {
        planId: valueOf(form, 'planId'),
        ...(effectiveAt !== undefined ? { effectiveAt } : {}),
      });
      done();
    },
  });
}

function keysSection(ctx: PageContext, accountId: string, container: HTMLElement): void {
  const id = encodeURIComponent(accountId);
  const list = h('div', {});
  const issue = ctx.can('POST /v1/accounts/:accountId/keys')
    ? h(
        'button',
        {
          type: 'button',
          class: 'primary',
          onclick: () =>
            formDialog({
              title: 'Issue a key',
              fields: [
                field(
                  'Name',
                  h('input', { name: 'name', maxlength: 100 }),
                  'Optional: what the key is for.',
                ),
                field(
                  'Environment',
                  dropdown(
                    'env',
                    [
                      ['live', 'live'],
                      ['test', 'test'],
                    ],
                    'live',
                  ),
                ),
              ],
              submitLabel: 'Issue key',
              action: async (form) => {
                const name = valueOf(form, 'name');
                const issued = await api<{ key: ApiKey; plaintext: string }>(
                  'POST',
                  `/v1/accounts/${id}/keys`,
                  {
                    env: valueOf(form, 'env'),
                    ...(name ? { name } : {}),
                  },
                );
                showSecretOnce('Your new API key', 'API key', issued.plaintext).addEventListener(
                  'close',
                  show,
                );
              },
            }),
        },
        'Issue key…',
      )
    : null;
  container.replaceChildren(h('div', { class: 'page-heading' }, h('h2', {}, 'Keys'), issue), list);

  function show() {
    void loadInto(
      list,
      'keys',
      async () => {
        const { items } = await api<Page<ApiKey>>('GET', `/v1/accounts/${id}/keys?limit=100`);
        const lastUsed = new Map<string, string | null>();
        if (items.length > 0 && ctx.can('GET /v1/accounts/:accountId/usage/keys-last-used')) {
          const query = items.map((k) => `keyId=${encodeURIComponent(k.keyId)}`).join('&');
          const used = await api<{ items: Array<{ keyId: string; lastUsedAt: string | null }> }>(
            'GET',
            `/v1/accounts/${id}/usage/keys-last-used?${query}`,
          );
          for (const u of used.items) lastUsed.set(u.keyId, u.lastUsedAt);
        }
        return { items, lastUsed };
      },
      ({ items, lastUsed }) =>
        items.length === 0
          ? empty('No keys yet.')
          : table(
              'Keys of this account',
              [
                'Name',
                'Key',
                'Env',
                'Scopes',
                'Status',
                'Issued',
                'Last used',
                'Stops working',
                'Actions',
              ],
              items.map((k) => [
                k.name ?? '—',
                h('code', {}, k.displayHint),
                k.env,
                k.scopes.length > 0 ? h('code', { class: 'scopes' }, k.scopes.join(' ')) : 'none',
                h(
                  'span',
                  { class: `status status-${k.status}` },
                  k.status,
                  k.revocation?.reason ? ` (${k.revocation.reason})` : '',
                ),
                when(k.issuedAt),
                lastUsed.has(k.keyId) ? when(lastUsed.get(k.keyId)) : '—',
                when(k.stopsWorkingAt),
                keyActions(ctx, k, show),
              ]),
            ),
    );
  }
  show();
}

function keyActions(ctx: PageContext, key: ApiKey, done: () => void): HTMLElement {
  const actions = h('div', { class: 'row-actions' });
  const label = key.name ?? key.displayHint;
  if (key.status === 'revoked' || key.status === 'expired') return actions;
  const keyPath = `/v1/keys/${encodeURIComponent(key.keyId)}`;
  if (ctx.can('PATCH /v1/keys/:keyId'))
    actions.append(
      h(
        'button',
        {
          type: 'button',
          'aria-label': `Edit ${label}`,
          onclick: () => editKey(key, done),
        },
        'Edit…',
      ),
    );
  if (key.status === 'active' && ctx.can('POST /v1/keys/:keyId/rotate'))
    actions.append(
      h(
        'button',
        {
          type: 'button',
          'aria-label': `Rotate ${label}`,
          onclick: () =>
            formDialog({
              title: `Rotate ${label}`,
              fields: [
                h(
                  'p',
                  {},
                  'A new key is issued; the old one keeps working for the grace period, then stops.',
                ),
                field(
                  'Grace period (minutes)',
                  h('input', {
                    type: 'number',
                    name: 'grace',
                    min: 0,
                    max: 10080,
                    value: 60,
                    required: true,
                  }),
                ),
              ],
              submitLabel: 'Rotate key',
              action: async (form) => {
                const rotated = await api<{ plaintext: string }>('POST', `${keyPath}/rotate`, {
                  graceMs: Number(valueOf(form, 'grace')) * 60_000,
                });
                showSecretOnce(
                  'The replacement key',
                  'API key',
                  rotated.plaintext,
                ).addEventListener('close', done);
              },
            }),
        },
        'Rotate…',
      ),
    );
  if (ctx.can('POST /v1/keys/:keyId/revoke'))
    actions.append(
      h(
        'button',
        {
          type: 'button',
          class: 'danger',
          'aria-label': `Revoke ${label}`,
          onclick: () =>
            formDialog({
              title: `Revoke ${label}`,
              fields: [
                h('p', {}, 'The key stops working at once, everywhere. This cannot be undone.'),
                field('Reason', h('input', { name: 'reason', required: true, maxlength: 200 })),
              ],
              submitLabel: 'Revoke key',
              danger: true,
              action: async (form) => {
                await api('POST', `${keyPath}/revoke`, { reason: valueOf(form, 'reason') });
                done();
              },
            }),
        },
        'Revoke…',
      ),
    );
  return actions;
}

/** `datetime-local` value (UTC, minutes) of an ISO instant. */
const inputOf = (iso: string | null) => (iso ? iso.slice(0, 16) : '');

/**
 * Name, scopes and expiry of a key; only what changed is sent. key-service checks them (scopes are
 * lowercase identifiers, at most 50; the expiry in the future) and publishes KeyUpdated, from which
 * edge-auth decides.
 */
function editKey(key: ApiKey, done: () => void): void {
  const label = key.name ?? key.displayHint;
  formDialog({
    title: `Edit ${label}`,
    fields: [
      field(
        'Name',
        h('input', { name: 'name', maxlength: 100, value: key.name ?? '' }),
        'Empty removes the name.',
      ),
      field(
        'Scopes',
        h('input', {
          name: 'scopes',
          value: key.scopes.join(' '),
          autocomplete: 'off',
          spellcheck: 'false',
        }),
        'Separated by spaces or commas, e.g. "orders:read usage:read"; empty: no scopes.',
      ),
      field(
        'Expires at (UTC)',
        h('input', { type: 'datetime-local', name: 'expiresAt', value: inputOf(key.expiresAt) }),
        'Empty: never expires. A new expiry must be in the future.',
      ),
    ],
    submitLabel: 'Save key',
    action: async (form) => {
      const name = valueOf(form, 'name') || null;
      const scopes = valueOf(form, 'scopes')
        .split(/[\s,]+/)
        .filter((s) => s !== '');
      const expiresInput = valueOf(form, 'expiresAt');
      const changes: Record<string, unknown> = {};
      if (name !== key.name) changes.name = name;
      if (scopes.join(' ') !== key.scopes.join(' ')) changes.scopes = scopes;
      if (expiresInput !== inputOf(key.expiresAt))
        changes.expiresAt = expiresInput ? (epochFromInput(expiresInput) ?? expiresInput) : null;
      if (Object.keys(changes).length > 0)
        await api('PATCH', `/v1/keys/${encodeURIComponent(key.keyId)}`, changes);
      done();
    },
  });
}
