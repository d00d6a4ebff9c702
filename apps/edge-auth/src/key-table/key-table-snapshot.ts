import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Environment, PlanSnapshot } from '@tollgate/events';
import type { AccountEntry, KeyBase, KeyEntry, KeyTable, PlanEntry } from './key-table';

/**
 * A key table snapshot: the whole table (plans, accounts, keys) as it was after the records up to
 * `positions` were applied. A restarting edge loads it and reads the topics from there on instead
 * of from the beginning: the compacted topics hold the latest state of every key, so the snapshot
 * plus every record after it is the current table (every event sets its entity's whole state).
 *
 * The file is a cache of the topics, never a source of truth: a snapshot that does not match the
 * topics (another cluster, other topic names, offsets the partitions no longer hold, a record at
 * the snapshot's position that is not the one it saw) is refused and the table is built from the
 * topics as without one. It holds what the topics hold (key HMACs, never a plaintext key).
 *
 * Layout: `MAGIC`, u32 length + JSON header, tagged records (plan, account, scope list, key) in an
 * order where each record refers only to records before it, an end tag, and the SHA-256 of
 * everything before it.
 */

/** One partition's place in the snapshot: the next offset to read and the last record applied. */
export interface SnapshotPosition {
  topic: string;
  partition: number;
  /** Offset of the next record to apply. */
  next: string;
  /** SHA-256 (hex, 32 characters) of the value of the record at `next - 1`, which was applied. */
  lastRecord: string;
}

export interface SnapshotHeader {
  format: 1;
  /** Epoch ms the snapshot's positions were taken. */
  takenAt: number;
  clusterId: string;
  topics: string[];
  positions: SnapshotPosition[];
  keys: number;
}

const MAGIC = Buffer.from('TGKTSNP1', 'latin1');
const CHUNK_BYTES = 64 * 1024;
const HASH_BYTES = 32;
const enum Tag {
  End = 0,
  Plan = 1,
  Account = 2,
  Scopes = 3,
  Key = 4,
}
const SUSPENDED = 1;
const HAS_PLAN = 2;
const HAS_PENDING = 4;
const HAS_PREVIOUS = 8;
const ENVS: readonly Environment[] = ['live', 'test'];

/** The record fingerprint positions carry (see `SnapshotPosition.lastRecord`). */
export function recordFingerprint(value: Buffer | null): string {
  return createHash('sha256')
    .update(value ?? Buffer.alloc(0))
    .digest('hex')
    .slice(0, 32);
}

/** A snapshot of these topics' name: one per topic set (file name, shared snapshot name). */
export function snapshotName(topics: readonly string[]): string {
  const id = createHash('sha256').update(topics.join('\n')).digest('hex').slice(0, 16);
  return `key-table-${id}`;
}

/** The file a snapshot of these topics lives in: one per topic set, shared by edges on one disk. */
export function snapshotPath(dir: string, topics: readonly string[]): string {
  return join(dir, `${snapshotName(topics)}.snapshot`);
}

/** Grows one chunk of records and hands full chunks to `flush`. */
class RecordWriter {
  private buffer: Buffer;
  private at = 0;

  constructor(
    private readonly flush: (chunk: Buffer) => Promise<void>,
    private readonly chunkBytes: number,
  ) {
    this.buffer = Buffer.allocUnsafe(chunkBytes * 2);
  }

  get full(): boolean {
    return this.at >= this.chunkBytes;
  }

  private room(bytes: number): void {
    if (this.at + bytes <= this.buffer.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.at + bytes));
    this.buffer.copy(bigger, 0, 0, this.at);
    this.buffer = bigger;
  }

  u8(value: number): void {
    this.room(1);
    this.buffer[this.at++] = value;
  }

  u32(value: number): void {
    this.room(4);
    this.at = this.buffer.writeUInt32LE(value, this.at);
  }

  f64(value: number): void {
    this.room(8);
    this.at = this.buffer.writeDoubleLE(value, this.at);
  }

  /** u32 byte length + UTF-8 (or latin1 for binary strings). */
  string(value: string, encoding: 'utf8' | 'latin1' = 'utf8'): void {
    const bytes = Buffer.byteLength(value, encoding);
    this.u32(bytes);
    this.room(bytes);
    this.at += this.buffer.write(value, this.at, bytes, encoding);
  }

  async drain(): Promise<void> {
    if (this.at === 0) return;
    const chunk = Buffer.from(this.buffer.subarray(0, this.at));
    this.at = 0;
    await this.flush(chunk);
  }
}

