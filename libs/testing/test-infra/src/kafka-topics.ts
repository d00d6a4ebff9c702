import { Kafka, logLevel, type ITopicConfig } from 'kafkajs';
import { requireService, testEndpoints } from './endpoints';
import { uniqueName } from './unique-name';

export interface TestKafka {
  brokers: string[];
  kafka: Kafka;
  /** Creates a uniquely named topic (deleted by `cleanup`) and returns its name. */
  createTopic(base: string, config?: Omit<ITopicConfig, 'topic'>): Promise<string>;
  /** A consumer group id unique to this run. */
  groupId(base: string): string;
  cleanup(): Promise<void>;
}

/** Isolated Kafka topics on the shared broker for one test file. */
export async function createTestKafka(base: string): Promise<TestKafka> {
  const { kafkaBrokers } = testEndpoints();
  const [host = '127.0.0.1', port = '9092'] = (kafkaBrokers[0] ?? '').split(':');
  await requireService('Kafka', host, Number(port));
  process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
  const kafka = new Kafka({
    clientId: uniqueName(base),
    brokers: kafkaBrokers,
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const created: string[] = [];

  return {
    brokers: kafkaBrokers,
    kafka,
    async createTopic(topicBase, config = {}) {
      const topic = uniqueName(`${base}_${topicBase}`);
      await admin.createTopics({
        topics: [{ numPartitions: 1, replicationFactor: 1, ...config, topic }],
        waitForLeaders: true,
      });
      created.push(topic);
      return topic;
    },
    groupId: (groupBase) => uniqueName(`${base}_${groupBase}`),
    async cleanup() {
      try {
        if (created.length > 0) await admin.deleteTopics({ topics: created, timeout: 10_000 });
      } finally {
        await admin.disconnect();
      }
    },
  };
}
