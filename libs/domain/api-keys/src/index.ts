export {
  API_KEY_ENVS,
  BODY_LENGTH,
  CHECKSUM_LENGTH,
  DEFAULT_KEY_PREFIX,
  MAX_API_KEY_LENGTH,
  MAX_PREFIX_LENGTH,
  assertValidKeyPrefix,
  isValidKeyPrefix,
  type ApiKeyEnv,
} from './api-key-format';
export { constantTimeEqualHex } from './constant-time';
export { displayHintOf } from './display-hint';
export {
  generateApiKey,
  type GenerateApiKeyOptions,
  type GeneratedApiKey,
} from './generate-api-key';
export { KeyHasher, MIN_PEPPER_BYTES, type KeyHash, type Pepper } from './key-hasher';
export {
  parseApiKey,
  type ApiKeyParseResult,
  type ApiKeyRejection,
  type ParseApiKeyOptions,
} from './parse-api-key';
