import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKafka, type TestKafka } from '@tollgate/test-infra';
import { createKafkaConnection } from './kafka-connection';

describe('createKafkaConnection (real Kafka)', () => {
  let testKafka: TestKafka;
  beforeAll(async () => {
    testKafka = await createTestKafka('kafka_connection');
  });
  afterAll(async () => {
    await testKafka.cleanup();
  });

  it('is ready against the running broker', async () => {
    const connection = createKafkaConnection({ brokers: testKafka.brokers, clientId: 'test' });
    await expect(connection.checkReady()).resolves.toBeUndefined();
    await connection.close();
    await expect(connection.checkReady()).rejects.toThrow(/closed/);
  });

  it('is not ready when no broker listens', async () => {
    const quiet = { error() {}, warn() {}, info() {}, debug() {} };
    const connection = createKafkaConnection({
      brokers: ['127.0.0.1:1'],
      clientId: 'test',
      connectTimeoutMs: 200,
      log: quiet,
    });
    await expect(connection.checkReady()).rejects.toThrow();
    await connection.close();
  });
});
