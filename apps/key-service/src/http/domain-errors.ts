import { ProblemError, type ErrorCode } from '@tollgate/service-runtime';
import { DomainError, type DomainErrorKind } from '@tollgate/key-service-domain';

const STATUS_CODE: Record<DomainErrorKind, ErrorCode> = {
  validation: 'validation_failed',
  not_found: 'not_found',
  illegal_state: 'conflict',
  conflict: 'precondition_failed',
};

/** The one place domain errors become HTTP problems; the domain's own code travels as `reason`. */
export function mapDomainError(error: unknown): ProblemError | undefined {
  if (!(error instanceof DomainError)) return undefined;
  return new ProblemError(STATUS_CODE[error.kind], error.message, {
    reason: error.code,
    ...(error.field ? { field: error.field } : {}),
  });
}
