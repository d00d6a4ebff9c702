import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { type EventCodec, type TollgateEvent } from '@tollgate/events';
import {
  DeadLetterSink,
  TableReader,
  type ConsumedEvent,
  type DeadLetter,
  type KafkaConnection,
  type KafkaMetrics,
  type RawMessage,
  type ResumePoint,
} from '@tollgate/kafka';
import type { Dependency } from '@tollgate/service-runtime';
import { eventRefusal } from './event-refusal';
import type { KeyTable } from './key-table';
import {
  loadSnapshot,
  parseSnapshot,
  recordFingerprint,
  snapshotPath,
  writeSnapshot,
  type SnapshotHeader,
} from './key-table-snapshot';
import type { SharedSnapshots } from './shared-snapshots';

export interface KeyTableFeedOptions {
  kafka: KafkaConnection;
  codec: EventCodec;
  metrics: KafkaMetrics;
  /** Where the feed's own metrics (quarantined events, reader state) are registered. */
  registry: Registry;
  log: Logger;
  table: KeyTable;
  topics: { keys: string; plans: string; accounts: string; deadLetters: string };
  /** Runs before the first read, e.g. topic provisioning; retried with the read on failure. */
  prepare?: () => Promise<void>;
  maxWaitTimeInMs: number;
  /**
   * Keep a snapshot of the table in `dir` (every `intervalMs` once caught up, 0 = only at close,
   * and at close) and start from it when it is at most `maxAgeMs` old: a restart then reads only
   * what changed since (see key-table-snapshot.ts).
   */
  snapshot?: {
    dir: string;
    intervalMs: number;
    maxAgeMs: number;
    /**
     * Snapshots shared through Kafka: read at start when there is no usable file, published at
     * first catch-up and at the interval when the newest shared one is due (shared-snapshots.ts).
     */
    shared?: SharedSnapshots;
  };
  now?: () => number;
}

const READER_NAME = 'edge-auth.key-table';
/** Shared snapshots a start fetches at most, newest first, when the newer ones are refused. */
const SHARED_SNAPSHOTS_TRIED = 3;
/**
 * Pauses before each fetch of the shared snapshot once Kafka is reachable, while the fetch fails
 * on Kafka (a broker just back may still be loading its group coordinator): about 7.5 s in all,
 * less than reading a large table's topics whole.
 */
const SHARED_FETCH_PAUSES_MS = [0, 500, 1_000, 2_000, 4_000];

interface LoadedSnapshot {
  /** The file, or the topic and snapshot id, it came from. */
  source: string;
  shared: boolean;
  header: SnapshotHeader;
  keys: number;
  ageMs: number;
  loadMs: number;
}

/** What start-up found: a snapshot loaded into the table, or none. */
interface StartSnapshot {
  loaded?: LoadedSnapshot;
  /** No shared snapshot because Kafka could not be read (none refused): worth asking again. */
  sharedKafkaFailed: boolean;
}
/** Attempts to write one quarantined event to the dead-letter topic before giving up on it. */
const DEAD_LETTER_ATTEMPTS = 3;

type KafkaClient = KafkaConnection['kafka'];
type Consumer = ReturnType<KafkaClient['consumer']>;

/**
 * Builds the key table from the compacted keys, plans and accounts topics and keeps tailing them.
 * A readiness gate: edge-auth answers no traffic until the table has caught up. Start-up failures
 * (broker down) are retried in the background instead of crashing the process.
 *
 * An event the edge cannot apply (a plan outside the shared bounds, a malformed key state, or
 * anything that throws while applying) is quarantined: not applied, counted, logged once and sent
 * to the dead-letter topic, while the events after it keep applying. One bad record must never
 * stop revocations and suspensions from reaching the edge.
 *
 * When the reader itself crashes (e.g. a topic it reads was deleted), `/readyz` fails and a fresh
 * reader rebuilds the table from the topics; until it has caught up the edge is not ready.
 */
