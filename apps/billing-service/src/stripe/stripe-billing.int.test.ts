import { afterEach, describe, expect, it } from 'vitest';
import { eventually, freePort } from '@tollgate/test-infra';
import { enqueueDunningAction } from '../persistence/stripe/dunning-actions';
import { reactivationFor, suspensionFor } from './dunning';
import { claimDueSyncs, enqueueStripeSync } from '../persistence/stripe/stripe-sync-outbox';
import { startStripeBilling, type StripeBillingUnderTest } from './testing/stripe-test-kit';
import type { InvoiceToCollect } from './types';

const invoice = (invoiceId: string): InvoiceToCollect => ({
  invoiceId,
  accountId: `acct_${invoiceId}`,
  currency: 'usd',
  period: '2026-11',
  lines: [{ lineId: 'base', description: 'Starter plan', amountMinor: 900 }],
  totalMinor: 900,
});

const pending = async (kit: StripeBillingUnderTest) =>
  (
    await kit.db.sql.query<{ invoice_id: string }>(
      "select invoice_id from stripe_sync_outbox where status = 'pending'",
    )
  ).map((r) => r.invoice_id);

describe('Stripe billing wiring', () => {
  const kits: StripeBillingUnderTest[] = [];
  afterEach(async () => {
    for (const kit of kits.splice(0)) await kit.close();
  });

  it('without Stripe keys: one warning (no error), no worker, no webhook route; invoices wait in the outbox', async () => {
    const kit = await startStripeBilling({ STRIPE_SECRET_KEY: '', STRIPE_WEBHOOK_SECRET: '' });
    kits.push(kit);
    expect(kit.billing.syncWorker).toBeUndefined();
    expect(kit.billing.dunning).toBeUndefined();
    const stripeLines = kit.logs.filter((l) => l.includes('Stripe'));
    expect(stripeLines).toHaveLength(1);
    expect(JSON.parse(stripeLines[0]!)).toMatchObject({ level: 40 });
    expect(stripeLines[0]).toContain('STRIPE_SECRET_KEY');
    expect(kit.logs.filter((l) => JSON.parse(l).level >= 50)).toEqual([]);
    const webhook = await kit.app.inject({
      method: 'POST',
      url: '/v1/stripe/webhooks',
      headers: { 'content-type': 'application/json' },
      payload: '{}',
    });
    expect(webhook.statusCode).toBe(404);
    await kit.db.transaction((tx) => enqueueStripeSync(tx, invoice('inv_waiting')));
    expect(await pending(kit)).toEqual(['inv_waiting']);
  });

  it('the running worker syncs a queued invoice as soon as it is woken', async () => {
    const kit = await startStripeBilling();
    kits.push(kit);
    kit.billing.syncWorker!.start();
    await kit.db.transaction((tx) => enqueueStripeSync(tx, invoice('inv_live')));
    kit.billing.syncWorker!.wake();
    await eventually(async () => (await pending(kit)).length === 0, 10_000, 'the invoice to sync');
    await kit.billing.syncWorker!.stop();
    expect(kit.standIn.counts()).toMatchObject({ invoices: 1, invoiceItems: 1, finalizations: 1 });
  });

  it('a claimed invoice is leased: no other replica takes it until the lease runs out', async () => {
    const kit = await startStripeBilling({ STRIPE_SYNC_LEASE_MS: '60000' });
    kits.push(kit);
    await kit.db.transaction((tx) => enqueueStripeSync(tx, invoice('inv_leased')));
    const now = kit.clock.now;
    const first = await claimDueSyncs(kit.db.sql, now, 60_000, 10);
    expect(first.map((c) => [c.invoice.invoiceId, c.attempt])).toEqual([['inv_leased', 1]]);
    expect(await claimDueSyncs(kit.db.sql, now + 59_999, 60_000, 10)).toEqual([]);
    // The first replica died mid-sync: after the lease, another retries it as attempt 2.
    const retried = await claimDueSyncs(kit.db.sql, now + 60_000, 60_000, 10);
    expect(retried.map((c) => c.attempt)).toEqual([2]);
  });

  it('an invoice whose lines do not add up to its total never reaches Stripe; it is logged as an error', async () => {
    const kit = await startStripeBilling();
    kits.push(kit);
    await kit.db.transaction((tx) =>
      enqueueStripeSync(tx, { ...invoice('inv_inconsistent'), totalMinor: 901 }),
    );
    await kit.billing.syncWorker!.runOnce();
    const [row] = await kit.db.sql.query<{ status: string; last_error: string }>(
      "select status, last_error from stripe_sync_outbox where invoice_id = 'inv_inconsistent'",
    );
    expect(row).toEqual({
      status: 'pending',
      last_error: 'invoice inv_inconsistent: lines add up to 900, the total says 901',
    });
    expect(kit.standIn.counts()).toMatchObject({ requests: 0, customers: 0, invoices: 0 });
    const errors = kit.logs
      .map((l) => JSON.parse(l) as { level: number })
      .filter((l) => l.level >= 50);
    expect(errors).toMatchObject([{ invoiceId: 'inv_inconsistent', attempt: 1 }]);
    expect((await kit.app.inject('/metrics')).body).toMatch(
      /^stripe_sync_failed_attempts_total\{[^}]*kind="rejected"[^}]*\} 1$/m,
    );
  });

  it('dunning waits out a key-service outage, and a reactivation never overtakes its suspension', async () => {
    const kit = await startStripeBilling({
      KEY_SERVICE_URL: `http://127.0.0.1:${await freePort()}`,
    });
    kits.push(kit);
    const ids = { invoiceId: 'inv_unpaid', accountId: 'acct_unpaid' };
    await kit.db.transaction(async (tx) => {
      await enqueueDunningAction(tx, suspensionFor({ maxFailedPayments: 3 }, ids, 3)!);
      await enqueueDunningAction(tx, reactivationFor(ids));
    });
    const dunning = kit.billing.dunning!;
    expect(await dunning.runOnce()).toBe(1);
    // The suspension failed and waits for its retry; the reactivation may not go first.
    expect(await dunning.runOnce()).toBe(0);
    const actions = await kit.db.sql.query(
      'select action, status, attempts, last_error from stripe_dunning_actions order by seq',
    );
    expect(actions).toMatchObject([
      {
        action: 'suspend',
        status: 'pending',
        attempts: 1,
        last_error: expect.stringContaining('not reachable'),
      },
      { action: 'reactivate', status: 'pending', attempts: 0, last_error: null },
    ]);
    expect(kit.logs.some((l) => l.includes('dunning action failed; will retry'))).toBe(true);
    kit.clock.now += 2_000;
    expect(await dunning.runOnce()).toBe(1);
    expect((await kit.app.inject('/metrics')).body).toMatch(
      /^billing_dunning_actions_total\{[^}]*action="suspend"[^}]*outcome="retry"[^}]*\} 2$/m,
    );
  });
});
