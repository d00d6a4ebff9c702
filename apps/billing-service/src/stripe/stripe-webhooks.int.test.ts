import { randomBytes } from 'node:crypto';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ProblemError } from '@tollgate/service-runtime';
import {
  describeTally,
  encodedBody,
  fuzzRequests,
  headerText,
  hostileJson,
  newTally,
} from '@tollgate/test-infra';
import { enqueueStripeSync } from '../persistence/stripe/stripe-sync-outbox';
import { startStripeBilling, type StripeBillingUnderTest } from './testing/stripe-test-kit';

const ADMIN_CREDENTIAL = randomBytes(32).toString('base64url');

describe('POST /v1/stripe/webhooks (real Postgres, SDK-signed events from the Stripe stand-in)', () => {
  let kit: StripeBillingUnderTest;
  /** Tollgate invoice id → Stripe invoice id, for invoices synced by the test. */
  const synced = new Map<string, string>();

  beforeAll(async () => {
    kit = await startStripeBilling({ SERVICE_TOKENS: `admin-api:${ADMIN_CREDENTIAL}` });
  });
  afterAll(() => kit?.close());

  async function syncedInvoice(): Promise<{ invoiceId: string; stripeInvoiceId: string }> {
    const invoiceId = `inv_${randomBytes(6).toString('hex')}`;
    await kit.db.transaction((tx) =>
      enqueueStripeSync(tx, {
        invoiceId,
        accountId: `acct_${randomBytes(6).toString('hex')}`,
        currency: 'eur',
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
    synced.set(invoiceId, row!.stripe_invoice_id);
    return { invoiceId, stripeInvoiceId: row!.stripe_invoice_id };
  }

  const deliver = (
    delivery: { payload: string; signature?: string | undefined },
    contentType = 'application/json; charset=utf-8',
  ) =>
    kit.app.inject({
      method: 'POST',
      url: '/v1/stripe/webhooks',
      headers: {
        'content-type': contentType,
        ...(delivery.signature !== undefined ? { 'stripe-signature': delivery.signature } : {}),
      },
      payload: delivery.payload,
    });

  /** Everything a webhook could change, to show a refused one changed none of it. */
  const state = async () => ({
    events: await kit.db.sql.query('select event_id from stripe_webhook_events order by event_id'),
    invoices: await kit.db.sql.query(
      'select invoice_id, status, payment_failures from stripe_invoices order by invoice_id',
    ),
    dunning: await kit.db.sql.query('select action_key from stripe_dunning_actions'),
    payments: kit.payments.calls.length,
  });

  it('applies invoice.paid once; Stripe redelivering it is acknowledged and changes nothing', async () => {
    const { invoiceId, stripeInvoiceId } = await syncedInvoice();
    const paid = kit.standIn.payInvoice(stripeInvoiceId);
    const first = await deliver(kit.standIn.signedWebhook(paid));
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({ received: true, outcome: 'applied' });
    expect(kit.payments.calls.at(-1)).toEqual({
      kind: 'paid',
      invoiceId,
      at: paid.data.object.status_transitions.paid_at! * 1000,
    });
    const [row] = await kit.db.sql.query(
      'select status from stripe_invoices where invoice_id = ?',
      [invoiceId],
    );
    expect(row).toEqual({ status: 'paid' });

    // Stripe retries a delivery it thinks failed: same event, signed again a minute later.
    const before = await state();
    kit.clock.now += 60_000;
    const again = await deliver(kit.standIn.signedWebhook(paid));
    expect(again.json()).toEqual({ received: true, outcome: 'duplicate' });
    expect(await state()).toEqual(before);
  });

  it('refuses forged, tampered, stale, future-dated, unsigned and replayed deliveries (400) and changes nothing', async () => {
    const { stripeInvoiceId } = await syncedInvoice();
    const paid = kit.standIn.payInvoice(stripeInvoiceId);
    const genuine = kit.standIn.signedWebhook(paid);
    const nowSeconds = Math.floor(kit.clock.now / 1000);
    const before = await state();
    const attempts: Array<[string, { payload: string; signature?: string }, string]> = [
      [
        'forged (another secret)',
        kit.standIn.signedWebhook(paid, { secret: 'whsec_forgery0123456789' }),
        'signature_invalid',
      ],
      [
        'tampered body',
        { ...genuine, payload: genuine.payload.replace('"livemode": false', '"livemode": true') },
        'signature_invalid',
      ],
      [
        'stale (older than the tolerance)',
        kit.standIn.signedWebhook(paid, { timestamp: nowSeconds - 301 }),
        'signature_expired',
      ],
      [
        'future-dated',
        kit.standIn.signedWebhook(paid, { timestamp: nowSeconds + 301 }),
        'signature_not_yet_valid',
      ],
      ['unsigned', { payload: genuine.payload }, 'signature_missing'],
      ['garbage signature', { payload: genuine.payload, signature: 'v1=abc' }, 'signature_invalid'],
      [
        'signature of another body',
        {
          payload: genuine.payload,
          signature: kit.standIn.signedWebhook({ ...paid, id: 'evt_other' }).signature,
        },
        'signature_invalid',
      ],
    ];
    for (const [what, delivery, reason] of attempts) {
      const res = await deliver(delivery);
      expect(res.statusCode, what).toBe(400);
      expect(res.headers['content-type'], what).toMatch(/^application\/problem\+json/);
      expect(res.json(), what).toMatchObject({ status: 400, code: 'bad_request', reason });
    }
    expect(await state(), 'nothing changed by refused deliveries').toEqual(before);

    expect((await deliver(genuine)).json()).toMatchObject({ outcome: 'applied' });
    const applied = await state();
    const replay = await deliver(genuine);
    expect(replay.statusCode).toBe(400);
    expect(replay.json()).toMatchObject({ code: 'bad_request', reason: 'replayed' });
    expect(await state()).toEqual(applied);
  });

  it('refuses what is not a JSON event of a sane size (415, 413), never a 5xx', async () => {
    const { stripeInvoiceId } = await syncedInvoice();
    const genuine = kit.standIn.signedWebhook(kit.standIn.payInvoice(stripeInvoiceId));
    const before = await state();
    const form = await deliver(genuine, 'application/x-www-form-urlencoded');
    expect(form.statusCode).toBe(415);
    const huge = await deliver({ ...genuine, payload: `{"pad":"${'x'.repeat(600 * 1024)}"}` });
    expect(huge.statusCode).toBe(413);
    expect(huge.json()).toMatchObject({ code: 'payload_too_large' });
    const notJson = kit.standIn.signedWebhook({} as Stripe.Event);
    const broken = await deliver({ payload: 'not json', signature: notJson.signature });
    expect(broken.statusCode).toBe(400);
    expect(await state()).toEqual(before);
  });

  it('acknowledges events it does not act on: invoices Tollgate did not create, other types', async () => {
    const { stripeInvoiceId } = await syncedInvoice();
    const paid = kit.standIn.payInvoice(stripeInvoiceId);
    const foreign = {
      ...paid,
      id: `evt_${randomBytes(8).toString('hex')}`,
      data: { object: { ...paid.data.object, id: 'in_created_in_the_dashboard' } },
    } as Stripe.InvoicePaidEvent;
    const calls = kit.payments.calls.length;
    expect((await deliver(kit.standIn.signedWebhook(foreign))).json()).toEqual({
      received: true,
      outcome: 'ignored',
    });
    const other = {
      ...paid,
      id: `evt_${randomBytes(8).toString('hex')}`,
      type: 'invoice.finalized',
    } as unknown as Stripe.Event;
    expect((await deliver(kit.standIn.signedWebhook(other))).json()).toMatchObject({
      outcome: 'ignored',
    });
    expect(kit.payments.calls.length).toBe(calls);
  });

  it("reports failed payments with Stripe's attempt count and voids; a late failure after payment is ignored", async () => {
    const { invoiceId, stripeInvoiceId } = await syncedInvoice();
    const failed = kit.standIn.failInvoicePayment(stripeInvoiceId);
    expect((await deliver(kit.standIn.signedWebhook(failed))).json()).toMatchObject({
      outcome: 'applied',
    });
    expect(kit.payments.calls.at(-1)).toEqual({
      kind: 'payment_failed',
      invoiceId,
      at: failed.created * 1000,
      attempt: 1,
    });
    const voided = kit.standIn.voidInvoice(stripeInvoiceId);
    expect((await deliver(kit.standIn.signedWebhook(voided))).json()).toMatchObject({
      outcome: 'applied',
    });
    expect(kit.payments.calls.at(-1)).toMatchObject({ kind: 'void', invoiceId });

    const other = await syncedInvoice();
    const lateFailure = kit.standIn.failInvoicePayment(other.stripeInvoiceId);
    const paid = kit.standIn.payInvoice(other.stripeInvoiceId);
    await deliver(kit.standIn.signedWebhook(paid));
    const calls = kit.payments.calls.length;
    expect((await deliver(kit.standIn.signedWebhook(lateFailure))).json()).toMatchObject({
      outcome: 'applied',
    });
    expect(kit.payments.calls.length).toBe(calls);
    const [row] = await kit.db.sql.query(
      'select status from stripe_invoices where invoice_id = ?',
      [other.invoiceId],
    );
    expect(row).toEqual({ status: 'paid' });
  });

  it('an event the invoice ledger refuses (409) is acknowledged, recorded and logged as an error, not retried forever', async () => {
    const { invoiceId, stripeInvoiceId } = await syncedInvoice();
    const paid = kit.standIn.payInvoice(stripeInvoiceId);
    kit.payments.refuseNext = new ProblemError('conflict', `invoice ${invoiceId} is void`);
    const res = await deliver(kit.standIn.signedWebhook(paid));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ received: true, outcome: 'conflict' });
    expect(
      kit.logs.some(
        (l) => l.includes('conflicts with the invoice ledger') && l.includes(invoiceId),
      ),
    ).toBe(true);
    kit.clock.now += 60_000;
    expect((await deliver(kit.standIn.signedWebhook(paid))).json()).toMatchObject({
      outcome: 'duplicate',
    });
    const [row] = await kit.db.sql.query(
      'select status from stripe_invoices where invoice_id = ?',
      [invoiceId],
    );
    expect(row).toEqual({ status: 'open' });
  });

  it('never answers 5xx to anything sent, signed or not (fast-check)', async () => {
    const { stripeInvoiceId } = await syncedInvoice();
    const paid = kit.standIn.payInvoice(stripeInvoiceId);
    const nowSeconds = () => Math.floor(kit.clock.now / 1000);
    // Signed by us: hostile shapes that get past the signature, into the event handling.
    const signedHostile = fc
      .oneof(
        hostileJson,
        hostileJson.map((object) => ({
          ...paid,
          id: `evt_${randomBytes(6).toString('hex')}`,
          data: { object },
        })),
        hostileJson.map((type) => ({ ...paid, id: `evt_${randomBytes(6).toString('hex')}`, type })),
        fc.record({
          id: hostileJson,
          type: fc.constantFrom('invoice.paid', 'invoice.payment_failed', 'invoice.voided'),
          created: hostileJson,
          data: hostileJson,
        }),
        // Our own invoice, with hostile values where the handlers read them.
        {
          weight: 6,
          arbitrary: fc
            .record({
              type: fc.constantFrom('invoice.paid', 'invoice.payment_failed', 'invoice.voided'),
              attempt: fc.oneof(fc.integer({ min: -5, max: 10 }), hostileJson),
              moment: fc.oneof(fc.constant(null), fc.integer(), hostileJson),
              created: fc.oneof(fc.integer({ min: 0, max: 2 ** 40 }), hostileJson),
            })
            .map(({ type, attempt, moment, created }) => ({
              ...paid,
              id: `evt_${randomBytes(6).toString('hex')}`,
              type,
              created,
              data: {
                object: {
                  ...paid.data.object,
                  attempt_count: attempt,
                  status_transitions: {
                    ...paid.data.object.status_transitions,
                    paid_at: moment,
                    voided_at: moment,
                  },
                },
              },
            })),
        },
      )
      .map((event) => kit.standIn.signedWebhook(event as Stripe.Event));
    const unsigned = fc.record({
      body: encodedBody(hostileJson),
      signature: fc.oneof(
        fc.constant(undefined),
        headerText,
        fc.tuple(fc.integer(), headerText).map(([t, v]) => `t=${nowSeconds() + t},v1=${v}`),
      ),
    });
    const requests = fc.oneof(
      unsigned.map(({ body, signature }) => ({
        method: 'POST' as const,
        url: '/v1/stripe/webhooks',
        headers: {
          ...(body.contentType ? { 'content-type': body.contentType } : {}),
          ...(signature !== undefined ? { 'stripe-signature': signature } : {}),
        },
        ...(body.payload !== undefined ? { payload: body.payload } : {}),
      })),
      signedHostile.map(({ payload, signature }) => ({
        method: 'POST' as const,
        url: '/v1/stripe/webhooks',
        headers: { 'content-type': 'application/json', 'stripe-signature': signature },
        payload,
      })),
    );
    const tally = newTally();
    await fuzzRequests(kit.app, requests, 600, tally);
    console.info(`Stripe webhook fuzz: ${describeTally(tally)}`);
    expect(tally.ran).toBe(600);
  });

  it('needs no service credential (Stripe calls it), while the rest of /v1 still does', async () => {
    const res = await kit.app.inject({ method: 'GET', url: '/v1/anything' });
    expect(res.statusCode).toBe(401);
    expect(synced.size).toBeGreaterThan(0);
  });
});
