import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Kafka, logLevel, type IHeaders, type SASLOptions } from 'kafkajs';
import { EventCodec, type RequestMetered } from '@tollgate/events';
import {
  eventually,
  freePort,
  infraEnv,
  startServiceProcess,
  uniqueName,
  type ServiceProcess,
} from '@tollgate/test-infra';
import { builtEdgeEntry } from './metering-worker';

/** edge-auth as deployed: the bundled `main.mjs` (with its metering thread) in a child process. */
export interface BuiltEdge {
  url: string;
  process: ServiceProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** `/metrics` from the admin port (the metering thread's figures included). */
  metrics(): Promise<string>;
  /** Waits until the admin port's `/readyz` answers 200 (the key table caught up). */
  ready(timeoutMs?: number): Promise<void>;
}

export async function startBuiltEdge(env: Record<string, string>): Promise<BuiltEdge> {
  const adminPort = await freePort();
  const process = await startServiceProcess(
    builtEdgeEntry(),
    {
      ...infraEnv(),
      LOG_LEVEL: 'info',
      ADMIN_PORT: String(adminPort),
      // Tests call from one address; the per-client protections have their own tests.
      LOOKUPS_PER_CLIENT_PER_MINUTE: '100000',
      FAILED_AUTH_LIMIT: '100000',
      REDIS_LIMIT_TIMEOUT_MS: '1000',
      ...env,
    },
    60_000,
  );
  return {
    url: process.url,
    process,
    output: () => process.output(),
    async metrics() {
      const res = await fetch(`http://127.0.0.1:${adminPort}/metrics`);
      return res.text();
    },
    async ready(timeoutMs = 60_000) {
      const readyz = `http://127.0.0.1:${adminPort}/readyz`;
      await eventually(
        async () => (await fetch(readyz).catch(() => undefined))?.status === 200,
        timeoutMs,
        () => `${readyz}:\n${process.output()}`,
      );
    },
  };
}

/**
 * One forward-auth check (nginx style). `method` is what the event's `method` field records, so a
 * test can give every request its own and find each request's RequestMetered on the topic.
 */
export async function verify(
  edge: Pick<BuiltEdge, 'url'>,
  method: string,
  key?: string,
  uri = '/v1/x',
): Promise<number> {
  const res = await fetch(new URL('/verify', edge.url), {
    headers: {
      'x-original-uri': uri,
      'x-original-method': method,
      ...(key ? { authorization: `Bearer ${key}` } : {}),
    },
  });
  await res.arrayBuffer();
  return res.status;
}

/** The value of a counter or gauge (summed over label sets matching `labels`), 0 when absent. */
export function metricValue(text: string, name: string, labels = ''): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (labels && !line.includes(labels)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

export interface RawRecord {
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer;
  headers: IHeaders;
}

export function kafkaClient(brokers: string[], sasl?: SASLOptions): Kafka {
  return new Kafka({
    clientId: uniqueName('edge-deployment-test'),
    brokers,
    logLevel: logLevel.NOTHING,
    ...(sasl ? { sasl } : {}),
  });
}

/** Every record on the topic up to its current end, as raw bytes. */
export async function readTopic(kafka: Kafka, topic: string): Promise<RawRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  // A broker just restarted answers "not the leader" until its partitions have leaders again.
  let ends: Array<{ partition: number; high: string }> = [];
  let lastError: unknown;
  try {
    await eventually(
      () =>
        admin.fetchTopicOffsets(topic).then(
          (offsets) => ((ends = offsets), true),
          (err: unknown) => ((lastError = err), false),
        ),
      60_000,
      () => `the end offsets of ${topic} (last error: ${String(lastError)})`,
    );
  } finally {
    await admin.disconnect();
  }
  const wanted = ends.filter((p) => BigInt(p.high) > 0n);
  if (wanted.length === 0) return [];
  const records: RawRecord[] = [];
  const reached = new Map<number, bigint>();
  const consumer = kafka.consumer({
    groupId: uniqueName('edge-usage-reader'),
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        records.push({
          partition,
          offset: message.offset,
          key: message.key,
          value: message.value ?? Buffer.alloc(0),
          headers: message.headers ?? {},
        });
        reached.set(partition, BigInt(message.offset) + 1n);
      },
    });
    await eventually(
      () => wanted.every((p) => (reached.get(p.partition) ?? 0n) >= BigInt(p.high)),
      60_000,
      () => `${topic} read to its end ${JSON.stringify(ends)}`,
    );
  } finally {
    await consumer.disconnect();
  }
  return records;
}

const codec = new EventCodec();

/** The RequestMetered events of a usage record (a RequestMeteredBatch or a single event). */
export function meteredEvents(record: Pick<RawRecord, 'headers' | 'value'>): RequestMetered[] {
  const event = codec.decode(record.headers, record.value);
  if (event.type === 'RequestMeteredBatch') return event.payload.events;
  if (event.type === 'RequestMetered') return [event.payload];
  throw new Error(`unexpected ${event.type} on the usage topic`);
}

/** The spool's files (segments and anything moved aside), with their bytes. */
export async function spoolFiles(dir: string): Promise<Array<{ name: string; bytes: Buffer }>> {
  const names = (await readdir(dir)).sort();
  return Promise.all(names.map(async (name) => ({ name, bytes: await readFile(join(dir, name)) })));
}
