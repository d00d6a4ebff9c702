import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '@tollgate/test-infra';
import { enqueueStripeSync } from '../persistence/stripe/stripe-sync-outbox';
import { startKeyServiceAndEdge, type KeyServiceAndEdge } from './testing/internal-apps';
import { startStripeBilling, type StripeBillingUnderTest } from './testing/stripe-test-kit';

/**
 * Dunning across apps: Stripe reports failed payments (signed webhooks), billing-service suspends
 * the account through a real key-service process, a real edge-auth refuses its key with 403
 * `account_suspended`, and a payment brings it back.
 */
describe('dunning: failed payments suspend through key-service, edge-auth refuses, payment reactivates', () => {
  let internal: KeyServiceAndEdge;
  let kit: StripeBillingUnderTest;

  beforeAll(async () => {
    internal = await startKeyServiceAndEdge();
    kit = await startStripeBilling({
      KEY_SERVICE_URL: internal.keyServiceUrl,
      SERVICE_TOKEN: internal.billingCredential,
      DUNNING_MAX_FAILED_PAYMENTS: '3',
    });
  }, 180_000);
  afterAll(async () => {
    await kit?.close();
    await internal?.stop();
  });

  const webhook = async (
    event: Parameters<StripeBillingUnderTest['standIn']['signedWebhook']>[0],
  ) => {
    const delivery = kit.standIn.signedWebhook(event);
    const res = await kit.app.inject({
      method: 'POST',
      url: '/v1/stripe/webhooks',
      headers: { 'content-type': 'application/json', 'stripe-signature': delivery.signature },
      payload: delivery.payload,
    });
    expect(res.statusCode, res.body).toBe(200);
  };
  const accountStatus = async (accountId: string) =>
    (
      (await (await internal.admin('GET', `/v1/accounts/${accountId}`)).json()) as {
        status: string;
      }
    ).status;
  const dunningOutcomes = async (accountId: string) =>
    (
      await kit.db.sql.query<{ action: string; outcome: string | null }>(
        'select action, outcome from stripe_dunning_actions where account_id = ? order by seq',
        [accountId],
      )
    ).map((r) => `${r.action}:${r.outcome ?? 'pending'}`);

  async function accountWithSyncedInvoice(): Promise<{
    accountId: string;
    stripeInvoiceId: string;
  }> {
    const created = await internal.admin('POST', '/v1/accounts', {
      name: 'dunning',
      planId: 'plan_pro',
    });
    expect(created.status).toBe(201);
    const { accountId } = (await created.json()) as { accountId: string };
    const invoiceId = `inv_${randomBytes(6).toString('hex')}`;
    await kit.db.transaction((tx) =>
      enqueueStripeSync(tx, {
        invoiceId,
        accountId,
        currency: 'usd',
        period: '2026-11',
        lines: [{ lineId: 'base', description: 'Pro plan', amountMinor: 4900 }],
        totalMinor: 4900,
      }),
    );
    await kit.billing.syncWorker!.runOnce();
    const [row] = await kit.db.sql.query<{ stripe_invoice_id: string }>(
      'select stripe_invoice_id from stripe_invoices where invoice_id = ?',
      [invoiceId],
    );
    return { accountId, stripeInvoiceId: row!.stripe_invoice_id };
  }

  it('suspends after the third failed payment, the edge answers 403 account_suspended, payment reactivates', async () => {
    const { accountId, stripeInvoiceId } = await accountWithSyncedInvoice();
    const issued = await internal.admin('POST', `/v1/accounts/${accountId}/keys`, { env: 'live' });
    const { plaintext } = (await issued.json()) as { plaintext: string };
    await eventually(
      async () => (await internal.verify(plaintext)).status === 200,
      30_000,
      'the edge to accept the new key',
    );

    for (let attempt = 1; attempt <= 2; attempt++) {
      await webhook(kit.standIn.failInvoicePayment(stripeInvoiceId));
      expect(await kit.billing.dunning!.runOnce()).toBe(0);
    }
    expect(await accountStatus(accountId)).toBe('active');

    await webhook(kit.standIn.failInvoicePayment(stripeInvoiceId));
    expect(await kit.billing.dunning!.runOnce()).toBe(1);
    expect(await accountStatus(accountId)).toBe('suspended');
    let refused: Response | undefined;
    await eventually(
      async () => (refused = await internal.verify(plaintext)).status === 403,
      15_000,
      'the edge to refuse the suspended account',
    );
    expect(await refused!.json()).toMatchObject({ code: 'account_suspended' });

    await webhook(kit.standIn.payInvoice(stripeInvoiceId));
    expect(await kit.billing.dunning!.runOnce()).toBe(1);
    expect(await accountStatus(accountId)).toBe('active');
    await eventually(
      async () => (await internal.verify(plaintext)).status === 200,
      15_000,
      'the edge to accept the reactivated account again',
    );
    expect(await dunningOutcomes(accountId)).toEqual([
      'suspend:suspended',
      'reactivate:reactivated',
    ]);
    expect(
      kit.payments.calls
        .filter((c) => c.kind === 'payment_failed')
        .map((c) => c.kind === 'payment_failed' && c.attempt),
    ).toEqual(expect.arrayContaining([1, 2, 3]));
  }, 90_000);

  it('never lifts a suspension billing did not make: an admin-suspended account stays suspended after payment', async () => {
    const { accountId, stripeInvoiceId } = await accountWithSyncedInvoice();
    const suspended = await internal.admin('POST', `/v1/accounts/${accountId}/suspend`, {
      reason: 'abuse report',
    });
    expect(suspended.status).toBe(200);
    for (let attempt = 1; attempt <= 3; attempt++)
      await webhook(kit.standIn.failInvoicePayment(stripeInvoiceId));
    await webhook(kit.standIn.payInvoice(stripeInvoiceId));
    while ((await kit.billing.dunning!.runOnce()) > 0);
    expect(await dunningOutcomes(accountId)).toEqual([
      'suspend:already_suspended',
      'reactivate:not_suspended_by_billing',
    ]);
    expect(await accountStatus(accountId)).toBe('suspended');
  });
});
