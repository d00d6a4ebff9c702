import type { RedisConnection } from '@tollgate/redis';
import { monthIndex, msUntilMonthEnd } from './calendar-month';
import { assertValidRequest, planOf, type LimitEntry, type LimitsPlan } from './compile-limits';
import { decisionFromReply } from './decision';
import { COUNTER_AT, DROP_REMOVED_COUNTERS, STORED_COUNTER } from './redis-store';
import type { LimitDecision, LimitRequest, PolicyState, RateLimiter } from './types';

/**
 * Takes a lease on part of a scope's remaining budget, for every window and the quota at once.
 *
 * KEYS[1]  the scope's hash, the same one the strict script counts in (the two modes can be mixed
 *          across replicas during a rollout: both count every admitted unit in the same fields).
 * ARGV     cost, signature, quotaPeriod, quotaResetMs, divisor, then per entry: field, limit,
 *          windowMs, held, heldPeriod, maxExtra. `held` tokens of `heldPeriod` are what this replica
 *          still holds of that counter; they count toward this request when that period is current.
 * Grant    per entry: need = cost − usable held; admitted only if every entry has room for its need
 *          (all or nothing, as strict). The grant is need + extra, extra = min(maxExtra,
 *          ⌊(limit − count − need) / divisor⌋): the lease shrinks with the budget left, down to
 *          none near the limit (exact per-request mode there). The count includes every grant, so
 *          the units admitted across replicas never exceed the limit.
 * Reply    {admitted, then per entry: count, resetMs, grant, period}.
 */
export const LEASE_SCRIPT = `
${STORED_COUNTER}
local key = KEYS[1]
local cost = tonumber(ARGV[1])
local sig = ARGV[2]
local quotaPeriod = tonumber(ARGV[3])
local quotaReset = tonumber(ARGV[4])
local divisor = tonumber(ARGV[5])
local n = (#ARGV - 5) / 6
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local fields = {}
for i = 1, n do fields[i] = ARGV[6 * i] end
local stored = redis.call('HMGET', key, '#sig', '#gc', unpack(fields))
${COUNTER_AT}
local reply = {1}
local needs = {}
local admitted = true
for i = 1, n do
  local b = 6 * i
  local limit = tonumber(ARGV[b + 1])
  local held = tonumber(ARGV[b + 3])
  local heldPeriod = tonumber(ARGV[b + 4])
  local period, reset, count = counterAt(i, tonumber(ARGV[b + 2]))
  local usable = 0
  if heldPeriod == period then usable = held end
  local need = cost - usable
  if need < 0 then need = 0 end
  needs[i] = need
  reply[4 * i - 2] = count
  reply[4 * i - 1] = reset
  reply[4 * i] = 0
  reply[4 * i + 1] = period
  if count + need > limit then admitted = false end
end

if not admitted then
  reply[1] = 0
  return reply
end

local writes = {'#sig', sig}
${DROP_REMOVED_COUNTERS}
local ttl = 1
for i = 1, n do
  local b = 6 * i
  local limit = tonumber(ARGV[b + 1])
  local maxExtra = tonumber(ARGV[b + 5])
  local count = reply[4 * i - 2]
  local extra = math.floor((limit - count - needs[i]) / divisor)
  if extra > maxExtra then extra = maxExtra end
  if extra < 0 then extra = 0 end
  local grant = needs[i] + extra
  count = count + grant
  reply[4 * i - 2] = count
  reply[4 * i] = grant
  writes[#writes + 1] = fields[i]
  writes[#writes + 1] = string.format('%d:%d', reply[4 * i + 1], count)
  if reply[4 * i - 1] > ttl then ttl = reply[4 * i - 1] end
end
redis.call('HSET', key, unpack(writes))
if redis.call('PEXPIRE', key, ttl, 'GT') == 0 then redis.call('PEXPIRE', key, ttl, 'NX') end
return reply
`;

