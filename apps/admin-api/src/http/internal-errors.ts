import { ERROR_STATUS, ProblemError, type ErrorCode } from '@tollgate/service-runtime';
import { PassThroughProblem } from '../application/internal-client';

const RESERVED = new Set(['type', 'title', 'status', 'detail', 'instance', 'code', 'requestId']);

const isErrorCode = (value: unknown): value is ErrorCode =>
  typeof value === 'string' && value in ERROR_STATUS;

/** An internal app's 4xx problem becomes this request's problem: same code, detail and extensions. */
export function mapInternalError(error: unknown): ProblemError | undefined {
  if (!(error instanceof PassThroughProblem)) return undefined;
  const problem = (error.problem ?? {}) as Record<string, unknown>;
  const code: ErrorCode = isErrorCode(problem.code)
    ? problem.code
    : error.status === 404
      ? 'not_found'
      : error.status === 409
        ? 'conflict'
        : 'bad_request';
  const extensions = Object.fromEntries(Object.entries(problem).filter(([k]) => !RESERVED.has(k)));
  const detail = typeof problem.detail === 'string' ? problem.detail : 'Refused';
  return new ProblemError(code, detail, extensions);
}
