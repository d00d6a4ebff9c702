export { compileLimits, QUOTA_NAME } from './compile-limits';
export {
  createRateLimiter,
  type RateLimiterOptions,
  type RedisFailureMode,
} from './create-rate-limiter';
export { rateLimitHeaders } from './headers';
export type {
  CompiledLimits,
  LimitDecision,
  LimitPolicy,
  LimitRequest,
  PolicyState,
  RateLimiter,
} from './types';
