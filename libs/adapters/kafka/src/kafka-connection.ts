import { Kafka, logLevel, type Admin, type SASLOptions } from 'kafkajs';
import type { Dependency } from '@tollgate/service-runtime';
import { kafkaLogCreator, type KafkaLogSink } from './kafka-logging';
// Every kafkajs client this library creates runs with kafkajs' idle timer loop fixed.
import './request-queue-idle-fix';

export interface KafkaConnectionOptions {
  brokers: readonly string[];
  clientId: string;
  log?: KafkaLogSink;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** TLS to the brokers, verified against the system CAs (plus NODE_EXTRA_CA_CERTS). */
  ssl?: boolean;
  /** SASL authentication: PLAIN (use it only over TLS) or SCRAM. */
  sasl?: {
    mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
    username: string;
    password: string;
  };
}

export interface KafkaConnection extends Dependency {
  /** The underlying client, for this library's producer/consumer/topic code only. */
  readonly kafka: Kafka;
  /** A shared, lazily connected admin client. */
  admin(): Promise<Admin>;
}

function saslOptions({
  mechanism,
  username,
  password,
}: NonNullable<KafkaConnectionOptions['sasl']>): SASLOptions {
  switch (mechanism) {
    case 'plain':
      return { mechanism, username, password };
    case 'scram-sha-256':
      return { mechanism, username, password };
    case 'scram-sha-512':
      return { mechanism, username, password };
  }
}

export function createKafkaConnection(options: KafkaConnectionOptions): KafkaConnection {
  // kafkajs warns about its v2 partitioner change on every producer; we pick partitioners explicitly.
  process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    connectionTimeout: options.connectTimeoutMs ?? 1_000,
    requestTimeout: options.requestTimeoutMs ?? 10_000,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 2_000 },
    logLevel: logLevel.WARN,
    ...(options.ssl ? { ssl: true } : {}),
    ...(options.sasl ? { sasl: saslOptions(options.sasl) } : {}),
    ...(options.log ? { logCreator: kafkaLogCreator(options.log) } : {}),
  });

  let admin: Admin | undefined;
  let connecting: Promise<Admin> | undefined;
  let closed = false;

  async function connectedAdmin(): Promise<Admin> {
    if (closed) throw new Error('kafka connection is closed');
    if (admin) return admin;
    connecting ??= (async () => {
      const client = kafka.admin({
        retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 500 },
      });
      try {
        await client.connect();
      } catch (err) {
        connecting = undefined;
        throw err;
      }
      admin = client;
      return client;
    })();
    return connecting;
  }

  return {
    name: 'kafka',
    kafka,
    admin: connectedAdmin,
    async checkReady() {
      const client = await connectedAdmin();
      const cluster = await client.describeCluster();
      if (cluster.brokers.length === 0) throw new Error('kafka cluster reports no brokers');
    },
    async close() {
      closed = true;
      const current = admin ?? (await connecting?.catch(() => undefined));
      admin = undefined;
      await current?.disconnect();
    },
  };
}
