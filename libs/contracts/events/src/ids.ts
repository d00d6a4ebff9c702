import { UlidGenerator } from './ulid';

/** Every public id carries its type as a prefix, from this one map. */
export const ID_PREFIXES = {
  account: 'acct',
  key: 'key',
  plan: 'plan',
  adminToken: 'atok',
  auditEvent: 'audit',
  invoice: 'inv',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

const ulids = new UlidGenerator();
const nextUlid = (now: number) => ulids.next(now);
const ULID = '[0-9A-HJKMNP-TV-Z]{26}';
const PATTERNS: Record<IdKind, RegExp> = {
  account: new RegExp(`^acct_${ULID}$`),
  key: new RegExp(`^key_${ULID}$`),
  // Plans are named by operators (plan_free, plan_pro_2026): a short slug instead of a ULID.
  plan: /^plan_[a-z0-9][a-z0-9_-]{0,62}$/,
  adminToken: new RegExp(`^atok_${ULID}$`),
  auditEvent: new RegExp(`^audit_${ULID}$`),
  invoice: new RegExp(`^inv_${ULID}$`),
};

/** A new id such as `key_01JDQ3W8Y6T4K2M9N7P5R3S1V1` (not for plans, which are named). */
export function newId(kind: Exclude<IdKind, 'plan'>, now: number = Date.now()): string {
  return `${ID_PREFIXES[kind]}_${nextUlid(now)}`;
}

export function isId(kind: IdKind, value: unknown): value is string {
  return typeof value === 'string' && PATTERNS[kind].test(value);
}

export const ID_PATTERNS: Readonly<Record<IdKind, string>> = {
  account: PATTERNS.account.source,
  key: PATTERNS.key.source,
  plan: PATTERNS.plan.source,
  adminToken: PATTERNS.adminToken.source,
  auditEvent: PATTERNS.auditEvent.source,
  invoice: PATTERNS.invoice.source,
};
