import type { FastifyInstance } from 'fastify';
import { ProblemError } from '@tollgate/service-runtime';
import type { KeyServiceContext } from '../context';
import { idempotent } from '../idempotency';
import { accountId, epochMs, pageQuery, planId, reasonBody } from '../schemas';

interface AccountParams {
  accountId: string;
}

export async function accountRoutes(
  app: FastifyInstance,
  { commands, queries, db }: KeyServiceContext,
): Promise<void> {
  const params = { type: 'object', required: ['accountId'], properties: { accountId } } as const;
  const found = async (id: string) => {
    const account = await queries.getAccount(id);
    if (!account) throw new ProblemError('not_found', `account ${id} does not exist`);
    return account;
  };

  app.post<{ Body: { name: string; planId?: string } }>(
    '/v1/accounts',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Create an account (on plan_free unless planId is given)',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: { name: { type: 'string', minLength: 1, maxLength: 200 }, planId },
        },
      },
    },
    (request, reply) =>
      idempotent(db, request, reply, async () => {
        const { accountId: id } = await commands.createAccount(request.body);
        return { status: 201, body: await found(id) };
      }),
  );

  app.get<{ Querystring: { limit: number; cursor?: string } }>(
    '/v1/accounts',
    {
      schema: {
        tags: ['accounts'],
        summary: 'List accounts (keyset pagination)',
        querystring: pageQuery,
      },
    },
    (request) => queries.listAccounts(request.query.cursor, request.query.limit),
  );

  app.get<{ Params: AccountParams }>(
    '/v1/accounts/:accountId',
    { schema: { tags: ['accounts'], params } },
    (request) => found(request.params.accountId),
  );

  app.post<{ Params: AccountParams; Body: { reason: string } }>(
    '/v1/accounts/:accountId/suspend',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Suspend: its keys stop working',
        params,
        body: reasonBody,
      },
    },
    async (request) => {
      await commands.suspendAccount(request.params.accountId, request.body.reason);
      return found(request.params.accountId);
    },
  );

  app.post<{ Params: AccountParams }>(
    '/v1/accounts/:accountId/reactivate',
    { schema: { tags: ['accounts'], params } },
    async (request) => {
      await commands.reactivateAccount(request.params.accountId);
      return found(request.params.accountId);
    },
  );

  app.put<{
    Params: AccountParams;
    Body: { planId: string; planVersion?: number; effectiveAt?: number };
  }>(
    '/v1/accounts/:accountId/plan',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Move the account to a plan version (latest unless given), now or at effectiveAt',
        params,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['planId'],
          properties: {
            planId,
            planVersion: { type: 'integer', minimum: 1 },
            effectiveAt: epochMs,
          },
        },
      },
    },
    async (request) => {
      await commands.assignPlan(request.params.accountId, request.body);
      return found(request.params.accountId);
    },
  );
}
