import { envAt, scanKeyShape, type ApiKeyEnv } from './api-key-format';

// The tail is four of the six checksum digits: it gives away about 24 bits of a CRC of the body,
// which leaves well over 128 bits secret, and it is enough for a person to tell keys apart.
const TAIL_LENGTH = 4;

export function formatDisplayHint(prefix: string, env: ApiKeyEnv, plaintext: string): string {
  return `${prefix}_${env}_…${plaintext.slice(-TAIL_LENGTH)}`;
}

/**
 * The non-secret hint shown in place of a key, e.g. `tg_live_…AbCd`. Returns undefined for
 * text not shaped like a key, so a caller can never end up echoing arbitrary input.
 */
export function displayHintOf(plaintext: string): string | undefined {
  const prefixLength = scanKeyShape(plaintext);
  if (prefixLength < 0) return undefined;
  return formatDisplayHint(
    plaintext.slice(0, prefixLength),
    envAt(plaintext, prefixLength),
    plaintext,
  );
}
