/**
 * The few kinds of domain failure; the HTTP layer maps each kind to one status in one place
 * (validation 400, not_found 404, illegal_state 409, conflict 412-style optimistic concurrency).
 */
export type DomainErrorKind = 'validation' | 'not_found' | 'illegal_state' | 'conflict';

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    /** Stable machine code, e.g. `key_already_revoked`. */
    readonly code: string,
    message: string,
    /** The offending input field, for validation errors. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const validation = (code: string, message: string, field?: string) =>
  new DomainError('validation', code, message, field);
export const illegalState = (code: string, message: string) =>
  new DomainError('illegal_state', code, message);
export const notFound = (code: string, message: string) =>
  new DomainError('not_found', code, message);
