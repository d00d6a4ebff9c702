import type { LimitEntry, LimitsPlan } from './compile-limits';
import type { LimitDecision, PolicyState } from './types';

/**
 * Both stores answer in one shape, the Redis script's reply: `[admitted (1|0), count₁, resetMs₁,
 * count₂, resetMs₂, …]` per entry in plan order. Counts include this request's cost when admitted
 * and are the untouched counts when denied.
 */
export type StoreReply = ArrayLike<number>;

export function decisionFromReply(
  plan: LimitsPlan,
  cost: number,
  reply: StoreReply,
  decidedBy: string,
): LimitDecision {
  const entries = plan.entries;
  const allowed = reply[0] === 1;
  const policies: PolicyState[] = new Array<PolicyState>(entries.length);
  let violated: LimitEntry | null = null;
  let retryAfterMs = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as LimitEntry;
    const count = reply[1 + 2 * i] as number;
    const resetMs = reply[2 + 2 * i] as number;
    policies[i] = {
      name: e.name,
      limit: e.limit,
      remaining: Math.max(0, e.limit - count),
      resetMs,
    };
    if (!allowed && count + cost > e.limit) {
      // The quota wins over windows (it is the denial that lasts); among windows the first in plan
      // order. Retry-After covers every violated counter, or the retry would only be denied again.
      if (violated === null || (e.kind === 'quota' && violated.kind === 'rate')) violated = e;
      if (resetMs > retryAfterMs) retryAfterMs = resetMs;
    }
  }
  return {
    allowed,
    violated: violated === null ? null : { kind: violated.kind, name: violated.name, retryAfterMs },
    policies,
    decidedBy,
  };
}
