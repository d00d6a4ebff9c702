import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { testEndpoints } from './endpoints';
import { uniqueName } from './unique-name';

export interface IsolatedServiceEnv {
  /** `DATABASE_SCHEMA` and `KAFKA_TOPIC_PREFIX` unique to this test file. */
  env: { DATABASE_SCHEMA: string; KAFKA_TOPIC_PREFIX: string };
  /** Drops the schema and deletes every topic with the prefix. */
  cleanup: () => Promise<void>;
}

/** For apps that own a schema and topics: their own copy of both, removed afterwards. */
export function isolatedServiceEnv(base: string): IsolatedServiceEnv {
  const schema = uniqueName(base);
  const prefix = `${uniqueName(base)}.`;
  return {
    env: { DATABASE_SCHEMA: schema, KAFKA_TOPIC_PREFIX: prefix },
    async cleanup() {
      const { databaseUrl, kafkaBrokers } = testEndpoints();
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        await client.query(`drop schema if exists "${schema}" cascade`);
      } finally {
        await client.end();
      }
      const admin = new Kafka({
        clientId: schema,
        brokers: kafkaBrokers,
        logLevel: logLevel.NOTHING,
      }).admin();
      await admin.connect();
      try {
        const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
        if (topics.length > 0) await admin.deleteTopics({ topics });
      } finally {
        await admin.disconnect();
      }
    },
  };
}
