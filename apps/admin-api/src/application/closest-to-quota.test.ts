import { describe, expect, it } from 'vitest';
import {
  CANDIDATES,
  periodOf,
  rankByQuota,
  type AccountPlan,
  type PlanQuota,
} from './closest-to-quota';

const quotas: PlanQuota[] = [
  { planId: 'plan_free', planVersion: 1, monthlyQuota: 10_000, limitScope: 'account' },
  { planId: 'plan_pro', planVersion: 1, monthlyQuota: 1_000_000, limitScope: 'account' },
  { planId: 'plan_enterprise', planVersion: 1, monthlyQuota: null, limitScope: 'account' },
];
const account = (id: string, planId: string): AccountPlan => ({
  accountId: id,
  name: `name of ${id}`,
  status: 'active',
  plan: { planId, planVersion: 1 },
});
const accounts = new Map(
  [
    account('acct_a', 'plan_pro'),
    account('acct_b', 'plan_free'),
    account('acct_c', 'plan_enterprise'),
    account('acct_d', 'plan_free'),
  ].map((a) => [a.accountId, a]),
);

describe('accounts closest to their monthly quota', () => {
  it('ranks by used / quota, not by units; unlimited and unknown accounts are left out', () => {
    const result = rankByQuota({
      period: '2030-07',
      used: [
        { accountId: 'acct_c', billableUnits: 900_000 },
        { accountId: 'acct_a', billableUnits: 500_000 },
        { accountId: 'acct_b', billableUnits: 9_000 },
        { accountId: 'acct_gone', billableUnits: 5_000 },
        { accountId: 'acct_d', billableUnits: 2_500 },
      ],
      accounts,
      quotas,
      limit: 10,
    });
    expect(result.items.map((i) => [i.accountId, i.usedRatio])).toEqual([
      ['acct_b', 0.9],
      ['acct_a', 0.5],
      ['acct_d', 0.25],
    ]);
    expect(result.items[0]).toMatchObject({ monthlyQuota: 10_000, billableUnits: 9_000 });
    // Fewer accounts had usage than were asked for: every one was considered.
    expect(result).toMatchObject({ period: '2030-07', complete: true, candidates: 5 });
    expect(rankByQuota({ ...resultInput(), limit: 1 }).items).toHaveLength(1);
  });

  it('is complete with a full candidate list only when no other account can rank higher', () => {
    // CANDIDATES accounts on plan_pro; the least of them used 100_000 units. An account outside
    // the list used at most that, so at most 100_000 / 10_000 (the smallest quota) = 10.
    const many = Array.from({ length: CANDIDATES }, (_, i) => ({
      accountId: `acct_${String(i).padStart(3, '0')}`,
      billableUnits: 2_000_000 - i * 19_000,
    }));
    const onPro = new Map(many.map((u) => [u.accountId, account(u.accountId, 'plan_pro')]));
    const least = many.at(-1)!.billableUnits;
    expect(least).toBe(119_000);
    const ranked = rankByQuota({
      period: '2030-07',
      used: many,
      accounts: onPro,
      quotas,
      limit: 5,
    });
    // The 5th is at 1.924 of its quota; an unseen free account could be at 11.9: not provable.
    expect(ranked.complete).toBe(false);
    const onlyPro = quotas.filter((q) => q.planId === 'plan_pro');
    // With pro the only limited plan, an unseen account is at most 0.119: the list is exact.
    expect(
      rankByQuota({ period: '2030-07', used: many, accounts: onPro, quotas: onlyPro, limit: 5 })
        .complete,
    ).toBe(true);
  });

  it('names the UTC month of an instant', () => {
    expect(periodOf(Date.UTC(2030, 6, 31, 23, 59, 59, 999))).toBe('2030-07');
    expect(periodOf(Date.UTC(2030, 7, 1))).toBe('2030-08');
  });
});

function resultInput() {
  return {
    period: '2030-07',
    used: [
      { accountId: 'acct_a', billableUnits: 500_000 },
      { accountId: 'acct_b', billableUnits: 9_000 },
    ],
    accounts,
    quotas,
  };
}
