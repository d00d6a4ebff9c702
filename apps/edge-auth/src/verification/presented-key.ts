import { MAX_API_KEY_LENGTH } from '@tollgate/api-keys';

export type KeyHeader = 'authorization' | 'x-api-key';

export type PresentedKey =
  | { kind: 'key'; key: string }
  | { kind: 'missing' }
  /** Something was sent where a key belongs, but not in a form we accept (e.g. `Basic …`). */
  | { kind: 'unusable'; detail: string };

type Headers = Record<string, string | string[] | undefined>;

const MISSING: PresentedKey = { kind: 'missing' };
/** Longer header values are not keys; we do not look at them further. */
const MAX_CREDENTIAL_LENGTH = MAX_API_KEY_LENGTH + 64;

/** The key a request presents, from the configured headers in order. */
export function presentedKey(headers: Headers, from: readonly KeyHeader[]): PresentedKey {
  for (const name of from) {
    const raw = headers[name];
    if (raw === undefined) continue;
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (value === undefined || value === '') continue;
    if (Array.isArray(raw) && raw.length > 1)
      return { kind: 'unusable', detail: `send exactly one ${name} header` };
    if (value.length > MAX_CREDENTIAL_LENGTH)
      return { kind: 'unusable', detail: `the ${name} header is too long to hold an API key` };
    if (name === 'x-api-key') return { kind: 'key', key: value.trim() };
    // RFC 9110: the auth scheme is case-insensitive; one or more spaces before the credential.
    const space = value.indexOf(' ');
    if (space === -1 || value.slice(0, space).toLowerCase() !== 'bearer')
      return { kind: 'unusable', detail: 'use "Authorization: Bearer <API key>"' };
    return { kind: 'key', key: value.slice(space + 1).trim() };
  }
  return MISSING;
}

const KEY_PARAMETER_NAMES = new Set(['api_key', 'apikey', 'api-key', 'x-api-key', 'access_token']);

/**
 * True when the URL's query string carries an API key (by parameter name or by the key's shape):
 * keys in URLs end up in access logs, browser history and referrers, so such requests are refused.
 */
export function queryCarriesKey(url: string, keyPrefix: string): boolean {
  const q = url.indexOf('?');
  if (q === -1) return false;
  // An underscore may arrive percent-encoded (once or twice): `tg%5Flive%5F…`, `api%5Fkey=`.
  const query = url.slice(q + 1).replace(/%(?:25)?5f/gi, '_');
  if (query.includes(`${keyPrefix}_live_`) || query.includes(`${keyPrefix}_test_`)) return true;
  for (const pair of query.split('&', 64)) {
    const eq = pair.indexOf('=');
    const name = (eq === -1 ? pair : pair.slice(0, eq)).toLowerCase();
    if (KEY_PARAMETER_NAMES.has(name)) return true;
  }
  return false;
}
