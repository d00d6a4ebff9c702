import type { Logger } from 'pino';
import type { BatchingProducer } from '@tollgate/kafka';
import type { Spool, SpoolSegment } from './spool';
import { eventCountOf } from './usage-batch';
import type { UsageMeterMetrics } from './usage-metrics';

export interface SpoolReplayerOptions {
  spool: Spool;
  producer: BatchingProducer;
  /** First wait after a failed replay; doubles per failure up to `maxBackoffMs`. */
  intervalMs: number;
  maxBackoffMs: number;
  /** Messages handed to the producer at once. */
  window?: number;
  metrics: UsageMeterMetrics;
  logger: Logger;
  /** Called (synchronously) when the spool is empty; returns false if more arrived meanwhile. */
  onDrained(): boolean;
  /** Kafka acknowledged a window of replayed messages: it takes writes again. */
  onKafkaAccepting(): void;
  /** Spooled counts changed (for the gauge). */
  onProgress(): void;
}

interface Progress {
  segment: SpoolSegment;
  acked: Uint8Array;
  ackedCount: number;
  /** Events in the acknowledged messages (a batch record carries many). */
  ackedEvents: number;
}

/**
 * Resends spooled segments through the producer, oldest first, and deletes a segment only once
 * Kafka acknowledged every message in it. Replayed messages are the spooled bytes as they are,
 * so their eventIds are the originals: a message whose first send was written but not
 * acknowledged (a timeout) reaches Kafka twice with one eventId, which consumers count once.
 * A failed attempt keeps the segment (and which of its messages were acknowledged) and backs off.
 */
export class SpoolReplayer {
  private running: Promise<void> | undefined;
  private looping = false;
  private stopped = false;
  private wakeUp: (() => void) | undefined;
  private progress: Progress | undefined;
  private failures = 0;

  constructor(private readonly options: SpoolReplayerOptions) {}

  /** Events in the messages of the segment being replayed that Kafka already acknowledged. */
  get acknowledgedInProgress(): number {
    return this.progress?.ackedEvents ?? 0;
  }

  /** Starts replaying unless already running. */
  kick(): void {
    if (this.stopped || this.looping) return;
    this.looping = true;
    this.running = this.loop();
  }

  /** Stops after the current step; sends still in the producer finish there but change nothing here. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeUp?.();
    await this.running;
  }

  /** Never rejects; ends (with `looping` cleared in the same tick) only when drained or stopped. */
  private async loop(): Promise<void> {
    const { spool, logger } = this.options;
    while (!this.stopped) {
      let ok: boolean;
      try {
        const segment = spool.sealed[0];
        if (segment) {
          ok = await this.replay(segment);
        } else if (!spool.isEmpty) {
          ok = await spool.seal().then(
            () => true,
            () => false,
          );
        } else if (this.options.onDrained()) {
          this.failures = 0;
          this.looping = false;
          return;
        } else {
          ok = true;
        }
      } catch (err) {
        logger.error({ err }, 'usage spool replay step failed');
        ok = false;
      }
      if (ok) {
        this.failures = 0;
      } else {
        this.failures++;
        await this.sleep(this.backoffMs());
      }
    }
    this.looping = false;
  }

  private backoffMs(): number {
    const { intervalMs, maxBackoffMs } = this.options;
    return Math.min(maxBackoffMs, intervalMs * 2 ** Math.min(this.failures - 1, 20));
  }

  private async replay(segment: SpoolSegment): Promise<boolean> {
    const { spool, logger, metrics } = this.options;
    let parsed;
    try {
      parsed = await spool.read(segment);
    } catch (err) {
      metrics.spoolErrors.inc({ kind: 'read' });
      logger.error({ err, segment: segment.path }, 'usage spool segment could not be read');
      return false;
    }
    if (this.progress?.segment !== segment) {
      const acked = new Uint8Array(parsed.messages.length);
      this.progress = { segment, acked, ackedCount: 0, ackedEvents: 0 };
    }
    const progress = this.progress;
    if (this.failures > 0) {
      // A producer whose first connect failed (Kafka down at start-up) never retries by itself;
      // on a connected one this returns at once.
      try {
        await this.options.producer.connect();
      } catch (err) {
        logger.debug({ err }, 'usage spool replay: Kafka still unreachable');
        return false;
      }
    }
    const window = this.options.window ?? 500;
    const todo = parsed.messages.flatMap((message, i) =>
      progress.acked[i] ? [] : [{ message, i }],
    );
    for (let from = 0; from < todo.length && !this.stopped; from += window) {
      const sends = todo.slice(from, from + window).map(({ message, i }) =>
        this.options.producer.send(message).then(() => {
          if (progress.acked[i]) return;
          progress.acked[i] = 1;
          progress.ackedCount++;
          const events = eventCountOf(message.headers);
          progress.ackedEvents += events;
          metrics.replayed.inc(events);
        }),
      );
      const results = await this.unlessStopped(Promise.allSettled(sends));
      this.options.onProgress();
      const failed = results?.find((r) => r.status === 'rejected');
      if (failed) {
        const log = this.failures === 0 ? logger.warn.bind(logger) : logger.debug.bind(logger);
        log(
          {
            err: failed.reason as unknown,
            segment: segment.path,
            acknowledged: progress.ackedCount,
          },
          'usage spool replay failed; will retry',
        );
        return false;
      }
      if (!results) return true;
      this.options.onKafkaAccepting();
    }
    if (this.stopped) return true;

    try {
      if (parsed.tail === 'corrupt') {
        metrics.spoolErrors.inc({ kind: 'corrupt' });
        const kept = await spool.quarantine(segment);
        logger.error(
          { segment: kept, replayed: parsed.messages.length, validBytes: parsed.validBytes },
          'usage spool segment has unreadable bytes after its last good record; replayed the readable part and kept the file',
        );
      } else {
        if (parsed.tail === 'torn')
          logger.info(
            { segment: segment.path, validBytes: parsed.validBytes },
            'usage spool segment ended in an interrupted write (never reported durable); ignored it',
          );
        await spool.remove(segment);
      }
    } catch (err) {
      metrics.spoolErrors.inc({ kind: 'delete' });
      logger.error(
        { err, segment: segment.path },
        'replayed usage spool segment could not be removed',
      );
      return false;
    }
    this.progress = undefined;
    this.options.onProgress();
    return true;
  }

  /** The promise's value, or undefined as soon as the replayer is stopped. */
  private unlessStopped<T>(promise: Promise<T>): Promise<T | undefined> {
    if (this.stopped) return Promise.resolve(undefined);
    return new Promise<T | undefined>((resolve, reject) => {
      this.wakeUp = () => resolve(undefined);
      promise.then(resolve, reject);
    }).finally(() => {
      this.wakeUp = undefined;
    });
  }

  private async sleep(ms: number): Promise<void> {
    await this.unlessStopped(
      new Promise<void>((resolve) => {
        setTimeout(resolve, ms).unref();
      }),
    );
  }
}