/**
 * Writes `table` with the positions it reflects, a slice at a time unless `sliced` is false (the
 * request thread keeps answering between slices), to a temporary file renamed over the previous snapshot when complete.
 * `positions` must be taken at the same instant as the call starts: records applied while slices
 * are written are read again after a load, which sets their entities to the same latest state.
 */
export async function writeSnapshot(
  path: string,
  table: KeyTable,
  header: Omit<SnapshotHeader, 'format' | 'keys'>,
  options: { sliced: boolean } = { sliced: true },
): Promise<{ keys: number; bytes: number }> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await removeAbandonedWrites(path);
  const temporary = `${path}.${process.pid}.${randomUUID()}.tmp`;
  const file = await open(temporary, 'wx', 0o600);
  const hash = createHash('sha256');
  let bytes = 0;
  const flush = async (chunk: Buffer) => {
    hash.update(chunk);
    bytes += chunk.length;
    await file.write(chunk);
  };
  try {
    const head = Buffer.from(JSON.stringify({ format: 1, ...header, keys: table.keyCount }));
    const prefix = Buffer.allocUnsafe(4);
    prefix.writeUInt32LE(head.length);
    await flush(Buffer.concat([MAGIC, prefix, head]));

    // Unsliced (at shutdown, when no request waits): larger writes and no turns given away.
    const out = new RecordWriter(flush, options.sliced ? CHUNK_BYTES : 16 * CHUNK_BYTES);
    const drain = () => (options.sliced ? out.drain().then(() => nextTurn()) : out.drain());
    const plans = new Map<PlanEntry, number>();
    const accounts = new Map<AccountEntry, number>();
    const scopeLists = new Map<readonly string[], number>();
    const planIndex = (plan: PlanEntry): number => {
      let index = plans.get(plan);
      if (index === undefined) {
        const json = JSON.stringify(plan.snapshot);
        out.u8(Tag.Plan);
        out.string(json);
        plans.set(plan, (index = plans.size));
      }
      return index;
    };
    const accountIndex = (account: AccountEntry): number => {
      let index = accounts.get(account);
      if (index === undefined) {
        const plan = account.plan === null ? -1 : planIndex(account.plan);
        const pending = account.pendingPlan;
        const pendingPlan = pending === null ? -1 : planIndex(pending.plan);
        out.u8(Tag.Account);
        out.string(account.accountId);
        out.u8(
          (account.suspended ? SUSPENDED : 0) |
            (plan >= 0 ? HAS_PLAN : 0) |
            (pending ? HAS_PENDING : 0) |
            (pending?.previousLabel != null ? HAS_PREVIOUS : 0),
        );
        if (plan >= 0) out.u32(plan);
        if (pending) {
          out.u32(pendingPlan);
          out.f64(pending.effectiveAt);
          if (pending.previousLabel !== null) out.string(pending.previousLabel);
        }
        accounts.set(account, (index = accounts.size));
      }
      return index;
    };
    const scopesIndex = (scopes: readonly string[]): number => {
      let index = scopeLists.get(scopes);
      if (index === undefined) {
        out.u8(Tag.Scopes);
        out.u32(scopes.length);
        for (const scope of scopes) out.string(scope);
        scopeLists.set(scopes, (index = scopeLists.size));
      }
      return index;
    };
    // Maps may change between slices: a Map iterator visits entries added meanwhile, and what
    // changed is read again from the positions after a load.
    for (const plan of table.planEntries()) {
      planIndex(plan);
      if (out.full) await out.drain();
    }
    for (const account of table.accountEntries()) {
      accountIndex(account);
      if (out.full) await drain();
    }
    let keys = 0;
    for (const [binaryHash, key] of table.keyEntries()) {
      const account = accountIndex(key.account);
      const scopes = scopesIndex(key.scopes);
      out.u8(Tag.Key);
      out.string(binaryHash, 'latin1');
      out.string(key.keyId);
      out.u32(account);
      out.u8(ENVS.indexOf(key.env));
      out.u32(scopes);
      out.u32(key.pepperVersion);
      out.f64(key.expiresAt);
      out.f64(key.revokedFrom);
      keys++;
      if (out.full) await drain();
    }
    out.u8(Tag.End);
    await out.drain();
    const digest = hash.digest();
    await file.write(digest);
    bytes += digest.length;
    await file.sync();
    await file.close();
    await rename(temporary, path);
    return { keys, bytes };
  } catch (err) {
    await file.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw err;
  }
}

