import type { FastifyInstance } from 'fastify';
import type { PlanDefinition } from '@tollgate/key-service-domain';
import { ProblemError } from '@tollgate/service-runtime';
import type { KeyServiceContext } from '../context';
import { idempotent } from '../idempotency';
import { planDefinition, planId } from '../schemas';

export async function planRoutes(
  app: FastifyInstance,
  { commands, queries, db }: KeyServiceContext,
): Promise<void> {
  const params = { type: 'object', required: ['planId'], properties: { planId } } as const;
  const found = async (id: string) => {
    const plan = await queries.getPlan(id);
    if (!plan) throw new ProblemError('not_found', `plan ${id} does not exist`);
    return plan;
  };

  app.post<{ Body: { planId: string; definition: PlanDefinition } }>(
    '/v1/plans',
    {
      schema: {
        tags: ['plans'],
        summary: 'Create a plan with its first version',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['planId', 'definition'],
          properties: { planId, definition: planDefinition },
        },
      },
    },
    (request, reply) =>
      idempotent(db, request, reply, async () => {
        await commands.createPlan(request.body.planId, request.body.definition);
        return { status: 201, body: await found(request.body.planId) };
      }),
  );

  app.post<{
    Params: { planId: string };
    Body: { definition: PlanDefinition; moveAccounts?: boolean };
  }>(
    '/v1/plans/:planId/versions',
    {
      schema: {
        tags: ['plans'],
        summary:
          'Edit a plan: creates its next immutable version, optionally moving its accounts to it',
        params,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['definition'],
          properties: {
            definition: planDefinition,
            moveAccounts: { type: 'boolean', default: false },
          },
        },
      },
    },
    (request, reply) =>
      idempotent(db, request, reply, async () => {
        const result = await commands.createPlanVersion(
          request.params.planId,
          request.body.definition,
          {
            moveAccounts: request.body.moveAccounts,
          },
        );
        return { status: 201, body: { ...(await found(request.params.planId)), ...result } };
      }),
  );

  app.get('/v1/plans', { schema: { tags: ['plans'] } }, async () => ({
    items: await queries.listPlans(),
  }));
  app.get<{ Params: { planId: string } }>(
    '/v1/plans/:planId',
    { schema: { tags: ['plans'], params } },
    (request) => found(request.params.planId),
  );

  app.post(
    '/v1/replays',
    {
      schema: {
        tags: ['internal'],
        summary: 'Re-publish the full current state of every key and account plan to Kafka',
      },
    },
    async (_request, reply) => reply.code(202).send(await commands.replayCurrentState()),
  );
}
