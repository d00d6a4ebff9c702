/**
 * How the request thread hands encoded RequestMetered events to the metering thread: many events
 * packed into one transferable ArrayBuffer (no per-event structured clone), each as
 * [u8 key length][key, ASCII][u32 value length][value]. A key length of 255 means "no key".
 */
const NO_KEY = 255;

export class FrameWriter {
  private bytes: Uint8Array;
  private view: DataView;
  private at = 0;
  private frames = 0;

  constructor(private readonly capacity: number) {
    this.bytes = new Uint8Array(new ArrayBuffer(capacity));
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
    const keyLength = key === null ? 0 : key.length;
    if (keyLength >= NO_KEY) throw new RangeError('message keys are at most 254 characters');
    const needed = 1 + keyLength + 4 + value.length;
    if (this.at + needed > this.capacity) {
      if (this.frames === 0) throw new RangeError(`an event of ${needed} bytes exceeds the batch`);
      return false;
    }
    this.bytes[this.at++] = key === null ? NO_KEY : keyLength;
    for (let i = 0; i < keyLength; i++) this.bytes[this.at++] = key!.charCodeAt(i) & 0x7f;
    this.view.setUint32(this.at, value.length);
    this.at += 4;
    this.bytes.set(value, this.at);
    this.at += value.length;
    this.frames++;
    return true;
  }

  /** The batch so far (its buffer is to be transferred), and a fresh buffer for what follows. */
  take(): { buffer: ArrayBuffer; length: number; count: number } {
    const batch = { buffer: this.bytes.buffer as ArrayBuffer, length: this.at, count: this.frames };
    this.bytes = new Uint8Array(new ArrayBuffer(this.capacity));
    this.view = new DataView(this.bytes.buffer);
    this.at = 0;
    this.frames = 0;
    return batch;
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
