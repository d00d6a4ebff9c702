// The metering thread: owns the Kafka producer and the spool (the usage meter engine), so kafkajs'
// per-event work and garbage stay off the thread that answers requests. Fed by
// ThreadedUsageMeter through a MessagePort; see threaded-usage-meter.ts for the protocol.
import { writeFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { Registry } from 'prom-client';
import { EventCodec } from '@tollgate/events';
import { BatchingProducer, createKafkaConnection, kafkaMetrics } from '@tollgate/kafka';
import { createLogger } from '@tollgate/service-runtime';
import { chunkViews } from './event-chunks';
import { RequestMeteredBatchWriter, UsageBatcher } from './usage-batch';
import { createUsageMeter } from './usage-meter';
import type { MeteringWorkerConfig, ToMain, ToWorker } from './threaded-usage-meter';

const config = workerData as MeteringWorkerConfig;
// This thread's name in `top -H`, `ps -L` and the bench's CPU per thread (Linux; 15 characters at
// most): otherwise it is one more "node" among V8's and libuv's helper threads.
try {
  writeFileSync('/proc/thread-self/comm', 'tollgate-meter');
} catch {
  // not Linux, or /proc not mounted: the name is cosmetic
}
const port = parentPort!;
const logger = createLogger({ service: config.service, level: config.logLevel }).child({
  component: 'metering',
});
const registry = new Registry();
registry.setDefaultLabels({ service: config.service });
const kafka = createKafkaConnection({
  brokers: config.brokers,
  clientId: `${config.service}-metering`,
  ...config.security,
  log: logger.child({ component: 'kafka' }),
});
const producer = new BatchingProducer(kafka.kafka, {
  name: 'usage',
  metrics: kafkaMetrics(registry),
  maxBufferedMessages: config.maxBuffered,
  lingerMs: config.lingerMs,
});
const codec = new EventCodec();
const meter = await createUsageMeter({
  producer,
  codec,
  topic: config.topic,
  spoolDir: config.spoolDir,
  maxBuffered: config.maxBuffered,
  metrics: registry,
  logger,
});
// Until connected, events go to the spool; the replayer reconnects and resends them. A reachable
// broker is connected before the thread reports ready, so a normal start spools nothing; an
// unreachable one holds the start back by at most CONNECT_WAIT_MS.
const CONNECT_WAIT_MS = 3_000;
const connecting = producer
  .connect()
  .catch((err: unknown) => logger.warn({ err }, 'Kafka not reachable yet'));
await Promise.race([connecting, new Promise((resolve) => setTimeout(resolve, CONNECT_WAIT_MS))]);

const send = (message: ToMain) => port.postMessage(message);
// Many events per Kafka record: kafkajs' cost is per record, so one record per request was most of
// what metering cost. The batch keeps every event's own bytes (and eventId); the meter and its
// spool handle the batch as one message, so a replay resends the batch byte for byte.
const batcher = new UsageBatcher({
  writer: new RequestMeteredBatchWriter(codec, {
    producer: config.service,
    edgeInstanceId: config.edgeInstanceId,
  }),
  topic: config.topic,
  maxEvents: config.batchEvents,
  maxBytes: config.batchBytes,
  lingerMs: config.lingerMs,
  now: Date.now,
  onBatch: (message, events) => meter.recordMessage(message, events),
});

/** The meter's figures, counting the events waiting for their batch as buffered. */
const stats = () => {
  const { buffered, spooled } = meter.stats();
  return { buffered: buffered + batcher.pending, spooled };
};

port.on('message', (message: ToWorker) => {
  switch (message.t) {
    case 'events': {
      const { bytes, ends } = chunkViews(message.chunk);
      batcher.addEvents(bytes, ends);
      send({ t: 'recorded', count: message.chunk.count, ...stats() });
      return;
    }
    case 'flush':
      batcher.seal();
      meter.flush().then(
        () => send({ t: 'done', id: message.id, ...stats() }),
        (err: unknown) => send({ t: 'done', id: message.id, error: String(err), ...stats() }),
      );
      return;
    case 'metrics':
      void registry.metrics().then((text) => send({ t: 'metrics', id: message.id, text }));
      return;
    case 'close':
      void (async () => {
        let error: string | undefined;
        batcher.seal();
        try {
          await meter.close();
        } catch (err) {
          error = String(err);
        }
        await producer.disconnect().catch(() => undefined);
        await kafka.close().catch(() => undefined);
        send({ t: 'done', id: message.id, ...(error ? { error } : {}), ...stats() });
        port.close();
      })();
      return;
  }
});
send({ t: 'ready' });