/**
 * Gives unused leased tokens back: per entry (field, period, amount), the count goes down by the
 * amount if that period is still the stored one (a later period owes nothing back).
 */
export const RETURN_SCRIPT = `
${STORED_COUNTER}
local key = KEYS[1]
for i = 1, #ARGV, 3 do
  local value = redis.call('HGET', key, ARGV[i])
  local period = tonumber(ARGV[i + 1])
  if value and periodOf(value) == period then
    local count = countOf(value) - tonumber(ARGV[i + 2])
    if count < 0 then count = 0 end
    redis.call('HSET', key, ARGV[i], string.format('%d:%d', period, count))
  end
end
return 1
`;

type ScriptArg = string | number;
interface LeaseCommands {
  tollgateLease(key: string, ...args: readonly ScriptArg[]): Promise<number[]>;
  tollgateLeaseReturn(key: string, ...args: readonly ScriptArg[]): Promise<number>;
}

export interface LeaseOptions {
  /** Largest extra lease per counter, as a share of its limit; default 0.05. */
  fraction?: number;
  /** Largest extra lease per counter, in units; default 1000. */
  maxTokens?: number;
  /**
   * The lease is at most the remaining budget divided by this (default 8): with fewer replicas
   * than that sharing a scope, tokens left unused in other replicas' leases stay a small part of
   * what is left, and the last `divisor` units are always decided one request at a time.
   */
  divisor?: number;
  /** A scope unused this long gives its unused tokens back; default 1000 ms. */
  idleReturnMs?: number;
  /** Scopes held at once (oldest give back first); default 100 000. */
  maxScopes?: number;
}

export interface LeasedLimiterOptions extends LeaseOptions {
  redis: RedisConnection;
  keyPrefix: string;
  /** Monotonic ms clock for lease expiry; default performance.now. */
  clock?: () => number;
  onReturnError?: (err: unknown) => void;
}

/** What one replica holds of one scope's counters. */
interface Lease {
  readonly plan: LimitsPlan;
  readonly held: number[];
  readonly period: number[];
  /** Monotonic ms after which a window's tokens are not used (its period may have ended). */
  readonly deadline: number[];
  /** The counter as Redis last reported it (every replica's grants included). */
  readonly count: number[];
  lastUsed: number;
  inFlight: Promise<void> | null;
}

/**
 * Leased rate-limit tokens: each replica takes a share of a window's remaining budget from Redis
 * in one atomic call and admits locally while it lasts, so most requests never wait on Redis.
 * Exact like the strict store in what matters: the units admitted across all replicas never exceed
 * a limit. What it trades: near the limit a request can be refused while another replica still
 * holds unused tokens (a false 429, bounded by the divisor), and `remaining` in headers is this
 * replica's view. Unused tokens go back when a scope falls idle, is evicted, or on close.
 */
export class LeasedLimiter implements RateLimiter {
  private readonly client: RedisConnection & LeaseCommands;
  private readonly keyPrefix: string;
  private readonly fraction: number;
  private readonly maxTokens: number;
  private readonly divisor: number;
  private readonly idleReturnMs: number;
  private readonly maxScopes: number;
  private readonly clock: () => number;
  private readonly leases = new Map<string, Lease>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly returns = new Set<Promise<unknown>>();
  private readonly onReturnError: (err: unknown) => void;
  /** Redis calls made (lease takes and give-backs), for tests and metrics. */
  redisCalls = 0;

  constructor(options: LeasedLimiterOptions) {
    options.redis.defineCommand('tollgateLease', { numberOfKeys: 1, lua: LEASE_SCRIPT });
    options.redis.defineCommand('tollgateLeaseReturn', { numberOfKeys: 1, lua: RETURN_SCRIPT });
    this.client = options.redis as RedisConnection & LeaseCommands;
    this.keyPrefix = options.keyPrefix;
    this.fraction = positive('fraction', options.fraction ?? 0.05);
    this.maxTokens = Math.floor(positive('maxTokens', options.maxTokens ?? 1_000));
    this.divisor = Math.max(1, Math.floor(positive('divisor', options.divisor ?? 8)));
    this.idleReturnMs = positive('idleReturnMs', options.idleReturnMs ?? 1_000);
    this.maxScopes = Math.floor(positive('maxScopes', options.maxScopes ?? 100_000));
    this.clock = options.clock ?? (() => performance.now());
    this.onReturnError = options.onReturnError ?? (() => undefined);
    this.sweeper = setInterval(() => this.returnIdle(), Math.max(50, this.idleReturnMs / 2));
    this.sweeper.unref();
  }

