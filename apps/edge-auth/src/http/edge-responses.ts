import type { FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, toProblem } from '@tollgate/service-runtime';
import type { EdgeDecision } from '../pipeline/edge-pipeline';

/** Sends a decision as the client should see it: headers always, problem+json when denied. */
export function sendDecision(
  request: FastifyRequest,
  reply: FastifyReply,
  decision: EdgeDecision,
  status: number = decision.status,
): FastifyReply {
  reply.headers(decision.headers);
  if (decision.code === undefined) return reply.code(status).send();
  return reply
    .code(status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(
      toProblem(decision.code, decision.detail ?? '', request.id, {
        ...decision.extensions,
        endpoint: decision.endpoint,
      }),
    );
}
