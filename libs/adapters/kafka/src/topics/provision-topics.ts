import type { Admin, ITopicConfig } from 'kafkajs';
import type { TopicSpec } from '@tollgate/events';

export interface ProvisionOptions {
  /** 1 on a single local broker; 3 in production. */
  replicationFactor?: number;
}

export class TopicConfigMismatchError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Kafka topics differ from their specification:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = 'TopicConfigMismatchError';
  }
}

/**
 * Creates missing topics with explicit partitions and configs, and verifies existing ones.
 * Idempotent and safe when several apps provision at once. A topic whose cleanup policy or other
 * declared config differs, or that has fewer partitions, fails loudly: silently running on a
 * `delete` topic that should be compacted loses state.
 */
export async function provisionTopics(
  admin: Admin,
  specs: readonly TopicSpec[],
  options: ProvisionOptions = {},
): Promise<{ created: string[] }> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.name));
  if (missing.length > 0) {
    const topics: ITopicConfig[] = missing.map((spec) => ({
      topic: spec.name,
      numPartitions: spec.partitions,
      replicationFactor: options.replicationFactor ?? 1,
      configEntries: Object.entries(spec.configs).map(([name, value]) => ({ name, value })),
    }));
    try {
      await admin.createTopics({ topics, waitForLeaders: true });
    } catch (err) {
      // Another replica created some of them first; verification below decides.
      if (!(err instanceof Error && /already exists/i.test(err.message))) throw err;
    }
  }
  await verifyTopics(admin, specs);
  return { created: missing.map((s) => s.name) };
}

async function verifyTopics(admin: Admin, specs: readonly TopicSpec[]): Promise<void> {
  const problems: string[] = [];
  const metadata = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.name) });
  for (const spec of specs) {
    const topic = metadata.topics.find((t) => t.name === spec.name);
    if (!topic) {
      problems.push(`${spec.name} does not exist`);
    } else if (topic.partitions.length < spec.partitions) {
      problems.push(
        `${spec.name} has ${topic.partitions.length} partitions, expected at least ${spec.partitions}`,
      );
    }
  }
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: specs.map((spec) => ({
      type: 2,
      name: spec.name,
      configNames: Object.keys(spec.configs),
    })),
  });
  for (const spec of specs) {
    const resource = described.resources.find((r) => r.resourceName === spec.name);
    for (const [name, expected] of Object.entries(spec.configs)) {
      const actual = resource?.configEntries.find((e) => e.configName === name)?.configValue;
      if (actual !== expected)
        problems.push(`${spec.name}: ${name} is ${actual ?? 'unset'}, expected ${expected}`);
    }
  }
  if (problems.length > 0) throw new TopicConfigMismatchError(problems);
}
