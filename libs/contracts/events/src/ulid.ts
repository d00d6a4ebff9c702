import { randomBytes } from 'node:crypto';

/** Crockford base32, as ULIDs use it (no I, L, O, U). */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TIME_CHARS = 10;
const RANDOM_CHARS = 16;
const MAX_TIME = 2 ** 48 - 1;

/**
 * Monotonic ULIDs, cheap enough for one per API request (edge-auth's RequestMetered ids): a fresh
 * 80-bit random part per millisecond from a pooled CSPRNG buffer, incremented for further ids in
 * the same millisecond (or when the clock steps back), so ids from one process always sort in
 * creation order.
 */
export class UlidGenerator {
  private lastTime = -1;
  private readonly random = new Uint8Array(RANDOM_CHARS);
  private pool = randomBytes(4096);
  private poolAt = 0;
  private randomPart = '';

  next(now: number = Date.now()): string {
    if (!Number.isInteger(now) || now < 0 || now > MAX_TIME)
      throw new RangeError(`ULID time must be an integer epoch ms in [0, 2^48), got ${now}`);
    if (now > this.lastTime) {
      this.lastTime = now;
      this.fillRandom();
    } else if (!this.increment()) {
      // 2^80 ids in one millisecond: move to the next one rather than repeat.
      this.lastTime += 1;
      this.fillRandom();
    }
    return encodeTime(this.lastTime) + this.randomPart;
  }

  private fillRandom(): void {
    for (let i = 0; i < RANDOM_CHARS; i++) {
      if (this.poolAt === this.pool.length) {
        this.pool = randomBytes(4096);
        this.poolAt = 0;
      }
      // 256 is a multiple of 32: the low five bits are uniform.
      this.random[i] = this.pool[this.poolAt++]! & 31;
    }
    this.encodeRandom();
  }

  private increment(): boolean {
    for (let i = RANDOM_CHARS - 1; i >= 0; i--) {
      if (this.random[i]! < 31) {
        this.random[i]!++;
        this.encodeRandom();
        return true;
      }
      this.random[i] = 0;
    }
    return false;
  }

  private encodeRandom(): void {
    let out = '';
    for (let i = 0; i < RANDOM_CHARS; i++) out += ALPHABET[this.random[i]!];
    this.randomPart = out;
  }
}

function encodeTime(time: number): string {
  let out = '';
  let t = time;
  for (let i = 0; i < TIME_CHARS; i++) {
    out = ALPHABET[t % 32]! + out;
    t = Math.floor(t / 32);
  }
  return out;
}

/** The millisecond timestamp a ULID carries. */
export function ulidTime(id: string): number {
  let time = 0;
  for (let i = 0; i < TIME_CHARS; i++) time = time * 32 + ALPHABET.indexOf(id[i]!);
  return time;
}
