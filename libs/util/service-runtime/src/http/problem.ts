import type { Static } from 'typebox';
import { ERROR_STATUS, titleOf, type ErrorCode } from './error-codes';
import type { problemSchema } from './schemas/problem';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** RFC 9457 problem details with Tollgate's stable `code` and the request id; typed by its schema. */
export type Problem = Static<typeof problemSchema> & { [extension: string]: unknown };

/** Throw from any handler; the shared error handler turns it into problem+json. */
export class ProblemError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    detail: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = 'ProblemError';
    this.status = ERROR_STATUS[code];
  }
}

export function toProblem(
  code: ErrorCode,
  detail: string,
  requestId: string,
  extensions: Record<string, unknown> = {},
): Problem {
  return {
    ...extensions,
    type: `https://tollgate.dev/problems/${code.replaceAll('_', '-')}`,
    title: titleOf(code),
    status: ERROR_STATUS[code],
    code,
    detail,
    requestId,
  };
}
