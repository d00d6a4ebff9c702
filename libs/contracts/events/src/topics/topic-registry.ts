import type { EventPayloads } from '../generated/event-types';
import type { EventType } from '../codec/event-types';

export interface TopicSpec {
  name: string;
  events: readonly EventType[];
  /** Which payload field becomes the Kafka message key (ordering and compaction unit). */
  messageKey: string;
  partitions: number;
  /** Topic configs we set explicitly and verify on start. */
  configs: Readonly<Record<string, string>>;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Every topic of docs/events.md, in one place. Apps provision these; brokers never auto-create. */
export const TOPICS = {
  keys: {
    name: 'tollgate.keys.v1',
    events: ['KeyIssued', 'KeyRevoked', 'KeyUpdated'],
    messageKey: 'keyId',
    partitions: 6,
    configs: { 'cleanup.policy': 'compact' },
  },
  plans: {
    name: 'tollgate.plans.v1',
    events: ['PlanChanged'],
    messageKey: 'accountId',
    partitions: 6,
    configs: { 'cleanup.policy': 'compact' },
  },
  /** Account status (suspended or active), compacted by accountId: the latest event per account is its state. */
  accounts: {
    name: 'tollgate.accounts.v1',
    events: ['AccountStatusChanged'],
    messageKey: 'accountId',
    partitions: 6,
    configs: { 'cleanup.policy': 'compact' },
  },
  usage: {
    name: 'tollgate.usage.v1',
    /** edge-auth writes batches; single RequestMetered records stay readable. */
    events: ['RequestMetered', 'RequestMeteredBatch'],
    messageKey:
      'keyId (RequestMetered); edgeInstanceId/second sealed (RequestMeteredBatch, see batchMessageKey)',
    partitions: 12,
    configs: { 'cleanup.policy': 'delete', 'retention.ms': String(14 * DAY_MS) },
  },
  /** billing-service's facts about invoices and payments (finance and dunning consumers), keyed by account. */
  billing: {
    name: 'tollgate.billing.v1',
    events: ['InvoiceFinalized', 'PaymentFailed'],
    messageKey: 'accountId',
    partitions: 6,
    configs: { 'cleanup.policy': 'delete', 'retention.ms': String(90 * DAY_MS) },
  },
  /**
   * edge-auth's key table snapshots, shared so a new edge starts from one instead of reading the
   * keys, plans and accounts topics whole: partition 0 holds chunks, partition 1 a manifest per
   * complete snapshot (see blob-topic.ts in the Kafka adapter). Not events; kept a day.
   */
  keyTableSnapshots: {
    name: 'tollgate.edge.key-table-snapshots.v1',
    events: [],
    messageKey: 'snapshot id (chunks), snapshot name (manifests)',
    partitions: 2,
    configs: {
      'cleanup.policy': 'delete',
      'retention.ms': String(DAY_MS),
      'segment.ms': String(60 * 60 * 1000),
    },
  },
  /** Messages a consumer could not decode, with their origin in headers; kept for inspection and replay. */
  deadLetters: {
    name: 'tollgate.dead-letters.v1',
    events: [],
    messageKey: 'original message key',
    partitions: 3,
    configs: { 'cleanup.policy': 'delete', 'retention.ms': String(30 * DAY_MS) },
  },
} as const satisfies Record<string, TopicSpec>;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS]['name'];

export function topicOf(eventType: EventType): TopicSpec {
  switch (eventType) {
    case 'KeyIssued':
    case 'KeyRevoked':
    case 'KeyUpdated':
      return TOPICS.keys;
    case 'PlanChanged':
      return TOPICS.plans;
    case 'AccountStatusChanged':
      return TOPICS.accounts;
    case 'RequestMetered':
    case 'RequestMeteredBatch':
      return TOPICS.usage;
    case 'InvoiceFinalized':
    case 'PaymentFailed':
      return TOPICS.billing;
  }
}

/** The Kafka message key of an event, per the topic table (null: no key, round-robin). */
/**
 * A RequestMeteredBatch's record key: its edge instance and the second it was sealed. A batch holds
 * many keys' events, so no key of theirs fits; one edge's batches share a partition for a second
 * (a consumer finds them together and applies them at once, one transaction instead of one per
 * partition) and move across all partitions over time, and edges spread over the partitions.
 */
export function batchMessageKey(edgeInstanceId: string, occurredAt: number): string {
  return `${edgeInstanceId}/${Math.floor(occurredAt / 1000)}`;
}

export function messageKeyOf<T extends EventType>(
  eventType: T,
  payload: EventPayloads[T],
): string | null {
  switch (eventType) {
    case 'KeyIssued':
    case 'KeyRevoked':
    case 'KeyUpdated':
      return (payload as EventPayloads['KeyIssued' | 'KeyRevoked' | 'KeyUpdated']).key.keyId;
    case 'PlanChanged':
      return (payload as EventPayloads['PlanChanged']).accountId;
    case 'AccountStatusChanged':
      return (payload as EventPayloads['AccountStatusChanged']).accountId;
    case 'RequestMetered':
      return (payload as EventPayloads['RequestMetered']).keyId;
    case 'RequestMeteredBatch': {
      const batch = payload as EventPayloads['RequestMeteredBatch'];
      return batchMessageKey(batch.edgeInstanceId, batch.occurredAt);
    }
    case 'InvoiceFinalized':
    case 'PaymentFailed':
      return (payload as EventPayloads['InvoiceFinalized' | 'PaymentFailed']).accountId;
  }
}
