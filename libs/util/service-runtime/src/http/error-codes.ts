/**
 * Every stable machine-readable error code any Tollgate app returns, and its HTTP status.
 * Clients branch on `code`; the table is exhaustive so a new code cannot ship without a status.
 */
export const ERROR_STATUS = {
  bad_request: 400,
  key_in_query: 400,
  validation_failed: 400,
  key_missing: 401,
  key_invalid: 401,
  key_revoked: 401,
  key_expired: 401,
  key_env_mismatch: 401,
  unauthorized: 401,
  admin_token_missing: 401,
  admin_token_invalid: 401,
  forbidden: 403,
  account_suspended: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  precondition_failed: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  quota_exceeded: 429,
  auth_attempts_exceeded: 429,
  internal_error: 500,
  not_ready: 503,
  dependency_unavailable: 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;

const TITLES: Record<ErrorCode, string> = {
  bad_request: 'Bad request',
  key_in_query: 'API key in URL',
  validation_failed: 'Validation failed',
  key_missing: 'API key missing',
  key_invalid: 'API key invalid',
  key_revoked: 'API key revoked',
  key_expired: 'API key expired',
  key_env_mismatch: 'API key environment not accepted',
  unauthorized: 'Unauthorized',
  admin_token_missing: 'Admin token missing',
  admin_token_invalid: 'Admin token invalid',
  forbidden: 'Forbidden',
  account_suspended: 'Account suspended',
  not_found: 'Not found',
  method_not_allowed: 'Method not allowed',
  conflict: 'Conflict',
  precondition_failed: 'Precondition failed',
  payload_too_large: 'Payload too large',
  unsupported_media_type: 'Unsupported media type',
  rate_limited: 'Rate limit exceeded',
  quota_exceeded: 'Quota exceeded',
  auth_attempts_exceeded: 'Too many failed authentication attempts',
  internal_error: 'Internal error',
  not_ready: 'Not ready',
  dependency_unavailable: 'Dependency unavailable',
};

export function titleOf(code: ErrorCode): string {
  return TITLES[code];
}
