/**
 * Anything shaped like an API key (`<prefix>_<live|test>_<body>`) is masked wherever it appears
 * in a log line, including URLs, error messages and free text. Field-based redaction alone misses
 * a key pasted into a query string or echoed in a message, so this runs on the final JSON line.
 */
const KEY_SHAPED = /\b([a-z][a-z0-9]{0,15})_(live|test)_[0-9A-Za-z]{16,}/g;

export const REDACTED = '[redacted]';

export function maskKeyShapedValues(text: string): string {
  return text.replace(
    KEY_SHAPED,
    (_match, prefix: string, env: string) => `${prefix}_${env}_${REDACTED}`,
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
