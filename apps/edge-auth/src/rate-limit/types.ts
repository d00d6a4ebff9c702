export interface LimitPolicy {
  readonly name: string;
  readonly limit: number;
  readonly windowMs: number;
}

/** Precompiled once per plan version (cache it on the plan), so the hot path allocates little. */
export interface CompiledLimits {
  /** Rate windows, from plan.rateLimits. */
  readonly policies: readonly LimitPolicy[];
  /** Calendar month in UTC, cost units; null = unlimited. */
  readonly monthlyQuota: number | null;
  /** Precomputed `RateLimit-Policy` header value ('' when the plan has no limits). */
  readonly policyHeader: string;
}

export interface LimitRequest {
  /** Who shares the counters, e.g. `key_01H…` or `acct_01H…` (the caller picks per limitScope). */
  scope: string;
  limits: CompiledLimits;
  cost: number;
  /** Epoch ms. */
  now: number;
}

export interface PolicyState {
  name: string;
  limit: number;
  remaining: number;
  /** Ms until this window/quota resets. */
  resetMs: number;
}

export type DecidedBy = 'redis' | 'lease' | 'memory' | 'fail-open' | 'fail-closed' | 'local';

export interface LimitDecision {
  allowed: boolean;
  /** null when allowed; else the violated policy. kind 'quota' = monthly quota exhausted. */
  violated: null | { kind: 'rate' | 'quota'; name: string; retryAfterMs: number };
  /** Windows in plan order, then the quota (name 'monthly-quota') if any. */
  policies: readonly PolicyState[];
  /** Which path decided: 'redis' | 'lease' | 'memory' | 'fail-open' | 'fail-closed' | 'local'. */
  decidedBy: string;
}

export interface RateLimiter {
  check(req: LimitRequest): Promise<LimitDecision>;
  /** A decision made without I/O, or null when `check` must be called (stores that can). */
  checkLocal?(req: LimitRequest): LimitDecision | null;
  close(): Promise<void>;
}
