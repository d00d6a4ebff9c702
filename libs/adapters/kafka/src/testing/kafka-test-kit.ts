import { Registry } from 'prom-client';
import { EventCodec } from '@tollgate/events';
import { createTestKafka, type TestKafka } from '@tollgate/test-infra';
import { createKafkaConnection, type KafkaConnection } from '../kafka-connection';
import { kafkaMetrics, type KafkaMetrics } from '../kafka-metrics';
import { DeadLetterSink } from '../consumer/dead-letters';
import type { KafkaLogSink } from '../kafka-logging';

export interface KafkaTestKit {
  testKafka: TestKafka;
  connection: KafkaConnection;
  codec: EventCodec;
  metrics: KafkaMetrics;
  registry: Registry;
  log: KafkaLogSink & { warnings: string[] };
  deadLetterTopic: string;
  deadLetters: DeadLetterSink;
  close(): Promise<void>;
}

/** Real broker, uniquely named topics, and the pieces this library's classes need, for one test file. */
export async function createKafkaTestKit(name: string): Promise<KafkaTestKit> {
  const testKafka = await createTestKafka(name);
  const warnings: string[] = [];
  const log = {
    warnings,
    error: () => undefined,
    warn: (_obj: object, msg: string) => void warnings.push(msg),
    info: () => undefined,
    debug: () => undefined,
  };
  const connection = createKafkaConnection({ brokers: testKafka.brokers, clientId: name, log });
  const registry = new Registry();
  const deadLetterTopic = await testKafka.createTopic('dlq');
  const deadLetters = new DeadLetterSink(connection.kafka, deadLetterTopic);
  return {
    testKafka,
    connection,
    codec: new EventCodec(),
    metrics: kafkaMetrics(registry),
    registry,
    log,
    deadLetterTopic,
    deadLetters,
    async close() {
      await deadLetters.close();
      await connection.close();
      await testKafka.cleanup();
    },
  };
}
