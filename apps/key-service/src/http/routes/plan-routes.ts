import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ProblemError } from '@tollgate/service-runtime';
import type { KeyServiceContext } from '../context';
import { idempotent } from '../idempotency';
import { planDefinition, planId } from '../schemas';

export async function planRoutes(
  app: FastifyInstance,
  { commands, queries, db }: KeyServiceContext,
): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const params = Type.Object({ planId });
  const found = async (id: string) => {
    const plan = await queries.getPlan(id);
    if (!plan) throw new ProblemError('not_found', `plan ${id} does not exist`);
    return plan;
  };

  api.post(
    '/v1/plans',
    {
      schema: {
        tags: ['plans'],
        summary: 'Create a plan with its first version',
        body: Type.Object({ planId, definition: planDefinition }, { additionalProperties: false }),
      },
    },
    (request, reply) =>
      idempotent(db, request, reply, async () => {
        await commands.createPlan(request.body.planId, request.body.definition);
        return { status: 201, body: await found(request.body.planId) };
      }),
  );

  api.post(
    '/v1/plans/:planId/versions',
    {
      schema: {
        tags: ['plans'],
        summary:
          'Edit a plan: creates its next immutable version, optionally moving its accounts to it',
        params,
        body: Type.Object(
          {
            definition: planDefinition,
            moveAccounts: Type.Optional(Type.Boolean({ default: false })),
          },
          { additionalProperties: false },
        ),
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

  api.get('/v1/plans', { schema: { tags: ['plans'] } }, async () => ({
    items: await queries.listPlans(),
  }));
  api.get('/v1/plans/:planId', { schema: { tags: ['plans'], params } }, (request) =>
    found(request.params.planId),
  );

  api.post(
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
