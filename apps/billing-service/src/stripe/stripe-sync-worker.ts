import { Counter, Gauge, type Registry } from 'prom-client';
import type Stripe from 'stripe';
import type { Database } from '@tollgate/postgres';
import { describeStripeError, isTransientStripeError } from './stripe-client';
import { UncollectableInvoiceError, syncInvoiceToStripe } from './stripe-sync';
import {
  claimDueSyncs,
  markSynced,
  scheduleRetry,
  syncBacklog,
} from '../persistence/stripe/stripe-sync-outbox';
import { PollingLoop } from './polling-loop';

export interface SyncLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface StripeSyncWorkerOptions {
  db: Pick<Database, 'sql'>;
  stripe: Stripe;
  now: () => number;
  log: SyncLog;
  registry: Registry;
  pollIntervalMs: number;
  /** Longest a claimed row stays with one replica before another may retry it. */
  leaseMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  batchSize?: number;
  /** 0-1: share of the backoff drawn at random, so replicas' retries spread out. */
  jitter?: number;
}

/** Capped exponential backoff: base · 2^(attempt-1), at most `max`, the top `jitter` share random. */
export function retryDelayMs(
  attempt: number,
  base: number,
  max: number,
  jitter: number,
  random: () => number = Math.random,
): number {
  const capped = Math.min(max, base * 2 ** Math.min(attempt - 1, 30));
  return Math.round(capped * (1 - jitter) + capped * jitter * random());
}

/**
 * Drains the Stripe sync outbox. Each claimed invoice is synced; a failure leaves the row pending
 * with its error and a later `next_attempt_at`, so a Stripe outage only delays collection. Nothing
 * is ever given up: a rejected call (4xx) is logged as an error and retried at the capped delay,
 * so fixing its cause (a key, a config) lets the backlog drain on its own.
 */
export class StripeSyncWorker {
  private readonly loop: PollingLoop;
  private readonly synced: Counter;
  private readonly failures: Counter<'kind'>;

  constructor(private readonly options: StripeSyncWorkerOptions) {
    const { registry } = options;
    this.synced = new Counter({
      name: 'stripe_invoices_synced_total',
      help: 'Tollgate invoices created and finalized in Stripe',
      registers: [registry],
    });
    this.failures = new Counter({
      name: 'stripe_sync_failed_attempts_total',
      help: 'Stripe sync attempts that failed and were rescheduled, by kind (transient, rejected)',
      labelNames: ['kind'] as const,
      registers: [registry],
    });
    const db = options.db;
    let backlog: Promise<{ pending: number; oldestAgeSeconds: number }> | undefined;
    // Both gauges read one query per scrape.
    const readBacklog = () =>
      (backlog ??= syncBacklog(db.sql).finally(() => (backlog = undefined)));
    new Gauge({
      name: 'stripe_sync_backlog',
      help: 'Tollgate invoices waiting to be synced to Stripe',
      registers: [registry],
      async collect() {
        this.set((await readBacklog()).pending);
      },
    });
    new Gauge({
      name: 'stripe_sync_backlog_age_seconds',
      help: 'Age of the oldest invoice waiting to be synced to Stripe',
      registers: [registry],
      async collect() {
        this.set((await readBacklog()).oldestAgeSeconds);
      },
    });
    this.loop = new PollingLoop('stripe sync', () => this.runOnce(), {
      idleMs: options.pollIntervalMs,
      failureMs: Math.max(options.pollIntervalMs, 1_000),
      log: options.log,
    });
  }

  start(): void {
    this.loop.start();
  }

  /** Syncs at once instead of at the next poll (e.g. right after an invoice was finalized). */
  wake(): void {
    this.loop.wake();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Claims and syncs one batch of due invoices; the number claimed. */
  async runOnce(): Promise<number> {
    const { db, stripe, now, log } = this.options;
    const claimed = await claimDueSyncs(
      db.sql,
      now(),
      this.options.leaseMs,
      this.options.batchSize ?? 10,
    );
    for (const { invoice, attempt } of claimed) {
      try {
        const finalized = await syncInvoiceToStripe(stripe, db.sql, invoice, attempt);
        await markSynced(db.sql, invoice.invoiceId, now());
        this.synced.inc();
        log.info(
          { invoiceId: invoice.invoiceId, stripeInvoiceId: finalized.id, attempt },
          'invoice synced to Stripe',
        );
      } catch (err) {
        const transient =
          !(err instanceof UncollectableInvoiceError) && isTransientStripeError(err);
        const delay = retryDelayMs(
          attempt,
          this.options.retryBaseMs,
          this.options.retryMaxMs,
          this.options.jitter ?? 0.2,
        );
        const error = describeStripeError(err);
        await scheduleRetry(db.sql, invoice.invoiceId, now() + delay, error);
        this.failures.inc({ kind: transient ? 'transient' : 'rejected' });
        const context = { invoiceId: invoice.invoiceId, attempt, retryInMs: delay, error };
        if (transient) log.warn(context, 'Stripe sync failed; will retry');
        else
          log.error(
            context,
            'Stripe sync failed in a way retrying will not fix; retrying at the backoff, this needs a look',
          );
      }
    }
    return claimed.length;
  }
}
