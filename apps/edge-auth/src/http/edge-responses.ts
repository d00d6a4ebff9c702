import type { FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, toProblem, type ErrorCode } from '@tollgate/service-runtime';
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

/** A problem answered before any decision (the request could not even be read as one). */
export function sendEdgeProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  code: ErrorCode,
  detail: string,
  status: number,
): FastifyReply {
  return reply
    .code(status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(toProblem(code, detail, request.id));
}
