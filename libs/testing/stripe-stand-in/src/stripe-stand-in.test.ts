import Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseStripeForm } from './form-encoding';
import { IDEMPOTENCY_KEY_TTL_SECONDS } from './idempotency';
import { startStripeStandIn, type StripeStandIn } from './stripe-stand-in';

describe('parseStripeForm', () => {
  it('reads what the SDK writes: nested hashes and indexed arrays', () => {
    const stripe = new Stripe('sk_test_x');
    expect(stripe).toBeDefined();
    expect(
      parseStripeForm(
        'customer=cus_1&metadata[tollgate_line_id]=l%201&expand[0]=lines&expand[1]=customer&period[start]=1&period[end]=2',
      ),
    ).toEqual({
      customer: 'cus_1',
      metadata: { tollgate_line_id: 'l 1' },
      expand: ['lines', 'customer'],
      period: { start: '1', end: '2' },
    });
  });
});

describe('Stripe stand-in, driven by the real stripe SDK', () => {
  let standIn: StripeStandIn;
  let clockMs: number;
  const sdk = (overrides: Partial<Stripe.StripeConfig> = {}, key = standIn.secretKey) =>
    new Stripe(key, { ...standIn.sdkConfig, maxNetworkRetries: 0, timeout: 2_000, ...overrides });

  beforeEach(async () => {
    clockMs = Date.UTC(2026, 10, 30, 12);
    standIn = await startStripeStandIn({ now: () => clockMs });
  });
  afterEach(async () => standIn.close());

  it('requires the secret key', async () => {
    await expect(sdk({}, 'sk_test_wrong').customers.create({})).rejects.toBeInstanceOf(
      Stripe.errors.StripeAuthenticationError,
    );
    expect(standIn.counts().customers).toBe(0);
  });

  it('creates and retrieves customers with their metadata, at the pinned API version', async () => {
    const created = await sdk().customers.create({
      name: 'Acme',
      metadata: { tollgate_account_id: 'acct_1' },
    });
    expect(created).toMatchObject({ object: 'customer', name: 'Acme', livemode: false });
    expect(created.created).toBe(clockMs / 1000);
    const fetched = await sdk().customers.retrieve(created.id);
    expect(fetched).toMatchObject({ id: created.id, metadata: { tollgate_account_id: 'acct_1' } });
    const found = await sdk().customers.search({
      query: "metadata['tollgate_account_id']:'acct_1'",
    });
    expect(found.data.map((c) => c.id)).toEqual([created.id]);
    expect(standIn.requests[0]!.stripeVersion).toBe(Stripe.API_VERSION);
    await expect(sdk().customers.retrieve('cus_missing')).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      statusCode: 404,
      code: 'resource_missing',
    });
  });

  describe('idempotency', () => {
    it('replays the first response for the same key and parameters', async () => {
      const first = await sdk().customers.create(
        { metadata: { tollgate_account_id: 'acct_1' } },
        { idempotencyKey: 'tg-cust-acct_1' },
      );
      const again = await sdk().customers.create(
        { metadata: { tollgate_account_id: 'acct_1' } },
        { idempotencyKey: 'tg-cust-acct_1' },
      );
      expect(again.id).toBe(first.id);
      expect(again.lastResponse.headers['idempotent-replayed']).toBe('true');
      expect(first.lastResponse.headers['idempotent-replayed']).toBeUndefined();
      expect(standIn.counts()).toMatchObject({ customers: 1, replays: 1 });
    });

    it('refuses the same key with other parameters (400 idempotency_error)', async () => {
      await sdk().customers.create({ name: 'A' }, { idempotencyKey: 'k1' });
      await expect(
        sdk().customers.create({ name: 'B' }, { idempotencyKey: 'k1' }),
      ).rejects.toMatchObject({ type: 'StripeIdempotencyError', statusCode: 400 });
      expect(standIn.counts().customers).toBe(1);
    });

    it('replays the response as first given, even after the object changed', async () => {
      const customer = await sdk().customers.create({});
      const invoice = await sdk().invoices.create({ customer: customer.id, currency: 'eur' });
      const finalized = await sdk().invoices.finalizeInvoice(
        invoice.id,
        {},
        { idempotencyKey: 'fin' },
      );
      expect(finalized.status).toBe('paid'); // zero amount: paid at finalization, as Stripe does
      const replayed = await sdk().invoices.finalizeInvoice(
        invoice.id,
        {},
        { idempotencyKey: 'fin' },
      );
      expect(replayed).toMatchObject({ id: invoice.id, status: 'paid' });
      await expect(sdk().invoices.finalizeInvoice(invoice.id)).rejects.toMatchObject({
        code: 'invoice_not_editable',
      });
    });

    it('forgets keys after 24 hours', async () => {
      const first = await sdk().customers.create({}, { idempotencyKey: 'k' });
      clockMs += IDEMPOTENCY_KEY_TTL_SECONDS * 1000;
      const later = await sdk().customers.create({}, { idempotencyKey: 'k' });
      expect(later.id).not.toBe(first.id);
      expect(standIn.counts().customers).toBe(2);
    });

    it('remembers nothing for a refused request, so a corrected retry under the key runs', async () => {
      await expect(
        sdk().invoiceItems.create(
          { customer: 'cus_nope', amount: 1, currency: 'usd' },
          { idempotencyKey: 'x' },
        ),
      ).rejects.toMatchObject({ statusCode: 404 });
      const customer = await sdk().customers.create({});
      standIn.failNext(1);
      await expect(
        sdk().invoiceItems.create(
          { customer: customer.id, amount: 1, currency: 'usd' },
          { idempotencyKey: 'y' },
        ),
      ).rejects.toMatchObject({ type: 'StripeAPIError', statusCode: 500 });
      await sdk().invoiceItems.create(
        { customer: customer.id, amount: 1, currency: 'usd' },
        { idempotencyKey: 'y' },
      );
      expect(standIn.counts()).toMatchObject({ invoiceItems: 1, replays: 0, faults: { error: 1 } });
    });
  });

  describe('invoices', () => {
    it('holds items added to a draft, totals them, finalizes and lists them', async () => {
      const customer = await sdk().customers.create({});
      const invoice = await sdk().invoices.create({
        customer: customer.id,
        currency: 'usd',
        pending_invoice_items_behavior: 'exclude',
        auto_advance: false,
        metadata: { tollgate_invoice_id: 'inv_1' },
      });
      for (const [amount, line] of [
        [1250, 'l1'],
        [-250, 'l2'],
      ] as const)
        await sdk().invoiceItems.create({
          customer: customer.id,
          invoice: invoice.id,
          amount,
          currency: 'usd',
          description: `line ${line}`,
          metadata: { tollgate_line_id: line },
        });
      const finalized = await sdk().invoices.finalizeInvoice(invoice.id, { auto_advance: true });
      expect(finalized).toMatchObject({
        status: 'open',
        amount_due: 1000,
        total: 1000,
        auto_advance: true,
        metadata: { tollgate_invoice_id: 'inv_1' },
      });
      expect(finalized.number).toMatch(/-0001$/);
      expect(finalized.lines.data.map((l) => l.amount).sort()).toEqual([-250, 1250]);
      const items = await sdk().invoiceItems.list({ invoice: invoice.id });
      expect(items.data.map((i) => i.metadata?.tollgate_line_id).sort()).toEqual(['l1', 'l2']);
      await expect(
        sdk().invoiceItems.create({
          customer: customer.id,
          invoice: invoice.id,
          amount: 1,
          currency: 'usd',
        }),
      ).rejects.toMatchObject({ statusCode: 400, param: 'invoice' });
      const listed = await sdk().invoices.list({ customer: customer.id, status: 'open' });
      expect(listed.data.map((i) => i.id)).toEqual([invoice.id]);
    });

    it('sweeps pending items only with pending_invoice_items_behavior=include', async () => {
      const customer = await sdk().customers.create({});
      await sdk().invoiceItems.create({ customer: customer.id, amount: 700, currency: 'usd' });
      const excluded = await sdk().invoices.create({ customer: customer.id, currency: 'usd' });
      expect(excluded.amount_due).toBe(0);
      const included = await sdk().invoices.create({
        customer: customer.id,
        currency: 'usd',
        pending_invoice_items_behavior: 'include',
      });
      expect(included.amount_due).toBe(700);
      expect(
        (await sdk().invoiceItems.list({ customer: customer.id, pending: true })).data,
      ).toEqual([]);
    });

    it('pages lists newest first with starting_after', async () => {
      const customer = await sdk().customers.create({});
      for (let i = 0; i < 5; i++)
        await sdk().invoices.create({ customer: customer.id, currency: 'usd' });
      const ids: string[] = [];
      for await (const invoice of sdk().invoices.list({ customer: customer.id, limit: 2 }))
        ids.push(invoice.id);
      expect(ids).toEqual([...standIn.store.invoices.keys()].reverse());
    });
  });

  describe('faults', () => {
    it('a dropped response was applied: the SDK retries the closed connection and gets the replay', async () => {
      const customer = await sdk().customers.create({});
      standIn.dropResponseNext(1, { path: '/v1/invoiceitems' });
      const item = await sdk().invoiceItems.create(
        { customer: customer.id, amount: 10, currency: 'usd' },
        { idempotencyKey: 'tg-item' },
      );
      expect(item.lastResponse.headers['idempotent-replayed']).toBe('true');
      expect(standIn.counts()).toMatchObject({ invoiceItems: 1, replays: 1, faults: { drop: 1 } });
    });

    it('a hung request times out in the SDK and writes nothing', async () => {
      standIn.hangNext(1);
      await expect(sdk({ timeout: 200 }).customers.create({})).rejects.toBeInstanceOf(
        Stripe.errors.StripeConnectionError,
      );
      expect(standIn.counts()).toMatchObject({ customers: 0, faults: { hang: 1 } });
    });

    it('a 500 from an endpoint that ran is remembered under the key, like any result, for 24 h', async () => {
      const customer = await sdk().customers.create({});
      const create = () =>
        sdk().invoiceItems.create(
          { customer: customer.id, amount: 10, currency: 'usd' },
          { idempotencyKey: 'k-run' },
        );
      standIn.failDuringRunNext(1, { path: '/v1/invoiceitems' }, { applied: true });
      await expect(create()).rejects.toMatchObject({ statusCode: 500 });
      await expect(create()).rejects.toMatchObject({ statusCode: 500 });
      expect(standIn.counts()).toMatchObject({ invoiceItems: 1, replays: 1 });
      clockMs += IDEMPOTENCY_KEY_TTL_SECONDS * 1000;
      await create();
      expect(standIn.counts()).toMatchObject({
        invoiceItems: 2,
        faults: { run_error_applied: 1 },
      });
    });

    it('500s are retried by the SDK when it may, with the same idempotency key', async () => {
      standIn.failNext(2, { method: 'POST' });
      const customer = await sdk({ maxNetworkRetries: 2 }).customers.create({});
      const keys = new Set(standIn.requests.map((r) => r.idempotencyKey));
      expect(standIn.requests.map((r) => r.outcome)).toEqual(['error', 'error', 'served']);
      expect(keys.size).toBe(1);
      expect(standIn.store.customers.has(customer.id)).toBe(true);
    });
  });

  it('signs webhooks the SDK verifies, and a wrong secret fails verification', async () => {
    const customer = await sdk().customers.create({});
    const invoice = await sdk().invoices.create({ customer: customer.id, currency: 'usd' });
    await sdk().invoiceItems.create({
      customer: customer.id,
      invoice: invoice.id,
      amount: 5,
      currency: 'usd',
    });
    await sdk().invoices.finalizeInvoice(invoice.id);
    const failed = standIn.failInvoicePayment(invoice.id);
    expect(failed.data.object).toMatchObject({ attempt_count: 1, status: 'open' });
    const paid = standIn.payInvoice(invoice.id);
    const { payload, signature } = standIn.signedWebhook(paid);
    const event = Stripe.webhooks.constructEvent(
      payload,
      signature,
      standIn.webhookSecret,
      300,
      undefined,
      clockMs,
    );
    expect(event).toMatchObject({
      type: 'invoice.paid',
      data: { object: { id: invoice.id, status: 'paid' } },
    });
    const forged = standIn.signedWebhook(paid, { secret: 'whsec_other' });
    expect(() =>
      Stripe.webhooks.constructEvent(
        forged.payload,
        forged.signature,
        standIn.webhookSecret,
        300,
        undefined,
        clockMs,
      ),
    ).toThrow(Stripe.errors.StripeSignatureVerificationError);
  });
});
