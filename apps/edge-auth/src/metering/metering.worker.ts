// The metering thread: owns the Kafka producer and the spool (the usage meter engine), so kafkajs'
// per-event work and garbage stay off the thread that answers requests. Fed by
// ThreadedUsageMeter through a MessagePort; see threaded-usage-meter.ts for the protocol.
import { parentPort, workerData } from 'node:worker_threads';
import { Registry } from 'prom-client';
import { EventCodec } from '@tollgate/events';
import { BatchingProducer, createKafkaConnection, kafkaMetrics } from '@tollgate/kafka';
import { createLogger } from '@tollgate/service-runtime';
import { readFrames } from './usage-frames';
import { createUsageMeter } from './usage-meter';
import type { MeteringWorkerConfig, ToMain, ToWorker } from './threaded-usage-meter';

const config = workerData as MeteringWorkerConfig;
const port = parentPort!;
const logger = createLogger({ service: config.service, level: config.logLevel }).child({
  component: 'metering',
});
const registry = new Registry();
registry.setDefaultLabels({ service: config.service });
const kafka = createKafkaConnection({
  brokers: config.brokers,
  clientId: `${config.service}-metering`,
  log: logger.child({ component: 'kafka' }),
});
const producer = new BatchingProducer(kafka.kafka, {
  name: 'usage',
  metrics: kafkaMetrics(registry),
  maxBufferedMessages: config.maxBuffered,
  lingerMs: config.lingerMs,
});
const headers = new EventCodec().headersOf('RequestMetered');
const meter = await createUsageMeter({
  producer,
  codec: new EventCodec(),
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

port.on('message', (message: ToWorker) => {
  switch (message.t) {
    case 'events':
      for (const { key, value } of readFrames(message.buffer, message.length))
        meter.recordMessage({ topic: config.topic, key, value, headers });
      send({ t: 'recorded', count: message.count, ...meter.stats() });
      return;
    case 'flush':
      meter.flush().then(
        () => send({ t: 'done', id: message.id, ...meter.stats() }),
        (err: unknown) => send({ t: 'done', id: message.id, error: String(err), ...meter.stats() }),
      );
      return;
    case 'metrics':
      void registry.metrics().then((text) => send({ t: 'metrics', id: message.id, text }));
      return;
    case 'close':
      void (async () => {
        let error: string | undefined;
        try {
          await meter.close();
        } catch (err) {
          error = String(err);
        }
        await producer.disconnect().catch(() => undefined);
        await kafka.close().catch(() => undefined);
        send({ t: 'done', id: message.id, ...(error ? { error } : {}), ...meter.stats() });
        port.close();
      })();
      return;
  }
});
send({ t: 'ready' });
