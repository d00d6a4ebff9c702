import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import avro from 'avsc';
import {
  CURRENT_SCHEMAS,
  SCHEMA_FINGERPRINT_HEADER,
  type EventCodec,
  type RequestMetered,
} from '@tollgate/events';
import type { KafkaConnectionOptions } from '@tollgate/kafka';
import { EventChunkWriter, type EventChunk } from './event-chunks';
import type { UsageMeter } from './usage-meter';

export type KafkaClientSecurity = Pick<KafkaConnectionOptions, 'ssl' | 'sasl'>;

/** What the metering thread is started with (workerData). */
export interface MeteringWorkerConfig {
  service: string;
  logLevel: string;
  brokers: string[];
  /** The same TLS/SASL the app's own Kafka connection uses (KAFKA_SSL, KAFKA_SASL_*). */
  security?: KafkaClientSecurity;
  topic: string;
  spoolDir: string;
  maxBuffered: number;
  /** How long events wait for more to join their RequestMeteredBatch record (and the producer's linger). */
  lingerMs: number;
  /** The instance and bounds of the RequestMeteredBatch records the thread writes. */
  edgeInstanceId: string;
  batchEvents: number;
  batchBytes: number;
}

export type ToWorker =
  | { t: 'events'; chunk: EventChunk }
  | { t: 'flush'; id: number }
  | { t: 'metrics'; id: number }
  | { t: 'close'; id: number };

interface Stats {
  buffered: number;
  spooled: number;
}

export type ToMain =
  | { t: 'ready' }
  | ({ t: 'recorded'; count: number } & Stats)
  | ({ t: 'done'; id: number; error?: string } & Partial<Stats>)
  | { t: 'metrics'; id: number; text: string };

export interface ThreadedUsageMeterOptions extends Omit<MeteringWorkerConfig, 'logLevel'> {
  codec: EventCodec;
  logLevel: string;
  metrics: Registry;
  logger: Logger;
  /**
   * Longest an encoded event waits on the request thread before it is handed over (default: half
   * the linger time, 1–10 ms). Each hand-over is a message and a wake-up of each thread.
   */
  handOverMs?: number;
  /** The bundled metering thread (`metering.worker.mjs`, built next to `main.mjs` by tools/build-app.mjs). */
  workerUrl: URL;
}

export interface ThreadedUsageMeter extends UsageMeter {
  /** The metering thread's own metrics (producer, spool), in Prometheus text format. */
  workerMetrics(): Promise<string>;
}

const CHUNK_BYTES = 256 * 1024;
const CHUNK_EVENTS = 8_192;
/** A typical encoded RequestMetered; a bigger one is written after the buffer grows. */
const EVENT_SIZE_HINT = 192;

/**
 * The usage meter as the request thread sees it: `record` only Avro-encodes the event and packs it
 * into a batch; batches go, as transferred buffers, to a worker thread that runs the meter engine
 * (idempotent producer, spool, replay). kafkajs' per-event CPU and garbage then never stall a
 * request, and on a multi-core host metering runs beside request handling instead of in turn.
 * Events handed over but not yet recorded by the worker are counted (`edge_usage_handover_lag`);
 * a worker that dies is restarted, and what it had spooled is replayed by its successor.
 */
export async function createThreadedUsageMeter(
  options: ThreadedUsageMeterOptions,
): Promise<ThreadedUsageMeter> {
  await mkdir(options.spoolDir, { recursive: true });
  const meter = new ThreadedMeter(options);
  await meter.start();
  return meter;
}

class ThreadedMeter implements ThreadedUsageMeter {
  private worker!: Worker;
  private readonly batch = new EventChunkWriter(CHUNK_BYTES, CHUNK_EVENTS);
  private handOverTimer: NodeJS.Timeout | undefined;
  private readonly replies = new Map<number, (reply: ToMain) => void>();
  private nextId = 1;
  /** Events handed to the worker that it has not recorded yet. */
  private handedOver = 0;
  private lastStats: Stats = { buffered: 0, spooled: 0 };
  private closing: Promise<void> | undefined;
  private readonly lag: Gauge;
  private readonly restarts: Counter;
  private readonly handOverMs: number;
  /**
   * The current RequestMetered schema, writing straight into the hand-over buffer (no Buffer per
   * event, no copy). Its fingerprint is the codec's, so the bytes are the ones `codec.encode` writes.
   */
  private readonly requestMetered: avro.Type;
  private readonly encodeInto = (bytes: Buffer, at: number) =>
    this.requestMetered.encode(this.encoding, bytes, at);
  private encoding: RequestMetered | undefined;

