import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { canonicalParams, parseStripeForm, type FormParams } from './form-encoding';
import { FaultPlan, type FaultKind, type FaultMatch } from './faults';
import { IdempotencyStore } from './idempotency';
import { StripeApiError } from './stripe-objects';
import { StripeStore, stripeId, type StoreCounts } from './stripe-store';

const MAX_BODY_BYTES = 256 * 1024;

export interface StripeStandInOptions {
  /** The secret key requests must carry (default: a fresh `sk_test_…`). */
  secretKey?: string;
  /** Signs test webhooks (default: a fresh `whsec_…`). */
  webhookSecret?: string;
  /** Epoch-ms clock for `created` fields, idempotency key expiry and webhook timestamps. */
  now?: () => number;
}

/** One request as the stand-in saw it. */
export interface SeenRequest {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  stripeVersion: string | undefined;
  /** 'replayed' when answered from the idempotency store; the fault when one was injected. */
  outcome: 'served' | 'replayed' | 'refused' | FaultKind;
  status: number | undefined;
}

export interface StandInCounts extends StoreCounts {
  requests: number;
  replays: number;
  faults: Record<FaultKind, number>;
}

export interface StripeStandIn {
  /** `http://127.0.0.1:<port>` — what `STRIPE_API_BASE` points at. */
  readonly url: string;
  /** What `new Stripe(key, config)` needs to talk to the stand-in. */
  readonly sdkConfig: { host: string; port: number; protocol: 'http' };
  readonly secretKey: string;
  readonly webhookSecret: string;
  readonly store: StripeStore;
  readonly requests: readonly SeenRequest[];
  /** The next `times` matching requests answer 500 (nothing written). */
  failNext(times: number, match?: FaultMatch): void;
  /** The next `times` matching requests are never answered (nothing written). */
  hangNext(times: number, match?: FaultMatch): void;
  /** The next `times` matching requests are applied, then the connection is cut unanswered. */
  dropResponseNext(times: number, match?: FaultMatch): void;
  /**
   * The next `times` matching requests run and fail with a 500 that is remembered under their
   * idempotency key (replayed to every retry for 24 h), after applying the write or not.
   */
  failDuringRunNext(times: number, match?: FaultMatch, options?: { applied?: boolean }): void;
  /** Planned faults not yet used. */
  readonly outstandingFaults: number;
  counts(): StandInCounts;
  /** Test helpers: a payment succeeded or failed, the invoice was voided — with its event. */
  payInvoice(invoiceId: string): Stripe.InvoicePaidEvent;
  failInvoicePayment(invoiceId: string): Stripe.InvoicePaymentFailedEvent;
  voidInvoice(invoiceId: string): Stripe.InvoiceVoidedEvent;
  /** A webhook delivery: the raw JSON body and its `Stripe-Signature` header. */
  signedWebhook(
    event: Stripe.Event,
    options?: { timestamp?: number; secret?: string },
  ): { payload: string; signature: string };
  close(): Promise<void>;
}

/**
 * A local HTTP server that speaks the part of Stripe's API Tollgate calls (customers, invoice
 * items, invoices and their finalization), form-encoded as the `stripe` SDK sends it, with
 * Stripe's idempotency semantics, secret-key authentication, fault injection and helpers that
 * play the payment side (paid, failed, voided) with signed webhooks.
 */
