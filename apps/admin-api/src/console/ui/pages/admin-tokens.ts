import { api, type Page } from '../api';
import { loadInto, pageHeading, type PageContext } from '../context';
import { formDialog, showSecretOnce, valueOf } from '../dialogs';
import { empty, epochFromInput, field, h, dropdown, table, when } from '../dom';
import type { AdminToken } from '../types';

const ROLES: Array<[string, string]> = [
  ['viewer', 'viewer — read accounts, keys, plans, usage'],
  ['finance', 'finance — read accounts, plans, usage'],
  ['support', 'support — read all, rotate/revoke keys, suspend'],
  ['admin', 'admin — accounts, keys, plans, audit'],
  ['owner', 'owner — everything, including admin tokens'],
];

/** Admin tokens (owners only): create (shown once), list, revoke. */
export function adminTokensPage(ctx: PageContext): void {
  const list = h('div', {});
  const create = ctx.can('POST /v1/admin-tokens')
    ? h(
        'button',
        {
          type: 'button',
          class: 'primary',
          onclick: () =>
            formDialog({
              title: 'Create an admin token',
              fields: [
                field('Name', h('input', { name: 'name', required: true, maxlength: 100 })),
                field('Role', dropdown('role', ROLES, 'viewer')),
                field(
                  'Account scope',
                  h('input', { name: 'accountId', placeholder: 'acct_…' }),
                  'Optional: the token then sees only this account.',
                ),
                field(
                  'Expires at (UTC)',
                  h('input', { type: 'datetime-local', name: 'expiresAt' }),
                  'Optional.',
                ),
              ],
              submitLabel: 'Create token',
              action: async (form) => {
                const accountId = valueOf(form, 'accountId');
                const expiresAt = epochFromInput(valueOf(form, 'expiresAt'));
                const issued = await api<{ plaintext: string }>('POST', '/v1/admin-tokens', {
                  name: valueOf(form, 'name'),
                  role: valueOf(form, 'role'),
                  ...(accountId ? { accountId } : {}),
                  ...(expiresAt !== undefined ? { expiresAt } : {}),
                });
                showSecretOnce(
                  'Your new admin token',
                  'admin token',
                  issued.plaintext,
                ).addEventListener('close', show);
              },
            }),
        },
        'Create token…',
      )
    : null;
  ctx.main.append(pageHeading('Admin tokens', create), list);

  function show() {
    void loadInto(
      list,
      'admin tokens',
      () => api<Page<AdminToken>>('GET', '/v1/admin-tokens?limit=100'),
      ({ items }) =>
        items.length === 0
          ? empty('No admin tokens.')
          : table(
              'Admin tokens',
              [
                'Name',
                'Token',
                'Role',
                'Account scope',
                'Created',
                'Last used',
                'Status',
                'Actions',
              ],
              items.map((t) => [
                t.name,
                h('code', {}, t.displayHint),
                t.role,
                t.accountId ?? 'all accounts',
                `${when(t.createdAt)} by ${t.createdBy}`,
                when(t.lastUsedAt),
                t.revokedAt
                  ? `revoked ${when(t.revokedAt)}`
                  : t.expiresAt && Date.parse(t.expiresAt) <= Date.now()
                    ? 'expired'
                    : 'active',
                t.revokedAt || !ctx.can('POST /v1/admin-tokens/:tokenId/revoke')
                  ? ''
                  : h(
                      'button',
                      {
                        type: 'button',
                        class: 'danger',
                        'aria-label': `Revoke ${t.name}`,
                        onclick: () =>
                          formDialog({
                            title: `Revoke ${t.name}`,
                            fields: [
                              h(
                                'p',
                                {},
                                'The token and every console session opened with it stop working at once.',
                              ),
                            ],
                            submitLabel: 'Revoke token',
                            danger: true,
                            action: async () => {
                              await api(
                                'POST',
                                `/v1/admin-tokens/${encodeURIComponent(t.tokenId)}/revoke`,
                              );
                              show();
                            },
                          }),
                      },
                      'Revoke…',
                    ),
              ]),
            ),
    );
  }
  show();
}
