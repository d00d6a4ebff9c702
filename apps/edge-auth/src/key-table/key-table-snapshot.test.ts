import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KeyState } from '@tollgate/events';
import { sampleEvent } from '@tollgate/events/testing';
import { plan } from '../testing/table-topics';
import { KeyTable } from './key-table';
import {
  hashKeyBytes,
  hashKeyString,
  loadSnapshot,
  readSnapshot,
  snapshotPath,
  SnapshotRefused,
  writeSnapshot,
} from './key-table-snapshot';

const NOW = 1_700_000_000_000;
const HEADER = {
  takenAt: NOW,
  clusterId: 'cluster-1',
  topics: ['t.keys', 't.plans', 't.accounts'],
  positions: [{ topic: 't.keys', partition: 0, next: '42', lastRecord: 'ab'.repeat(16) }],
};

function keyState(n: number, accountId: string, change: Partial<KeyState> = {}): KeyState {
  return {
    ...sampleEvent('KeyIssued').key,
    keyId: `key_${n}`,
    accountId,
    keyHash: n.toString(16).padStart(64, '0'),
    pepperVersion: 1 + (n % 3),
    env: n % 2 ? 'test' : 'live',
    scopes: n % 3 ? ['orders:read', `team:${n % 5}`] : [],
    expiresAt: n % 4 ? null : NOW + n,
    ...change,
  };
}

/** Everything a table holds, as plain data: two tables with equal views decide alike. */
function view(table: KeyTable) {
  const planOf = (p: { label: string; limitScope: string } | null) =>
    p && { label: p.label, limitScope: p.limitScope };
  return {
    plans: [...table.planEntries()].map((p) => ({ ...planOf(p), snapshot: p.snapshot })),
    accounts: [...table.accountEntries()].map((a) => ({
      accountId: a.accountId,
      suspended: a.suspended,
      plan: planOf(a.plan),
      pending: a.pendingPlan && {
        plan: planOf(a.pendingPlan.plan),
        effectiveAt: a.pendingPlan.effectiveAt,
        previousLabel: a.pendingPlan.previousLabel,
      },
    })),
    // By hash: a loaded table lists its snapshot's keys in index order.
    keys: [...table.keyEntries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([hash, k]) => ({
        hash,
        keyId: k.keyId,
        accountId: k.account.accountId,
        env: k.env,
        scopes: k.scopes,
        pepperVersion: k.pepperVersion,
        expiresAt: k.expiresAt,
        revokedFrom: k.revokedFrom,
      })),
  };
}

/** A table with every kind of state: plans current, pending and only known as previous. */
function sampleTable(keys: number): KeyTable {
  const table = new KeyTable();
  table.applyPlan('acct_old', plan('plan_old', 10), NOW - 1, NOW);
  table.applyPlan('acct_a', plan('plan_a', 100), NOW - 1, NOW);
  table.applyPlan('acct_b', plan('plan_b', 5, { limitScope: 'account' }), NOW - 1, NOW);
  table.applyPlan('acct_b', plan('plan_c', 7), NOW + 60_000, NOW, {
    planId: 'plan_b',
    planVersion: 1,
  });
  table.applyPlan('acct_future', plan('plan_c', 7), NOW + 60_000, NOW, {
    planId: 'plan_old',
    planVersion: 1,
  });
  table.applyAccountStatus('acct_b', true);
  table.applyAccountStatus('acct_no_plan', false);
  for (let n = 1; n <= keys; n++) {
    const account = ['acct_a', 'acct_b', 'acct_future', 'acct_no_plan'][n % 4]!;
    table.applyKey(keyState(n, account), n % 7 === 0 ? { effectiveAt: NOW + n } : null);
  }
  return table;
}

