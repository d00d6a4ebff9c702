import { describe, expect, it } from 'vitest';
import { loadConfig } from '@tollgate/service-runtime';
import { reactivationFor, suspensionFor } from './dunning';
import { STRIPE_API_VERSION } from './stripe-client';
import { StripeConfig } from './stripe-config';
import { idempotencyKeys } from './stripe-sync';
import { retryDelayMs } from './stripe-sync-worker';

describe('sync retry backoff', () => {
  it('doubles from the base and stops at the cap', () => {
    const delays = [1, 2, 3, 4, 5, 10, 40].map((a) => retryDelayMs(a, 5_000, 60_000, 0));
    expect(delays).toEqual([5_000, 10_000, 20_000, 40_000, 60_000, 60_000, 60_000]);
  });

  it('draws the jittered share at random, never beyond the cap', () => {
    expect(retryDelayMs(3, 1_000, 60_000, 0.2, () => 0)).toBe(3_200);
    expect(retryDelayMs(3, 1_000, 60_000, 0.2, () => 1)).toBe(4_000);
    expect(retryDelayMs(99, 1_000, 60_000, 0.2, () => 1)).toBe(60_000);
  });
});

describe('idempotency keys', () => {
  it('are derived from Tollgate ids only, one per Stripe write', () => {
    expect(idempotencyKeys.customer('acct_1')).toBe('tg-cust-acct_1');
    expect(idempotencyKeys.invoice('inv_1')).toBe('tg-inv-inv_1');
    expect(idempotencyKeys.item('inv_1', 'line_2')).toBe('tg-inv-inv_1-item-line_2');
    expect(idempotencyKeys.finalize('inv_1')).toBe('tg-inv-inv_1-finalize');
  });
});

describe('dunning policy', () => {
  const invoice = { invoiceId: 'inv_1', accountId: 'acct_1' };
  it('suspends from the configured number of failed payments on', () => {
    const policy = { maxFailedPayments: 3 };
    expect(suspensionFor(policy, invoice, 2)).toBeUndefined();
    expect(suspensionFor(policy, invoice, 3)).toMatchObject({
      action: 'suspend',
      actionKey: 'suspend-inv_1',
      accountId: 'acct_1',
    });
    expect(suspensionFor(policy, invoice, 4)?.actionKey).toBe('suspend-inv_1');
    expect(reactivationFor(invoice)).toMatchObject({
      action: 'reactivate',
      actionKey: 'reactivate-inv_1',
    });
  });
});

describe('Stripe config', () => {
  it('defaults: no Stripe, three failed payments, a 5-minute webhook tolerance', () => {
    const config = loadConfig(StripeConfig, { STRIPE_SECRET_KEY: '', STRIPE_WEBHOOK_SECRET: '' });
    expect(config).toMatchObject({
      STRIPE_SECRET_KEY: undefined,
      STRIPE_WEBHOOK_SECRET: undefined,
      DUNNING_MAX_FAILED_PAYMENTS: 3,
      STRIPE_WEBHOOK_TOLERANCE_SECONDS: 300,
      STRIPE_MAX_NETWORK_RETRIES: 1,
    });
    expect(config.STRIPE_API_BASE).toBeUndefined();
  });

  it('refuses values that are not Stripe secrets, without echoing them', () => {
    const secret = 'pk_live_publishableNotSecret123';
    let message = '';
    try {
      loadConfig(StripeConfig, { STRIPE_SECRET_KEY: secret, STRIPE_WEBHOOK_SECRET: 'nope' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('STRIPE_SECRET_KEY');
    expect(message).toContain('STRIPE_WEBHOOK_SECRET');
    expect(message).not.toContain(secret);
  });

  it('pins the API version the SDK was built for', () => {
    expect(STRIPE_API_VERSION).toBe('2026-10-28.endive');
  });
});
