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
  'audit:read',
  'self:read',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const READ_ALL: Permission[] = [
  'accounts:read',
  'keys:read',
  'plans:read',
  'usage:read',
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
  finance: new Set<Permission>(['accounts:read', 'plans:read', 'usage:read', 'self:read']),
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
  'DELETE /v1/accounts/:accountId/scheduled-plan-change': {
    permission: 'plans:assign',
    scope: 'unscoped',
    action: 'account.cancel_scheduled_plan_change',
  },

  'GET /v1/accounts/:accountId/usage/series': { permission: 'usage:read', scope: 'account' },
  'GET /v1/accounts/:accountId/usage/totals': { permission: 'usage:read', scope: 'account' },

  'GET /v1/audit-events': { permission: 'audit:read', scope: 'unscoped' },
  'GET /v1/audit-events/export': { permission: 'audit:read', scope: 'unscoped' },
};

export function routePermission(method: string, url: string): RoutePermission | undefined {
  return ROUTE_PERMISSIONS[`${method} ${url}`];
}

export function roleAllows(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].has(permission);
}
