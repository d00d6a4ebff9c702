import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultKind, FaultMatch, StripeStandIn } from '@tollgate/stripe-stand-in';
import { enqueueStripeSync } from '../persistence/stripe/stripe-sync-outbox';
import { createStripeClient } from './stripe-client';
import { idempotencyKeys } from './stripe-sync';
import { StripeSyncWorker } from './stripe-sync-worker';
import { startStripeBilling, type StripeBillingUnderTest } from './testing/stripe-test-kit';
import type { InvoiceToCollect } from './types';

const HOUR = 60 * 60 * 1000;

/** Two accounts, three invoices, three lines each (one a credit), in two currencies' worth of shapes. */
function invoicesFor(tag: string): InvoiceToCollect[] {
  const account = (n: number) => `acct_${tag}${n}`;
  const invoice = (n: number, accountId: string, amounts: number[]): InvoiceToCollect => ({
    invoiceId: `inv_${tag}${n}`,
    accountId,
    currency: 'USD',
    period: '2026-11',
    lines: amounts.map((amountMinor, i) => ({
      lineId: `line_${tag}${n}_${i}`,
      description: i === 2 ? 'Adjustment: late usage' : `Line ${i}`,
      amountMinor,
      ...(i === 1 ? { quantity: 1234 } : {}),
    })),
    totalMinor: amounts.reduce((a, b) => a + b, 0),
  });
  return [
    invoice(1, account(1), [4900, 1234, -100]),
    invoice(2, account(1), [4900, 0, 250]),
    invoice(3, account(2), [19900, 56789, -1]),
  ];
}

interface Figures {
  scenario: string;
  faults: Partial<Record<FaultKind, number>>;
  workerAttempts: number;
  stripeRequests: number;
  replays: number;
  created: { customers: number; invoices: number; invoiceItems: number; finalizations: number };
}

