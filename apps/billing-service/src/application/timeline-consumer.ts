import { TOPICS, type EventCodec, type PlanChanged } from '@tollgate/events';
import {
  DeadLetterSink,
  EventConsumer,
  provisionTopics,
  type KafkaConnection,
  type KafkaLogSink,
  type KafkaMetrics,
} from '@tollgate/kafka';
import type { Database } from '@tollgate/postgres';
import type { PlanPrice } from '../domain/subscription-timeline';
import {
  recordTimelineEntries,
  type StoredTimelineEntry,
} from '../persistence/timeline-repository';

/** The plan version a PlanChanged moves to, as billing rates it. */
export function planPriceOf(event: PlanChanged): PlanPrice {
  const { plan } = event;
  const base = {
    planId: plan.planId,
    planVersion: plan.version,
    name: plan.name,
    currency: plan.currency,
  };
  if (!plan.pricing)
    return { ...base, baseFeeMinor: 0, includedUnits: 0, tiers: [], missingPrice: true };
  return {
    ...base,
    baseFeeMinor: plan.pricing.baseFeeMinor,
    includedUnits: plan.pricing.includedUnits,
    tiers: plan.pricing.tiers.map((t) => ({
      upToUnits: t.upToUnits,
      unitPriceMicros: t.unitPriceMicros,
    })),
  };
}

/**
 * Builds every account's subscription timeline from the plans and accounts topics. Each batch is
 * one transaction of inserts keyed by eventId, so a redelivered batch, a replay or a late event
 * already seen changes nothing; the timeline is ordered by effective time, not arrival.
 */
export class TimelineConsumer {
  private consumer: EventConsumer | undefined;
  private deadLetters: DeadLetterSink | undefined;

  constructor(
    private readonly options: {
      db: Database;
      kafka: KafkaConnection;
      codec: EventCodec;
      metrics: KafkaMetrics;
      log: KafkaLogSink;
      groupId: string;
      topicPrefix: string;
      replicationFactor: number;
      onRecorded?: (count: number) => void;
      /**
       * Called with a batch's plan changes once they are recorded (redeliveries included: the
       * callee is idempotent), before the batch is committed to Kafka.
       */
      onPlanChanges?: (changes: Array<{ accountId: string; eventId: string }>) => Promise<void>;
    },
  ) {}

  async start(): Promise<void> {
    const { kafka, topicPrefix } = this.options;
    const named = <T extends { name: string }>(spec: T) => ({
      ...spec,
      name: topicPrefix + spec.name,
    });
    const plans = named(TOPICS.plans);
    const accounts = named(TOPICS.accounts);
    const deadLetterTopic = named(TOPICS.deadLetters);
    const admin = await kafka.admin();
    await provisionTopics(admin, [plans, accounts, deadLetterTopic], {
      replicationFactor: this.options.replicationFactor,
    });
    this.deadLetters = new DeadLetterSink(kafka.kafka, deadLetterTopic.name);
    this.consumer = new EventConsumer(kafka.kafka, {
      groupId: this.options.groupId,
      topics: [plans.name, accounts.name],
      fromBeginning: true,
      codec: this.options.codec,
      deadLetters: this.deadLetters,
      metrics: this.options.metrics,
      log: this.options.log,
      maxWaitTimeInMs: 100,
      handleBatch: async (events) => {
        const entries: StoredTimelineEntry[] = [];
        for (const { event } of events) {
          if (event.type === 'PlanChanged') {
            const p = event.payload;
            entries.push({
              accountId: p.accountId,
              entry: {
                kind: 'plan',
                eventId: p.eventId,
                effectiveAt: p.effectiveAt,
                occurredAt: p.occurredAt,
                plan: planPriceOf(p),
              },
            });
          } else if (event.type === 'AccountStatusChanged') {
            const p = event.payload;
            entries.push({
              accountId: p.accountId,
              entry: { kind: 'status', eventId: p.eventId, at: p.occurredAt, status: p.status },
            });
          }
        }
        const recorded = await this.options.db.transaction((tx) =>
          recordTimelineEntries(tx, entries),
        );
        this.options.onRecorded?.(recorded);
        await this.options.onPlanChanges?.(
          entries.flatMap(({ accountId, entry }) =>
            entry.kind === 'plan' ? [{ accountId, eventId: entry.eventId }] : [],
          ),
        );
      },
    });
    await this.consumer.start();
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
    await this.deadLetters?.close();
  }
}