  /** The hash holding a scope's counters (shared with the strict store). */
  keyOf(scope: string): string {
    return `${this.keyPrefix}{${scope}}`;
  }

  /** Decides from this replica's lease alone, or null when Redis must be asked. Never waits. */
  checkLocal(req: LimitRequest): LimitDecision | null {
    const lease = this.leases.get(req.scope);
    if (lease === undefined || lease.inFlight !== null) return null;
    const plan = planOf(req.limits);
    if (lease.plan !== plan) return null;
    const now = this.clock();
    const entries = plan.entries;
    for (let i = 0; i < entries.length; i++) {
      if ((lease.held[i] as number) < req.cost) return null;
      const windowMs = (entries[i] as LimitEntry).windowMs;
      if (
        windowMs === 0
          ? lease.period[i] !== monthIndex(req.now)
          : now >= (lease.deadline[i] as number)
      )
        return null;
    }
    lease.lastUsed = now;
    return this.admit(lease, req, now, 'lease');
  }

  async check(req: LimitRequest): Promise<LimitDecision> {
    assertValidRequest(req);
    const plan = planOf(req.limits);
    if (plan.entries.length === 0) return decisionFromReply(plan, req.cost, [1], 'lease');
    for (;;) {
      const local = this.checkLocal(req);
      if (local !== null) return local;
      let lease = this.leases.get(req.scope);
      if (lease?.inFlight) {
        // One lease call per scope at a time: the others wait for it and try its tokens first.
        await lease.inFlight;
        continue;
      }
      if (lease !== undefined && lease.plan !== plan) {
        this.giveBack(req.scope, lease);
        lease = undefined;
      }
      if (lease === undefined) lease = this.open(req.scope, plan);
      return this.take(lease, req);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    for (const [scope, lease] of this.leases) this.giveBack(scope, lease);
    await Promise.allSettled([...this.returns]);
  }

  /** Returns the unused tokens of scopes idle for `idleReturnMs`. */
  returnIdle(): void {
    const idleSince = this.clock() - this.idleReturnMs;
    for (const [scope, lease] of this.leases) {
      if (lease.inFlight === null && lease.lastUsed <= idleSince) this.giveBack(scope, lease);
    }
  }

  /** Resolves once every give-back sent so far has been answered (tests). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.returns]);
  }

  private open(scope: string, plan: LimitsPlan): Lease {
    if (this.leases.size >= this.maxScopes) {
      const oldest = this.leases.entries().next().value;
      if (oldest !== undefined) this.giveBack(oldest[0], oldest[1]);
    }
    const n = plan.entries.length;
    const lease: Lease = {
      plan,
      held: new Array<number>(n).fill(0),
      period: new Array<number>(n).fill(-1),
      deadline: new Array<number>(n).fill(0),
      count: new Array<number>(n).fill(0),
      lastUsed: this.clock(),
      inFlight: null,
    };
    this.leases.set(scope, lease);
    return lease;
  }

  private async take(lease: Lease, req: LimitRequest): Promise<LimitDecision> {
    const plan = lease.plan;
    const entries = plan.entries;
    const args: ScriptArg[] = [
      req.cost,
      plan.signature,
      monthIndex(req.now),
      msUntilMonthEnd(req.now),
      this.divisor,
    ];
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as LimitEntry;
      const extra = Math.min(this.maxTokens, Math.ceil(e.limit * this.fraction));
      args.push(
        e.field,
        e.limit,
        e.windowMs,
        lease.held[i] as number,
        lease.period[i] as number,
        extra,
      );
    }
    const sentAt = this.clock();
    let done!: () => void;
    lease.inFlight = new Promise<void>((resolve) => (done = resolve));
    let reply: number[];
    try {
      this.redisCalls++;
      reply = await this.client.tollgateLease(this.keyOf(req.scope), ...args);
    } catch (err) {
      // Whatever was held stays usable; the caller's fallback decides this request.
      throw err instanceof Error ? err : new Error(String(err));
    } finally {
      lease.inFlight = null;
      done();
    }
    for (let i = 0; i < entries.length; i++) {
      const period = reply[4 * i + 4] as number;
      if (period !== lease.period[i]) {
        lease.period[i] = period;
        lease.held[i] = 0;
      }
      lease.held[i] = (lease.held[i] as number) + (reply[4 * i + 3] as number);
      lease.count[i] = reply[4 * i + 1] as number;
      // Measured from before the call: the window cannot have ended earlier than this here.
      lease.deadline[i] = sentAt + (reply[4 * i + 2] as number);
    }
    lease.lastUsed = this.clock();
    if (reply[0] === 1) return this.admit(lease, req, lease.lastUsed, 'redis');
    return this.deny(lease, req, reply);
  }

  private admit(lease: Lease, req: LimitRequest, now: number, decidedBy: string): LimitDecision {
    const entries = lease.plan.entries;
    const policies = new Array<PolicyState>(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as LimitEntry;
      const held = (lease.held[i] as number) - req.cost;
      lease.held[i] = held;
      policies[i] = {
        name: e.name,
        limit: e.limit,
        remaining: Math.max(0, e.limit - (lease.count[i] as number)) + held,
        resetMs:
          e.windowMs === 0
            ? msUntilMonthEnd(req.now)
            : Math.max(1, Math.ceil((lease.deadline[i] as number) - now)),
      };
    }
    return { allowed: true, violated: null, policies, decidedBy };
  }

  private deny(lease: Lease, req: LimitRequest, reply: number[]): LimitDecision {
    const entries = lease.plan.entries;
    const policies = new Array<PolicyState>(entries.length);
    let violated: LimitEntry | null = null;
    let retryAfterMs = 0;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as LimitEntry;
      const count = reply[4 * i + 1] as number;
      const resetMs = reply[4 * i + 2] as number;
      const held = lease.held[i] as number;
      policies[i] = {
        name: e.name,
        limit: e.limit,
        remaining: Math.max(0, e.limit - count) + held,
        resetMs,
      };
      if (count + Math.max(0, req.cost - held) > e.limit) {
        if (violated === null || (e.kind === 'quota' && violated.kind === 'rate')) violated = e;
        if (resetMs > retryAfterMs) retryAfterMs = resetMs;
      }
    }
    return {
      allowed: false,
      violated:
        violated === null ? null : { kind: violated.kind, name: violated.name, retryAfterMs },
      policies,
      decidedBy: 'redis',
    };
  }

  /** Forgets the scope here and gives its unused tokens back (best effort: a lost give-back only under-admits). */
  private giveBack(scope: string, lease: Lease): void {
    this.leases.delete(scope);
    const args: ScriptArg[] = [];
    const entries = lease.plan.entries;
    for (let i = 0; i < entries.length; i++) {
      const held = lease.held[i] as number;
      if (held > 0) args.push((entries[i] as LimitEntry).field, lease.period[i] as number, held);
    }
    if (args.length === 0) return;
    this.redisCalls++;
    const sent: Promise<unknown> = this.client
      .tollgateLeaseReturn(this.keyOf(scope), ...args)
      .catch(this.onReturnError)
      .finally(() => this.returns.delete(sent));
    this.returns.add(sent);
  }
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new TypeError(`lease ${name} must be a positive number, got ${value}`);
  return value;
}
