import { monthIndex, msUntilMonthEnd } from './calendar-month';
import { assertValidRequest, planOf, type LimitEntry } from './compile-limits';
import { decisionFromReply } from './decision';
import type { LimitDecision, LimitRequest, RateLimiter } from './types';

export interface MemoryLimiterOptions {
  /** At most this many scopes are tracked; the least recently used is evicted first. */
  maxScopes?: number;
  /** Reported as `decidedBy` ('memory' standalone, 'local' as the Redis fallback). */
  decidedBy?: 'memory' | 'local';
}

interface Counter {
  /** 0 for the monthly quota. */
  windowMs: number;
  /** Window index (floor(now / windowMs)) or month index the count belongs to. */
  period: number;
  count: number;
}

interface ScopeState {
  signature: string;
  counters: Map<string, Counter>;
  /** Every counter has rolled over by then, so the whole scope can go. */
  expiresAt: number;
  /** When a counter of a removed policy, kept while live, can be dropped. */
  gcAt: number;
}

const EXPIRED_SWEEP_PER_INSERT = 4;

/**
 * The same algorithm as the Redis script, in process: fixed epoch-aligned windows plus the UTC
 * month, all-or-nothing. Synchronous, so one scratch reply buffer serves every call.
 */
export class MemoryLimiter implements RateLimiter {
  private readonly scopes = new Map<string, ScopeState>();
  /** The scope at the back of `scopes` (most recently used): touching it again changes nothing. */
  private newest: string | undefined;
  private readonly maxScopes: number;
  private readonly decidedBy: 'memory' | 'local';
  private scratch = new Float64Array(1);

  constructor(options: MemoryLimiterOptions = {}) {
    this.maxScopes = options.maxScopes ?? 100_000;
    this.decidedBy = options.decidedBy ?? 'memory';
    if (!Number.isInteger(this.maxScopes) || this.maxScopes < 1) {
      throw new TypeError('maxScopes must be a positive integer');
    }
  }

  get size(): number {
    return this.scopes.size;
  }

  async check(req: LimitRequest): Promise<LimitDecision> {
    return this.checkLocal(req);
  }

  /** Every decision of this store is local, so never null. */
  checkLocal(req: LimitRequest): LimitDecision {
    assertValidRequest(req);
    const plan = planOf(req.limits);
    const entries = plan.entries;
    const { cost, now } = req;
    if (this.scratch.length < 1 + 2 * entries.length) {
      this.scratch = new Float64Array(1 + 2 * entries.length);
    }
    const reply = this.scratch;

    let state = this.scopes.get(req.scope);
    if (state !== undefined && state.expiresAt <= now) {
      this.scopes.delete(req.scope);
      state = undefined;
    }

    let admitted = true;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as LimitEntry;
      const period = periodOf(e.windowMs, now);
      const counter = state?.counters.get(e.field);
      const count = counter !== undefined && counter.period === period ? counter.count : 0;
      reply[1 + 2 * i] = count;
      reply[2 + 2 * i] = e.windowMs === 0 ? msUntilMonthEnd(now) : (period + 1) * e.windowMs - now;
      if (count + cost > e.limit) admitted = false;
    }
    reply[0] = admitted ? 1 : 0;

    if (admitted && entries.length > 0) {
      if (state === undefined) {
        state = { signature: plan.signature, counters: new Map(), expiresAt: 0, gcAt: Infinity };
        this.insert(req.scope, state, now);
      } else {
        // Map keeps insertion order: re-inserting makes it the most recently used. A hot scope
        // already is, and re-inserting it per request only churns the Map's table.
        if (this.newest !== req.scope) {
          this.scopes.delete(req.scope);
          this.scopes.set(req.scope, state);
          this.newest = req.scope;
        }
        if (state.signature !== plan.signature || state.gcAt <= now) {
          state.gcAt = dropRemovedCounters(state, entries, now);
          state.signature = plan.signature;
        }
      }
      let expiresAt = state.expiresAt;
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i] as LimitEntry;
        const period = periodOf(e.windowMs, now);
        const count = (reply[1 + 2 * i] as number) + cost;
        reply[1 + 2 * i] = count;
        const counter = state.counters.get(e.field);
        if (counter === undefined) {
          state.counters.set(e.field, { windowMs: e.windowMs, period, count });
        } else {
          counter.period = period;
          counter.count = count;
        }
        expiresAt = Math.max(expiresAt, now + (reply[2 + 2 * i] as number));
      }
      state.expiresAt = expiresAt;
    }
    return decisionFromReply(plan, cost, reply, this.decidedBy);
  }

  async close(): Promise<void> {
    this.scopes.clear();
    this.newest = undefined;
  }

  private insert(scope: string, state: ScopeState, now: number): void {
    // The least recently used scopes sit at the front; most are expired by the time they get there.
    let swept = 0;
    for (const [oldScope, old] of this.scopes) {
      if (swept++ >= EXPIRED_SWEEP_PER_INSERT || old.expiresAt > now) break;
      this.scopes.delete(oldScope);
    }
    this.scopes.set(scope, state);
    this.newest = scope;
    if (this.scopes.size > this.maxScopes) {
      const oldest = this.scopes.keys().next();
      if (oldest.done !== true) this.scopes.delete(oldest.value);
    }
  }
}

/**
 * Like the Redis script: counters of policies the plan no longer has go once their period is over
 * (live ones stay for replicas still on the previous plan). Returns when to look again.
 */
function dropRemovedCounters(
  state: ScopeState,
  entries: readonly LimitEntry[],
  now: number,
): number {
  let gcAt = Infinity;
  for (const [field, counter] of state.counters) {
    if (entries.some((e) => e.field === field)) continue;
    const period = periodOf(counter.windowMs, now);
    if (counter.period !== period) state.counters.delete(field);
    else
      gcAt = Math.min(
        gcAt,
        counter.windowMs === 0 ? now + msUntilMonthEnd(now) : (period + 1) * counter.windowMs,
      );
  }
  return gcAt;
}

function periodOf(windowMs: number, now: number): number {
  return windowMs === 0 ? monthIndex(now) : Math.floor(now / windowMs);
}
