import type { FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, toProblem, type Problem } from '@tollgate/service-runtime';
import type { EdgeDecision } from '../pipeline/edge-pipeline';

/** Sends a decision as the client should see it: headers always, problem+json when denied. */
export function sendDecision(
  request: FastifyRequest,
  reply: FastifyReply,
  decision: EdgeDecision,
): FastifyReply {
  reply.headers(decision.headers);
  const problem = problemOf(decision, request.id);
  if (problem === undefined) return reply.code(decision.status).send();
  return reply.code(decision.status).type(PROBLEM_CONTENT_TYPE).send(problem);
}

/** The problem+json body of a denial (undefined when the request is allowed). */
export function problemOf(decision: EdgeDecision, requestId: string): Problem | undefined {
  if (decision.code === undefined) return undefined;
  return toProblem(decision.code, decision.detail ?? '', requestId, {
    ...decision.extensions,
    endpoint: decision.endpoint,
  });
}