export class KeyTableFeed implements Dependency {
  readonly name = 'key-table';
  private reader: TableReader | undefined;
  private deadLetters: DeadLetterSink | undefined;
  /** Pending dead-letter writes, in order; awaited on close. */
  private deadLettering: Promise<void> = Promise.resolve();
  /** Bumped whenever the current reader is replaced: events of older readers are ignored. */
  private generation = 0;
  private lastFailure: string | undefined;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly quarantined: Counter<'event_type' | 'reason'>;
  private readonly readerRestarts: Counter;
  private readonly deadLetterFailures: Counter;
  private readonly snapshots: Counter<'result'>;
  /** The snapshot loaded at start, until the first reader takes it; later readers read the topics whole. */
  private snapshotLoading: Promise<StartSnapshot> | undefined;
  private clusterId: string | undefined;
  private snapshotTimer: NodeJS.Timeout | undefined;
  private snapshotWriting: Promise<boolean> | undefined;
  private sharing: Promise<void> | undefined;
  /** The current reader's start, awaited before a refused reader is stopped. */
  private readerStarting: Promise<void> = Promise.resolve();

  constructor(private readonly options: KeyTableFeedOptions) {
    this.now = options.now ?? Date.now;
    const registers = [options.registry];
    this.quarantined = new Counter({
      name: 'edge_key_table_quarantined_events_total',
      help: 'Events the key table refused to apply (sent to the dead-letter topic), by reason',
      labelNames: ['event_type', 'reason'] as const,
      registers,
    });
    this.readerRestarts = new Counter({
      name: 'edge_key_table_reader_restarts_total',
      help: 'Times the key table reader crashed or stopped and was started afresh',
      registers,
    });
    this.deadLetterFailures = new Counter({
      name: 'edge_key_table_dead_letter_failures_total',
      help: 'Quarantined events that could not be written to the dead-letter topic',
      registers,
    });
    this.snapshots = new Counter({
      name: 'edge_key_table_snapshots_total',
      help: 'Key table snapshots by result: written, write_failed, loaded (from the file), loaded_shared (from the topic), refused (stale, damaged, or not matching the topics), shared (published), share_failed',
      labelNames: ['result'] as const,
      registers,
    });
    const readerUp = () => this.isCaughtUp;
    new Gauge({
      name: 'edge_key_table_reader_up',
      help: '1 while the key table reader runs and has caught up, else 0',
      registers,
      collect() {
        this.set(readerUp() ? 1 : 0);
      },
    });
  }

  get isCaughtUp(): boolean {
    return this.reader?.isCaughtUp ?? false;
  }

  start(): void {
    // The snapshot loads while Kafka connects and the topics are provisioned; it is checked
    // against the cluster before use. Without a usable file (an edge on a new node) the shared
    // snapshot is fetched at once, so its read overlaps the start-up instead of following it.
    this.snapshotLoading = this.loadSnapshotFile().then((loaded) =>
      loaded ? { loaded, sharedKafkaFailed: false } : this.loadSharedSnapshot(),
    );
    void this.attempt(0);
  }

  /** Resolves once the table has caught up with the topics as they were at start. */
  async waitUntilCaughtUp(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.reader && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (!this.reader) throw new Error(`key table did not start within ${timeoutMs} ms`);
    await this.reader.waitUntilCaughtUp(Math.max(0, deadline - Date.now()));
  }

  async checkReady(): Promise<void> {
    if (!this.reader)
      throw new Error(
        this.lastFailure
          ? `key table reader ${this.lastFailure}; rebuilding the table`
          : 'key table is not loading yet (waiting for Kafka)',
      );
    await this.reader.checkReady();
  }

  /** Stops reading, then writes a last snapshot of what was read (when snapshots are on). */
  async close(): Promise<void> {
    this.stopped = true;
    this.generation++;
    clearTimeout(this.retryTimer);
    clearInterval(this.snapshotTimer);
    this.options.snapshot?.shared?.abort();
    const reader = this.reader;
    await reader?.stop();
    await this.sharing;
    await this.snapshotWriting;
    if (reader) await this.saveSnapshot(reader, { sliced: false });
    await this.deadLettering;
    await this.deadLetters?.close();
  }

  /** Writes a snapshot of the table now (no-op unless snapshots are on and the table caught up). */
  async snapshotNow(): Promise<void> {
    if (this.reader) await this.saveSnapshot(this.reader);
  }