/** How old a temporary file must be to count as left by a process killed while writing. */
const ABANDONED_AFTER_MS = 3_600_000;

async function removeAbandonedWrites(path: string): Promise<void> {
  const prefix = `${basename(path)}.`;
  for (const name of await readdir(dirname(path))) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const file = join(dirname(path), name);
    const info = await stat(file).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > ABANDONED_AFTER_MS) await rm(file, { force: true });
  }
}

/** A snapshot file that cannot be used, and why (logged; the table is then built from the topics). */
export class SnapshotRefused extends Error {}

class RecordReader {
  at = 0;
  constructor(
    private readonly buffer: Buffer,
    readonly end: number,
  ) {}

  skipString(): void {
    const bytes = this.u32();
    this.need(bytes);
    this.at += bytes;
  }

  private need(bytes: number): void {
    if (this.at + bytes > this.end) throw new SnapshotRefused('the snapshot is truncated');
  }

  u8(): number {
    this.need(1);
    return this.buffer[this.at++]!;
  }

  u32(): number {
    this.need(4);
    const value = this.buffer.readUInt32LE(this.at);
    this.at += 4;
    return value;
  }

  f64(): number {
    this.need(8);
    const value = this.buffer.readDoubleLE(this.at);
    this.at += 8;
    return value;
  }

  string(encoding: 'utf8' | 'latin1' = 'utf8'): string {
    const bytes = this.u32();
    this.need(bytes);
    const value = this.buffer.toString(encoding, this.at, this.at + bytes);
    this.at += bytes;
    return value;
  }
}

/**
 * Reads a snapshot file and checks its magic, checksum and format; returns its header (to check
 * against the topics and cluster) and its bytes for `loadSnapshot`.
 */
export async function readSnapshot(
  path: string,
): Promise<{ header: SnapshotHeader; body: Buffer }> {
  return parseSnapshot(await readFile(path));
}

/** `readSnapshot` for a snapshot's bytes from elsewhere (e.g. the shared snapshot topic). */
export function parseSnapshot(body: Buffer): { header: SnapshotHeader; body: Buffer } {
  if (body.length < MAGIC.length + 4 + HASH_BYTES + 1 || !body.subarray(0, 8).equals(MAGIC))
    throw new SnapshotRefused('not a key table snapshot (unknown format)');
  const end = body.length - HASH_BYTES;
  const digest = createHash('sha256').update(body.subarray(0, end)).digest();
  if (!digest.equals(body.subarray(end)))
    throw new SnapshotRefused('the snapshot is damaged (checksum mismatch)');
  const length = body.readUInt32LE(MAGIC.length);
  const header = JSON.parse(
    body.toString('utf8', MAGIC.length + 4, MAGIC.length + 4 + length),
  ) as SnapshotHeader;
  const format: unknown = header.format;
  if (format !== 1) throw new SnapshotRefused(`unknown snapshot format ${String(format)}`);
  return { header, body };
}

/**
 * A snapshot's keys as the table's `KeyBase`: an open-addressing index from key hash to record
 * offset in the snapshot's bytes, built by one pass over them. A record is decoded into a
 * `KeyEntry` when its key is first looked up (the table then keeps that entry), so a restart
 * builds no per-key objects or strings: its cost is reading the file, not the 1M Map inserts and
 * the garbage collection they cost. The bytes stay in memory (outside the JS heap) meanwhile.
 */
