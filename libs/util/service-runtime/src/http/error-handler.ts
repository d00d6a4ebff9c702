import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_STATUS, type ErrorCode } from './error-codes';
import { PROBLEM_CONTENT_TYPE, ProblemError, toProblem } from './problem';

export function sendProblem(
  reply: FastifyReply,
  code: ErrorCode,
  detail: string,
  extensions: Record<string, unknown> = {},
): FastifyReply {
  return reply
    .code(ERROR_STATUS[code])
    .type(PROBLEM_CONTENT_TYPE)
    .send(toProblem(code, detail, reply.request.id, extensions));
}

/** Maps Fastify's own client errors to our stable codes; anything unknown is a 500 without details. */
function classify(error: FastifyError): { code: ErrorCode; detail: string } {
  if (error.validation) {
    return { code: 'validation_failed', detail: error.message };
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { code: 'payload_too_large', detail: 'Request body is larger than the allowed limit' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { code: 'unsupported_media_type', detail: 'Unsupported Content-Type' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return {
        code: 'bad_request',
        detail: 'Body cannot be empty when Content-Type is application/json',
      };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { code: 'bad_request', detail: 'Body is not valid JSON' };
  }
  const status = error.statusCode ?? 500;
  if (status === 413) return { code: 'payload_too_large', detail: 'Request body is too large' };
  if (status === 415) return { code: 'unsupported_media_type', detail: 'Unsupported Content-Type' };
  if (status === 404) return { code: 'not_found', detail: 'Not found' };
  if (status >= 400 && status < 500) return { code: 'bad_request', detail: 'Malformed request' };
  return { code: 'internal_error', detail: 'An unexpected error occurred' };
}

/** Lets an app translate its own error types (e.g. domain errors) into problems, in one place. */
export type ErrorMapper = (error: unknown) => ProblemError | undefined;

export function installProblemHandlers(app: FastifyInstance, mapError?: ErrorMapper): void {
  app.setErrorHandler((raw: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const error = mapError?.(raw) ?? raw;
    if (error instanceof ProblemError) {
      return sendProblem(reply, error.code, error.message, error.extensions);
    }
    const { code, detail } = classify(error);
    if (code === 'internal_error') {
      request.log.error({ err: error }, 'unhandled error');
    } else {
      request.log.info({ code, reason: error.message }, 'client error');
    }
    return sendProblem(reply, code, detail);
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, 'not_found', `No route matches ${request.method} on this path`),
  );
}