  /**
   * The interval's snapshot (or, with `onlyToShare`, the first catch-up's): written to the file,
   * and published to the shared topic when the newest there is due. One at a time, never throws.
   */
  private async periodicSnapshot(onlyToShare: boolean): Promise<void> {
    const { snapshot } = this.options;
    const shared = snapshot?.shared;
    const reader = this.reader;
    if (!reader || !snapshot || this.sharing) return;
    this.sharing = (async () => {
      const share = (await shared?.publishDue()) ?? false;
      if (onlyToShare && !share) return;
      const written = await this.saveSnapshot(reader);
      if (!share || !written || this.stopped || !shared) return;
      const path = snapshotPath(snapshot.dir, this.tableTopics);
      const started = performance.now();
      try {
        const { bytes, snapshotId } = await shared.publish(path);
        this.snapshots.inc({ result: 'shared' });
        this.options.log.info(
          { snapshotId, bytes, publishMs: Math.round(performance.now() - started) },
          'key table snapshot shared',
        );
      } catch (err) {
        if (this.stopped) return;
        this.snapshots.inc({ result: 'share_failed' });
        this.options.log.warn({ err }, 'key table snapshot could not be shared');
      }
    })().finally(() => {
      this.sharing = undefined;
    });
    await this.sharing;
  }

  private async attempt(failures: number): Promise<void> {
    if (this.stopped) return;
    const generation = ++this.generation;
    const { kafka, codec, metrics, log, topics } = this.options;
    try {
      await this.options.prepare?.();
      this.deadLetters ??= new DeadLetterSink(kafka.kafka, topics.deadLetters);
      const admin = await kafka.admin();
      if (this.options.snapshot) this.clusterId ??= (await admin.describeCluster()).clusterId;
      const resumeAt = await this.restoreSnapshot();
      if (generation !== this.generation) return;
      const reader = new TableReader(
        observeConsumers(kafka.kafka, (consumer) => this.watch(consumer, generation)),
        {
          name: READER_NAME,
          topics: this.tableTopics,
          codec,
          deadLetters: this.deadLetters,
          metrics,
          log,
          maxWaitTimeInMs: this.options.maxWaitTimeInMs,
          onEvent: (consumed, message) => {
            if (generation === this.generation) this.apply(consumed, message);
          },
          resumeAt,
          onResumeRefused: (point, reason) =>
            this.snapshotRefusedByTopics(
              generation,
              `${point.topic}[${point.partition}]: ${reason}`,
            ),
        },
      );
      this.reader = reader;
      this.readerStarting = reader.start(admin);
      await this.readerStarting;
      this.scheduleSnapshots();
      // The cluster's first edge (or one finding the shared snapshot old) shares one once caught up.
      if (this.options.snapshot?.shared?.publishes)
        reader
          .waitUntilCaughtUp(3_600_000)
          .then(() => (generation === this.generation ? this.periodicSnapshot(true) : undefined))
          .catch(() => undefined);
    } catch (err) {
      if (generation !== this.generation) return;
      this.generation++;
      const failed = this.reader;
      this.reader = undefined;
      await failed?.stop().catch(() => undefined);
      if (this.stopped) return;
      const delay = Math.min(5_000, 250 * 2 ** Math.min(failures, 5));
      // Once per outage: the Kafka client logs the outage itself, and retries follow every few seconds.
      const logRetry = failures === 0 ? log.warn.bind(log) : log.debug.bind(log);
      logRetry({ err, retryInMs: delay }, 'key table could not start reading; retrying');
      this.retryTimer = setTimeout(() => void this.attempt(failures + 1), delay);
    }
  }

  private get tableTopics(): string[] {
    const { topics } = this.options;
    return [topics.keys, topics.plans, topics.accounts];
  }

