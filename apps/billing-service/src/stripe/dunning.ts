import { Counter, type Registry } from 'prom-client';
import type { Database, Sql } from '@tollgate/postgres';
import {
  claimNextDunningAction,
  clearSuspension,
  completeDunningAction,
  delinquentInvoices,
  isSuspendedByBilling,
  recordSuspension,
  retryDunningAction,
  type DunningAction,
} from '../persistence/stripe/dunning-actions';
import type { KeyServiceAccounts } from './key-service-accounts';
import { PollingLoop } from './polling-loop';
import { retryDelayMs, type SyncLog } from './stripe-sync-worker';

export interface DunningPolicy {
  /** Failed payments of one invoice after which its account is suspended. */
  maxFailedPayments: number;
}

/** The suspension owed when Stripe reports attempt number `attempt` of an invoice failed. */
export function suspensionFor(
  policy: DunningPolicy,
  invoice: { invoiceId: string; accountId: string },
  attempt: number,
): Omit<DunningAction, 'seq' | 'attempts'> | undefined {
  if (attempt < policy.maxFailedPayments) return undefined;
  return {
    actionKey: `suspend-${invoice.invoiceId}`,
    accountId: invoice.accountId,
    action: 'suspend',
    invoiceId: invoice.invoiceId,
    reason: `unpaid invoice ${invoice.invoiceId}: ${attempt} failed payments`,
  };
}

export function reactivationFor(invoice: {
  invoiceId: string;
  accountId: string;
}): Omit<DunningAction, 'seq' | 'attempts'> {
  return {
    actionKey: `reactivate-${invoice.invoiceId}`,
    accountId: invoice.accountId,
    action: 'reactivate',
    invoiceId: invoice.invoiceId,
    reason: `invoice ${invoice.invoiceId} settled`,
  };
}

export interface DunningWorkerOptions {
  db: Pick<Database, 'transaction'>;
  accounts: KeyServiceAccounts;
  policy: DunningPolicy;
  now: () => number;
  log: SyncLog;
  registry: Registry;
  pollIntervalMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
}

/**
 * Carries out dunning's calls to key-service, one action per transaction (the row stays locked
 * while key-service answers, so replicas never run one twice, and an account's actions run in
 * order). A suspension is recorded as billing's own only when key-service made it; a
 * reactivation lifts only billing's own suspension, and only once no other invoice of the
 * account is still past the threshold — an admin's suspension is never lifted by a payment.
 */
export class DunningWorker {
  private readonly loop: PollingLoop;
  private readonly actions: Counter<'action' | 'outcome'>;

  constructor(private readonly options: DunningWorkerOptions) {
    this.actions = new Counter({
      name: 'billing_dunning_actions_total',
      help: 'Dunning suspensions and reactivations carried out, by outcome',
      labelNames: ['action', 'outcome'] as const,
      registers: [options.registry],
    });
    this.loop = new PollingLoop('dunning', () => this.runOnce(), {
      idleMs: options.pollIntervalMs,
      failureMs: Math.max(options.pollIntervalMs, 1_000),
      log: options.log,
    });
  }

  start(): void {
    this.loop.start();
  }

  wake(): void {
    this.loop.wake();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Runs the next due action, if any; 1 when one was taken. */
  async runOnce(): Promise<number> {
    const { db, now, log } = this.options;
    return db.transaction(async (tx) => {
      const action = await claimNextDunningAction(tx, now());
      if (!action) return 0;
      try {
        const outcome = await this.carryOut(tx, action);
        await completeDunningAction(tx, action.seq, outcome);
        this.actions.inc({ action: action.action, outcome });
        log.info(
          {
            accountId: action.accountId,
            invoiceId: action.invoiceId,
            action: action.action,
            outcome,
          },
          'dunning action done',
        );
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        const attempt = action.attempts + 1;
        const delay = retryDelayMs(attempt, this.options.retryBaseMs, this.options.retryMaxMs, 0.2);
        await retryDunningAction(tx, action.seq, now() + delay, error);
        this.actions.inc({ action: action.action, outcome: 'retry' });
        log.warn(
          { accountId: action.accountId, action: action.action, attempt, retryInMs: delay, error },
          'dunning action failed; will retry',
        );
      }
      return 1;
    });
  }

  private async carryOut(tx: Sql, action: DunningAction): Promise<string> {
    const { accounts, now, policy } = this.options;
    const key = `tg-dunning-${action.actionKey}`;
    if (action.action === 'suspend') {
      const outcome = await accounts.suspend(action.accountId, action.reason, key);
      if (outcome === 'done') await recordSuspension(tx, action.accountId, action.invoiceId, now());
      return outcome === 'done'
        ? 'suspended'
        : outcome === 'already'
          ? 'already_suspended'
          : outcome;
    }
    if (!(await isSuspendedByBilling(tx, action.accountId))) return 'not_suspended_by_billing';
    const stillOwed = await delinquentInvoices(tx, action.accountId, policy.maxFailedPayments);
    if (stillOwed.length > 0) return 'still_delinquent';
    const outcome = await accounts.reactivate(action.accountId, key);
    await clearSuspension(tx, action.accountId);
    return outcome === 'done' ? 'reactivated' : outcome === 'already' ? 'already_active' : outcome;
  }
}
