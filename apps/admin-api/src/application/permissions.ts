/** Every admin role; `owner` can do everything, the others a fixed subset (deny by default). */
export const ROLES = ['owner', 'admin', 'support', 'finance', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  'admin_tokens:manage',
  'accounts:read',
  'accounts:create',
  'accounts:suspend',
  'keys:read',
  'keys:write',
  'keys:rotate_revoke',
  'plans:read',
  'plans:write',
  'plans:assign',
  'usage:read',
  'invoices:read',
  'exports:read',
  'audit:read',
  'self:read',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const READ_ALL: Permission[] = [
  'accounts:read',
  'keys:read',
  'plans:read',
  'usage:read',
  'invoices:read',
  'self:read',
];

export const ROLE_PERMISSIONS: Record<Role, ReadonlySet<Permission>> = {
  owner: new Set(PERMISSIONS),
  admin: new Set<Permission>([
    ...READ_ALL,
    'accounts:create',
    'accounts:suspend',
    'keys:write',
    'keys:rotate_revoke',
    'plans:write',
    'plans:assign',
    'audit:read',
  ]),
  support: new Set<Permission>([
    ...READ_ALL,
    'accounts:suspend',
    'keys:rotate_revoke',
    'audit:read',
  ]),
  finance: new Set<Permission>([
    'accounts:read',
    'plans:read',
    'usage:read',
    'invoices:read',
    'exports:read',
    'self:read',
  ]),
  viewer: new Set<Permission>(READ_ALL),
};

/**
 * How a route meets an account-scoped token (customer self-service):
 * - `account`: the route names `:accountId`; another account's is 404.
 * - `key`: the route names `:keyId`; a key of another account is 404.
 * - `listing`: the route lists; a scoped token sees only its own account.
 * - `any`: nothing account-specific (own identity, the plan catalog).
 * - `unscoped`: deployment-wide (plans, admin tokens, audit of everyone): 404 for scoped tokens.
 */
export type AccountScope = 'account' | 'key' | 'listing' | 'any' | 'unscoped';

export interface RoutePermission {
  permission: Permission;
  scope: AccountScope;
  /** The audit action name of a mutating route. */
  action?: string;
}

/**
 * The one permission table: every admin-api `/v1` route, by method and Fastify pattern. A route
 * missing here is refused (403) and fails the table test, so nothing is reachable by omission.
 */
export const ROUTE_PERMISSIONS: Readonly<Record<string, RoutePermission>> = {
  'GET /v1/me': { permission: 'self:read', scope: 'any' },

  'POST /v1/admin-tokens': {
    permission: 'admin_tokens:manage',
    scope: 'unscoped',
    action: 'admin_token.create',
  },
  'GET /v1/admin-tokens': { permission: 'admin_tokens:manage', scope: 'unscoped' },
  'POST /v1/admin-tokens/:tokenId/revoke': {
    permission: 'admin_tokens:manage',
    scope: 'unscoped',
    action: 'admin_token.revoke',
  },

  'POST /v1/accounts': {
    permission: 'accounts:create',
    scope: 'unscoped',
    action: 'account.create',
  },
  'GET /v1/accounts': { permission: 'accounts:read', scope: 'listing' },
  'GET /v1/accounts/:accountId': { permission: 'accounts:read', scope: 'account' },
  'POST /v1/accounts/:accountId/suspend': {
    permission: 'accounts:suspend',
    scope: 'unscoped',
    action: 'account.suspend',
  },
  'POST /v1/accounts/:accountId/reactivate': {
    permission: 'accounts:suspend',
    scope: 'unscoped',
    action: 'account.reactivate',
  },
  'POST /v1/accounts/:accountId/revoke-all-keys': {
    permission: 'keys:rotate_revoke',
    scope: 'account',
    action: 'account.revoke_all_keys',
  },

  'POST /v1/accounts/:accountId/keys': {
    permission: 'keys:write',
    scope: 'account',
    action: 'key.issue',
  },
  'GET /v1/accounts/:accountId/keys': { permission: 'keys:read', scope: 'account' },
  'GET /v1/keys/:keyId': { permission: 'keys:read', scope: 'key' },
  'PATCH /v1/keys/:keyId': { permission: 'keys:write', scope: 'key', action: 'key.update' },
  'POST /v1/keys/:keyId/rotate': {
    permission: 'keys:rotate_revoke',
    scope: 'key',
    action: 'key.rotate',
  },
  'POST /v1/keys/:keyId/revoke': {
    permission: 'keys:rotate_revoke',
    scope: 'key',
    action: 'key.revoke',
  },

  'GET /v1/plans': { permission: 'plans:read', scope: 'any' },
  'GET /v1/plans/:planId': { permission: 'plans:read', scope: 'any' },
  'POST /v1/plans': { permission: 'plans:write', scope: 'unscoped', action: 'plan.create' },
  'POST /v1/plans/:planId/versions': {
    permission: 'plans:write',
    scope: 'unscoped',
    action: 'plan.create_version',
  },
  'PUT /v1/accounts/:accountId/plan': {
    permission: 'plans:assign',
    scope: 'unscoped',
    action: 'account.assign_plan',
  },
  'PUT /v1/accounts/:accountId/notification-webhook': {
    permission: 'keys:write',
    scope: 'account',
    action: 'account.set_notification_webhook',
  },
  'GET /v1/accounts/:accountId/notification-webhook': {
    permission: 'accounts:read',
    scope: 'account',
  },
  'DELETE /v1/accounts/:accountId/notification-webhook': {
    permission: 'keys:write',
    scope: 'account',
    action: 'account.remove_notification_webhook',
  },
  'DELETE /v1/accounts/:accountId/scheduled-plan-change': {
    permission: 'plans:assign',
    scope: 'unscoped',
    action: 'account.cancel_scheduled_plan_change',
  },

  'GET /v1/accounts/:accountId/usage/series': { permission: 'usage:read', scope: 'account' },
  'GET /v1/accounts/:accountId/usage/totals': { permission: 'usage:read', scope: 'account' },
  'GET /v1/accounts/:accountId/usage/top': { permission: 'usage:read', scope: 'account' },
  'GET /v1/accounts/:accountId/usage/keys-last-used': {
    permission: 'usage:read',
    scope: 'account',
  },
  'GET /v1/usage/closest-to-quota': { permission: 'usage:read', scope: 'unscoped' },

  'GET /v1/accounts/:accountId/invoices': { permission: 'invoices:read', scope: 'account' },
  'GET /v1/accounts/:accountId/invoices/:invoiceId': {
    permission: 'invoices:read',
    scope: 'account',
  },
  'GET /v1/accounts/:accountId/invoices/:invoiceId/csv': {
    permission: 'invoices:read',
    scope: 'account',
  },
  'GET /v1/accounts/:accountId/upcoming-invoice': {
    permission: 'invoices:read',
    scope: 'account',
  },
  // Part of changing a plan (and a POST): for those who may assign plans.
  'POST /v1/accounts/:accountId/plan-change-preview': {
    permission: 'plans:assign',
    scope: 'account',
    action: 'account.preview_plan_change',
  },
  'GET /v1/exports/invoices': { permission: 'exports:read', scope: 'unscoped' },
  'GET /v1/exports/usage': { permission: 'exports:read', scope: 'unscoped' },
  'GET /v1/exports/revenue': { permission: 'exports:read', scope: 'unscoped' },
  'GET /v1/reports/reconciliation': { permission: 'exports:read', scope: 'unscoped' },

  'GET /v1/audit-events': { permission: 'audit:read', scope: 'unscoped' },
  'GET /v1/audit-events/export': { permission: 'audit:read', scope: 'unscoped' },
};

export function routePermission(method: string, url: string): RoutePermission | undefined {
  return ROUTE_PERMISSIONS[`${method} ${url}`];
}

/** A console route anyone may call, with the reason it needs no permission written down. */
export interface ExemptRoute {
  exempt: string;
  /** The audit action of a mutating exempt route (sign-in is audited, allowed or denied). */
  action?: string;
}

/**
 * The console's own routes (`/console/...`), under the same deny-by-default rule: each is guarded
 * by a permission like a `/v1` route or carries a written exemption; a route missing here is
 * refused (403). The console's data calls all go to `/v1` through `ROUTE_PERMISSIONS`.
 */
export const CONSOLE_ROUTE_PERMISSIONS: Readonly<Record<string, RoutePermission | ExemptRoute>> = {
  'GET /console': { exempt: 'redirects to /console/; no data' },
  'GET /console/*': {
    exempt: 'the console page, script and styles: static files built into the app, no data',
  },
  'POST /console/session': {
    exempt:
      'signs in: the body carries the admin token or OIDC token, checked like a Bearer one (failures count toward the per-client limit)',
    action: 'console.sign_in',
  },
  'GET /console/session': { permission: 'self:read', scope: 'any' },
  'DELETE /console/session': { permission: 'self:read', scope: 'any', action: 'console.sign_out' },
};

/** The rule of a `/v1` or `/console` route (a console HEAD is a GET), or undefined: refused. */
export function ruleOf(method: string, url: string): RoutePermission | ExemptRoute | undefined {
  if (!url.startsWith('/console')) return routePermission(method, url);
  return CONSOLE_ROUTE_PERMISSIONS[`${method === 'HEAD' ? 'GET' : method} ${url}`];
}

export const isExempt = (rule: RoutePermission | ExemptRoute): rule is ExemptRoute =>
  'exempt' in rule;

/**
 * The `/v1` routes this role and scope may call (`METHOD /v1/pattern`), derived from the table:
 * what the console shows. The server still decides every call.
 */
export function allowedRoutes(role: Role, scoped: boolean): string[] {
  return Object.entries(ROUTE_PERMISSIONS)
    .filter(
      ([, rule]) => roleAllows(role, rule.permission) && !(scoped && rule.scope === 'unscoped'),
    )
    .map(([route]) => route);
}

export function roleAllows(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].has(permission);
}
