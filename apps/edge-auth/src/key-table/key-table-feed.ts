import type { Logger } from 'pino';
import type { EventCodec } from '@tollgate/events';
import {
  DeadLetterSink,
  TableReader,
  type ConsumedEvent,
  type KafkaConnection,
  type KafkaMetrics,
} from '@tollgate/kafka';
import type { Dependency } from '@tollgate/service-runtime';
import type { KeyTable } from './key-table';

export interface KeyTableFeedOptions {
  kafka: KafkaConnection;
  codec: EventCodec;
  metrics: KafkaMetrics;
  log: Logger;
  table: KeyTable;
  topics: { keys: string; plans: string; accounts: string; deadLetters: string };
  /** Runs before the first read, e.g. topic provisioning; retried with the read on failure. */
  prepare?: () => Promise<void>;
  maxWaitTimeInMs: number;
  now?: () => number;
}

/**
 * Builds the key table from the compacted keys, plans and accounts topics and keeps tailing them.
 * A readiness gate: edge-auth answers no traffic until the table has caught up. Start-up failures
 * (broker down) are retried in the background instead of crashing the process.
 */
export class KeyTableFeed implements Dependency {
  readonly name = 'key-table';
  private reader: TableReader | undefined;
  private deadLetters: DeadLetterSink | undefined;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly options: KeyTableFeedOptions) {
    this.now = options.now ?? Date.now;
  }

  get isCaughtUp(): boolean {
    return this.reader?.isCaughtUp ?? false;
  }

  start(): void {
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
    if (!this.reader) throw new Error('key table is not loading yet (waiting for Kafka)');
    await this.reader.checkReady();
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await this.reader?.stop();
    await this.deadLetters?.close();
  }

  private async attempt(failures: number): Promise<void> {
    if (this.stopped) return;
    const { kafka, codec, metrics, log, topics } = this.options;
    try {
      await this.options.prepare?.();
      this.deadLetters ??= new DeadLetterSink(kafka.kafka, topics.deadLetters);
      const reader = new TableReader(kafka.kafka, {
        name: 'edge-auth.key-table',
        topics: [topics.keys, topics.plans, topics.accounts],
        codec,
        deadLetters: this.deadLetters,
        metrics,
        log,
        maxWaitTimeInMs: this.options.maxWaitTimeInMs,
        onEvent: (consumed) => this.apply(consumed),
      });
      this.reader = reader;
      await reader.start(await kafka.admin());
    } catch (err) {
      await this.reader?.stop().catch(() => undefined);
      this.reader = undefined;
      if (this.stopped) return;
      const delay = Math.min(5_000, 250 * 2 ** Math.min(failures, 5));
      log.warn({ err, retryInMs: delay }, 'key table could not start reading; retrying');
      this.retryTimer = setTimeout(() => void this.attempt(failures + 1), delay);
    }
  }

  private apply({ event }: ConsumedEvent): void {
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
        );
        return;
      case 'AccountStatusChanged':
        table.applyAccountStatus(event.payload.accountId, event.payload.status === 'suspended');
        return;
      case 'RequestMetered':
        return;
    }
  }
}
