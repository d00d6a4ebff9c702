import { api, ApiError, messageOf, useSession } from './api';
import type { PageContext, PageRenderer } from './context';
import { h } from './dom';
import { accountPage, accountsPage } from './pages/accounts';
import { adminTokensPage } from './pages/admin-tokens';
import { auditPage } from './pages/audit';
import { exportsPage, invoicePage } from './pages/billing';
import { overviewPage } from './pages/overview';
import { plansPage } from './pages/plans';
import { signInPage } from './pages/sign-in';
import type { SessionView } from './types';

interface Route {
  path: string;
  title: string;
  /** The `/v1` route the page reads first: without it, the page is not offered. */
  needs: string;
  render: PageRenderer;
  inNav: boolean;
}

const ROUTES: Route[] = [
  {
    path: 'overview',
    title: 'Overview',
    needs: 'GET /v1/accounts/:accountId/usage/series',
    render: overviewPage,
    inNav: true,
  },
  {
    path: 'accounts',
    title: 'Accounts',
    needs: 'GET /v1/accounts',
    render: accountsPage,
    inNav: true,
  },
  {
    path: 'account',
    title: 'Account',
    needs: 'GET /v1/accounts/:accountId',
    render: accountPage,
    inNav: false,
  },
  {
    path: 'invoice',
    title: 'Invoice',
    needs: 'GET /v1/accounts/:accountId/invoices/:invoiceId',
    render: invoicePage,
    inNav: false,
  },
  { path: 'plans', title: 'Plans', needs: 'GET /v1/plans', render: plansPage, inNav: true },
  {
    path: 'exports',
    title: 'Finance exports',
    needs: 'GET /v1/exports/invoices',
    render: exportsPage,
    inNav: true,
  },
  {
    path: 'audit',
    title: 'Audit log',
    needs: 'GET /v1/audit-events',
    render: auditPage,
    inNav: true,
  },
  {
    path: 'admin-tokens',
    title: 'Admin tokens',
    needs: 'GET /v1/admin-tokens',
    render: adminTokensPage,
    inNav: true,
  },
];

const root = document.getElementById('app')!;
let session: SessionView | null = null;
let notice: string | null = null;

function signedOut(message: string | null): void {
  session = null;
  notice = message;
  useSession(null, () => undefined);
  if (location.hash !== '#/sign-in') history.replaceState(null, '', '#/sign-in');
  render();
}

function startSession(view: SessionView): void {
  session = view;
  notice = null;
  useSession(view.csrfToken, () =>
    signedOut(
      'Your session has ended (it expired, was signed out elsewhere, or its token was revoked). Sign in again.',
    ),
  );
  const first = ROUTES.find((r) => r.inNav && view.allowedRoutes.includes(r.needs));
  if (!location.hash.startsWith('#/') || location.hash === '#/sign-in')
    history.replaceState(null, '', `#/${first?.path ?? 'overview'}`);
  render();
}

async function signOut(): Promise<void> {
  try {
    await api('DELETE', '/console/session');
    signedOut('You have signed out.');
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) signedOut('You have signed out.');
    else alert(`Could not sign out: ${messageOf(err)}`);
  }
}

function render(): void {
  if (!session) {
    document.title = 'Sign in · Tollgate console';
    root.replaceChildren(signInPage({ notice, onSignedIn: startSession }));
    return;
  }
  const current = session;
  const [, path = 'overview', param, param2] =
    /^#\/([\w-]+)(?:\/([\w-]+))?(?:\/([\w-]+))?/.exec(location.hash) ?? [];
  const can = (route: string) => current.allowedRoutes.includes(route);
  const route = ROUTES.find((r) => r.path === path && can(r.needs));
  const main = h('main', { id: 'main', tabindex: '-1' });
  const nav = h(
    'nav',
    { 'aria-label': 'Console pages' },
    h(
      'ul',
      {},
      ROUTES.filter((r) => r.inNav && can(r.needs)).map((r) =>
        h(
          'li',
          {},
          h(
            'a',
            {
              href: `#/${r.path}`,
              'aria-current':
                r === route ||
                (r.path === 'accounts' && (route?.path === 'account' || route?.path === 'invoice'))
                  ? 'page'
                  : false,
            },
            r.title,
          ),
        ),
      ),
    ),
  );
  const { principal } = current;
  const header = h(
    'header',
    {},
    h('a', { class: 'skip-link', href: '#main', onclick: skipToMain }, 'Skip to content'),
    h('span', { class: 'brand' }, 'Tollgate console'),
    nav,
    h(
      'div',
      { class: 'who' },
      h(
        'span',
        {},
        `${principal.name} · ${principal.role}${principal.accountId ? ` · account ${principal.accountId}` : ''}`,
      ),
      h('button', { type: 'button', onclick: () => void signOut() }, 'Sign out'),
    ),
  );
  root.replaceChildren(header, main);
  if (!route) {
    document.title = 'Not available · Tollgate console';
    main.append(
      h('h1', {}, 'Not available'),
      h('p', {}, 'This page does not exist or your role cannot open it.'),
    );
    return;
  }
  document.title = `${route.title} · Tollgate console`;
  const ctx: PageContext = { session: current, can, main, refresh: render };
  route.render(ctx, param, param2);
}

function skipToMain(event: Event): void {
  event.preventDefault();
  document.getElementById('main')?.focus();
}

window.addEventListener('hashchange', () => {
  if (!location.hash.startsWith('#/')) return;
  render();
  document.getElementById('main')?.focus();
});
// A page restored from the back/forward cache asks the server again: a signed-out session shows nothing.
window.addEventListener('pageshow', (event) => {
  if (event.persisted) void boot();
});

async function boot(): Promise<void> {
  try {
    startSession(await api<SessionView>('GET', '/console/session'));
  } catch (err) {
    signedOut(
      err instanceof ApiError && err.status === 401
        ? null
        : `The console could not start: ${messageOf(err)}`,
    );
  }
}

void boot();
