import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { InternalClient } from '../../application/internal-client';
import type { AdminContext } from '../context';
import { forwardedHeaders } from './forward';
import { accountId, forwardedBody } from './schemas';

interface PlanChangeBody {
  planId?: unknown;
  planVersion?: unknown;
  effectiveAt?: unknown;
}

/**
 * What the move would cost this period, asked of billing-service before key-service makes it
 * (afterwards the period already holds the change). Best effort: a plan change never waits on
 * billing, so an unrated change answers `prorationPreview: null`.
 */
async function previewOf(
  request: FastifyRequest,
  { keyService, billing }: { keyService: InternalClient; billing: InternalClient },
): Promise<unknown> {
  const { accountId: account } = request.params as { accountId: string };
  const body = request.body as PlanChangeBody;
  if (typeof body.planId !== 'string') return null;
  try {
    let planVersion = body.planVersion;
    if (planVersion === undefined) {
      const plan = await keyService.call<{ versions?: Array<{ version: number }> }>(
        'GET',
        `/v1/plans/${encodeURIComponent(body.planId)}`,
      );
      planVersion = plan.body.versions?.at(-1)?.version;
    }
    if (!Number.isInteger(planVersion)) return null;
    const preview = await billing.call(
      'POST',
      `/v1/accounts/${account}/plan-change-preview`,
      {
        planId: body.planId,
        planVersion,
        ...(body.effectiveAt !== undefined ? { effectiveAt: body.effectiveAt } : {}),
      },
      forwardedHeaders(request),
    );
    return preview.status === 200 ? preview.body : null;
  } catch (err) {
    request.log.warn({ err }, 'no proration preview for this plan change');
    return null;
  }
}

export async function planChangeRoute(app: FastifyInstance, context: AdminContext) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  api.put(
    '/v1/accounts/:accountId/plan',
    {
      schema: {
        tags: ['plans'],
        summary:
          "Move an account to a plan now or at a time (upgrade or downgrade); the answer carries billing's proration preview of the move (null when billing cannot rate it)",
        params: Type.Object({ accountId }),
        body: forwardedBody,
      },
    },
    async (request, reply) => {
      const prorationPreview = await previewOf(request, context);
      const res = await context.keyService.expect<Record<string, unknown>>(
        'PUT',
        `/v1/accounts/${request.params.accountId}/plan`,
        request.body,
        forwardedHeaders(request),
      );
      return reply.code(res.status).send({ ...res.body, prorationPreview });
    },
  );
}
