import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Spool, type SpoolOptions } from './spool';
import { encodeFrame } from './spool-format';

const frame = (n: number) =>
  encodeFrame({ topic: 'usage', key: `k${n}`, headers: {}, value: Buffer.from(`event ${n}`) });

describe('Spool (local files)', () => {
  let dir: string;
  const errors: string[] = [];
  const options = (extra: Partial<SpoolOptions> = {}): SpoolOptions => ({
    dir,
    onError: (_err, operation) => void errors.push(operation),
    ...extra,
  });

  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'spool-test-')), 'spool');
    errors.length = 0;
  });
  afterEach(async () => {
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  it('rotates segments by size and hands every record to the next process, oldest segment first', async () => {
    const spool = await Spool.open(options({ segmentBytes: 200 }));
    for (let n = 0; n < 20; n++) expect(spool.append(frame(n))).toBe(true);
    await spool.sync();
    await spool.close();

    const next = await Spool.open(options());
    expect(next.sealed.length).toBeGreaterThan(1);
    expect(next.records).toBe(20);
    const keys = [];
    for (const segment of next.sealed)
      keys.push(...(await next.read(segment)).messages.map((m) => m.key));
    expect(keys).toEqual(Array.from({ length: 20 }, (_, n) => `k${n}`));
  });

  it('keeps appends in memory while the disk fails, reports the error and writes them once it recovers', async () => {
    const spool = await Spool.open(options({ retryMs: 20 }));
    await rm(dir, { recursive: true });
    for (let n = 0; n < 5; n++) spool.append(frame(n));
    await expect(spool.sync()).rejects.toThrow(/ENOENT/);
    expect(errors).toContain('write');
    expect(spool.pendingRecords).toBe(5);

    await mkdir(dir);
    spool.append(frame(5));
    await spool.sync();
    expect(spool.pendingRecords).toBe(0);
    expect(spool.records).toBe(6);
    await spool.close();
    expect((await readdir(dir)).filter((f) => f.endsWith('.spool'))).toHaveLength(1);
  });

  it('refuses appends beyond its memory bound instead of growing without limit', async () => {
    const spool = await Spool.open(options({ maxPendingBytes: frame(0).length * 3 }));
    expect([0, 1, 2, 3].map((n) => spool.append(frame(n)))).toEqual([true, true, true, false]);
    await spool.close();
  });

  it('removes a replayed segment and quarantines one with unreadable bytes', async () => {
    const spool = await Spool.open(options({ segmentBytes: 1 }));
    spool.append(frame(1));
    await spool.sync();
    spool.append(frame(2));
    await spool.seal();
    const [first, second] = spool.sealed;
    await spool.remove(first!);
    const kept = await spool.quarantine(second!);
    expect(spool.isEmpty).toBe(true);
    expect(await readdir(dir)).toEqual([kept.split('/').at(-1)]);
    await spool.close();
  });
});