describe('Stripe sync under injected faults (real Postgres, real stripe SDK, Stripe stand-in)', () => {
  let kit: StripeBillingUnderTest;
  let standIn: StripeStandIn;
  const figures: Figures[] = [];

  beforeAll(async () => {
    kit = await startStripeBilling();
    standIn = kit.standIn;
  });
  afterAll(async () => {
    console.info(
      `Stripe fault-injection figures:\n${figures.map((f) => JSON.stringify(f)).join('\n')}`,
    );
    await kit?.close();
  });

  const pendingCount = async () =>
    Number(
      (
        await kit.db.sql.query<{ n: string }>(
          "select count(*) as n from stripe_sync_outbox where status = 'pending'",
        )
      )[0]!.n,
    );

  /** A second replica's worker on the same database and Stripe. */
  const replica = () =>
    new StripeSyncWorker({
      db: kit.db,
      stripe: createStripeClient({
        secretKey: standIn.secretKey,
        apiBase: new URL(standIn.url),
        timeoutMs: 300,
        maxNetworkRetries: 0,
      }),
      now: () => kit.clock.now,
      log: pino({ level: 'silent' }),
      registry: new Registry(),
      pollIntervalMs: 600_000,
      leaseMs: 300_000,
      retryBaseMs: 1_000,
      retryMaxMs: 60_000,
      batchSize: 1,
    });

  /**
   * Runs the worker(s) until the outbox is empty, moving the clock past every backoff in between.
   * Several workers run their rounds at the same time, as replicas would.
   */
  async function drain(
    maxRounds = 40,
    workers: StripeSyncWorker[] = [kit.billing.syncWorker!],
  ): Promise<number> {
    let attempts = 0;
    for (let round = 0; round < maxRounds; round++) {
      if ((await pendingCount()) === 0) return attempts;
      const claimed = await Promise.all(workers.map((w) => w.runOnce()));
      attempts += claimed.reduce((a, b) => a + b, 0);
      kit.clock.now += 61_000;
    }
    throw new Error(
      `outbox not drained after ${maxRounds} rounds: ${await pendingCount()} pending`,
    );
  }

  async function scenario(
    name: string,
    inject: (tag: string) => void | Promise<void>,
    workers?: StripeSyncWorker[],
  ): Promise<Figures> {
    const tag = randomBytes(4).toString('hex');
    const invoices = invoicesFor(tag);
    const before = standIn.counts();
    const requestsBefore = standIn.requests.length;
    await kit.db.transaction(async (tx) => {
      for (const invoice of invoices) await enqueueStripeSync(tx, invoice);
      // A second enqueue of the same invoice (a retried finalization) changes nothing.
      await enqueueStripeSync(tx, invoices[0]!);
    });
    await inject(tag);
    const workerAttempts = await drain(40, workers);
    expect(standIn.outstandingFaults, 'every planned fault was hit').toBe(0);

    // Exactly one Stripe invoice per Tollgate invoice, one item per line, finalized, same total.
    const stripeInvoices = [...standIn.store.invoices.values()].filter((i) =>
      i.metadata?.tollgate_invoice_id?.includes(tag),
    );
    expect(stripeInvoices).toHaveLength(invoices.length);
    for (const invoice of invoices) {
      const [stripeInvoice, ...more] = stripeInvoices.filter(
        (i) => i.metadata?.tollgate_invoice_id === invoice.invoiceId,
      );
      expect(more).toEqual([]);
      expect(stripeInvoice).toMatchObject({
        status: 'open',
        total: invoice.totalMinor,
        currency: 'usd',
        auto_advance: true,
        collection_method: 'charge_automatically',
      });
      const items = [...standIn.store.invoiceItems.values()].filter(
        (i) => i.metadata?.tollgate_invoice_id === invoice.invoiceId,
      );
      expect(items.map((i) => i.invoice)).toEqual(items.map(() => stripeInvoice!.id));
      expect(items.map((i) => [i.metadata?.tollgate_line_id, i.amount]).sort()).toEqual(
        invoice.lines.map((l) => [l.lineId, l.amountMinor]).sort(),
      );
      const [row] = await kit.db.sql.query(
        `select stripe_invoice_id, status, total_minor::float8 as total, amount_due_minor::float8 as due
           from stripe_invoices where invoice_id = ?`,
        [invoice.invoiceId],
      );
      expect(row).toEqual({
        stripe_invoice_id: stripeInvoice!.id,
        status: 'open',
        total: invoice.totalMinor,
        due: Math.max(invoice.totalMinor, 0),
      });
      const stored = await kit.db.sql.query<{ stripe_invoice_item_id: string }>(
        'select stripe_invoice_item_id from stripe_invoice_items where invoice_id = ?',
        [invoice.invoiceId],
      );
      expect(stored.map((s) => s.stripe_invoice_item_id).sort()).toEqual(
        items.map((i) => i.id).sort(),
      );
    }
    // One customer per account.
    for (const accountId of new Set(invoices.map((i) => i.accountId))) {
      const customers = [...standIn.store.customers.values()].filter(
        (c) => c.metadata.tollgate_account_id === accountId,
      );
      expect(customers).toHaveLength(1);
    }
    const after = standIn.counts();
    const result: Figures = {
      scenario: name,
      faults: Object.fromEntries(
        (Object.keys(after.faults) as FaultKind[])
          .map((kind) => [kind, after.faults[kind] - before.faults[kind]] as const)
          .filter(([, n]) => n > 0),
      ),
      workerAttempts,
      stripeRequests: standIn.requests.length - requestsBefore,
      replays: after.replays - before.replays,
      created: {
        customers: after.customers - before.customers,
        invoices: after.invoices - before.invoices,
        invoiceItems: after.invoiceItems - before.invoiceItems,
        finalizations: after.finalizations - before.finalizations,
      },
    };
    expect(result.created).toEqual({
      customers: 2,
      invoices: 3,
      invoiceItems: 9,
      finalizations: 3,
    });
    figures.push(result);
    return result;
  }

  const steps: Array<[string, FaultMatch]> = [
    ['customer create', { method: 'POST', path: '/v1/customers' }],
    ['invoice create', { method: 'POST', path: /^\/v1\/invoices$/ }],
    ['invoice item create', { method: 'POST', path: '/v1/invoiceitems' }],
    ['finalize', { method: 'POST', path: /\/finalize$/ }],
  ];

  it('syncs without faults, every call under an idempotency key derived from Tollgate ids', async () => {
    const result = await scenario('no faults', () => undefined);
    expect(result.workerAttempts).toBe(3);
    const posts = standIn.requests.filter((r) => r.method === 'POST').slice(-14);
    expect(posts.every((r) => r.idempotencyKey?.startsWith('tg-'))).toBe(true);
    const invoiceId = [...standIn.store.invoices.values()].at(-1)!.metadata!.tollgate_invoice_id!;
    expect(posts.map((r) => r.idempotencyKey)).toContain(idempotencyKeys.finalize(invoiceId));
    expect(standIn.requests.every((r) => r.stripeVersion === '2026-10-28.endive')).toBe(true);
  });

  it('500s on every kind of call only delay the sync', async () => {
    const result = await scenario('500s at every step', () => {
      for (const [, match] of steps) standIn.failNext(2, match);
    });
    expect(result.faults.error).toBe(8);
  });

  it('hung calls time out and are retried', async () => {
    await scenario('hangs at every step', () => {
      for (const [, match] of steps) standIn.hangNext(1, match);
    });
  });

  it('a response lost after the write: the retry under the same key is answered, not re-applied', async () => {
    // Once: the SDK's own retry of a closed connection gets the replay.
    const once = await scenario('response dropped once per step', () => {
      for (const [, match] of steps) standIn.dropResponseNext(1, match);
    });
    expect(once.replays).toBeGreaterThanOrEqual(4);
    // Twice: the SDK gives up, the outbox's next attempt gets the replay.
    const twice = await scenario('response dropped twice per step', () => {
      for (const [, match] of steps) standIn.dropResponseNext(2, match);
    });
    expect(twice.workerAttempts).toBeGreaterThan(3);
  });

  it('a write whose answer was lost more than 24 h ago (key expired) is found by metadata, not made twice', async () => {
    const lookups: Record<string, RegExp> = {
      'customer create': /^GET \/v1\/customers\/search$/,
      'invoice create': /^GET \/v1\/invoices$/,
      'invoice item create': /^GET \/v1\/invoiceitems$/,
      finalize: /^GET \/v1\/invoices\/in_/,
    };
    for (const [step, match] of steps) {
      let from = 0;
      await scenario(`response lost, retried after the idempotency window (${step})`, async () => {
        // Account 1 has two invoices: for its customer, both of their attempts (and the SDK's
        // retries) must lose the answer, or the second would get the replay within the window.
        standIn.dropResponseNext(step === 'customer create' ? 4 : 2, match);
        await kit.billing.syncWorker!.runOnce();
        kit.clock.now += 25 * HOUR;
        from = standIn.requests.length;
      });
      const recovery = standIn.requests.slice(from).map((r) => `${r.method} ${r.path}`);
      expect(
        recovery.some((r) => lookups[step]!.test(r)),
        recovery.join(', '),
      ).toBe(true);
    }
  });

  it('a 500 Stripe keeps under the key (the endpoint ran): applied writes are found by metadata; others wait out the 24 h window', async () => {
    for (const [step, match] of steps) {
      await scenario(`500 remembered under the key, write applied (${step})`, async () => {
        standIn.failDuringRunNext(1, match, { applied: true });
      });
      await scenario(`500 remembered under the key, nothing written (${step})`, async () => {
        standIn.failDuringRunNext(1, match);
        // Every retry within 24 h gets the same 500 back; the outbox keeps the invoice pending.
        for (let round = 0; round < 3; round++) {
          await kit.billing.syncWorker!.runOnce();
          kit.clock.now += 61_000;
        }
        expect(await pendingCount()).toBeGreaterThan(0);
        kit.clock.now += 25 * HOUR;
      });
    }
  });

  it('a mix of every fault, over several rounds', async () => {
    await scenario('mixed faults', () => {
      standIn.failNext(3, { method: 'POST' });
      standIn.dropResponseNext(2, steps[2]![1]);
      standIn.hangNext(1, steps[3]![1]);
      standIn.dropResponseNext(2, steps[1]![1]);
      standIn.failNext(1, { method: 'GET' });
    });
  });

  it('three replicas draining at once (one invoice per claim) still make each object once', async () => {
    const result = await scenario(
      'three replicas at once, with 500s and lost responses',
      () => {
        standIn.failNext(2, { method: 'POST' });
        standIn.dropResponseNext(2, steps[0]![1]);
      },
      [kit.billing.syncWorker!, replica(), replica()],
    );
    expect(result.workerAttempts).toBeGreaterThanOrEqual(3);
  });

  it('exposes sync metrics: synced, failed attempts by kind, backlog', async () => {
    const metrics = (await kit.app.inject('/metrics')).body;
    expect(metrics).toMatch(/^stripe_invoices_synced_total\{[^}]*\} (\d+)/m);
    expect(
      Number(/^stripe_invoices_synced_total\{[^}]*\} (\d+)/m.exec(metrics)![1]),
    ).toBeGreaterThan(20);
    expect(metrics).toMatch(
      /^stripe_sync_failed_attempts_total\{[^}]*kind="transient"[^}]*\} [1-9]/m,
    );
    expect(metrics).toMatch(/^stripe_sync_backlog\{[^}]*\} 0$/m);
    expect(metrics).toMatch(/^stripe_sync_backlog_age_seconds\{[^}]*\} 0$/m);
  });

  it('never logs the Stripe secret key or the webhook secret', () => {
    const all = kit.logs.join('\n');
    expect(all).not.toContain(standIn.secretKey);
    expect(all).not.toContain(standIn.webhookSecret);
    expect(all).toContain('Stripe sync failed; will retry');
  });
});