class SnapshotKeys implements KeyBase {
  /** Record offset + 1 per slot (0 = empty), kept at most half full… */
  private slots: Int32Array;
  /** …and its key hash's `hashKeyBytes`, so a probe reads the record only on a likely match. */
  private hashes: Int32Array;
  size = 0;

  constructor(
    private readonly body: Buffer,
    private readonly accounts: readonly AccountEntry[],
    private readonly scopeLists: ReadonlyArray<readonly string[]>,
    expected: number,
  ) {
    this.slots = new Int32Array(capacityFor(expected));
    this.hashes = new Int32Array(this.slots.length);
  }

  /** Indexes the key record at `record`; false if its hash is indexed already. */
  add(record: number): boolean {
    if ((this.size + 1) * 2 > this.slots.length) this.grow();
    const { body, slots, hashes } = this;
    const length = body.readUInt32LE(record);
    const hash = hashKeyBytes(body, record + 4, length);
    const mask = slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const held = slots[slot]! - 1;
      if (held < 0) {
        slots[slot] = record + 1;
        hashes[slot] = hash;
        this.size++;
        return true;
      }
      if (
        hashes[slot] === hash &&
        body.readUInt32LE(held) === length &&
        body.compare(body, record + 4, record + 4 + length, held + 4, held + 4 + length) === 0
      )
        return false;
    }
  }

  get(binaryHash: string): KeyEntry | undefined {
    const record = this.recordOf(binaryHash);
    return record < 0 ? undefined : this.decode(record).entry;
  }

  has(binaryHash: string): boolean {
    return this.recordOf(binaryHash) >= 0;
  }

  *entries(): IterableIterator<[string, KeyEntry]> {
    for (const slot of this.slots) {
      if (slot === 0) continue;
      const { hash, entry } = this.decode(slot - 1);
      yield [hash, entry];
    }
  }

  private recordOf(binaryHash: string): number {
    const { body, slots, hashes } = this;
    const length = binaryHash.length;
    const hash = hashKeyString(binaryHash);
    const mask = slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const record = slots[slot]! - 1;
      if (record < 0) return -1;
      if (hashes[slot] !== hash || body.readUInt32LE(record) !== length) continue;
      let i = 0;
      while (i < length && body[record + 4 + i] === binaryHash.charCodeAt(i)) i++;
      if (i === length) return record;
    }
  }

  private decode(record: number): { hash: string; entry: KeyEntry } {
    const input = new RecordReader(this.body, this.body.length);
    input.at = record;
    const hash = input.string('latin1');
    const entry: KeyEntry = {
      keyId: input.string(),
      account: this.accounts[input.u32()]!,
      env: ENVS[input.u8()]!,
      scopes: this.scopeLists[input.u32()]!,
      pepperVersion: input.u32(),
      expiresAt: input.f64(),
      revokedFrom: input.f64(),
    };
    return { hash, entry };
  }

  private grow(): void {
    const { slots, hashes } = this;
    this.slots = new Int32Array(slots.length * 2);
    this.hashes = new Int32Array(this.slots.length);
    const mask = this.slots.length - 1;
    for (let old = 0; old < slots.length; old++) {
      if (slots[old] === 0) continue;
      let slot = hashes[old]! & mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
      this.slots[slot] = slots[old]!;
      this.hashes[slot] = hashes[old]!;
    }
  }
}

function capacityFor(keys: number): number {
  let capacity = 1024;
  while (capacity < keys * 2) capacity *= 2;
  return capacity;
}

/**
 * MurmurHash3 (32-bit) of a key hash's bytes, four at a time as little-endian words: every input
 * bit reaches the index's slot bits, whatever bytes the key hashes vary in (they are HMACs, but
 * test and benchmark hashes differ in a few bytes only). Exported for its tests.
 */
export function hashKeyBytes(bytes: Buffer, from: number, length: number): number {
  let h = 0;
  let i = 0;
  for (; i + 4 <= length; i += 4) {
    const at = from + i;
    h = mixWord(
      h,
      bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24),
    );
  }
  let tail = 0;
  for (let shift = 0; i < length; i++, shift += 8) tail |= bytes[from + i]! << shift;
  return finish(h, tail, length);
}