export async function startStripeStandIn(
  options: StripeStandInOptions = {},
): Promise<StripeStandIn> {
  const now = options.now ?? Date.now;
  const nowSeconds = () => Math.floor(now() / 1000);
  const secretKey = options.secretKey ?? `sk_test_${randomBytes(24).toString('hex')}`;
  const webhookSecret = options.webhookSecret ?? `whsec_${randomBytes(24).toString('hex')}`;
  const store = new StripeStore(nowSeconds);
  const idempotency = new IdempotencyStore(nowSeconds);
  const faults = new FaultPlan();
  const requests: SeenRequest[] = [];
  const held = new Set<ServerResponse>();
  let replays = 0;

  const route = (method: string, path: string, params: FormParams): unknown => {
    const parts = path.split('/').filter(Boolean);
    if (parts[0] !== 'v1') return undefined;
    const [, resource, id, action] = parts;
    const one = <T>(get: (id: string) => T) =>
      id !== undefined && action === undefined ? get(id) : undefined;
    if (resource === 'customers') {
      if (method === 'POST' && id === undefined) return store.createCustomer(params);
      if (method === 'GET' && id === 'search' && action === undefined)
        return store.searchCustomers(params);
      if (method === 'GET') return one((cid) => store.customer(cid));
    }
    if (resource === 'invoiceitems') {
      if (method === 'POST' && id === undefined) return store.createInvoiceItem(params);
      if (method === 'GET' && id === undefined) return store.listInvoiceItems(params);
      if (method === 'GET')
        return one((iid) => {
          const item = store.invoiceItems.get(iid);
          if (!item)
            throw new StripeApiError(
              404,
              'invalid_request_error',
              `No such invoiceitem: '${iid}'`,
              { code: 'resource_missing', param: 'id' },
            );
          return item;
        });
    }
    if (resource === 'invoices') {
      if (method === 'POST' && id === undefined) return store.createInvoice(params);
      if (method === 'GET' && id === undefined) return store.listInvoices(params);
      if (method === 'GET') return one((iid) => store.invoice(iid));
      if (method === 'POST' && id !== undefined && action === 'finalize')
        return store.finalizeInvoice(id, params);
      if (method === 'POST' && id !== undefined && action === 'void') return store.void(id);
    }
    return undefined;
  };

  const send = (
    res: ServerResponse,
    status: number,
    body: string,
    headers: Record<string, string> = {},
  ) => {
    res.writeHead(status, {
      'content-type': 'application/json',
      'request-id': stripeId('req'),
      ...headers,
    });
    res.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const method = req.method ?? 'GET';
    const idempotencyKey = header(req, 'idempotency-key');
    const seen: SeenRequest = {
      method,
      path: url.pathname,
      idempotencyKey,
      stripeVersion: header(req, 'stripe-version'),
      outcome: 'served',
      status: undefined,
    };
    requests.push(seen);
    const answer = (status: number, body: string, headers?: Record<string, string>) => {
      seen.status = status;
      send(res, status, body, headers);
    };
    const refuse = (err: StripeApiError) => {
      seen.outcome = 'refused';
      answer(err.status, JSON.stringify(err.body()));
    };

    const body = await readBody(req);
    if (body === undefined)
      return refuse(new StripeApiError(413, 'invalid_request_error', 'Request body too large.'));
    const authorization = header(req, 'authorization');
    if (!authorization)
      return refuse(
        new StripeApiError(401, 'invalid_request_error', 'You did not provide an API key.'),
      );
    if (authorization !== `Bearer ${secretKey}`)
      return refuse(
        new StripeApiError(
          401,
          'invalid_request_error',
          `Invalid API Key provided: ${authorization.slice(7, 15)}****`,
        ),
      );

    const fault = faults.take(method, url.pathname);
    if (fault === 'error') {
      seen.outcome = 'error';
      const err = new StripeApiError(500, 'api_error', 'An unknown error occurred (injected).');
      return answer(500, JSON.stringify(err.body()));
    }
    if (fault === 'hang') {
      seen.outcome = 'hang';
      held.add(res);
      res.on('close', () => held.delete(res));
      return;
    }

    if (
      method === 'POST' &&
      body.length > 0 &&
      !header(req, 'content-type')?.startsWith('application/x-www-form-urlencoded')
    )
      return refuse(
        new StripeApiError(
          400,
          'invalid_request_error',
          'Invalid request: bodies must be form-encoded.',
        ),
      );
    const params = parseStripeForm(method === 'POST' ? body : url.search.slice(1));
    const fingerprint = `${method} ${url.pathname} ${canonicalParams(params)}`;
    if (method === 'POST' && idempotencyKey !== undefined) {
      const found = idempotency.lookup(idempotencyKey, fingerprint);
      if (found.outcome === 'mismatch')
        return refuse(
          new StripeApiError(
            400,
            'idempotency_error',
            `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
          ),
        );
      if (found.outcome === 'replay') {
        replays++;
        seen.outcome = fault === 'drop' ? 'drop' : 'replayed';
        if (fault === 'drop') return void req.socket.destroy();
        return answer(found.response.status, found.response.body as string, {
          'idempotent-replayed': 'true',
          'idempotency-key': idempotencyKey,
        });
      }
    }

    const runError = () => {
      const failure = JSON.stringify(
        new StripeApiError(
          500,
          'api_error',
          'An unknown error occurred (injected, remembered).',
        ).body(),
      );
      if (method === 'POST' && idempotencyKey !== undefined)
        idempotency.remember(idempotencyKey, fingerprint, { status: 500, body: failure });
      answer(500, failure);
    };
    if (fault === 'run_error') {
      seen.outcome = fault;
      return runError();
    }

    let result: unknown;
    try {
      result = route(method, url.pathname, params);
    } catch (err) {
      if (err instanceof StripeApiError) return refuse(err);
      throw err;
    }
    if (fault === 'run_error_applied' && result !== undefined) {
      seen.outcome = fault;
      return runError();
    }
    if (result === undefined)
      return refuse(
        new StripeApiError(
          404,
          'invalid_request_error',
          `Unrecognized request URL (${method}: ${url.pathname}).`,
        ),
      );
    const json = JSON.stringify(result);
    if (method === 'POST' && idempotencyKey !== undefined)
      idempotency.remember(idempotencyKey, fingerprint, { status: 200, body: json });
    if (fault === 'drop') {
      seen.outcome = 'drop';
      return void req.socket.destroy();
    }
    answer(200, json, idempotencyKey ? { 'idempotency-key': idempotencyKey } : {});
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      if (!res.headersSent)
        send(res, 500, JSON.stringify(new StripeApiError(500, 'api_error', message).body()));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  const event = <T extends Stripe.Event>(type: T['type'], invoice: Stripe.Invoice): T =>
    ({
      id: stripeId('evt'),
      object: 'event',
      api_version: Stripe.API_VERSION,
      created: nowSeconds(),
      // As sent over the wire: a JSON snapshot of the invoice at the time of the event.
      data: { object: JSON.parse(JSON.stringify(invoice)) as Stripe.Invoice },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    }) as T;

  return {
    url: `http://127.0.0.1:${port}`,
    sdkConfig: { host: '127.0.0.1', port, protocol: 'http' },
    secretKey,
    webhookSecret,
    store,
    requests,
    failNext: (times, match) => faults.add('error', times, match),
    hangNext: (times, match) => faults.add('hang', times, match),
    dropResponseNext: (times, match) => faults.add('drop', times, match),
    failDuringRunNext: (times, match, options = {}) =>
      faults.add(options.applied ? 'run_error_applied' : 'run_error', times, match),
    get outstandingFaults() {
      return faults.outstanding;
    },
    counts: () => ({
      ...store.counts,
      requests: requests.length,
      replays,
      faults: { ...faults.injected },
    }),
    payInvoice: (id) => event<Stripe.InvoicePaidEvent>('invoice.paid', store.pay(id)),
    failInvoicePayment: (id) =>
      event<Stripe.InvoicePaymentFailedEvent>('invoice.payment_failed', store.failPayment(id)),
    voidInvoice: (id) => event<Stripe.InvoiceVoidedEvent>('invoice.voided', store.void(id)),
    signedWebhook(evt, signing = {}) {
      const payload = JSON.stringify(evt, null, 2);
      const signature = Stripe.webhooks.generateTestHeaderString({
        payload,
        secret: signing.secret ?? webhookSecret,
        timestamp: signing.timestamp ?? nowSeconds(),
      });
      return { payload, signature };
    },
    async close() {
      for (const res of held) res.socket?.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The body as text, or undefined when it is larger than Stripe would take. */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
