import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { epochMs, ProblemError } from '@tollgate/service-runtime';
import type { KeyServiceContext } from '../context';
import { idempotent } from '../idempotency';
import { accountId, accountName, accountSearch, planId, reasonBody } from '../schemas';

export async function accountRoutes(
  app: FastifyInstance,
  { commands, queries, db }: KeyServiceContext,
): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const params = Type.Object({ accountId });
  const found = async (id: string) => {
    const account = await queries.getAccount(id);
    if (!account) throw new ProblemError('not_found', `account ${id} does not exist`);
    return account;
  };

  api.post(
    '/v1/accounts',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Create an account (on plan_free unless planId is given)',
        body: Type.Object(
          {
            name: accountName,
            planId: Type.Optional(planId),
          },
          { additionalProperties: false },
        ),
      },
    },
    (request, reply) =>
      idempotent(db, request, reply, async () => {
        const { accountId: id } = await commands.createAccount(request.body);
        return { status: 201, body: await found(id) };
      }),
  );

  api.get(
    '/v1/accounts',
    {
      schema: {
        tags: ['accounts'],
        summary:
          'List accounts (keyset pagination); `q` finds names starting with it (any case) or the account with that id',
        querystring: accountSearch,
      },
    },
    (request) =>
      queries.listAccounts(
        request.query.cursor,
        request.query.limit,
        request.query.q?.trim() || undefined,
      ),
  );

  api.get('/v1/accounts/:accountId', { schema: { tags: ['accounts'], params } }, (request) =>
    found(request.params.accountId),
  );

  api.post(
    '/v1/accounts/:accountId/suspend',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Suspend: its keys stop working',
        params,
        body: reasonBody,
      },
    },
    (request, reply) =>
      idempotent(db, request, reply, async () => {
        await commands.suspendAccount(request.params.accountId, request.body.reason);
        return { status: 200, body: await found(request.params.accountId) };
      }),
  );

  api.post(
    '/v1/accounts/:accountId/reactivate',
    { schema: { tags: ['accounts'], params } },
    (request, reply) =>
      idempotent(db, request, reply, async () => {
        await commands.reactivateAccount(request.params.accountId);
        return { status: 200, body: await found(request.params.accountId) };
      }),
  );

  api.put(
    '/v1/accounts/:accountId/plan',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Move the account to a plan version (latest unless given), now or at effectiveAt',
        params,
        body: Type.Object(
          {
            planId,
            planVersion: Type.Optional(Type.Integer({ minimum: 1 })),
            effectiveAt: Type.Optional(epochMs),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      await commands.assignPlan(request.params.accountId, request.body);
      return found(request.params.accountId);
    },
  );

  api.delete(
    '/v1/accounts/:accountId/scheduled-plan-change',
    {
      schema: {
        tags: ['accounts'],
        summary:
          'Cancel the scheduled plan change (409 when there is none): the account stays on its current plan',
        params,
      },
    },
    async (request) => {
      await commands.cancelScheduledPlanChange(request.params.accountId);
      return found(request.params.accountId);
    },
  );
}
