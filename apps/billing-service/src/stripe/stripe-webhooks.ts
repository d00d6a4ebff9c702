import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import Stripe from 'stripe';
import { Type } from 'typebox';
import { ProblemError, type ServiceRoute } from '@tollgate/service-runtime';
import type { PaymentEvents } from './payment-events';

export const STRIPE_WEBHOOK_PATH = '/v1/stripe/webhooks';
/** Called by Stripe, not by a Tollgate app: authenticated by Stripe's signature instead. */
export const STRIPE_WEBHOOK_ROUTE: ServiceRoute = `POST ${STRIPE_WEBHOOK_PATH}`;
/** An invoice event with a few hundred lines stays well under this; anything larger is not Stripe. */
const MAX_BODY_BYTES = 512 * 1024;

export interface StripeWebhookOptions {
  webhookSecret: string;
  /** How old (or how far ahead) a signature's timestamp may be, in seconds. */
  toleranceSeconds: number;
  now: () => number;
  events: PaymentEvents;
}

const refused = (reason: string, detail: string) =>
  new ProblemError('bad_request', detail, { reason });

/** Epoch seconds that stay exact as epoch ms. */
const isEpochSeconds = (v: unknown): v is number =>
  Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) < 2 ** 42;

/** Stripe ids (`evt_…`, `in_…`) are short ASCII words; anything else is not Stripe's. */
const isStripeId = (v: unknown): v is string =>
  typeof v === 'string' && /^[A-Za-z0-9_]{1,255}$/.test(v);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * What the handlers read of an event is there and typed: a signed body is Stripe's, but a body
 * of another shape (another API version, a test tool) is refused rather than half-read.
 */
function wellFormed(event: unknown): event is Stripe.Event {
  if (!isObject(event) || !isStripeId(event.id) || typeof event.type !== 'string') return false;
  if (!/^[a-z0-9_.]{1,100}$/.test(event.type)) return false;
  if (!isEpochSeconds(event.created) || !isObject(event.data)) return false;
  if (!event.type.startsWith('invoice.')) return true;
  const invoice = event.data.object;
  const moment = (v: unknown) => v === null || v === undefined || isEpochSeconds(v);
  return (
    isObject(invoice) &&
    isStripeId(invoice.id) &&
    Number.isSafeInteger(invoice.attempt_count) &&
    (invoice.attempt_count as number) >= 0 &&
    isObject(invoice.status_transitions) &&
    moment(invoice.status_transitions.paid_at) &&
    moment(invoice.status_transitions.voided_at)
  );
}

/** The `t=` of a `Stripe-Signature` header, or undefined when there is none. */
function signedAtOf(header: string): number | undefined {
  for (const part of header.split(',')) {
    const [key, value] = part.split('=');
    if (key?.trim() === 't' && value !== undefined && /^\d{1,12}$/.test(value.trim()))
      return Number(value.trim());
  }
  return undefined;
}

/**
 * Stripe's payment events. The signature is verified by the SDK over the exact bytes received
 * (this plugin keeps the body raw), within `toleranceSeconds` of the injected clock; then each
 * event id is applied once. Forged, stale, future-dated and replayed deliveries are refused with
 * 400 and change nothing; Stripe's own redeliveries of an applied event are acknowledged.
 */
export async function stripeWebhookRoutes(
  app: FastifyInstance,
  { webhookSecret, toleranceSeconds, now, events }: StripeWebhookOptions,
): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  // Encapsulated: only this plugin's routes take JSON as raw bytes.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit: MAX_BODY_BYTES },
    (_request, body, done) => done(null, body),
  );

  api.post(
    STRIPE_WEBHOOK_PATH,
    {
      schema: {
        tags: ['stripe'],
        summary: "Stripe's webhook: invoice.paid, invoice.payment_failed, invoice.voided",
        headers: Type.Object({
          'stripe-signature': Type.Optional(Type.String({ maxLength: 4096 })),
        }),
        response: {
          200: Type.Object({
            received: Type.Literal(true),
            outcome: Type.Union([
              Type.Literal('applied'),
              Type.Literal('ignored'),
              Type.Literal('duplicate'),
              Type.Literal('conflict'),
            ]),
          }),
        },
      },
    },
    async (request) => {
      const signature = request.headers['stripe-signature'];
      if (!signature) throw refused('signature_missing', 'The Stripe-Signature header is missing');
      if (!Buffer.isBuffer(request.body))
        throw refused('body_missing', 'The body must be the JSON event Stripe sent');
      const nowMs = now();
      const signedAt = signedAtOf(signature);
      if (signedAt === undefined)
        throw refused('signature_invalid', 'The Stripe-Signature header has no timestamp');
      if (signedAt * 1000 > nowMs + toleranceSeconds * 1000)
        throw refused('signature_not_yet_valid', 'The signature is dated in the future');
      let event: unknown;
      try {
        event = Stripe.webhooks.constructEvent(
          request.body,
          signature,
          webhookSecret,
          toleranceSeconds,
          undefined,
          nowMs,
        );
      } catch (err) {
        const stale = err instanceof Error && /tolerance/i.test(err.message);
        throw stale
          ? refused('signature_expired', 'The signature is older than the accepted tolerance')
          : refused('signature_invalid', 'The body is not signed with our Stripe webhook secret');
      }
      if (!wellFormed(event))
        throw refused('event_malformed', 'The body is not a Stripe event this endpoint reads');
      const outcome = await events.apply(event, signedAt, nowMs);
      if (outcome === 'replayed')
        throw refused('replayed', 'This delivery was already received; a replay is refused');
      request.log.info({ eventId: event.id, type: event.type, outcome }, 'Stripe webhook');
      return { received: true as const, outcome };
    },
  );
}
