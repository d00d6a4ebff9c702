import { mkdir, open, readdir, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { parseSegment, SEGMENT_MAGIC, type ParsedSegment } from './spool-format';
import { eventCountOf } from './usage-batch';

export interface SpoolSegment {
  readonly seq: number;
  readonly path: string;
  /** Messages in the segment as far as this process knows (exact once the replayer has read it). */
  records: number;
  /** RequestMetered events in those messages (a batch record carries many). */
  events: number;
}

export interface SpoolOptions {
  dir: string;
  /** A segment is sealed (fsynced, closed, handed to the replayer) once it reaches this size. */
  segmentBytes?: number;
  /** Bound on frames waiting in memory for the disk; appends beyond it are refused. */
  maxPendingBytes?: number;
  /** Wait before writing again after a failed write (disk full, I/O error). */
  retryMs?: number;
  /** A write, fsync or directory operation failed; the spool keeps the data and retries. */
  onError(err: unknown, operation: string): void;
  /** Frames reached the disk (for gauges). */
  onWritten?(records: number): void;
}

interface ActiveSegment extends SpoolSegment {
  handle: FileHandle;
  bytes: number;
}

const SEGMENT_NAME = /^usage-(\d{12})\.spool$/;
const segmentName = (seq: number) => `usage-${String(seq).padStart(12, '0')}.spool`;

/**
 * An append-only, segmented spool of encoded Kafka messages. Appends are buffered in memory and
 * written asynchronously (never a sync fs call on the caller's path); `sync` makes everything
 * appended so far durable. Sealed segments are immutable; every process writes new segments and
 * never appends to a segment it found on disk, so a torn tail left by a crash stays the last
 * bytes of its segment. One process per directory.
 */
export class Spool {
  private readonly segmentBytes: number;
  private readonly maxPendingBytes: number;
  private readonly retryMs: number;
  private readonly sealedSegments: SpoolSegment[];
  private nextSeq: number;
  private active: ActiveSegment | undefined;
  private pending: Buffer[] = [];
  /** Events in each pending frame. */
  private pendingCounts: number[] = [];
  private pendingEventCount = 0;
  private pendingBytes = 0;
  private ops: Promise<unknown> = Promise.resolve();
  private writeScheduled = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private dirDirty = false;
  private closed = false;

  private constructor(
    private readonly options: SpoolOptions,
    found: SpoolSegment[],
  ) {
    this.segmentBytes = options.segmentBytes ?? 8 * 1024 * 1024;
    this.maxPendingBytes = options.maxPendingBytes ?? 64 * 1024 * 1024;
    this.retryMs = options.retryMs ?? 1_000;
    this.sealedSegments = found;
    this.nextSeq = (found.at(-1)?.seq ?? 0) + 1;
  }

  /** Opens (creating) the directory and takes over the segments a previous process left. */
  static async open(options: SpoolOptions): Promise<Spool> {
    await mkdir(options.dir, { recursive: true });
    const found: SpoolSegment[] = [];
    for (const name of await readdir(options.dir)) {
      const match = SEGMENT_NAME.exec(name);
      if (!match) continue;
      const path = join(options.dir, name);
      const { messages } = parseSegment(await readFile(path));
      found.push({
        seq: Number(match[1]),
        path,
        records: messages.length,
        events: messages.reduce((n, m) => n + eventCountOf(m.headers), 0),
      });
    }
    found.sort((a, b) => a.seq - b.seq);
    return new Spool(options, found);
  }

  /** Sealed segments, oldest first; each is replayed and removed in this order. */
  get sealed(): readonly SpoolSegment[] {
    return this.sealedSegments;
  }

  /** Messages on disk, in sealed and active segments. */
  get records(): number {
    return this.sealedSegments.reduce((n, s) => n + s.records, this.active?.records ?? 0);
  }

  /** Events in the messages on disk. */
  get events(): number {
    return this.sealedSegments.reduce((n, s) => n + s.events, this.active?.events ?? 0);
  }

  /** Messages appended but not on disk yet (queued or being written). */
  get pendingRecords(): number {
    return this.pending.length;
  }

  /** Events in the messages appended but not on disk yet. */
  get pendingEvents(): number {
    return this.pendingEventCount;
  }

  /** Nothing on disk and nothing waiting to be written. */
  get isEmpty(): boolean {
    return this.sealedSegments.length === 0 && !this.active?.records && this.pending.length === 0;
  }

  /** Queues a frame (holding `events` events) for the active segment; false (nothing queued) when the memory bound is hit. */
  append(frame: Buffer, events = 1): boolean {
    if (this.closed || this.pendingBytes + frame.length > this.maxPendingBytes) return false;
    this.pending.push(frame);
    this.pendingCounts.push(events);
    this.pendingEventCount += events;
    this.pendingBytes += frame.length;
    if (!this.writeScheduled && !this.retryTimer) {
      this.writeScheduled = true;
      // Appends of the same tick and the next few share one write.
      setImmediate(() => {
        this.writeScheduled = false;
        void this.serially(() => this.writePending()).catch(() => undefined);
      });
    }
    return true;
  }

  /** Writes and fsyncs everything appended so far; rejects if it could not be made durable. */
  sync(): Promise<void> {
    return this.serially(async () => {
      await this.writePending();
      if (this.active) await this.active.handle.datasync();
      await this.syncDirectory();
    });
  }

  /** Closes the active segment (if it holds anything) so the replayer can take it. */
  seal(): Promise<void> {
    return this.serially(async () => {
      await this.writePending();
      await this.sealActive();
    });
  }

  /** Deletes a segment whose every message Kafka acknowledged. */
  async remove(segment: SpoolSegment): Promise<void> {
    await unlink(segment.path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    this.forget(segment);
  }

  /** Moves a segment with unreadable bytes aside (`.corrupt`) instead of deleting what was not replayed. */
  async quarantine(segment: SpoolSegment): Promise<string> {
    const target = `${segment.path}.corrupt`;
    await rename(segment.path, target);
    this.forget(segment);
    return target;
  }

  read(segment: SpoolSegment): Promise<ParsedSegment> {
    return readFile(segment.path).then((bytes) => {
      const parsed = parseSegment(bytes);
      segment.records = parsed.messages.length;
      segment.events = parsed.messages.reduce((n, m) => n + eventCountOf(m.headers), 0);
      return parsed;
    });
  }

  /** Writes what is pending, seals the active segment and stops accepting appends. */
  async close(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    try {
      await this.serially(async () => {
        await this.writePending();
        await this.sealActive();
      });
    } finally {
      this.closed = true;
      if (this.active) await this.active.handle.close().catch(() => undefined);
    }
  }

  private forget(segment: SpoolSegment): void {
    const index = this.sealedSegments.indexOf(segment);
    if (index >= 0) this.sealedSegments.splice(index, 1);
  }

  /** Runs file operations one at a time, in call order. */
  private serially<T>(op: () => Promise<T>): Promise<T> {
    const result = this.ops.then(op);
    this.ops = result.catch(() => undefined);
    return result;
  }

  /** Writes pending frames, filling and sealing segments by size; frames leave `pending` once on disk. */
  private async writePending(): Promise<void> {
    while (this.pending.length > 0) {
      let segment: ActiveSegment | undefined;
      let count = 0;
      let bytes = 0;
      let events = 0;
      try {
        segment = this.active ?? (await this.openSegment());
        const room = this.segmentBytes - segment.bytes;
        for (const frame of this.pending) {
          // At least one frame per write, however large it is.
          if (count > 0 && bytes + frame.length > room) break;
          bytes += frame.length;
          events += this.pendingCounts[count]!;
          count++;
        }
        await writeFully(
          segment.handle,
          Buffer.concat(this.pending.slice(0, count), bytes),
          segment.bytes,
        );
      } catch (err) {
        // The frames stay pending; cut off any partial write so a segment never holds a torn
        // frame followed by good ones, and try again later.
        if (segment) await this.truncateOrAbandon(segment);
        this.options.onError(err, 'write');
        this.retryLater();
        throw err;
      }
      this.pending.splice(0, count);
      this.pendingCounts.splice(0, count);
      this.pendingEventCount -= events;
      this.pendingBytes -= bytes;
      segment.bytes += bytes;
      segment.records += count;
      segment.events += events;
      this.options.onWritten?.(count);
      if (segment.bytes >= this.segmentBytes) await this.sealActive();
    }
  }

  private retryLater(): void {
    if (this.retryTimer || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.serially(() => this.writePending()).catch(() => undefined);
    }, this.retryMs);
    this.retryTimer.unref();
  }

  private async truncateOrAbandon(segment: ActiveSegment): Promise<void> {
    try {
      await segment.handle.truncate(segment.bytes);
    } catch (err) {
      this.options.onError(err, 'truncate');
      // The bytes after `segment.bytes` are a torn tail to the reader; start a fresh segment.
      this.active = undefined;
      await segment.handle.close().catch(() => undefined);
      if (segment.records > 0)
        this.sealedSegments.push({
          seq: segment.seq,
          path: segment.path,
          records: segment.records,
          events: segment.events,
        });
    }
  }

  private async openSegment(): Promise<ActiveSegment> {
    const seq = this.nextSeq++;
    const path = join(this.options.dir, segmentName(seq));
    const handle = await open(path, 'wx');
    try {
      await writeFully(handle, SEGMENT_MAGIC, 0);
    } catch (err) {
      await handle.close().catch(() => undefined);
      await unlink(path).catch(() => undefined);
      throw err;
    }
    this.dirDirty = true;
    this.active = { seq, path, records: 0, events: 0, handle, bytes: SEGMENT_MAGIC.length };
    return this.active;
  }

  private async sealActive(): Promise<void> {
    const segment = this.active;
    if (!segment) return;
    if (segment.records === 0) {
      this.active = undefined;
      await segment.handle.close();
      await unlink(segment.path);
      return;
    }
    try {
      await segment.handle.datasync();
    } catch (err) {
      this.options.onError(err, 'fsync');
      throw err;
    }
    this.active = undefined;
    await segment.handle.close();
    await this.syncDirectory();
    this.sealedSegments.push({
      seq: segment.seq,
      path: segment.path,
      records: segment.records,
      events: segment.events,
    });
  }

  /** A new segment's directory entry must be durable too, or a power loss could drop the file. */
  private async syncDirectory(): Promise<void> {
    if (!this.dirDirty) return;
    const dir = await open(this.options.dir, 'r');
    try {
      await dir.sync();
      this.dirDirty = false;
    } catch (err) {
      this.options.onError(err, 'fsync directory');
      throw err;
    } finally {
      await dir.close();
    }
  }
}

async function writeFully(handle: FileHandle, bytes: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, position + done);
    if (bytesWritten === 0) throw new Error('the spool file accepted no bytes');
    done += bytesWritten;
  }
}
