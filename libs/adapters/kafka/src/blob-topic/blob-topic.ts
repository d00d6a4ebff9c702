import { createHash, randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { CONSUMER_RETRY } from '../consumer/decode-or-dead-letter';

/**
 * Large files (e.g. a key table snapshot of 100 MB) shared through a Kafka topic of two
 * partitions: partition 0 holds the chunks, partition 1 one small manifest per complete file,
 * written only after all its chunks were acknowledged. A reader takes the newest manifest of a
 * name, then reads the chunks it names from partition 0 (other files' chunks may be interleaved:
 * every chunk carries its file's id). The topic deletes by retention: a file is found while its
 * manifest and chunks are kept.
 */
export const BLOB_PARTITIONS = { chunks: 0, manifests: 1 } as const;

/** Kafka's default record limit is 1 MB; a chunk stays well under it with its headers. */
const DEFAULT_CHUNK_BYTES = 768 * 1024;
/** How many manifests back a reader looks for one of its name whose chunks are still kept. */
const MANIFESTS_LOOKED_AT = 16;
const HEADER_BLOB_ID = 'tollgate-blob-id';
const HEADER_INDEX = 'tollgate-blob-index';

export interface BlobManifest {
  format: 1;
  /** What the file is (one topic may carry several kinds or sets). */
  name: string;
  blobId: string;
  bytes: number;
  chunks: number;
  /** SHA-256 (hex) of the whole file. */
  sha256: string;
  /** Offsets on the chunk partition of its first and last chunk. */
  firstOffset: string;
  lastOffset: string;
  /** Epoch ms it was published. */
  publishedAt: number;
  /** The publisher's own fields (e.g. a signature over `sha256`). */
  attributes: Record<string, string>;
}

export interface BlobPublishOptions {
  topic: string;
  name: string;
  body: Buffer;
  /** The publisher's manifest fields, given the file's SHA-256 (hex), e.g. a signature of it. */
  attributesFor?: (sha256: string) => Record<string, string>;
  chunkBytes?: number;
  /** Aborting stops before the next chunk; no manifest is written, so readers never see the file. */
  signal?: AbortSignal;
  now?: () => number;
}

/** Publishes `body` as one file under `name`; returns its manifest once that is acknowledged. */
export async function publishBlob(
  kafka: Kafka,
  options: BlobPublishOptions,
): Promise<BlobManifest> {
  const { topic, name, body } = options;
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const blobId = randomUUID();
  const producer = kafka.producer({ idempotent: true, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    let firstOffset = '';
    let lastOffset = '';
    let chunks = 0;
    const sha256 = createHash('sha256').update(body).digest('hex');
    for (let at = 0; at < body.length || chunks === 0; at += chunkBytes) {
      options.signal?.throwIfAborted();
      // One chunk per send: a send's records for one partition go out as one batch, which the
      // broker's record size limit bounds.
      const [sent] = await producer.send({
        topic,
        acks: -1,
        messages: [
          {
            partition: BLOB_PARTITIONS.chunks,
            key: blobId,
            value: body.subarray(at, at + chunkBytes),
            headers: { [HEADER_BLOB_ID]: blobId, [HEADER_INDEX]: String(chunks) },
          },
        ],
      });
      if (!sent?.baseOffset) throw new Error(`no offset acknowledged for chunk ${chunks}`);
      if (chunks === 0) firstOffset = sent.baseOffset;
      lastOffset = sent.baseOffset;
      chunks++;
    }
    const manifest: BlobManifest = {
      format: 1,
      name,
      blobId,
      bytes: body.length,
      chunks,
      sha256,
      firstOffset,
      lastOffset,
      publishedAt: (options.now ?? Date.now)(),
      attributes: options.attributesFor?.(sha256) ?? {},
    };
    options.signal?.throwIfAborted();
    await producer.send({
      topic,
      acks: -1,
      messages: [
        {
          partition: BLOB_PARTITIONS.manifests,
          key: name,
          value: JSON.stringify(manifest),
        },
      ],
    });
    return manifest;
  } finally {
    await producer.disconnect();
  }
}

interface Admin {
  fetchTopicOffsets(
    topic: string,
  ): Promise<Array<{ partition: number; high: string; low: string }>>;
}

export interface BlobReadOptions {
  topic: string;
  name: string;
  /** Whether a manifest is acceptable (e.g. not too old, signed); the newest acceptable is read. */
  accept?: (manifest: BlobManifest) => boolean;
  /** Read only the manifest, not the file. */
  manifestOnly?: boolean;
  timeoutMs: number;
  /** Names the reader's (never committed) consumer group. */
  groupPrefix: string;
  /** Aborting ends the read with `BlobUnavailable`. */
  signal?: AbortSignal;
}

/** Why no file could be read (none published, none kept, a damaged one); the caller goes without. */
export class BlobUnavailable extends Error {}

/**
 * The newest file published under `name` whose chunks are all still kept, with its manifest (or
 * the manifest alone with `manifestOnly`). Throws `BlobUnavailable` when there is none (or the
 * read timed out or was aborted), and Kafka's own error when Kafka could not be read.
 */
export async function readLatestBlob(
  kafka: Kafka,
  admin: Admin,
  options: BlobReadOptions,
): Promise<{ manifest: BlobManifest; body?: Buffer }> {
  const { topic, signal } = options;
  if (signal?.aborted) throw new BlobUnavailable('the read was aborted');
  const offsets = await admin.fetchTopicOffsets(topic);
  const bounds = (partition: number) => {
    const found = offsets.find((o) => o.partition === partition);
    if (!found) throw new BlobUnavailable(`${topic} has no partition ${partition}`);
    return { low: BigInt(found.low), high: BigInt(found.high) };
  };
  const manifests = bounds(BLOB_PARTITIONS.manifests);
  const chunks = bounds(BLOB_PARTITIONS.chunks);
  if (manifests.high <= manifests.low)
    throw new BlobUnavailable(`nothing has been published on ${topic} yet`);
  const firstManifest =
    manifests.high - manifests.low > BigInt(MANIFESTS_LOOKED_AT)
      ? manifests.high - BigInt(MANIFESTS_LOOKED_AT)
      : manifests.low;

  const consumer = kafka.consumer({
    groupId: `${options.groupPrefix}.blob.${randomUUID()}`,
    maxWaitTimeInMs: 100,
    // Chunks are read in bulk: up to 32 MB per fetch instead of kafkajs' default 1 MB per partition.
    maxBytesPerPartition: 32 * 1024 * 1024,
    maxBytes: 64 * 1024 * 1024,
    allowAutoTopicCreation: false,
    retry: CONSUMER_RETRY,
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    return await new Promise((resolve, reject) => {
      timer = setTimeout(
        () => reject(new BlobUnavailable(`reading ${topic} took over ${options.timeoutMs} ms`)),
        options.timeoutMs,
      );
      signal?.addEventListener('abort', () => reject(new BlobUnavailable('the read was aborted')), {
        once: true,
      });
      // A crash kafkajs does not restart from (e.g. retries exhausted while a restarted broker
      // loads its group coordinator) ends the read now with the Kafka error, not at the timeout.
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (!payload.restart) reject(payload.error);
      });
      const candidates: BlobManifest[] = [];
      let chosen: BlobManifest | undefined;
      const parts: Buffer[] = [];
      const choose = () => {
        for (const manifest of candidates.reverse()) {
          if (BigInt(manifest.firstOffset) < chunks.low) continue; // its chunks were deleted
          chosen = manifest;
          if (options.manifestOnly) return resolve({ manifest });
          consumer.seek({ topic, partition: BLOB_PARTITIONS.chunks, offset: manifest.firstOffset });
          return;
        }
        reject(new BlobUnavailable(`no complete file named ${options.name} is kept on ${topic}`));
      };
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            if (batch.partition === BLOB_PARTITIONS.manifests) {
              if (chosen) return;
              for (const message of batch.messages) {
                const manifest = parseManifest(message.value);
                if (manifest?.name === options.name && (options.accept?.(manifest) ?? true))
                  candidates.push(manifest);
                if (BigInt(message.offset) + 1n >= manifests.high) return choose();
              }
              return;
            }
            if (!chosen) return;
            for (const message of batch.messages) {
              const offset = BigInt(message.offset);
              if (offset < BigInt(chosen.firstOffset)) continue;
              if (message.headers?.[HEADER_BLOB_ID]?.toString() === chosen.blobId) {
                const index = Number(message.headers[HEADER_INDEX]?.toString());
                if (index !== parts.length || !message.value)
                  return reject(
                    new BlobUnavailable(`chunk ${parts.length} of ${chosen.blobId} is missing`),
                  );
                parts.push(message.value);
              }
              if (offset >= BigInt(chosen.lastOffset)) {
                const body = Buffer.concat(parts);
                const digest = createHash('sha256').update(body).digest('hex');
                if (parts.length !== chosen.chunks || digest !== chosen.sha256)
                  return reject(
                    new BlobUnavailable(`file ${chosen.blobId} does not match its manifest`),
                  );
                return resolve({ manifest: chosen, body });
              }
            }
          },
        })
        .catch(reject);
      // Before the first fetch: manifests from the newest few, chunks from nowhere until one is chosen.
      consumer.seek({
        topic,
        partition: BLOB_PARTITIONS.manifests,
        offset: firstManifest.toString(),
      });
      consumer.seek({ topic, partition: BLOB_PARTITIONS.chunks, offset: chunks.high.toString() });
    });
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
  }
}

function parseManifest(value: Buffer | null): BlobManifest | undefined {
  if (!value) return undefined;
  try {
    const manifest = JSON.parse(value.toString('utf8')) as Partial<BlobManifest>;
    return manifest.format === 1 &&
      typeof manifest.name === 'string' &&
      typeof manifest.blobId === 'string' &&
      typeof manifest.sha256 === 'string' &&
      typeof manifest.firstOffset === 'string' &&
      typeof manifest.lastOffset === 'string' &&
      typeof manifest.chunks === 'number' &&
      typeof manifest.publishedAt === 'number'
      ? ({ attributes: {}, ...manifest } as BlobManifest)
      : undefined;
  } catch {
    return undefined;
  }
}
