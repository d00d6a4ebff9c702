import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type TObject, type TSchema } from 'typebox';
import type { AdminContext } from '../context';
import { forward, withQuery } from './forward';
import { accountId, forwardedBody, keyId, page, planId, reasonBody } from './schemas';

/**
 * A management route that admin-api answers by calling an internal app: authentication,
 * authorization, scope and audit already happened in the auth hook; the internal app validates
 * the body in full and its answer (4xx problems included) passes through.
 */
interface ForwardedRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  /** Which internal app answers. */
  to: 'keyService' | 'usage';
  /** The internal path (`:param`s filled from the request); the same as `url` when omitted. */
  target?: string;
  tags: string[];
  summary: string;
  params?: TObject;
  body?: TSchema;
  /** Given for routes whose query string is passed on (the internal app validates it). */
  querystring?: TSchema;
}

const account = Type.Object({ accountId });
const key = Type.Object({ keyId });
const plan = Type.Object({ planId });
// usage-ingestor validates the query (granularity, range, period): its 400s pass through.
const usageQuery = Type.Object({}, { additionalProperties: true, maxProperties: 10 });

/** Every forwarded route, in one table (the permission table in `application/permissions.ts` guards each). */
export const FORWARDED_ROUTES: readonly ForwardedRoute[] = [
  // accounts (listing and bulk revocation have their own handlers in account-routes.ts)
  {
    method: 'POST',
    url: '/v1/accounts',
    to: 'keyService',
    tags: ['accounts'],
    summary: 'Create an account',
    body: forwardedBody,
  },
  {
    method: 'GET',
    url: '/v1/accounts/:accountId',
    to: 'keyService',
    tags: ['accounts'],
    summary: 'Get an account',
    params: account,
  },
  {
    method: 'POST',
    url: '/v1/accounts/:accountId/suspend',
    to: 'keyService',
    tags: ['accounts'],
    summary: 'Suspend an account (the edge refuses its keys)',
    params: account,
    body: reasonBody,
  },
  {
    method: 'POST',
    url: '/v1/accounts/:accountId/reactivate',
    to: 'keyService',
    tags: ['accounts'],
    summary: 'Reactivate an account',
    params: account,
  },
  {
    method: 'PUT',
    url: '/v1/accounts/:accountId/notification-webhook',
    to: 'keyService',
    tags: ['accounts'],
    summary:
      "Set the account's notification webhook (leaked keys); its signing secret is in this answer only",
    params: account,
    body: forwardedBody,
  },
  {
    method: 'GET',
    url: '/v1/accounts/:accountId/notification-webhook',
    to: 'keyService',
    tags: ['accounts'],
    summary: "The account's notification webhook and its recent deliveries",
    params: account,
  },
  {
    method: 'DELETE',
    url: '/v1/accounts/:accountId/notification-webhook',
    to: 'keyService',
    tags: ['accounts'],
    summary: "Remove the account's notification webhook",
    params: account,
  },
  // keys
  {
    method: 'POST',
    url: '/v1/accounts/:accountId/keys',
    to: 'keyService',
    tags: ['keys'],
    summary: 'Issue a key (its plaintext is in this answer only)',
    params: account,
    body: forwardedBody,
  },
  {
    method: 'GET',
    url: '/v1/accounts/:accountId/keys',
    to: 'keyService',
    tags: ['keys'],
    summary: "List an account's keys",
    params: account,
    querystring: page,
  },
  {
    method: 'GET',
    url: '/v1/keys/:keyId',
    to: 'keyService',
    tags: ['keys'],
    summary: 'Get a key',
    params: key,
  },
  {
    method: 'PATCH',
    url: '/v1/keys/:keyId',
    to: 'keyService',
    tags: ['keys'],
    summary: 'Update scopes, metadata or expiry',
    params: key,
    body: forwardedBody,
  },
  {
    method: 'POST',
    url: '/v1/keys/:keyId/rotate',
    to: 'keyService',
    tags: ['keys'],
    summary: 'Rotate a key with a grace period',
    params: key,
    body: forwardedBody,
  },
  {
    method: 'POST',
    url: '/v1/keys/:keyId/revoke',
    to: 'keyService',
    tags: ['keys'],
    summary: 'Revoke a key',
    params: key,
    body: forwardedBody,
  },
  // plans
  {
    method: 'GET',
    url: '/v1/plans',
    to: 'keyService',
    tags: ['plans'],
    summary: 'The plan catalog',
  },
  {
    method: 'GET',
    url: '/v1/plans/:planId',
    to: 'keyService',
    tags: ['plans'],
    summary: "A plan's versions",
    params: plan,
  },
  {
    method: 'POST',
    url: '/v1/plans',
    to: 'keyService',
    tags: ['plans'],
    summary: 'Create a plan',
    body: forwardedBody,
  },
  {
    method: 'POST',
    url: '/v1/plans/:planId/versions',
    to: 'keyService',
    tags: ['plans'],
    summary: 'Publish a new plan version',
    params: plan,
    body: forwardedBody,
  },
  {
    method: 'DELETE',
    url: '/v1/accounts/:accountId/scheduled-plan-change',
    to: 'keyService',
    tags: ['plans'],
    summary: "Cancel the account's scheduled plan change (409 when there is none)",
    params: account,
  },
  // usage
  {
    method: 'GET',
    url: '/v1/accounts/:accountId/usage/series',
    to: 'usage',
    target: '/v1/usage/accounts/:accountId/series',
    tags: ['usage'],
    summary: 'Usage time series',
    params: account,
    querystring: usageQuery,
  },
  {
    method: 'GET',
    url: '/v1/accounts/:accountId/usage/totals',
    to: 'usage',
    target: '/v1/usage/accounts/:accountId/totals',
    tags: ['usage'],
    summary: 'Totals of a billing period',
    params: account,
    querystring: usageQuery,
  },
  {
    method: 'GET',
    url: '/v1/accounts/:accountId/usage/top',
    to: 'usage',
    target: '/v1/usage/accounts/:accountId/top',
    tags: ['usage'],
    summary: 'Busiest keys or routes in a range (`by=key|route&from&to&limit`)',
    params: account,
    querystring: usageQuery,
  },
  {
    method: 'GET',
    url: '/v1/accounts/:accountId/usage/keys-last-used',
    to: 'usage',
    target: '/v1/usage/accounts/:accountId/keys/last-used',
    tags: ['usage'],
    summary: 'When each listed key last presented a request (`keyId=…&keyId=…`, ≤ 100)',
    params: account,
    querystring: Type.Object({}, { additionalProperties: true, maxProperties: 100 }),
  },
];

/** The internal path with the request's (already validated) path parameters filled in. */
function internalPath(template: string, request: FastifyRequest): string {
  const params = request.params as Record<string, string>;
  return template.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
}

export async function forwardedRoutes(app: FastifyInstance, context: AdminContext) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  for (const route of FORWARDED_ROUTES) {
    const client = context[route.to];
    const { tags, summary, params, body, querystring } = route;
    api.route({
      method: route.method,
      url: route.url,
      // Only the parts the route has (an undefined `body` makes Fastify warn at every start).
      schema: {
        tags,
        summary,
        ...(params ? { params } : {}),
        ...(body ? { body } : {}),
        ...(querystring ? { querystring } : {}),
      },
      handler: (request, reply) => {
        const path = internalPath(route.target ?? route.url, request);
        return forward(
          client,
          request,
          reply,
          route.method,
          querystring ? withQuery(request, path) : path,
          route.method === 'GET' || route.method === 'DELETE' ? undefined : (request.body ?? {}),
        );
      },
    });
  }
}
