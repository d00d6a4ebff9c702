import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaTestKit, type KafkaTestKit } from '../testing/kafka-test-kit';
import {
  BLOB_PARTITIONS,
  BlobUnavailable,
  publishBlob,
  readLatestBlob,
  type BlobReadOptions,
} from './blob-topic';

describe('files shared through a blob topic (real Kafka)', () => {
  let kit: KafkaTestKit;
  const newTopic = (name: string) => kit.testKafka.createTopic(name, { numPartitions: 2 });
  const read = async (topic: string, name: string, extra: Pick<BlobReadOptions, 'accept'> = {}) =>
    readLatestBlob(kit.connection.kafka, await kit.connection.admin(), {
      topic,
      name,
      timeoutMs: 20_000,
      groupPrefix: 'blob-test',
      ...extra,
    });

  beforeAll(async () => {
    kit = await createKafkaTestKit('blobs');
  });
  afterAll(async () => {
    await kit.close();
  });

  it('reads back the newest file of a name byte for byte, past other files chunks interleaved', async () => {
    const topic = await newTopic('interleaved');
    const older = randomBytes(300_000);
    const newer = randomBytes(1_000_003);
    const other = randomBytes(500_000);
    await publishBlob(kit.connection.kafka, {
      topic,
      name: 'table',
      body: older,
      chunkBytes: 64 * 1024,
    });
    // Two publishers at once: their chunks interleave on the chunk partition.
    const [mine, theirs] = await Promise.all([
      publishBlob(kit.connection.kafka, {
        topic,
        name: 'table',
        body: newer,
        chunkBytes: 64 * 1024,
        attributesFor: (sha256) => ({ signedDigest: sha256 }),
      }),
      publishBlob(kit.connection.kafka, {
        topic,
        name: 'other',
        body: other,
        chunkBytes: 64 * 1024,
      }),
    ]);
    expect(mine.chunks).toBe(16);
    expect(mine.attributes).toEqual({ signedDigest: mine.sha256 });

    const got = await read(topic, 'table');
    expect(got.manifest.blobId).toBe(mine.blobId);
    expect(got.body!.equals(newer)).toBe(true);
    expect((await read(topic, 'other')).body!.equals(other)).toBe(true);
    expect(theirs.blobId).not.toBe(mine.blobId);
  });

  it('skips manifests the caller does not accept and files whose chunks are gone', async () => {
    const topic = await newTopic('skipped');
    const first = randomBytes(200_000);
    const second = randomBytes(200_000);
    const kept = await publishBlob(kit.connection.kafka, {
      topic,
      name: 't',
      body: first,
      chunkBytes: 50_000,
    });
    const refused = await publishBlob(kit.connection.kafka, {
      topic,
      name: 't',
      body: second,
      chunkBytes: 50_000,
    });
    const accepted = await read(topic, 't', {
      accept: (m) => m.blobId !== refused.blobId,
    });
    expect(accepted.body!.equals(first)).toBe(true);

    // Retention removes the first file's chunks: only the second remains readable.
    const admin = await kit.connection.admin();
    await admin.deleteTopicRecords({
      topic,
      partitions: [
        { partition: BLOB_PARTITIONS.chunks, offset: String(BigInt(kept.lastOffset) + 1n) },
      ],
    });
    expect((await read(topic, 't')).manifest.blobId).toBe(refused.blobId);
    await expect(
      read(topic, 't', { accept: (m) => m.blobId === kept.blobId }),
    ).rejects.toBeInstanceOf(BlobUnavailable);
  });

  it('reports an empty topic, an unknown name, a manifest alone and an aborted read', async () => {
    const topic = await newTopic('empty');
    await expect(read(topic, 't')).rejects.toThrow(/nothing has been published/);
    const published = await publishBlob(kit.connection.kafka, {
      topic,
      name: 't',
      body: randomBytes(10),
    });
    await expect(read(topic, 'unknown')).rejects.toThrow(/no complete file named unknown/);
    const manifestOnly = await readLatestBlob(kit.connection.kafka, await kit.connection.admin(), {
      topic,
      name: 't',
      manifestOnly: true,
      timeoutMs: 20_000,
      groupPrefix: 'blob-test',
    });
    expect(manifestOnly).toEqual({ manifest: published });

    const aborted = new AbortController();
    aborted.abort();
    await expect(
      publishBlob(kit.connection.kafka, {
        topic,
        name: 't',
        body: randomBytes(10),
        signal: aborted.signal,
      }),
    ).rejects.toThrow();
    // The aborted publish wrote no manifest: the newest file is still the first.
    expect((await read(topic, 't')).manifest.blobId).toBe(published.blobId);
  });
});
