/**
 * How the request thread hands encoded RequestMetered events to the metering thread: many events
 * packed into one transferable ArrayBuffer (no per-event structured clone), each as
 * [u8 key length][key, ASCII][u32 value length][value]. A key length of 255 means "no key".
 */
const NO_KEY = 255;

export class FrameWriter {
  private bytes: Buffer;
  private view: DataView;
  private at = 0;
  private frames = 0;
  /** Size of the next fresh buffer: about what the last batch needed (a new one per take). */
  private nextSize: number;

  constructor(
    private readonly capacity: number,
    private readonly initialSize = Math.min(capacity, 16 * 1024),
  ) {
    this.nextSize = initialSize;
    this.bytes = Buffer.from(new ArrayBuffer(this.nextSize));
    this.view = new DataView(this.bytes.buffer);
  }

  get count(): number {
    return this.frames;
  }

  get size(): number {
    return this.at;
  }

  /** False when the frame does not fit: take() the batch and write it again. */
  write(key: string | null, value: Uint8Array): boolean {
    return this.writeWith(key, value.length, (bytes, at) => {
      bytes.set(value, at);
      return at + value.length;
    });
  }

  /**
   * Like `write`, with the value written in place by `encode(bytes, at)`, which returns the end
   * of what it wrote, or a negative number when the room up to the buffer's end was too small
   * (avsc's `Type.encode` contract). `sizeHint` is the value's expected size.
   */
  writeWith(
    key: string | null,
    sizeHint: number,
    encode: (bytes: Buffer, at: number) => number,
  ): boolean {
    const keyLength = key === null ? 0 : key.length;
    if (keyLength >= NO_KEY) throw new RangeError('message keys are at most 254 characters');
    let needed = 1 + keyLength + 4 + sizeHint;
    for (;;) {
      if (this.at + needed > this.bytes.length && !this.grow(this.at + needed)) {
        if (this.frames === 0)
          throw new RangeError(`an event of ${needed} bytes exceeds the batch`);
        return false;
      }
      const start = this.at + 1 + keyLength + 4;
      const end = encode(this.bytes, start);
      if (end >= 0) {
        this.bytes[this.at] = key === null ? NO_KEY : keyLength;
        for (let i = 0; i < keyLength; i++) this.bytes[this.at + 1 + i] = key!.charCodeAt(i) & 0x7f;
        this.view.setUint32(this.at + 1 + keyLength, end - start);
        this.at = end;
        this.frames++;
        return true;
      }
      // Too small: ask for the whole buffer's worth more than was tried, then try again.
      needed = Math.max(needed * 2, this.bytes.length - this.at + 1);
    }
  }

  /** The batch so far (its buffer is to be transferred), and a fresh buffer for what follows. */
  take(): { buffer: ArrayBuffer; length: number; count: number } {
    const batch = { buffer: this.bytes.buffer as ArrayBuffer, length: this.at, count: this.frames };
    this.nextSize = Math.min(this.capacity, Math.max(this.initialSize, this.at * 2));
    this.bytes = Buffer.from(new ArrayBuffer(this.nextSize));
    this.view = new DataView(this.bytes.buffer);
    this.at = 0;
    this.frames = 0;
    return batch;
  }

  /** A bigger buffer (at most `capacity`) holding what was written; false when `capacity` is too small. */
  private grow(wanted: number): boolean {
    if (wanted > this.capacity) {
      if (this.bytes.length === this.capacity) return false;
      wanted = this.capacity;
    }
    const bigger = Buffer.from(
      new ArrayBuffer(Math.min(this.capacity, Math.max(wanted, this.bytes.length * 2))),
    );
    bigger.set(this.bytes.subarray(0, this.at));
    this.bytes = bigger;
    this.view = new DataView(bigger.buffer);
    return true;
  }
}

export function* readFrames(
  buffer: ArrayBuffer,
  length: number,
): Generator<{ key: string | null; value: Buffer }> {
  const bytes = Buffer.from(buffer, 0, length);
  const view = new DataView(buffer, 0, length);
  let at = 0;
  while (at < length) {
    const keyLength = bytes[at++]!;
    let key: string | null = null;
    if (keyLength !== NO_KEY) {
      key = bytes.toString('latin1', at, at + keyLength);
      at += keyLength;
    }
    const valueLength = view.getUint32(at);
    at += 4;
    yield { key, value: bytes.subarray(at, at + valueLength) };
    at += valueLength;
  }
}
