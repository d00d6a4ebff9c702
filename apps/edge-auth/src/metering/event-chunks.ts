/**
 * How the request thread hands encoded RequestMetered events to the metering thread: the events'
 * Avro bytes back to back in one transferable ArrayBuffer (exactly the items of an Avro array, so
 * of a RequestMeteredBatch), and each event's end offset in a second one. The metering thread puts
 * whole runs of them into a batch record with one copy, without a step per event.
 */
export interface EventChunk {
  /** The events, back to back, in `bytes[0, length)`. */
  bytes: ArrayBuffer;
  length: number;
  /** `count` u32 offsets: where each event ends in `bytes`. */
  ends: ArrayBuffer;
  count: number;
}

const INITIAL_EVENTS = 256;

export class EventChunkWriter {
  private bytes: Buffer;
  private ends: Uint32Array;
  private at = 0;
  private events = 0;
  /** Size of the next fresh buffer: about what the last chunk needed (a new one per take). */
  private nextSize: number;

  /**
   * @param capacity most bytes of events one chunk holds
   * @param maxEvents most events one chunk holds
   */
  constructor(
    private readonly capacity: number,
    private readonly maxEvents: number,
    private readonly initialSize = Math.min(capacity, 16 * 1024),
  ) {
    this.nextSize = initialSize;
    this.bytes = Buffer.from(new ArrayBuffer(this.nextSize));
    this.ends = new Uint32Array(Math.min(maxEvents, INITIAL_EVENTS));
  }

  get count(): number {
    return this.events;
  }

  get size(): number {
    return this.at;
  }

  /** False when the event does not fit: take() the chunk and write it again. */
  write(value: Uint8Array): boolean {
    return this.writeWith(value.length, (bytes, at) => {
      bytes.set(value, at);
      return at + value.length;
    });
  }

  /**
   * Like `write`, with the event written in place by `encode(bytes, at)`, which returns the end
   * of what it wrote, or a negative number when the room up to the buffer's end was too small
   * (avsc's `Type.encode` contract). `sizeHint` is the event's expected size.
   */
  writeWith(sizeHint: number, encode: (bytes: Buffer, at: number) => number): boolean {
    if (this.events === this.maxEvents) return false;
    if (this.events === this.ends.length) this.growEnds();
    let needed = sizeHint;
    for (;;) {
      if (this.at + needed > this.bytes.length && !this.grow(this.at + needed)) {
        if (this.events === 0)
          throw new RangeError(`an event of ${needed} bytes exceeds the chunk`);
        return false;
      }
      const end = encode(this.bytes, this.at);
      if (end >= 0) {
        this.ends[this.events++] = end;
        this.at = end;
        return true;
      }
      // Too small: ask for the whole buffer's worth more than was tried, then try again.
      needed = Math.max(needed * 2, this.bytes.length - this.at + 1);
    }
  }

  /** The chunk so far (its buffers are to be transferred), and fresh buffers for what follows. */
  take(): EventChunk {
    const chunk: EventChunk = {
      bytes: this.bytes.buffer as ArrayBuffer,
      length: this.at,
      ends: this.ends.buffer as ArrayBuffer,
      count: this.events,
    };
    this.nextSize = Math.min(this.capacity, Math.max(this.initialSize, this.at * 2));
    this.bytes = Buffer.from(new ArrayBuffer(this.nextSize));
    this.ends = new Uint32Array(
      Math.min(this.maxEvents, Math.max(INITIAL_EVENTS, this.events * 2)),
    );
    this.at = 0;
    this.events = 0;
    return chunk;
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
    return true;
  }

  private growEnds(): void {
    const bigger = new Uint32Array(Math.min(this.maxEvents, this.ends.length * 2));
    bigger.set(this.ends);
    this.ends = bigger;
  }
}

/** A received chunk's views: its events' bytes and their end offsets. */
export function chunkViews(chunk: EventChunk): { bytes: Buffer; ends: Uint32Array } {
  return {
    bytes: Buffer.from(chunk.bytes, 0, chunk.length),
    ends: new Uint32Array(chunk.ends, 0, chunk.count),
  };
}
