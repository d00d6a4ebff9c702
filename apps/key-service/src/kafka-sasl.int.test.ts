import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventCodec } from '@tollgate/events';
import { eventually, startSaslBroker, uniqueName, type SaslBroker } from '@tollgate/test-infra';
import { startKeyService, type KeyServiceUnderTest } from './testing/key-service-test-kit';

/**
 * KAFKA_SASL_* end to end: key-service's config reaches the service base's Kafka connection, the
 * outbox relay publishes through a broker that refuses anonymous clients, and a wrong password
 * shows as not ready. (TLS, KAFKA_SSL, takes the same path into the client.)
 */
describe('Kafka with SASL/PLAIN (a real broker that requires passwords)', () => {
  let broker: SaslBroker;
  beforeAll(async () => {
    broker = await startSaslBroker();
  }, 120_000);
  afterAll(async () => {
    await broker?.remove();
  });

  const saslEnv = (password: string) => ({
    KAFKA_BROKERS: broker.brokers.join(','),
    KAFKA_SASL_MECHANISM: 'plain',
    KAFKA_SASL_USERNAME: broker.username,
    KAFKA_SASL_PASSWORD: password,
    READINESS_TIMEOUT_MS: '3000',
  });

  describe('with the right credentials', () => {
    let ks: KeyServiceUnderTest;
    beforeAll(async () => {
      ks = await startKeyService(saslEnv(broker.password));
    }, 60_000);
    afterAll(async () => {
      await ks?.close();
    });

    it('is ready and publishes its events through the authenticated connection', async () => {
      expect((await ks.app.inject('/readyz')).json()).toMatchObject({ checks: { kafka: 'ok' } });
      const account = await ks.app.inject({
        method: 'POST',
        url: '/v1/accounts',
        payload: { name: 'SASL' },
      });
      const { accountId } = account.json<{ accountId: string }>();
      await ks.app.inject({
        method: 'POST',
        url: `/v1/accounts/${accountId}/keys`,
        payload: { env: 'live' },
      });

      const client = new Kafka({
        clientId: uniqueName('sasl-reader'),
        brokers: broker.brokers,
        sasl: { mechanism: 'plain', username: broker.username, password: broker.password },
        logLevel: logLevel.NOTHING,
      });
      const consumer = client.consumer({ groupId: uniqueName('sasl'), maxWaitTimeInMs: 50 });
      const codec = new EventCodec();
      const seen: string[] = [];
      try {
        await consumer.connect();
        const admin = client.admin();
        await admin.connect();
        await eventually(
          async () => (await admin.listTopics()).includes(ks.keysTopic),
          30_000,
          `${ks.keysTopic} on the SASL broker`,
        );
        await admin.disconnect();
        await consumer.subscribe({ topic: ks.keysTopic, fromBeginning: true });
        await consumer.run({
          eachMessage: async ({ message }) => {
            const event = codec.decode(message.headers, message.value);
            if (event.type === 'KeyIssued') seen.push(event.payload.key.accountId);
          },
        });
        await eventually(() => seen.includes(accountId), 30_000, 'KeyIssued over SASL');
      } finally {
        await consumer.disconnect();
      }
    });
  });

  it('is not ready with a wrong password, and says Kafka is why', async () => {
    const ks = await startKeyService(saslEnv('wrong-password'), { waitUntilReady: false });
    try {
      const res = await ks.app.inject('/readyz');
      expect(res.statusCode).toBe(503);
      expect(res.json<{ checks: Record<string, string> }>().checks.kafka).not.toBe('ok');
    } finally {
      await ks.close();
    }
  });
});
