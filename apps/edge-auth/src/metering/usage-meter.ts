import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { messageKeyOf, type EventCodec, type RequestMetered } from '@tollgate/events';
import type { BatchingProducer, OutgoingMessage } from '@tollgate/kafka';
import { Spool } from './spool';
import { encodeFrame } from './spool-format';
import { SpoolReplayer } from './spool-replayer';
import { usageMeterMetrics, type UsageMeterMetrics } from './usage-metrics';

export interface UsageMeter {
  /** Synchronous, never throws, never blocks the request: hands the event to the producer or the spool. */
  record(event: RequestMetered): void;
  /** Resolves when everything recorded so far is acknowledged by Kafka or durably in the spool. */
  flush(): Promise<void>;
  /** flush + stop the replayer + close files (not the Kafka connection it was given). */
  close(): Promise<void>;
  /** For readiness/metrics/tests: events buffered in memory, spooled on disk (not yet replayed). */
  stats(): { buffered: number; spooled: number };
}

/** The meter as the metering thread drives it: events arrive already encoded. */
export interface UsageMeterEngine extends UsageMeter {
  /**
   * `record` without the encoding step, for bytes encoded elsewhere: a single RequestMetered or a
   * RequestMeteredBatch record carrying `events` events (metrics and stats count events).
   */
  recordMessage(message: OutgoingMessage, events?: number): void;
}

export interface UsageMeterOptions {
  /** Connected by the caller, who also disconnects it after `close()`. */
  producer: BatchingProducer;
  codec: EventCodec;
  /** Usually `TOPICS.usage.name`; tests pass a unique one. */
  topic: string;
  /** Local directory for the spool; one meter per directory. */
  spoolDir: string;
  /** Most events waiting in the producer before new ones go straight to the spool. */
  maxBuffered?: number;
  /** First back-off after a failed replay; grows to 32× (at most 30 s) while Kafka stays down. */
  replayIntervalMs?: number;
  /**
   * An event the producer has not acknowledged after this long is copied to the spool (kafkajs
   * can take many seconds to give up on a broker that does not answer). If the first send then
   * succeeds after all, the replay writes it a second time with the same eventId.
   */
  sendTimeoutMs?: number;
  /** Spool segment size before rotation. */
  segmentBytes?: number;
  metrics: Registry;
  logger: Logger;
}

interface InFlight {
  message: OutgoingMessage;
  events: number;
  sentAt: number;
}

interface FlushWaiter {
  upTo: number;
  resolve(): void;
}

/**
 * Meters every request without ever waiting for Kafka. Events are Avro-encoded once, in `record`;
 * those exact bytes go to the producer or, when Kafka is not taking writes (a send failed or is
 * overdue, or too many are waiting), to an append-only spool on local disk. From the first
 * spooled event on, new events are appended to the spool too (no send piles up against a dead
 * broker), and one replayer resends the spool's segments in order through the same producer;
 * as soon as Kafka acknowledges a replayed window, new events go straight to Kafka again while
 * the replayer drains the rest. A replayed event is never spooled again, so nothing loops.
 *
 * Delivery is at-least-once with one eventId per event: an event whose send failed ambiguously
 * (written, but the acknowledgement lost or late) reaches the topic twice, byte for byte the same,
 * and consumers (usage-ingestor) count it once by eventId.
 */
export async function createUsageMeter(options: UsageMeterOptions): Promise<UsageMeterEngine> {
  const metrics = usageMeterMetrics(options.metrics);
  const logger = options.logger;
  const spool = await Spool.open({
    dir: options.spoolDir,
    ...(options.segmentBytes ? { segmentBytes: options.segmentBytes } : {}),
    onError(err, operation) {
      metrics.spoolErrors.inc({ kind: operation });
      logger.error({ err, operation, spoolDir: options.spoolDir }, 'usage spool I/O failed');
    },
    onWritten: () => meter.updateGauge(),
  });
  const meter = new KafkaUsageMeter(options, spool, metrics);
  return meter;
}

