import { randomFillSync } from 'node:crypto';
import { BASE62_ALPHABET } from './base62';

/** Returns `size` bytes from a CSPRNG; injectable so tests can script the bytes. */
export type RandomByteSource = (size: number) => Uint8Array;

// A call into the CSPRNG costs microseconds however few bytes it returns, so bytes are drawn in
// blocks and each handed out once, as crypto.randomUUID does.
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let poolOffset = POOL_BYTES;

function pooledRandomBytes(size: number): Uint8Array {
  if (size > POOL_BYTES) throw new RangeError(`at most ${POOL_BYTES} random bytes per draw`);
  if (poolOffset + size > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const bytes = pool.subarray(poolOffset, poolOffset + size);
  poolOffset += size;
  return bytes;
}

// 248 = 4 * 62: bytes below it map onto the alphabet evenly. Taking `byte % 62` of all 256
// values would make '0'..'7' more likely than the rest, so the top 8 values are drawn again.
const UNBIASED_BYTE_LIMIT = 248;

// About 3% of bytes are rejected; a few spare bytes per draw make a second draw rare.
const SPARE_BYTES = 5;

/** `length` uniformly random base62 characters (rejection sampling, no modulo bias). */
export function randomBase62(length: number, source: RandomByteSource = pooledRandomBytes): string {
  let out = '';
  while (out.length < length) {
    for (const byte of source(length - out.length + SPARE_BYTES)) {
      if (byte >= UNBIASED_BYTE_LIMIT) continue;
      out += BASE62_ALPHABET.charAt(byte % 62);
      if (out.length === length) break;
    }
  }
  return out;
}
