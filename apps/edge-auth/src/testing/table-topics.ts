import { Kafka, logLevel, type Producer, type SASLOptions } from 'kafkajs';
import { generateApiKey, KeyHasher } from '@tollgate/api-keys';
import {
  EventCodec,
  messageKeyOf,
  newEventId,
  newId,
  topicOf,
  type EventPayloads,
  type EventType,
  type KeyState,
  type PlanSnapshot,
} from '@tollgate/events';
import { sampleEvent } from '@tollgate/events/testing';
import { env } from '@tollgate/service-runtime';
import { peppersOf, type EdgeAuthConfig } from '../config';

export function plan(
  planId: string,
  perMinute: number,
  change: Partial<PlanSnapshot> = {},
): PlanSnapshot {
  return {
    ...sampleEvent('PlanChanged').plan,
    planId,
    version: 1,
    rateLimits: [{ name: 'per-minute', limit: perMinute, windowMs: 60_000 }],
    monthlyQuota: null,
    limitScope: 'key',
    ...change,
  };
}

export interface TableKey {
  keyId: string;
  plaintext: string;
  state: KeyState;
}

/**
 * The key table as key-service would fill it, written straight to the edge's topics: tests need no
 * key-service process, and can also write what a broken or older producer might (key-service
 * itself refuses such plans). Keys are hashed with the edge's own peppers.
 */
export class TableTopics {
  private readonly codec = new EventCodec();
  private sequence = 0;

  private constructor(
    private readonly prefix: string,
    private readonly hasher: KeyHasher,
    private readonly producer: Producer,
  ) {}

  /** For the topics, brokers and peppers of an edge started with this config. */
  static async forEdge(config: EdgeAuthConfig): Promise<TableTopics> {
    // The edge's own Kafka security (a SASL broker of a test's own); its mechanisms are kafkajs'.
    const { ssl, sasl } = env.kafkaClientSecurity(config);
    const kafka = new Kafka({
      clientId: 'table-topics',
      brokers: config.KAFKA_BROKERS,
      logLevel: logLevel.NOTHING,
      ...(ssl ? { ssl } : {}),
      ...(sasl ? { sasl: sasl as SASLOptions } : {}),
    });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    return new TableTopics(config.KAFKA_TOPIC_PREFIX, new KeyHasher(peppersOf(config)), producer);
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }

  async publish<T extends EventType>(type: T, payload: Omit<EventPayloads[T], 'eventId'>) {
    const full = { ...payload, eventId: newEventId() } as EventPayloads[T];
    const { value, headers } = this.codec.encode(type, full);
    await this.producer.send({
      topic: this.prefix + topicOf(type).name,
      acks: -1,
      messages: [{ key: messageKeyOf(type, full), value, headers }],
    });
  }

  async account(planSnapshot: PlanSnapshot): Promise<string> {
    const accountId = newId('account');
    await this.assignPlan(accountId, planSnapshot);
    return accountId;
  }

  /** PlanChanged: `accountId` is on `planSnapshot` from now on. */
  async assignPlan(accountId: string, planSnapshot: PlanSnapshot): Promise<void> {
    await this.publish('PlanChanged', {
      ...sampleEvent('PlanChanged'),
      accountId,
      planId: planSnapshot.planId,
      planVersion: planSnapshot.version,
      plan: planSnapshot,
      previousPlan: null,
      effectiveAt: 0,
    });
  }

  async key(
    accountId: string,
    options: { env?: 'live' | 'test'; scopes?: string[] } = {},
  ): Promise<TableKey> {
    const env = options.env ?? 'live';
    const { plaintext } = generateApiKey({ env });
    const { hash, pepperVersion } = this.hasher.hash(plaintext);
    const keyId = newId('key');
    const state: KeyState = {
      ...sampleEvent('KeyIssued').key,
      keyId,
      accountId,
      keyHash: hash,
      pepperVersion,
      env,
      scopes: options.scopes ?? [],
      expiresAt: null,
      displayHint: `key ${++this.sequence}`,
    };
    await this.publish('KeyIssued', { ...sampleEvent('KeyIssued'), key: state });
    return { keyId, plaintext, state };
  }

  async revoke(key: TableKey): Promise<void> {
    // Any past time (0 would mean "not revoked" in the table).
    await this.publish('KeyRevoked', {
      ...sampleEvent('KeyRevoked'),
      key: key.state,
      reason: 'test',
      effectiveAt: 1,
    });
  }

  async suspend(accountId: string): Promise<void> {
    await this.publish('AccountStatusChanged', {
      ...sampleEvent('AccountStatusChanged'),
      accountId,
      status: 'suspended',
      reason: 'test',
    });
  }
}