class KafkaUsageMeter implements UsageMeterEngine {
  private readonly replayer: SpoolReplayer;
  private readonly maxBuffered: number;
  private readonly sendTimeoutMs: number;
  private readonly inFlight = new Map<number, InFlight>();
  /** Events in the in-flight messages. */
  private inFlightEvents = 0;
  private flushWaiters: FlushWaiter[] = [];
  private readonly deadlineTimer: NodeJS.Timeout;
  private lastId = 0;
  /** New events go to the spool (Kafka is down, or not yet known to be up after a spool was found). */
  private spooling = false;
  /** The spool holds events: "spooling started" was logged, "drained" was not yet. */
  private backlog = false;
  private closing: Promise<void> | undefined;
  private closed = false;
  private refusedSinceLastLog = 0;

  constructor(
    private readonly options: UsageMeterOptions,
    private readonly spool: Spool,
    private readonly metrics: UsageMeterMetrics,
  ) {
    this.maxBuffered = options.maxBuffered ?? 10_000;
    this.sendTimeoutMs = options.sendTimeoutMs ?? 5_000;
    const intervalMs = options.replayIntervalMs ?? 1_000;
    this.replayer = new SpoolReplayer({
      spool,
      producer: options.producer,
      intervalMs,
      maxBackoffMs: Math.max(intervalMs, Math.min(30_000, intervalMs * 32)),
      metrics,
      logger: options.logger,
      onDrained: () => this.onSpoolDrained(),
      onKafkaAccepting: () => this.onKafkaAccepting(),
      onProgress: () => this.updateGauge(),
    });
    this.deadlineTimer = setInterval(
      () => this.spoolOverdueSends(),
      Math.max(50, Math.min(1_000, this.sendTimeoutMs / 4)),
    );
    this.deadlineTimer.unref();
    this.updateGauge();
    if (!spool.isEmpty) {
      options.logger.warn(
        { spooled: spool.events, spoolDir: options.spoolDir },
        'usage events spooled by a previous run; replaying them',
      );
      this.spooling = true;
      this.backlog = true;
      this.replayer.kick();
    }
  }

  record(event: RequestMetered): void {
    let message: OutgoingMessage;
    try {
      const { value, headers } = this.options.codec.encode('RequestMetered', event);
      message = {
        topic: this.options.topic,
        key: messageKeyOf('RequestMetered', event),
        value,
        headers,
      };
    } catch (err) {
      this.metrics.unencodable.inc();
      this.options.logger.error(
        { err, eventId: event?.eventId },
        'RequestMetered does not match its schema; dropped',
      );
      return;
    }
    this.recordMessage(message);
  }

  recordMessage(message: OutgoingMessage, events = 1): void {
    const { producer } = this.options;
    const closing = this.closing !== undefined;
    if (this.spooling || closing || producer.isFull || this.inFlightEvents >= this.maxBuffered) {
      this.toSpool(
        message,
        events,
        this.spooling ? 'spooling' : 'too many events waiting for Kafka',
      );
    } else {
      this.sendDirect(message, events);
    }
  }

