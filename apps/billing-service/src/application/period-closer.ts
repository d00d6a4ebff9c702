import type { Database } from '@tollgate/postgres';
import { closablePeriods, periodAt } from '../domain/billing-period';
import { accountsToClose } from '../persistence/timeline-repository';
import type { Invoicing } from './invoicing';
import type { UsageSource } from './usage-source';

export interface CloserLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** How many ended periods back a run looks for accounts still to invoice (catch-up after an outage). */
const LOOKBACK_PERIODS = 3;
const PAGE = 100;

/**
 * Closes billing periods: a period is due `graceMs` after its end, once usage-ingestor's
 * freshness (the newest event it aggregated) has reached the period's end, so usage still in
 * flight is not left out. Periods are closed oldest first, so late usage of one lands on the
 * next. An account that cannot be closed (usage-ingestor down, a plan without price) is logged
 * and retried on the next run; the others go on.
 */
export class PeriodCloser {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly options: {
      db: Database;
      invoicing: Invoicing;
      usage: UsageSource;
      now: () => number;
      graceMs: number;
      log: CloserLog;
      onClosed?: (count: number) => void;
    },
  ) {}

  /**
   * One closing run; resolves with the period invoices written, the proration invoices issued
   * (`PRORATION_BEHAVIOR=immediate`: changes effective by now that still owe one) and the
   * accounts that failed.
   */
  async closeDue(): Promise<{
    closed: number;
    prorations: number;
    failed: number;
    waiting: string[];
  }> {
    const now = this.options.now();
    const result = { closed: 0, prorations: 0, failed: 0, waiting: [] as string[] };
    const periods = closablePeriods(now, this.options.graceMs, LOOKBACK_PERIODS);
    await this.issueProrations(periods[0]?.start ?? periodAt(now).start, now, result);
    if (periods.length === 0) return result;
    const newest = await this.options.usage.newestEventAt();
    for (const period of periods) {
      if (newest === null || newest < period.end) {
        result.waiting.push(period.period);
        continue;
      }
      let after = '';
      for (;;) {
        const accounts = await accountsToClose(
          this.options.db.sql,
          period.period,
          period.end,
          after,
          PAGE,
        );
        if (accounts.length === 0) break;
        for (const accountId of accounts) {
          after = accountId;
          try {
            if (await this.options.invoicing.closePeriod(accountId, period.period)) result.closed++;
          } catch (err) {
            result.failed++;
            this.options.log.warn(
              { err, accountId, period: period.period },
              'could not close the period for this account; retrying on the next run',
            );
          }
        }
      }
    }
    if (result.waiting.length > 0)
      this.options.log.info(
        { periods: result.waiting, newestEventAt: newest },
        'waiting for usage-ingestor to reach the period end before closing',
      );
    if (result.closed + result.prorations > 0)
      this.options.onClosed?.(result.closed + result.prorations);
    return result;
  }

  private async issueProrations(
    from: number,
    to: number,
    result: { prorations: number; failed: number },
  ): Promise<void> {
    for (const { accountId, eventId } of await this.options.invoicing.dueProrations(from, to)) {
      try {
        if (await this.options.invoicing.invoiceProration(accountId, eventId)) result.prorations++;
      } catch (err) {
        result.failed++;
        this.options.log.warn(
          { err, accountId, eventId },
          'could not invoice the plan change at once; retrying on the next run',
        );
      }
    }
  }

  start(intervalMs: number): void {
    const tick = () => {
      this.running = this.closeDue()
        .catch((err: unknown) => this.options.log.warn({ err }, 'period closing run failed'))
        .finally(() => {
          if (this.timer !== undefined) this.timer = setTimeout(tick, intervalMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
