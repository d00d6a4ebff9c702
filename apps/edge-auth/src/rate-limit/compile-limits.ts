import { createHash } from 'node:crypto';
import type { CompiledLimits, LimitPolicy, LimitRequest } from './types';

/** The policy name the monthly quota reports under (in decisions and headers). */
export const QUOTA_NAME = 'monthly-quota';
export const MAX_COST = 1_000_000;
const MAX_LIMIT = 1e12;
const MAX_WINDOW_MS = 400 * 24 * 3_600_000;
const MAX_POLICIES = 16;
const MAX_SCOPE_LENGTH = 512;
const PRINTABLE_NAME = /^[\x20-\x7e]{1,64}$/;

/** One counter of a plan: a rate window, or the monthly quota (windowMs 0). */
export interface LimitEntry {
  readonly kind: 'rate' | 'quota';
  readonly name: string;
  readonly limit: number;
  /** 0 for the monthly quota, whose period is the UTC calendar month. */
  readonly windowMs: number;
  /**
   * Store field: `<name>:<windowMs>` for windows, `#quota` for the quota. Changing only a limit keeps
   * the count; a new name or window length starts from zero.
   */
  readonly field: string;
  /** `"<name>";r=` — the start of the `RateLimit` header value. */
  readonly rateLimitPrefix: string;
  readonly limitText: string;
}

/** What the stores and headers need, derived once per CompiledLimits. */
export interface LimitsPlan {
  /** Windows in plan order, then the quota. */
  readonly entries: readonly LimitEntry[];
  /** Identifies the set of fields, so stores drop counters of removed policies on a plan change. */
  readonly signature: string;
  /** Per entry `field, limit, windowMs` — the static part of the Redis script arguments. */
  readonly redisArgs: readonly string[];
  readonly hasQuota: boolean;
}

const plans = new WeakMap<CompiledLimits, LimitsPlan>();

export function compileLimits(plan: {
  rateLimits: readonly LimitPolicy[];
  monthlyQuota: number | null;
}): CompiledLimits {
  const compiledPlan = buildPlan(plan.rateLimits, plan.monthlyQuota);
  const compiled: CompiledLimits = Object.freeze({
    policies: Object.freeze(
      plan.rateLimits.map((p) =>
        Object.freeze({ name: p.name, limit: p.limit, windowMs: p.windowMs }),
      ),
    ),
    monthlyQuota: plan.monthlyQuota,
    policyHeader: policyHeaderOf(compiledPlan.entries),
  });
  plans.set(compiled, compiledPlan);
  return compiled;
}

/** The derived plan; a hand-built CompiledLimits is compiled (and validated) on first use. */
export function planOf(limits: CompiledLimits): LimitsPlan {
  let plan = plans.get(limits);
  if (plan === undefined) {
    plan = buildPlan(limits.policies, limits.monthlyQuota);
    plans.set(limits, plan);
  }
  return plan;
}

/** Programmer errors only: plan data is validated when the plan is compiled. */
export function assertValidRequest(req: LimitRequest): void {
  if (
    typeof req.scope !== 'string' ||
    req.scope.length === 0 ||
    req.scope.length > MAX_SCOPE_LENGTH
  ) {
    throw new TypeError(
      `rate limit scope must be a non-empty string of at most ${MAX_SCOPE_LENGTH} chars`,
    );
  }
  if (!Number.isInteger(req.cost) || req.cost < 1 || req.cost > MAX_COST) {
    throw new TypeError(`rate limit cost must be an integer in [1, ${MAX_COST}], got ${req.cost}`);
  }
  if (!Number.isFinite(req.now) || req.now < 0) {
    throw new TypeError(`rate limit 'now' must be epoch ms, got ${req.now}`);
  }
}

function buildPlan(policies: readonly LimitPolicy[], monthlyQuota: number | null): LimitsPlan {
  const isArray: (value: unknown) => boolean = Array.isArray;
  if (!isArray(policies) || policies.length > MAX_POLICIES) {
    throw new TypeError(`rateLimits must be an array of at most ${MAX_POLICIES} policies`);
  }
  const entries: LimitEntry[] = [];
  const names = new Set<string>();
  for (const p of policies) {
    assertName(p.name, names);
    assertInteger(`limit of policy '${p.name}'`, p.limit, 1, MAX_LIMIT);
    assertInteger(`windowMs of policy '${p.name}'`, p.windowMs, 1, MAX_WINDOW_MS);
    entries.push(entry('rate', p.name, p.limit, p.windowMs, `${p.name}:${p.windowMs}`));
  }
  if (monthlyQuota !== null) {
    assertName(QUOTA_NAME, names);
    // 0 is a legitimate plan ("no traffic this month"): every request is denied as 'quota'.
    assertInteger('monthlyQuota', monthlyQuota, 0, MAX_LIMIT);
    entries.push(entry('quota', QUOTA_NAME, monthlyQuota, 0, '#quota'));
  }
  const fields = entries.map((e) => e.field);
  return {
    entries,
    signature: createHash('sha1').update(fields.join('\n')).digest('base64url').slice(0, 12),
    redisArgs: entries.flatMap((e) => [e.field, String(e.limit), String(e.windowMs)]),
    hasQuota: monthlyQuota !== null,
  };
}

function entry(
  kind: LimitEntry['kind'],
  name: string,
  limit: number,
  windowMs: number,
  field: string,
): LimitEntry {
  return {
    kind,
    name,
    limit,
    windowMs,
    field,
    rateLimitPrefix: `${sfString(name)};r=`,
    limitText: String(limit),
  };
}

function policyHeaderOf(entries: readonly LimitEntry[]): string {
  // The quota has no `w`: a calendar month is not a fixed window, so any fixed value would be wrong
  // for most months (`w` is optional in the draft).
  return entries
    .map((e) =>
      e.kind === 'rate'
        ? `${sfString(e.name)};q=${e.limit};w=${Math.ceil(e.windowMs / 1000)}`
        : `${sfString(e.name)};q=${e.limit}`,
    )
    .join(', ');
}

/** RFC 8941 sf-string: printable ASCII with `"` and `\` escaped. */
function sfString(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function assertName(name: unknown, seen: Set<string>): asserts name is string {
  if (typeof name !== 'string' || !PRINTABLE_NAME.test(name)) {
    throw new TypeError(`policy name must be 1-64 printable ASCII chars, got ${String(name)}`);
  }
  if (seen.has(name)) throw new TypeError(`duplicate policy name '${name}'`);
  seen.add(name);
}

function assertInteger(what: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`${what} must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
}