describe('key table snapshot', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'key-table-snapshot-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads into an empty table exactly what was written, with shared accounts and scope lists', async () => {
    const table = sampleTable(5_000);
    const path = snapshotPath(dir, HEADER.topics);
    const written = await writeSnapshot(path, table, HEADER);
    expect(written.keys).toBe(5_000);

    const { header, body } = await readSnapshot(path);
    expect(header).toEqual({ format: 1, ...HEADER, keys: 5_000 });
    const loaded = new KeyTable();
    expect(await loadSnapshot(loaded, body)).toBe(5_000);
    expect(view(loaded)).toEqual(view(table));

    // The same sharing as events build: one account object per account, one array per scope list.
    const a = loaded.find(Buffer.from(keyState(4, '').keyHash, 'hex').toString('latin1'))!;
    const b = loaded.find(Buffer.from(keyState(8, '').keyHash, 'hex').toString('latin1'))!;
    expect(a.account).toBe(b.account);
    const s1 = loaded.find(Buffer.from(keyState(1, '').keyHash, 'hex').toString('latin1'))!;
    const s16 = loaded.find(Buffer.from(keyState(16, '').keyHash, 'hex').toString('latin1'))!;
    expect(s1.scopes).toEqual(['orders:read', 'team:1']);
    expect(s1.scopes).toBe(s16.scopes);
    // Plans keep deciding alike: pending assignments still wait for their time.
    const plansAt = (t: KeyTable, at: number) =>
      [...t.accountEntries()].map((account) => t.planAt(account, at)?.label ?? null);
    expect(plansAt(loaded, NOW)).toEqual(plansAt(table, NOW));
    expect(plansAt(loaded, NOW)).toEqual([
      'plan_old@1',
      'plan_a@1',
      'plan_b@1',
      'plan_old@1',
      null,
    ]);
    expect(plansAt(loaded, NOW + 60_000)).toEqual(plansAt(table, NOW + 60_000));
    expect(plansAt(loaded, NOW + 60_000)).toContain('plan_c@1');
  });

  it('includes what is added while it is written a slice at a time', async () => {
    const table = sampleTable(40_000);
    const writing = writeSnapshot(snapshotPath(dir, HEADER.topics), table, HEADER);
    // Applied between slices: a new account and keys on it.
    for (let n = 40_001; n <= 40_100; n++) {
      await new Promise((resolve) => setImmediate(resolve));
      table.applyKey(keyState(n, 'acct_late'), null);
    }
    await writing;
    const loaded = new KeyTable();
    await loadSnapshot(loaded, (await readSnapshot(snapshotPath(dir, HEADER.topics))).body);
    expect(loaded.keyCount).toBeGreaterThan(40_000);
    expect(loaded.keyCount).toBeLessThanOrEqual(40_100);
    // Every key it holds refers to an account it holds.
    for (const [, key] of loaded.keyEntries())
      expect([...loaded.accountEntries()]).toContain(key.account);
  });

  it('refuses a damaged, truncated or foreign file instead of loading part of it', async () => {
    const path = snapshotPath(dir, HEADER.topics);
    await writeSnapshot(path, sampleTable(100), HEADER);
    const good = await readFile(path);

    const flipped = Buffer.from(good);
    flipped[Math.floor(flipped.length / 2)]! ^= 0xff;
    await writeFile(path, flipped);
    await expect(readSnapshot(path)).rejects.toThrow(SnapshotRefused);
    await expect(readSnapshot(path)).rejects.toThrow('checksum');

    await writeFile(path, good.subarray(0, good.length - 100));
    await expect(readSnapshot(path)).rejects.toThrow(SnapshotRefused);

    await writeFile(path, Buffer.from('{"not":"a snapshot"}'));
    await expect(readSnapshot(path)).rejects.toThrow('not a key table snapshot');

    await writeFile(path, good);
    const table = new KeyTable();
    table.applyAccountStatus('acct_x', true);
    await expect(loadSnapshot(table, (await readSnapshot(path)).body)).rejects.toThrow(
      'empty table',
    );
  });

  it('decodes a loaded key on first use, and keeps later changes over it', async () => {
    const table = sampleTable(2_000);
    const path = snapshotPath(dir, HEADER.topics);
    await writeSnapshot(path, table, HEADER);
    const loaded = new KeyTable();
    await loadSnapshot(loaded, (await readSnapshot(path)).body);
    const hashOf = (n: number) => Buffer.from(keyState(n, '').keyHash, 'hex').toString('latin1');
    expect(loaded.keyCount).toBe(2_000);

    // One entry per key, however often it is looked up.
    const first = loaded.find(hashOf(7))!;
    expect(loaded.find(hashOf(7))).toBe(first);
    expect(first.revokedFrom).toBe(NOW + 7);
    expect(loaded.keyCount).toBe(2_000);
    expect(loaded.find(hashOf(999_999))).toBeUndefined();
    expect(loaded.has(hashOf(1_999))).toBe(true);
    expect(loaded.has(hashOf(999_999))).toBe(false);

    // Updates over snapshot keys (looked up before or not) keep a revocation, as events do.
    loaded.applyKey(keyState(7, 'acct_a', { env: 'test' }), null);
    loaded.applyKey(keyState(14, 'acct_a'), null);
    expect(loaded.find(hashOf(7))).toMatchObject({ env: 'test', revokedFrom: NOW + 7 });
    expect(loaded.find(hashOf(14))).toMatchObject({ revokedFrom: NOW + 14 });
    loaded.applyKey(keyState(5_000, 'acct_new'), null);
    expect(loaded.keyCount).toBe(2_001);
    expect(loaded.has(hashOf(5_000))).toBe(true);

    // Every key once, as it is now; and a snapshot of the loaded table loads into the same.
    const entries = [...loaded.keyEntries()];
    expect(new Set(entries.map(([hash]) => hash)).size).toBe(2_001);
    expect(entries.find(([hash]) => hash === hashOf(7))![1].env).toBe('test');
    await writeSnapshot(path, loaded, HEADER);
    const again = new KeyTable();
    expect(await loadSnapshot(again, (await readSnapshot(path)).body)).toBe(2_001);
    expect(view(again)).toEqual(view(loaded));
  });

  it('finds keys whose hashes differ only in a few bytes, among many', async () => {
    const table = new KeyTable();
    table.applyPlan('acct_a', plan('plan_a', 100), NOW - 1, NOW);
    // Mostly zeros, as test hashes are: the index must still spread them.
    for (let n = 0; n < 20_000; n++) table.applyKey(keyState(n, 'acct_a'), null);
    const path = snapshotPath(dir, HEADER.topics);
    await writeSnapshot(path, table, HEADER);
    const loaded = new KeyTable();
    expect(await loadSnapshot(loaded, (await readSnapshot(path)).body)).toBe(20_000);
    for (let n = 0; n < 20_000; n += 397) {
      const hash = Buffer.from(keyState(n, '').keyHash, 'hex').toString('latin1');
      expect(loaded.find(hash)?.keyId).toBe(`key_${n}`);
    }
  });

  it('indexes keys by a hash that spreads hashes differing in a few bytes anywhere', () => {
    const hello = Buffer.from('hello', 'latin1');
    expect(hashKeyBytes(hello, 0, hello.length)).toBe(0x248bfa47); // MurmurHash3 x86_32, seed 0
    for (let length = 0; length <= 40; length++) {
      const bytes = Buffer.from(Array.from({ length }, (_, i) => (i * 37 + length) & 0xff));
      expect(hashKeyString(bytes.toString('latin1'))).toBe(hashKeyBytes(bytes, 0, length));
    }
    // As the benchmark's hashes: the key number in bytes 5-7, the rest constant.
    const slots = new Set<number>();
    for (let i = 0; i < 100_000; i++) {
      const hash = Buffer.from(
        (i.toString(16).padStart(16, '0') + 'a'.repeat(48)).slice(0, 64),
        'hex',
      );
      slots.add(hashKeyBytes(hash, 0, 32) & 0x3ffff);
    }
    // A uniform hash fills about 83k of 262,144 slots with 100k keys.
    expect(slots.size).toBeGreaterThan(75_000);
  });

  it('names one file per topic set', () => {
    expect(snapshotPath(dir, ['a', 'b', 'c'])).toBe(snapshotPath(dir, ['a', 'b', 'c']));
    expect(snapshotPath(dir, ['a', 'b', 'c'])).not.toBe(snapshotPath(dir, ['x.a', 'x.b', 'x.c']));
  });
});
