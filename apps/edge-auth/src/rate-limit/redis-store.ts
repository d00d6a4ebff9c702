import type { RedisConnection } from '@tollgate/redis';
import { monthIndex, msUntilMonthEnd } from './calendar-month';
import { assertValidRequest, planOf } from './compile-limits';
import { decisionFromReply } from './decision';
import type { LimitDecision, LimitRequest, RateLimiter } from './types';

/** Lua: the period and the count of a stored `"<period>:<count>"` value (nil when malformed). */
export const STORED_COUNTER = `
local function periodOf(value)
  local sep = string.find(value, ':', 1, true)
  if sep == nil then return nil end
  return tonumber(string.sub(value, 1, sep - 1))
end
local function countOf(value)
  return tonumber(string.sub(value, string.find(value, ':', 1, true) + 1)) or 0
end
`;

/**
 * Lua, after the HMGET: `counterAt(i, windowMs)` → the period, ms until its reset and the count
 * stored for entry i in that period (0 when the stored one is of an earlier period). windowMs 0
 * is the monthly quota, whose period and reset come from the caller. Expects stored, now,
 * quotaPeriod and quotaReset in scope.
 */
export const COUNTER_AT = `
local function counterAt(i, windowMs)
  local period, reset
  if windowMs == 0 then
    period = quotaPeriod
    reset = quotaReset
  else
    period = math.floor(now / windowMs)
    reset = (period + 1) * windowMs - now
  end
  local value = stored[i + 2]
  if value and periodOf(value) == period then return period, reset, countOf(value) end
  return period, reset, 0
end
`;

/**
 * Lua, run before an admitting write: when the plan's field set changed (or #gc is due), drops the
 * counters of policies the plan no longer has once their period is over, and notes in #gc when to
 * look again. Live ones stay, so replicas still on the previous plan version do not reset each
 * other's counts. Expects key, sig, stored (HMGET '#sig', '#gc', fields…), fields, n, now,
 * quotaPeriod, quotaReset, writes and periodOf in scope.
 */
export const DROP_REMOVED_COUNTERS = `
if stored[1] ~= sig or (stored[2] and tonumber(stored[2]) <= now) then
  local keep = {['#sig'] = true, ['#gc'] = true}
  for i = 1, n do keep[fields[i]] = true end
  local stale = {}
  local gcAt = nil
  local all = redis.call('HGETALL', key)
  for j = 1, #all, 2 do
    local f = all[j]
    if not keep[f] then
      local current, ends
      if f == '#quota' then
        current = quotaPeriod
        ends = now + quotaReset
      else
        local windowMs = tonumber(string.match(f, ':(%d+)$'))
        if windowMs and windowMs > 0 then
          current = math.floor(now / windowMs)
          ends = (current + 1) * windowMs
        end
      end
      if current == nil or periodOf(all[j + 1]) ~= current then
        stale[#stale + 1] = f
      elseif gcAt == nil or ends < gcAt then
        gcAt = ends
      end
    end
  end
  if gcAt then
    writes[3] = '#gc'
    writes[4] = string.format('%d', gcAt)
  elseif stored[2] then
    stale[#stale + 1] = '#gc'
  end
  if #stale > 0 then redis.call('HDEL', key, unpack(stale)) end
end

`;

/**
 * One evaluation per request covers every window and the quota of one scope, atomically.
 *
 * KEYS[1]  the scope's hash (`<prefix>{<scope>}`; the hash tag keeps it Cluster-safe).
 * ARGV     cost, signature, quotaPeriod (UTC month index), quotaResetMs, then per entry: field,
 *          limit, windowMs (0 = the monthly quota, whose period and reset come from the caller's
 *          clock: month boundaries need no sub-second agreement between replicas).
 * Fields   `<field>` → "<period>:<count>"; `#sig` → the signature of the plan's field set; `#gc` →
 *          when a counter of a removed policy, kept while still live, can be dropped.
 * Reply    {admitted, count₁, resetMs₁, …}: counts after this request when admitted, untouched
 *          counts when denied (a denied request writes nothing).
 *
 * Windows use the server's TIME so replicas with skewed clocks share one window index.
 */
export const RATE_LIMIT_SCRIPT = `
${STORED_COUNTER}
local key = KEYS[1]
local cost = tonumber(ARGV[1])
local sig = ARGV[2]
local quotaPeriod = tonumber(ARGV[3])
local quotaReset = tonumber(ARGV[4])
local n = (#ARGV - 4) / 3
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local fields = {}
for i = 1, n do fields[i] = ARGV[2 + 3 * i] end
local stored = redis.call('HMGET', key, '#sig', '#gc', unpack(fields))
${COUNTER_AT}
local reply = {1}
local periods = {}
local admitted = true
for i = 1, n do
  local limit = tonumber(ARGV[3 + 3 * i])
  local period, reset, count = counterAt(i, tonumber(ARGV[4 + 3 * i]))
  periods[i] = period
  reply[2 * i] = count
  reply[2 * i + 1] = reset
  if count + cost > limit then admitted = false end
end

if not admitted then
  reply[1] = 0
  return reply
end

local writes = {'#sig', sig}
${DROP_REMOVED_COUNTERS}local ttl = 1
for i = 1, n do
  local count = reply[2 * i] + cost
  reply[2 * i] = count
  writes[#writes + 1] = fields[i]
  writes[#writes + 1] = string.format('%d:%d', periods[i], count)
  if reply[2 * i + 1] > ttl then ttl = reply[2 * i + 1] end
end
redis.call('HSET', key, unpack(writes))
-- Never shorten the expiry: counters of another plan version may still be live. GT ignores a hash
-- without expiry (new), which NX then covers.
if redis.call('PEXPIRE', key, ttl, 'GT') == 0 then redis.call('PEXPIRE', key, ttl, 'NX') end
return reply
`;

const COMMAND = 'tollgateRateLimit';

type ScriptArg = string | number;
interface RateLimitCommand {
  tollgateRateLimit(key: string, ...args: readonly ScriptArg[]): Promise<number[]>;
}

export interface RedisLimiterOptions {
  redis: RedisConnection;
  /** Prepended to `{<scope>}`; independent of any ioredis `keyPrefix` on the connection. */
  keyPrefix: string;
}

/**
 * Strict, exact limits shared by every replica. Does not own the connection: `close()` leaves it
 * open for its owner. Errors and slowness are the caller's to handle (see createRateLimiter).
 */
export class RedisLimiter implements RateLimiter {
  private readonly client: RedisConnection & RateLimitCommand;
  private readonly keyPrefix: string;

  constructor(options: RedisLimiterOptions) {
    options.redis.defineCommand(COMMAND, { numberOfKeys: 1, lua: RATE_LIMIT_SCRIPT });
    this.client = options.redis as RedisConnection & RateLimitCommand;
    this.keyPrefix = options.keyPrefix;
  }

  /** The hash holding a scope's counters. */
  keyOf(scope: string): string {
    return `${this.keyPrefix}{${scope}}`;
  }

  async check(req: LimitRequest): Promise<LimitDecision> {
    assertValidRequest(req);
    const plan = planOf(req.limits);
    if (plan.entries.length === 0) return decisionFromReply(plan, req.cost, [1], 'redis');
    const reply = await this.client.tollgateRateLimit(
      this.keyOf(req.scope),
      req.cost,
      plan.signature,
      monthIndex(req.now),
      msUntilMonthEnd(req.now),
      ...plan.redisArgs,
    );
    return decisionFromReply(plan, req.cost, reply, 'redis');
  }

  async close(): Promise<void> {
    // The connection belongs to whoever created it.
  }
}