/** `hashKeyBytes` of the same bytes held as a latin1 string. */
export function hashKeyString(latin1: string): number {
  const length = latin1.length;
  let h = 0;
  let i = 0;
  for (; i + 4 <= length; i += 4) {
    h = mixWord(
      h,
      latin1.charCodeAt(i) |
        (latin1.charCodeAt(i + 1) << 8) |
        (latin1.charCodeAt(i + 2) << 16) |
        (latin1.charCodeAt(i + 3) << 24),
    );
  }
  let tail = 0;
  for (let shift = 0; i < length; i++, shift += 8) tail |= latin1.charCodeAt(i) << shift;
  return finish(h, tail, length);
}

function scramble(k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, 0x1b873593);
}

function mixWord(h: number, word: number): number {
  h ^= scramble(word);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finish(h: number, tail: number, length: number): number {
  if (length % 4 !== 0) h ^= scramble(tail);
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

/**
 * Loads a snapshot read by `readSnapshot` into an empty table, yielding to the event loop between
 * slices. Returns the keys loaded.
 */
export async function loadSnapshot(table: KeyTable, body: Buffer): Promise<number> {
  if (table.keyCount > 0 || table.accountCount > 0)
    throw new Error('a snapshot loads into an empty table only');
  const headerLength = body.readUInt32LE(MAGIC.length);
  const input = new RecordReader(body, body.length - HASH_BYTES);
  input.at = MAGIC.length + 4 + headerLength;
  const plans: PlanEntry[] = [];
  const accounts: AccountEntry[] = [];
  const scopeLists: Array<readonly string[]> = [];
  const declared = (JSON.parse(body.toString('utf8', MAGIC.length + 4, input.at)) as SnapshotHeader)
    .keys;
  const index = new SnapshotKeys(body, accounts, scopeLists, declared);
  const at = <T>(list: readonly T[], index: number, what: string): T => {
    const item = list[index];
    if (item === undefined) throw new SnapshotRefused(`the snapshot refers to a missing ${what}`);
    return item;
  };
  let keys = 0;
  for (;;) {
    const tag = input.u8() as Tag;
    switch (tag) {
      case Tag.End:
        if (input.at !== body.length - HASH_BYTES)
          throw new SnapshotRefused('the snapshot has data after its end');
        table.restoreKeys(index);
        return keys;
      case Tag.Plan:
        plans.push(table.restorePlan(JSON.parse(input.string()) as PlanSnapshot));
        break;
      case Tag.Account: {
        const accountId = input.string();
        const flags = input.u8();
        const plan = flags & HAS_PLAN ? at(plans, input.u32(), 'plan') : null;
        let pending: AccountEntry['pendingPlan'] = null;
        if (flags & HAS_PENDING) {
          const pendingPlan = at(plans, input.u32(), 'plan');
          const effectiveAt = input.f64();
          const previousLabel = flags & HAS_PREVIOUS ? input.string() : null;
          pending = { plan: pendingPlan, effectiveAt, previousLabel };
        }
        accounts.push(table.restoreAccount(accountId, (flags & SUSPENDED) !== 0, plan, pending));
        break;
      }
      case Tag.Scopes: {
        const count = input.u32();
        const scopes: string[] = [];
        for (let i = 0; i < count; i++) scopes.push(input.string());
        scopeLists.push(table.internScopes(scopes));
        break;
      }
      case Tag.Key: {
        // Checked and indexed here, decoded on first lookup (SnapshotKeys).
        const record = input.at;
        input.skipString();
        input.skipString();
        at(accounts, input.u32(), 'account');
        at(ENVS, input.u8(), 'environment');
        at(scopeLists, input.u32(), 'scope list');
        input.at += 4 + 8 + 8;
        if (input.at > input.end) throw new SnapshotRefused('the snapshot is truncated');
        if (!index.add(record)) throw new SnapshotRefused('the snapshot holds a key twice');
        if (++keys % 200_000 === 0) await nextTurn();
        break;
      }
      default:
        throw new SnapshotRefused(`unknown record tag ${tag as number} in the snapshot`);
    }
  }
}
