import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventually } from '@tollgate/test-infra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signNotification } from '../application/webhook-notifications';
import { githubAlertSigner } from '../testing/github-secret-scanning';
import { startKeyService, type KeyServiceUnderTest } from '../testing/key-service-test-kit';

const PATH = '/webhooks/github/secret-scanning';
/** The app's clock: retries are due when the test moves it, never by waiting. */
const T0 = Date.UTC(2030, 10, 3, 14, 0, 0);
const RETRY_BASE_MS = 60_000;

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

describe("leaked keys are reported to the account's webhook (real Postgres + Kafka)", () => {
  const github = githubAlertSigner();
  let ks: KeyServiceUnderTest;
  let clock = T0;
  let receiver: Server;
  let receiverUrl = '';
  const received: Received[] = [];
  /** The receiver's answers, in order; 200 once they run out. */
  const answers: number[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.statusCode = answers.shift() ?? 200;
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/tollgate`;
    ks = await startKeyService(
      { ...github.env, WEBHOOK_POLL_MS: '20', WEBHOOK_RETRY_BASE_MS: String(RETRY_BASE_MS) },
      { now: () => clock },
    );
  });
  afterAll(async () => {
    await ks?.close();
    await new Promise<void>((resolve) => receiver?.close(() => resolve()));
  });

  const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) =>
    ks.app.inject({ method, url, payload });

  it('signs and delivers key.leaked once, retrying a failed attempt when it is due', async () => {
    const { accountId } = (await call('POST', '/v1/accounts', { name: 'Hooked' })).json<{
      accountId: string;
    }>();
    const set = await call('PUT', `/v1/accounts/${accountId}/notification-webhook`, {
      url: receiverUrl,
    });
    expect(set.statusCode, set.body).toBe(200);
    const { signingSecret } = set.json<{ signingSecret: string }>();
    expect(signingSecret).toMatch(/^whsec_/);
    // The secret is shown once: reading the webhook never returns it.
    const read = await call('GET', `/v1/accounts/${accountId}/notification-webhook`);
    expect(read.json()).toMatchObject({ url: receiverUrl });
    expect(read.body).not.toContain(signingSecret);

    const issued = await call('POST', `/v1/accounts/${accountId}/keys`, {
      env: 'live',
      name: 'ci deploy',
    });
    const { key, plaintext } = issued.json<{ key: { keyId: string }; plaintext: string }>();
    answers.push(503);
    const { headers, payload } = github.alert([
      {
        token: plaintext,
        type: 'tollgate_api_key',
        url: 'https://github.com/octo/app/blob/a/.env',
      },
    ]);
    expect((await ks.app.inject({ method: 'POST', url: PATH, headers, payload })).statusCode).toBe(
      200,
    );

    // First attempt: refused by the receiver, so it is retried — once the clock says so.
    await eventually(() => received.length === 1, 10_000, 'the first delivery attempt');
    await eventually(
      async () =>
        (await call('GET', `/v1/accounts/${accountId}/notification-webhook`)).json<{
          recentDeliveries: Array<{ attempts: number }>;
        }>().recentDeliveries[0]?.attempts === 1,
      10_000,
      'the failed attempt to be recorded',
    );
    expect(received).toHaveLength(1);
    clock = T0 + RETRY_BASE_MS;
    await eventually(() => received.length === 2, 10_000, 'the retry');

    const [first, second] = received as [Received, Received];
    expect(second.body).toBe(first.body);
    expect(second.headers['tollgate-delivery-id']).toBe(first.headers['tollgate-delivery-id']);
    const signature = String(second.headers['tollgate-signature']);
    const t = Number(/^t=(\d+),/.exec(signature)?.[1]);
    expect(signature).toBe(signNotification(signingSecret, t, second.body));
    expect(JSON.parse(second.body)).toMatchObject({
      type: 'key.leaked',
      data: {
        keyId: key.keyId,
        accountId,
        name: 'ci deploy',
        reason: 'leaked',
        source: 'github',
        foundAtUrl: 'https://github.com/octo/app/blob/a/.env',
      },
    });
    expect(second.body).not.toContain(plaintext);

    // Delivered: nothing more is sent, however far the clock moves.
    await eventually(
      async () =>
        (await call('GET', `/v1/accounts/${accountId}/notification-webhook`)).json<{
          recentDeliveries: Array<{ status: string; attempts: number }>;
        }>().recentDeliveries[0]?.status === 'delivered',
      10_000,
      'the delivery to be recorded as delivered',
    );
    clock = T0 + 100 * RETRY_BASE_MS;
    const sent = received.length;
    await call('POST', '/v1/accounts', { name: 'tick' }); // any request; the worker polls meanwhile
    await eventually(
      async () =>
        (
          await ks.db.sql.query<{ n: string }>(
            'select count(*)::text as n from webhook_deliveries where delivered_at is null and failed_at is null',
          )
        )[0]?.n === '0',
      10_000,
      'no delivery left pending',
    );
    expect(received).toHaveLength(sent);
  });

  it('refuses bad webhook URLs with 400 and unknown accounts with 404', async () => {
    const { accountId } = (await call('POST', '/v1/accounts', { name: 'Strict' })).json<{
      accountId: string;
    }>();
    for (const url of [
      'not a url',
      'ftp://example.test/x',
      'https://user:pw@example.test/',
      'https://example.test/#frag',
    ]) {
      const res = await call('PUT', `/v1/accounts/${accountId}/notification-webhook`, { url });
      expect(res.statusCode, url).toBe(400);
    }
    const unknown = 'acct_01JDQ3W8Y6T4K2M9N7P5R3S1Z9';
    expect(
      (await call('PUT', `/v1/accounts/${unknown}/notification-webhook`, { url: receiverUrl }))
        .statusCode,
    ).toBe(404);
    expect((await call('GET', `/v1/accounts/${accountId}/notification-webhook`)).statusCode).toBe(
      404,
    );
    expect(
      (await call('DELETE', `/v1/accounts/${accountId}/notification-webhook`)).statusCode,
    ).toBe(404);
    await call('PUT', `/v1/accounts/${accountId}/notification-webhook`, { url: receiverUrl });
    expect(
      (await call('DELETE', `/v1/accounts/${accountId}/notification-webhook`)).statusCode,
    ).toBe(204);
  });

  it('in production mode, refuses http:// and never connects to an internal address', async () => {
    const strict = await startKeyService(
      { ...github.env, WEBHOOK_ALLOW_HTTP: 'false', WEBHOOK_POLL_MS: '20' },
      { now: () => T0 },
    );
    try {
      const post = (url: string, payload: object) =>
        strict.app.inject({ method: 'POST', url, payload });
      const { accountId } = (await post('/v1/accounts', { name: 'Prod' })).json<{
        accountId: string;
      }>();
      const put = (url: string) =>
        strict.app.inject({
          method: 'PUT',
          url: `/v1/accounts/${accountId}/notification-webhook`,
          payload: { url },
        });
      expect((await put(receiverUrl)).statusCode).toBe(400);
      // https to a name that resolves to loopback: accepted as a URL, refused at connection time.
      const port = new URL(receiverUrl).port;
      expect((await put(`https://localhost:${port}/tollgate`)).statusCode).toBe(200);
      const { plaintext } = (await post(`/v1/accounts/${accountId}/keys`, { env: 'live' })).json<{
        plaintext: string;
      }>();
      const before = received.length;
      const alert = github.alert([{ token: plaintext, type: 'tollgate_api_key' }]);
      await strict.app.inject({
        method: 'POST',
        url: PATH,
        headers: alert.headers,
        payload: alert.payload,
      });
      let lastError: string | null = null;
      await eventually(
        async () => {
          const hook = await strict.app.inject(`/v1/accounts/${accountId}/notification-webhook`);
          lastError =
            hook.json<{ recentDeliveries: Array<{ lastError: string | null }> }>()
              .recentDeliveries[0]?.lastError ?? null;
          return lastError !== null;
        },
        10_000,
        'the refused attempt to be recorded',
      );
      expect(lastError).toMatch(/internal address/);
      expect(received).toHaveLength(before);
    } finally {
      await strict.close();
    }
  });
});
