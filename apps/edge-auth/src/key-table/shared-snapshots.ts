import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import {
  BlobUnavailable,
  publishBlob,
  readLatestBlob,
  type BlobManifest,
  type KafkaConnection,
} from '@tollgate/kafka';

/** What vouches for a shared snapshot: the key peppers every edge holds (KeyHasher). */
export interface SnapshotSigner {
  sign(purpose: string, data: string): { signature: string; pepperVersion: number };
  verifySignature(purpose: string, data: string, signature: string, pepperVersion: number): boolean;
}

export interface SharedSnapshotsOptions {
  kafka: KafkaConnection;
  /** The snapshot topic (TOPICS.keyTableSnapshots, prefixed). */
  topic: string;
  /** Which snapshot: one per set of table topics (`snapshotName`). */
  name: string;
  signer: SnapshotSigner;
  /** Publish a snapshot when the newest on the topic is this old; 0 = only read. */
  publishIntervalMs: number;
  /** An older shared snapshot is not used. */
  maxAgeMs: number;
  /** Longest a start waits for the shared snapshot before reading the topics whole. */
  readTimeoutMs: number;
  log: Logger;
  now: () => number;
}

const PURPOSE = 'edge-auth key table snapshot';

/** A shared snapshot's bytes, or none: `kafkaFailed` when Kafka could not be read. */
export type SharedSnapshotFetch =
  | { fetched: { body: Buffer; source: string; manifest: BlobManifest }; kafkaFailed?: never }
  | { fetched?: never; kafkaFailed: boolean };

/** The manifest attributes that vouch for a shared snapshot: its name and digest, signed. */
export function snapshotSignature(
  signer: SnapshotSigner,
  name: string,
  sha256: string,
): Record<string, string> {
  const { signature, pepperVersion } = signer.sign(PURPOSE, `${name}\n${sha256}`);
  return { signature, pepperVersion: String(pepperVersion) };
}

/**
 * Key table snapshots shared between edges through a Kafka topic, so that an edge on a new node
 * (no snapshot of its own on disk) starts from the newest one instead of reading the keys, plans
 * and accounts topics whole. An edge that caught up publishes its local snapshot when the newest
 * on the topic is `publishIntervalMs` old (or there is none): with many edges, about one
 * snapshot per interval, not one per edge.
 *
 * A shared snapshot is signed (HMAC under the newest key pepper) and a reader accepts only a
 * signature under a pepper it holds: whoever can write to the topic but holds no pepper cannot
 * put keys into an edge's table. Everything else is checked as for a local file (cluster, topics,
 * age, checksum, the record at every position).
 */
export class SharedSnapshots {
  /** publishedAt of the newest shared snapshot this edge knows of. */
  private newestKnown: number | undefined;
  /** Aborted at shutdown: ends whatever read or publish is under way. */
  private readonly closing = new AbortController();

  constructor(private readonly options: SharedSnapshotsOptions) {}

  get publishes(): boolean {
    return this.options.publishIntervalMs > 0;
  }

  /**
   * The newest usable shared snapshot's bytes, or why there is none (logged): `kafkaFailed` when
   * Kafka could not be read (worth asking again), else there is no usable one to fetch.
   * `skip`: snapshot ids already fetched and refused, so an older one is fetched instead.
   */
  async fetch(skip: ReadonlySet<string> = new Set()): Promise<SharedSnapshotFetch> {
    const { kafka, topic, name, log, readTimeoutMs } = this.options;
    const started = performance.now();
    try {
      const { manifest, body } = await readLatestBlob(kafka.kafka, await kafka.admin(), {
        topic,
        name,
        accept: (manifest) => !skip.has(manifest.blobId) && this.acceptable(manifest),
        timeoutMs: readTimeoutMs,
        groupPrefix: 'edge-auth.key-table-snapshot',
        signal: this.closing.signal,
      });
      if (!body) throw new BlobUnavailable(`${manifest.blobId} was read without its body`);
      this.newestKnown = Math.max(this.newestKnown ?? 0, manifest.publishedAt);
      log.info(
        {
          topic,
          snapshotId: manifest.blobId,
          bytes: manifest.bytes,
          fetchMs: Math.round(performance.now() - started),
        },
        'shared key table snapshot fetched',
      );
      return { fetched: { body, source: `${topic} (${manifest.blobId})`, manifest } };
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      log.info({ topic, reason }, 'no shared key table snapshot fetched');
      return { kafkaFailed: !(err instanceof BlobUnavailable) };
    }
  }

  /** Whether the newest shared snapshot is old enough (or missing) for this edge to publish one. */
  async publishDue(): Promise<boolean> {
    const { kafka, topic, name, publishIntervalMs, now, log } = this.options;
    if (!this.publishes) return false;
    const fresh = () =>
      this.newestKnown !== undefined && now() - this.newestKnown < publishIntervalMs;
    if (fresh()) return false;
    try {
      const { manifest } = await readLatestBlob(kafka.kafka, await kafka.admin(), {
        topic,
        name,
        accept: (manifest) => this.acceptable(manifest),
        manifestOnly: true,
        timeoutMs: this.options.readTimeoutMs,
        groupPrefix: 'edge-auth.key-table-snapshot',
        signal: this.closing.signal,
      });
      this.newestKnown = Math.max(this.newestKnown ?? 0, manifest.publishedAt);
      return !fresh();
    } catch (err) {
      if (err instanceof BlobUnavailable) return true;
      log.debug(
        { err, topic },
        'could not check the shared key table snapshot; not publishing now',
      );
      return false;
    }
  }

  /** Publishes the local snapshot file at `path`; throws when it could not. */
  async publish(path: string): Promise<{ bytes: number; snapshotId: string }> {
    const { kafka, topic, name, signer, now } = this.options;
    const body = await readFile(path);
    const manifest = await publishBlob(kafka.kafka, {
      topic,
      name,
      body,
      attributesFor: (sha256) => snapshotSignature(signer, name, sha256),
      signal: this.closing.signal,
      now,
    });
    this.newestKnown = manifest.publishedAt;
    return { bytes: manifest.bytes, snapshotId: manifest.blobId };
  }

  /**
   * At shutdown: ends a read or publish under way and refuses later ones. A publish's chunks sent
   * so far stay unreferenced (no manifest names them) and are never read.
   */
  abort(): void {
    this.closing.abort();
  }

  private acceptable(manifest: BlobManifest): boolean {
    const { signer, name, now, maxAgeMs } = this.options;
    const { signature, pepperVersion } = manifest.attributes;
    const age = now() - manifest.publishedAt;
    return (
      signature !== undefined &&
      pepperVersion !== undefined &&
      age <= maxAgeMs &&
      signer.verifySignature(
        PURPOSE,
        `${name}\n${manifest.sha256}`,
        signature,
        Number(pepperVersion),
      )
    );
  }
}
