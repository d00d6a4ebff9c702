import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin } from 'kafkajs';
import type { TopicSpec } from '@tollgate/events';
import { uniqueName } from '@tollgate/test-infra';
import { createKafkaTestKit, type KafkaTestKit } from '../testing/kafka-test-kit';
import { provisionTopics, TopicConfigMismatchError } from './provision-topics';

describe('provisionTopics (real Kafka)', () => {
  let kit: KafkaTestKit;
  let admin: Admin;
  const created: string[] = [];
  const spec = (base: string, configs: Record<string, string>, partitions = 3): TopicSpec => {
    const name = uniqueName(base);
    created.push(name);
    return { name, events: [], messageKey: 'keyId', partitions, configs };
  };

  beforeAll(async () => {
    kit = await createKafkaTestKit('provision');
    admin = await kit.connection.admin();
  });
  afterAll(async () => {
    await admin.deleteTopics({ topics: created }).catch(() => undefined);
    await kit.close();
  });

  it('creates missing topics with their partitions and configs, then is a no-op', async () => {
    const compacted = spec('keys', { 'cleanup.policy': 'compact' });
    const retained = spec('usage', { 'cleanup.policy': 'delete', 'retention.ms': '1209600000' }, 4);
    expect(await provisionTopics(admin, [compacted, retained])).toEqual({
      created: [compacted.name, retained.name],
    });

    const metadata = await admin.fetchTopicMetadata({ topics: [retained.name] });
    expect(metadata.topics[0]!.partitions).toHaveLength(4);
    expect(await provisionTopics(admin, [compacted, retained])).toEqual({ created: [] });
  });

  it('is safe when several replicas provision at once', async () => {
    const topic = spec('race', { 'cleanup.policy': 'compact' });
    const results = await Promise.all([1, 2, 3].map(() => provisionTopics(admin, [topic])));
    expect(results.flatMap((r) => r.created).length).toBeGreaterThanOrEqual(1);
    expect(await admin.listTopics()).toContain(topic.name);
  });

  it('refuses a topic whose cleanup policy differs from its specification', async () => {
    const topic = spec('wrong', { 'cleanup.policy': 'delete' });
    await provisionTopics(admin, [topic]);
    const asCompacted = { ...topic, configs: { 'cleanup.policy': 'compact' } };
    const error = await provisionTopics(admin, [asCompacted]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TopicConfigMismatchError);
    expect((error as Error).message).toContain(
      `${topic.name}: cleanup.policy is delete, expected compact`,
    );
  });
});
