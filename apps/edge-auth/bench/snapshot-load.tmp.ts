import { performance } from 'node:perf_hooks';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleEvent } from '@tollgate/events/testing';
import { KeyTable } from '../src/key-table/key-table';
import { loadSnapshot, readSnapshot, writeSnapshot } from '../src/key-table/key-table-snapshot';

const N = 1_000_000;
const table = new KeyTable();
const plan = sampleEvent('PlanChanged');
for (let a = 0; a < 100_000; a++) table.applyPlan(`acct_${a}`, plan.plan, 0, 1);
for (let i = 0; i < N; i++) {
  table.applyKey({ ...sampleEvent('KeyIssued').key, keyId: `key_01JDQ3W8Y6T4K2M9N7${String(i).padStart(8, '0')}`, accountId: `acct_${i % 100_000}`, keyHash: i.toString(16).padStart(64, '0') }, null);
}
const dir = await mkdtemp(join(tmpdir(), 'snap-'));
const path = join(dir, 's');
let t = performance.now();
await writeSnapshot(path, table, { takenAt: 1, clusterId: 'c', topics: [], positions: [] });
console.log('write sliced', (performance.now() - t).toFixed(0));
t = performance.now();
await writeSnapshot(path, table, { takenAt: 1, clusterId: 'c', topics: [], positions: [] }, { sliced: false });
console.log('write unsliced', (performance.now() - t).toFixed(0));
for (let r = 0; r < 3; r++) {
  t = performance.now();
  const { body } = await readSnapshot(path);
  const t1 = performance.now();
  const loaded = new KeyTable();
  await loadSnapshot(loaded, body);
  console.log('read', (t1 - t).toFixed(0), 'load', (performance.now() - t1).toFixed(0), loaded.keyCount);
}
