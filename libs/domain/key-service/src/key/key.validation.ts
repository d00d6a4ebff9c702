import { validation } from '../common/domain-error';

const SCOPE = /^[a-z][a-z0-9_.:-]{0,63}$/;
const METADATA_KEY = /^[A-Za-z0-9_.-]{1,64}$/;
export const MAX_SCOPES = 50;
export const MAX_METADATA_ENTRIES = 20;
export const MAX_METADATA_VALUE_LENGTH = 512;
export const MAX_REASON_LENGTH = 200;
export const MAX_KEY_NAME_LENGTH = 100;

/** A key's human name: trimmed, 1-100 characters without control characters, or null. */
export function validateKeyName(name: string | null | undefined): string | null {
  if (name === null || name === undefined) return null;
  const trimmed = name.trim();
  if (
    trimmed.length === 0 ||
    trimmed.length > MAX_KEY_NAME_LENGTH ||
    [...trimmed].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)
  )
    throw validation(
      'invalid_key_name',
      `a key name is 1-${MAX_KEY_NAME_LENGTH} characters without control characters`,
      'name',
    );
  return trimmed;
}

export function validateScopes(scopes: readonly string[]): string[] {
  if (scopes.length > MAX_SCOPES)
    throw validation('too_many_scopes', `at most ${MAX_SCOPES} scopes`, 'scopes');
  for (const scope of scopes) {
    if (!SCOPE.test(scope)) {
      throw validation(
        'invalid_scope',
        'scopes are lowercase identifiers like "usage:read" (max 64 chars)',
        'scopes',
      );
    }
  }
  return [...new Set(scopes)].sort();
}

export function validateMetadata(
  metadata: Readonly<Record<string, string>>,
): Record<string, string> {
  const entries = Object.entries(metadata);
  if (entries.length > MAX_METADATA_ENTRIES) {
    throw validation(
      'too_much_metadata',
      `at most ${MAX_METADATA_ENTRIES} metadata entries`,
      'metadata',
    );
  }
  for (const [key, value] of entries) {
    if (!METADATA_KEY.test(key))
      throw validation(
        'invalid_metadata',
        'metadata keys are 1-64 chars of [A-Za-z0-9_.-]',
        'metadata',
      );
    if (typeof value !== 'string' || value.length > MAX_METADATA_VALUE_LENGTH) {
      throw validation(
        'invalid_metadata',
        `metadata values are strings of at most ${MAX_METADATA_VALUE_LENGTH} chars`,
        'metadata',
      );
    }
  }
  return Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));
}

export function validateExpiry(expiresAt: number | null, now: number): number | null {
  if (expiresAt === null) return null;
  if (!Number.isSafeInteger(expiresAt))
    throw validation('invalid_expiry', 'expiresAt must be epoch milliseconds', 'expiresAt');
  if (expiresAt <= now)
    throw validation('expiry_in_past', 'expiresAt must be in the future', 'expiresAt');
  return expiresAt;
}

export function validateReason(reason: string): string {
  const trimmed = reason.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_REASON_LENGTH) {
    throw validation(
      'invalid_reason',
      `reason must be 1-${MAX_REASON_LENGTH} characters`,
      'reason',
    );
  }
  return trimmed;
}
