import { expect } from 'vitest';
import type { EdgeUnderTest } from './edge-test-kit';
import { plan, type TableKey, type TableTopics } from './table-topics';

/** An edge's answer to a key, as `{ status, code }` (a 200 has no body, a refusal a problem code). */
export async function verifyKey(edge: EdgeUnderTest, key: TableKey) {
  const response = await edge.app.inject({
    url: '/verify',
    headers: { authorization: `Bearer ${key.plaintext}`, 'x-original-uri': '/v1/anything' },
  });
  const code = response.body ? response.json<{ code?: string }>().code : undefined;
  return { status: response.statusCode, code };
}

/** `edge_key_table_snapshots_total{result}` of an edge. */
export async function snapshotCount(edge: EdgeUnderTest, result: string): Promise<number> {
  const body = (await edge.app.inject('/metrics')).body;
  const pattern = new RegExp(`edge_key_table_snapshots_total\\{result="${result}"[^}]*\\} (\\d+)`);
  return Number(pattern.exec(body)?.[1] ?? 0);
}

export const linesWith = (edge: EdgeUnderTest, text: string) =>
  edge.logs.filter((line) => line.includes(text));

/**
 * What an edge starting from a snapshot must carry over and catch up on: keys on two accounts
 * and, on account A's partition, a plan no edge can apply (quarantined, logged, whenever read)
 * followed by a valid one. An edge that resumed from the snapshot never reads the poison plan
 * again; one that read the topics whole does.
 */
export async function resumeScenario(topics: TableTopics, label: string) {
  const accountA = await topics.account(plan(`plan_${label}_a`, 1000));
  const accountB = await topics.account(plan(`plan_${label}_b`, 1000));
  const keys: TableKey[] = [];
  for (let i = 0; i < 20; i++) keys.push(await topics.key(i % 2 ? accountB : accountA));
  await topics.assignPlan(accountA, plan('plan_poison', 1e13));
  await topics.assignPlan(accountA, plan(`plan_${label}_a`, 1000));
  let added: TableKey | undefined;
  return {
    keys,
    /** After the snapshot: a revocation, a suspension (account B) and a new key. */
    async change(): Promise<void> {
      await topics.revoke(keys[0]!);
      await topics.suspend(accountB);
      added = await topics.key(accountA);
    },
    /** `edge` resumed after the poison plan and applied the changes. */
    async expectResumed(edge: EdgeUnderTest): Promise<void> {
      expect(linesWith(edge, 'event not applied')).toHaveLength(0);
      expect(await verifyKey(edge, keys[0]!)).toEqual({ status: 401, code: 'key_revoked' });
      expect(await verifyKey(edge, keys[1]!)).toEqual({ status: 403, code: 'account_suspended' });
      expect(await verifyKey(edge, keys[2]!)).toMatchObject({ status: 200 });
      expect(await verifyKey(edge, added!)).toMatchObject({ status: 200 });
    },
  };
}