  constructor(private readonly options: ThreadedUsageMeterOptions) {
    this.handOverMs =
      options.handOverMs ?? Math.min(10, Math.max(1, Math.floor(options.lingerMs / 2)));
    this.requestMetered = avro.Type.forSchema(
      CURRENT_SCHEMAS.RequestMetered as unknown as avro.Schema,
    );
    const fingerprint = this.requestMetered.fingerprint('sha256').toString('hex');
    if (
      options.codec.headersOf('RequestMetered')[SCHEMA_FINGERPRINT_HEADER]?.toString() !==
      fingerprint
    )
      throw new Error('the codec does not write the current RequestMetered schema');
    this.lag = new Gauge({
      name: 'edge_usage_handover_lag',
      help: 'RequestMetered events handed to the metering thread and not yet recorded by it',
      registers: [options.metrics],
    });
    this.restarts = new Counter({
      name: 'edge_usage_worker_restarts_total',
      help: 'Times the metering thread died and was restarted',
      registers: [options.metrics],
    });
  }

  async start(): Promise<void> {
    const {
      codec: _codec,
      metrics: _metrics,
      logger: _logger,
      handOverMs: _h,
      workerUrl,
      ...config
    } = this.options;
    if (!existsSync(workerUrl))
      throw new Error(
        `metering worker not found at ${fileURLToPath(workerUrl)}: run the built app (tools/build-app.mjs bundles it next to main.mjs)`,
      );
    const workerConfig: MeteringWorkerConfig = config;
    this.worker = new Worker(workerUrl, { workerData: workerConfig });
    const ready = new Promise<void>((resolve, reject) => {
      const onExit = (code: number) =>
        reject(new Error(`metering thread exited with ${code} during start`));
      this.worker.once('exit', onExit);
      this.worker.once('error', reject);
      this.worker.on('message', (message: ToMain) => {
        if (message.t === 'ready') {
          this.worker.off('exit', onExit);
          this.worker.off('error', reject);
          resolve();
        } else this.onMessage(message);
      });
    });
    await ready;
    this.worker.on('error', (err) => this.options.logger.error({ err }, 'metering thread failed'));
    this.worker.once('exit', (code) => void this.onExit(code));
  }

  record(event: RequestMetered): void {
    // No message key: the metering thread packs events into batch records keyed by batch id.
    this.encoding = event;
    try {
      if (!this.batch.writeWith(EVENT_SIZE_HINT, this.encodeInto)) {
        this.handOver();
        this.batch.writeWith(EVENT_SIZE_HINT, this.encodeInto);
      }
    } catch (err) {
      this.options.logger.error(
        { err, eventId: event?.eventId },
        'RequestMetered does not match its schema; dropped',
      );
      return;
    } finally {
      this.encoding = undefined;
    }
    this.handOverTimer ??= setTimeout(() => this.handOver(), this.handOverMs);
  }

  async flush(): Promise<void> {
    this.handOver();
    const reply = await this.request('flush');
    if (reply.t === 'done' && reply.error) throw new Error(reply.error);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.handOver();
      const reply = await this.request('close');
      if (reply.t === 'done')
        this.lastStats = { buffered: reply.buffered ?? 0, spooled: reply.spooled ?? 0 };
      await this.worker.terminate();
      if (reply.t === 'done' && reply.error) throw new Error(reply.error);
    })();
    return this.closing;
  }

  stats(): Stats {
    return {
      buffered: this.lastStats.buffered + this.handedOver + this.batch.count,
      spooled: this.lastStats.spooled,
    };
  }

  async workerMetrics(): Promise<string> {
    if (this.closing) return '';
    const reply = await this.request('metrics');
    return reply.t === 'metrics' ? reply.text : '';
  }

  private handOver(): void {
    clearTimeout(this.handOverTimer);
    this.handOverTimer = undefined;
    if (this.batch.count === 0) return;
    const chunk = this.batch.take();
    this.handedOver += chunk.count;
    this.lag.set(this.handedOver);
    this.worker.postMessage({ t: 'events', chunk } satisfies ToWorker, [chunk.bytes, chunk.ends]);
  }

  private request(t: 'flush' | 'metrics' | 'close'): Promise<ToMain> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.replies.set(id, resolve);
      this.worker.postMessage({ t, id } satisfies ToWorker);
    });
  }

  private onMessage(message: ToMain): void {
    switch (message.t) {
      case 'recorded':
        this.handedOver -= message.count;
        this.lag.set(this.handedOver);
        this.lastStats = { buffered: message.buffered, spooled: message.spooled };
        return;
      case 'done':
      case 'metrics': {
        if (message.t === 'done' && message.buffered !== undefined)
          this.lastStats = { buffered: message.buffered, spooled: message.spooled ?? 0 };
        const reply = this.replies.get(message.id);
        this.replies.delete(message.id);
        reply?.(message);
        return;
      }
      case 'ready':
        return;
    }
  }

  private async onExit(code: number): Promise<void> {
    if (this.closing) return;
    this.restarts.inc();
    this.options.logger.error(
      { code, lostInMemory: this.handedOver },
      'metering thread exited; restarting it (its spool is replayed)',
    );
    for (const [id, reply] of this.replies)
      reply({ t: 'done', id, error: 'metering thread exited' });
    this.replies.clear();
    this.handedOver = 0;
    await this.start();
  }
}