  /**
   * Loads the snapshot file into the (empty) table when there is a usable one. Anything wrong
   * with it is logged and the table is built from the topics (or the shared snapshot).
   */
  private async loadSnapshotFile(): Promise<LoadedSnapshot | undefined> {
    const { snapshot, log } = this.options;
    if (!snapshot) return undefined;
    const path = snapshotPath(snapshot.dir, this.tableTopics);
    const started = performance.now();
    let body: Buffer;
    try {
      body = await readFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        log.info({ path }, 'no key table snapshot file yet');
        return undefined;
      }
      return this.refuseSnapshot(path, err instanceof Error ? err.message : String(err));
    }
    return this.useSnapshot(path, body, started, false);
  }

  /** Checks a snapshot's bytes against this edge's topics and age, and loads them into the table. */
  private async useSnapshot(
    source: string,
    bytes: Buffer,
    started: number,
    shared: boolean,
  ): Promise<LoadedSnapshot | undefined> {
    const { snapshot, table } = this.options;
    if (!snapshot) return undefined;
    let parsed: ReturnType<typeof parseSnapshot>;
    try {
      parsed = parseSnapshot(bytes);
    } catch (err) {
      return this.refuseSnapshot(source, err instanceof Error ? err.message : String(err));
    }
    const { header, body } = parsed;
    const ageMs = this.now() - header.takenAt;
    if (header.topics.join('\n') !== this.tableTopics.join('\n'))
      return this.refuseSnapshot(source, `it holds other topics (${header.topics.join(', ')})`);
    if (ageMs > snapshot.maxAgeMs || ageMs < -60_000)
      return this.refuseSnapshot(source, `it was taken ${Math.round(ageMs / 1000)} s ago`);
    try {
      const keys = await loadSnapshot(table, body);
      return {
        source,
        shared,
        header,
        keys,
        ageMs,
        loadMs: Math.round(performance.now() - started),
      };
    } catch (err) {
      table.clear();
      return this.refuseSnapshot(source, err instanceof Error ? err.message : String(err));
    }
  }

  /**
   * The newest shared snapshot, when there is no usable file and snapshots are shared. One that is
   * refused (damaged, too old, other topics) is passed over for the next older one, at most
   * SHARED_SNAPSHOTS_TRIED in all: a bad publish costs a few fetches, not a read of the topics.
   */
  private async loadSharedSnapshot(): Promise<StartSnapshot> {
    const shared = this.options.snapshot?.shared;
    if (!shared) return { sharedKafkaFailed: false };
    const refused = new Set<string>();
    while (refused.size < SHARED_SNAPSHOTS_TRIED) {
      const started = performance.now();
      const { fetched, kafkaFailed } = await shared.fetch(refused);
      if (!fetched || this.stopped)
        return { sharedKafkaFailed: kafkaFailed === true && refused.size === 0 };
      const loaded = await this.useSnapshot(fetched.source, fetched.body, started, true);
      if (loaded) return { loaded, sharedKafkaFailed: false };
      refused.add(fetched.manifest.blobId);
    }
    return { sharedKafkaFailed: false };
  }

  /**
   * The shared snapshot, fetched with Kafka reachable: a fetch that fails on Kafka is tried again
   * after each of SHARED_FETCH_PAUSES_MS before the topics are read whole.
   */
  private async fetchSharedOnceKafkaIsUp(): Promise<LoadedSnapshot | undefined> {
    for (const pause of SHARED_FETCH_PAUSES_MS) {
      if (pause > 0) await sleep(pause, undefined, { ref: false });
      if (this.stopped) return undefined;
      const { loaded, sharedKafkaFailed } = await this.loadSharedSnapshot();
      if (loaded || !sharedKafkaFailed) return loaded;
    }
    return undefined;
  }

  /**
   * Where each partition resumes: from the snapshot loaded at start when it was taken on this
   * cluster (the first reader only), else nowhere (the topics are read whole).
   */
  private async restoreSnapshot(): Promise<ResumePoint[]> {
    const loading = this.snapshotLoading;
    this.snapshotLoading = undefined;
    if (!loading) return [];
    // The file, or the shared snapshot when there was no usable file (fetched since start). The
    // shared one is fetched (again) now, with Kafka reachable, when the file turns out to come
    // from another cluster, or when the early fetch could not read Kafka (an edge started while
    // Kafka was down would otherwise read the topics whole).
    const first = await loading;
    const fetchNow = first.loaded ? !first.loaded.shared : first.sharedKafkaFailed;
    const loaded =
      this.ofThisCluster(first.loaded) ??
      (fetchNow ? this.ofThisCluster(await this.fetchSharedOnceKafkaIsUp()) : undefined);
    if (!loaded) return [];
    const { source, shared, header, keys, ageMs, loadMs } = loaded;
    this.snapshots.inc({ result: shared ? 'loaded_shared' : 'loaded' });
    this.options.log.info(
      { source, keys, ageMs, loadMs },
      shared
        ? 'key table loaded from the shared snapshot; reading what changed since'
        : 'key table loaded from its snapshot; reading what changed since',
    );
    return header.positions.map((p) => ({
      topic: p.topic,
      partition: p.partition,
      offset: (BigInt(p.next) - 1n).toString(),
      matches: (message) => recordFingerprint(message.value) === p.lastRecord,
    }));
  }

  /** The loaded snapshot if it was taken on the Kafka cluster this edge reads, else unloaded. */
  private ofThisCluster(loaded: LoadedSnapshot | undefined): LoadedSnapshot | undefined {
    if (!loaded || loaded.header.clusterId === this.clusterId) return loaded;
    this.options.table.clear();
    return this.refuseSnapshot(
      loaded.source,
      `it was taken on Kafka cluster ${loaded.header.clusterId}`,
    );
  }

  private refuseSnapshot(source: string, reason: string): undefined {
    this.snapshots.inc({ result: 'refused' });
    this.options.log.warn(
      { source, reason },
      'key table snapshot not used: building the table from the topics',
    );
    return undefined;
  }

  /** A resumed partition does not continue the snapshot: unload it and read the topics whole. */
  private snapshotRefusedByTopics(generation: number, reason: string): void {
    if (this.stopped || generation !== this.generation) return;
    this.generation++;
    this.snapshots.inc({ result: 'refused' });
    this.options.log.warn(
      { reason },
      'key table snapshot does not match the topics: building the table from the topics',
    );
    const refused = this.reader;
    const starting = this.readerStarting;
    this.reader = undefined;
    setImmediate(() => {
      void starting
        .catch(() => undefined)
        .then(() => refused?.stop().catch(() => undefined))
        .then(() => {
          this.options.table.clear();
          if (!this.stopped) void this.attempt(0);
        });
    });
  }

  private scheduleSnapshots(): void {
    const intervalMs = this.options.snapshot?.intervalMs ?? 0;
    if (intervalMs <= 0 || this.snapshotTimer) return;
    this.snapshotTimer = setInterval(() => void this.periodicSnapshot(false), intervalMs);
    this.snapshotTimer.unref();
  }

  /**
   * Writes the table with the positions `reader` has applied; one write at a time, never throws.
   * True once the file is written.
   */
  private async saveSnapshot(reader: TableReader, options = { sliced: true }): Promise<boolean> {
    const { snapshot, table, log } = this.options;
    if (!snapshot || !reader.isCaughtUp || this.clusterId === undefined) return false;
    if (this.snapshotWriting) return this.snapshotWriting;
    // Taken before the first key is written: records applied meanwhile are read again after a load.
    const positions = reader.positions().map(({ topic, partition, offset, value }) => ({
      topic,
      partition,
      next: (BigInt(offset) + 1n).toString(),
      lastRecord: recordFingerprint(value),
    }));
    const path = snapshotPath(snapshot.dir, this.tableTopics);
    const started = performance.now();
    this.snapshotWriting = writeSnapshot(
      path,
      table,
      {
        takenAt: this.now(),
        clusterId: this.clusterId,
        topics: this.tableTopics,
        positions,
      },
      options,
    )
      .then(({ keys, bytes }) => {
        this.snapshots.inc({ result: 'written' });
        log.info(
          { path, keys, bytes, writeMs: Math.round(performance.now() - started) },
          'key table snapshot written',
        );
        return true;
      })
      .catch((err: unknown) => {
        this.snapshots.inc({ result: 'write_failed' });
        log.warn({ err, path }, 'key table snapshot could not be written');
        return false;
      })
      .finally(() => {
        this.snapshotWriting = undefined;
      });
    return this.snapshotWriting;
  }

  /** The reader's kafkajs consumer: its crash ends this reader (it does not stop otherwise). */
  private watch(consumer: Consumer, generation: number): void {
    consumer.on(consumer.events.CRASH, ({ payload }) =>
      this.readerFailed(generation, consumer, payload.error),
    );
  }

  private readerFailed(generation: number, consumer: Consumer, err: Error): void {
    if (this.stopped || generation !== this.generation) return;
    this.generation++;
    const failed = this.reader;
    this.reader = undefined;
    this.lastFailure = `crashed (${err.message})`;
    this.readerRestarts.inc();
    this.options.log.error(
      { err, reader: READER_NAME },
      'key table reader crashed: not ready until a fresh reader has caught up',
    );
    // kafkajs schedules its own restart right after this event (re-reading from the start, as the
    // reader commits nothing); disconnecting cancels it, and a fresh reader takes over instead.
    setImmediate(() => {
      void consumer
        .disconnect()
        .catch(() => undefined)
        .then(() => failed?.stop().catch(() => undefined))
        .then(() => {
          if (!this.stopped) this.retryTimer = setTimeout(() => void this.attempt(1), 250);
        });
    });
  }

  private apply(consumed: ConsumedEvent, message: RawMessage): void {
    const { event } = consumed;
    const refusal = eventRefusal(event);
    if (refusal) return this.quarantine(consumed, message, refusal.reason, refusal.detail);
    try {
      this.applyValid(event);
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      this.quarantine(consumed, message, 'apply_failed', detail);
    }
  }

  private applyValid(event: TollgateEvent): void {
    const { table } = this.options;
    switch (event.type) {
      case 'KeyIssued':
      case 'KeyUpdated':
        table.applyKey(event.payload.key, null);
        return;
      case 'KeyRevoked':
        table.applyKey(event.payload.key, { effectiveAt: event.payload.effectiveAt });
        return;
      case 'PlanChanged':
        table.applyPlan(
          event.payload.accountId,
          event.payload.plan,
          event.payload.effectiveAt,
          this.now(),
          event.payload.previousPlan,
        );
        return;
      case 'AccountStatusChanged':
        table.applyAccountStatus(event.payload.accountId, event.payload.status === 'suspended');
        return;
      case 'RequestMetered':
        return;
    }
  }

  /** One log line and one metric per refused event; the dead letter is written in the background. */
  private quarantine(
    consumed: ConsumedEvent,
    message: RawMessage,
    reason: string,
    detail: string,
  ): void {
    const { event, topic, partition, offset } = consumed;
    this.quarantined.inc({ event_type: event.type, reason });
    this.options.log.warn(
      {
        eventType: event.type,
        eventId: event.payload.eventId,
        topic,
        partition,
        offset,
        reason,
        detail,
        deadLetterTopic: this.options.topics.deadLetters,
      },
      'key table: event not applied (quarantined to the dead-letter topic); later events still apply',
    );
    // The record as received, byte for byte: not a re-encoding of what this edge decoded, which
    // would lose whatever the edge's schema does not know and hide a producer's encoding fault.
    const letter: DeadLetter = {
      sourceTopic: topic,
      partition,
      message,
      consumer: READER_NAME,
      reason,
      error: detail,
    };
    const sink = this.deadLetters;
    if (sink) this.deadLettering = this.deadLettering.then(() => this.sendDeadLetter(sink, letter));
  }

  private async sendDeadLetter(sink: DeadLetterSink, letter: DeadLetter): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await sink.send(letter, this.now());
        this.options.metrics.deadLettered.inc({
          group: READER_NAME,
          topic: letter.sourceTopic,
          reason: letter.reason,
        });
        return;
      } catch (err) {
        if (attempt >= DEAD_LETTER_ATTEMPTS || this.stopped) {
          this.deadLetterFailures.inc();
          this.options.log.error(
            { err, topic: letter.sourceTopic, offset: letter.message.offset },
            'key table: could not write a quarantined event to the dead-letter topic (it stays unapplied)',
          );
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
      }
    }
  }
}

/**
 * The Kafka client as the table reader sees it, except that every consumer it creates is shown to
 * `observe` first: kafkajs reports a crashed or stopped consumer only through its own events.
 */
function observeConsumers(kafka: KafkaClient, observe: (consumer: Consumer) => void): KafkaClient {
  return new Proxy(kafka, {
    get(target, property, receiver) {
      if (property !== 'consumer') return Reflect.get(target, property, receiver) as unknown;
      return (config: Parameters<KafkaClient['consumer']>[0]) => {
        const consumer = target.consumer(config);
        observe(consumer);
        return consumer;
      };
    },
  });
}