  async flush(): Promise<void> {
    const upTo = this.lastId;
    await new Promise<void>((resolve) => {
      if (this.oldestInFlight() > upTo) resolve();
      else this.flushWaiters.push({ upTo, resolve });
    });
    await this.spool.sync();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await this.flush();
      } finally {
        clearInterval(this.deadlineTimer);
        await this.replayer.stop();
        await this.spool.close();
        this.closed = true;
        this.updateGauge();
      }
    })();
    return this.closing;
  }

  stats(): { buffered: number; spooled: number } {
    return {
      buffered: this.inFlightEvents + this.spool.pendingEvents,
      spooled: this.spool.events - this.replayer.acknowledgedInProgress,
    };
  }

  updateGauge(): void {
    this.metrics.spooled.set(this.stats().spooled);
  }

  private sendDirect(message: OutgoingMessage, events: number): void {
    const id = ++this.lastId;
    this.inFlight.set(id, { message, events, sentAt: performance.now() });
    this.inFlightEvents += events;
    this.options.producer.send(message).then(
      () => {
        if (!this.settle(id)) return;
        this.metrics.events.inc({ path: 'kafka' }, events);
        this.releaseFlushWaiters();
      },
      (err: unknown) => {
        if (!this.settle(id)) return;
        this.toSpool(message, events, 'send failed', err);
        this.releaseFlushWaiters();
      },
    );
  }

  /** Takes a send out of the in-flight set; false when it had left already (spooled as overdue). */
  private settle(id: number): boolean {
    const entry = this.inFlight.get(id);
    if (!entry) return false;
    this.inFlight.delete(id);
    this.inFlightEvents -= entry.events;
    return true;
  }

  /** Sends the producer has held too long go to the spool as well; a late ack makes a same-eventId duplicate. */
  private spoolOverdueSends(): void {
    const deadline = performance.now() - this.sendTimeoutMs;
    let spooled = 0;
    for (const [id, { message, events, sentAt }] of this.inFlight) {
      if (sentAt > deadline) break;
      this.settle(id);
      this.toSpool(message, events, 'send timed out');
      spooled++;
    }
    if (spooled > 0) this.releaseFlushWaiters();
  }

  private toSpool(message: OutgoingMessage, events: number, cause: string, err?: unknown): void {
    if (this.closed || !this.spool.append(encodeFrame(message), events)) {
      this.refused(cause, events);
      return;
    }
    this.metrics.events.inc({ path: 'spool' }, events);
    if (this.closing !== undefined) return;
    if (!this.backlog) {
      this.backlog = true;
      this.options.logger.warn(
        { cause, err, spoolDir: this.options.spoolDir },
        'Kafka is not taking usage events; spooling them to disk until it does',
      );
    }
    this.spooling = true;
    this.replayer.kick();
  }

  /** The spool cannot take the event (closed, or its memory bound hit because the disk fails): it is lost. */
  private refused(cause: string, events: number): void {
    this.metrics.spoolErrors.inc({ kind: 'refused' }, events);
    const first = this.refusedSinceLastLog === 0;
    this.refusedSinceLastLog += events;
    if (first) {
      this.options.logger.error(
        { cause, spoolDir: this.options.spoolDir, closed: this.closed },
        'usage spool cannot take events; usage is being lost',
      );
      setTimeout(() => {
        if (this.refusedSinceLastLog > 1)
          this.options.logger.error(
            { lost: this.refusedSinceLastLog },
            'usage events lost because the spool could not take them',
          );
        this.refusedSinceLastLog = 0;
      }, 10_000).unref();
    }
  }

  private onKafkaAccepting(): void {
    if (!this.spooling) return;
    this.spooling = false;
    this.options.logger.info(
      { spooled: this.stats().spooled },
      'Kafka takes usage events again; sending new ones directly while the spool is replayed',
    );
  }

  private onSpoolDrained(): boolean {
    if (!this.spool.isEmpty) return false;
    this.spooling = false;
    if (this.backlog) {
      this.backlog = false;
      this.options.logger.info(
        { spoolDir: this.options.spoolDir },
        'usage spool drained: every spooled event is in Kafka',
      );
    }
    this.updateGauge();
    return true;
  }

  private oldestInFlight(): number {
    const first = this.inFlight.keys().next();
    return first.done ? Infinity : first.value;
  }

  private releaseFlushWaiters(): void {
    if (this.flushWaiters.length === 0) return;
    const oldest = this.oldestInFlight();
    const done = this.flushWaiters.filter((w) => w.upTo < oldest);
    if (done.length === 0) return;
    this.flushWaiters = this.flushWaiters.filter((w) => w.upTo >= oldest);
    for (const waiter of done) waiter.resolve();
  }
}
