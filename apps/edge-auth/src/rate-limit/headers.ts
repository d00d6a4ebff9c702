import { planOf, type LimitEntry } from './compile-limits';
import type { CompiledLimits, LimitDecision, PolicyState } from './types';

/**
 * IETF draft-ietf-httpapi-ratelimit-headers (structured-field form) plus the common X-RateLimit-*
 * trio, all describing the tightest policy: the violated one when denied, else the one with the
 * least remaining (ties: the later reset, since waiting out the earlier one would not help).
 * Reset values are delta seconds, rounded up.
 */
export function rateLimitHeaders(limits: CompiledLimits, d: LimitDecision): Record<string, string> {
  const entries = planOf(limits).entries;
  const policies = d.policies;
  if (entries.length === 0 || policies.length !== entries.length) {
    return d.violated === null ? {} : { 'Retry-After': retryAfterSeconds(d.violated.retryAfterMs) };
  }
  const i = tightest(policies, d.violated?.name);
  const entry = entries[i] as LimitEntry;
  const state = policies[i] as PolicyState;
  const remaining = String(state.remaining);
  const reset = String(Math.max(0, Math.ceil(state.resetMs / 1000)));
  const headers: Record<string, string> = {
    'RateLimit-Policy': limits.policyHeader,
    RateLimit: `${entry.rateLimitPrefix}${remaining};t=${reset}`,
    'X-RateLimit-Limit': entry.limitText,
    'X-RateLimit-Remaining': remaining,
    'X-RateLimit-Reset': reset,
  };
  if (d.violated !== null) headers['Retry-After'] = retryAfterSeconds(d.violated.retryAfterMs);
  return headers;
}

function tightest(policies: readonly PolicyState[], violatedName: string | undefined): number {
  let best = 0;
  for (let i = 0; i < policies.length; i++) {
    const p = policies[i] as PolicyState;
    if (p.name === violatedName) return i;
    const b = policies[best] as PolicyState;
    if (p.remaining < b.remaining || (p.remaining === b.remaining && p.resetMs > b.resetMs))
      best = i;
  }
  return best;
}

function retryAfterSeconds(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / 1000)));
}
