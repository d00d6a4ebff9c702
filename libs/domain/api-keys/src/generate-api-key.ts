import {
  BODY_LENGTH,
  DEFAULT_KEY_PREFIX,
  assertValidKeyPrefix,
  formatApiKey,
  isApiKeyEnv,
  type ApiKeyEnv,
} from './api-key-format';
import { formatDisplayHint } from './display-hint';
import { randomBase62 } from './random-base62';

export interface GenerateApiKeyOptions {
  prefix?: string;
  env: ApiKeyEnv;
}

export interface GeneratedApiKey {
  /** Shown to the customer once; store only its hash. */
  readonly plaintext: string;
  readonly prefix: string;
  readonly env: ApiKeyEnv;
  readonly displayHint: string;
}

/** Issues a new key; throws on an invalid prefix or env (configuration errors). */
export function generateApiKey({
  prefix = DEFAULT_KEY_PREFIX,
  env,
}: GenerateApiKeyOptions): GeneratedApiKey {
  assertValidKeyPrefix(prefix);
  if (!isApiKeyEnv(env)) throw new Error("API key env must be 'live' or 'test'");
  const plaintext = formatApiKey(prefix, env, randomBase62(BODY_LENGTH));
  return { plaintext, prefix, env, displayHint: formatDisplayHint(prefix, env, plaintext) };
}
