/**
 * Anything shaped like an API key (`<prefix>_<live|test>_<body>`) is masked wherever it appears
 * in a log line, including URLs, error messages and free text. Field-based redaction alone misses
 * a key pasted into a query string or echoed in a message, so this runs on the final JSON line.
 *
 * The match is anchored on the environment between two separators, not on a word boundary, so a
 * key glued to what precedes it is masked too (`Bearer%20tg_live_…`, `Xtg_live_…`, `_tg_test_…`,
 * `"tg_live_…`), with the separators also URL-encoded once or twice (`%5F`, `%255F`). The body,
 * 16 or more base62 characters, is replaced; the prefix and environment stay readable.
 */
const SEPARATOR = '(?:_|%5[Ff]|%255[Ff])';
const KEY_SHAPED = new RegExp(`(${SEPARATOR})(live|test)(${SEPARATOR})[0-9A-Za-z]{16,}`, 'g');

export const REDACTED = '[redacted]';

export function maskKeyShapedValues(text: string): string {
  return text.replace(
    KEY_SHAPED,
    (_match, before: string, env: string, after: string) => `${before}${env}${after}${REDACTED}`,
  );
}

/** Field paths (pino redact syntax) that may hold credentials in any of our apps. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers["x-api-key"]',
  '*.apiKey',
  '*.plaintext',
  '*.plaintextKey',
  '*.password',
  '*.secret',
  '*.pepper',
  '*.peppers',
  '*.token',
];
