// Child process for usage-meter.int.test.ts: a meter whose Kafka is unreachable records events,
// reports which ones flush() made durable, keeps recording and SIGKILLs itself mid-stream.
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { EventCodec, newEventId } from '@tollgate/events';
import { sampleEvent } from '@tollgate/events/testing';
import { BatchingProducer, createKafkaConnection, kafkaMetrics } from '@tollgate/kafka';
import { createUsageMeter } from './usage-meter';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const quiet = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
};
const connection = createKafkaConnection({
  brokers: [env('UNREACHABLE_BROKER')],
  clientId: 'spooling-meter',
  log: quiet,
});
const registry = new Registry();
const producer = new BatchingProducer(connection.kafka, {
  name: 'usage',
  metrics: kafkaMetrics(registry),
});
const meter = await createUsageMeter({
  producer,
  codec: new EventCodec(),
  topic: env('TOPIC'),
  spoolDir: env('SPOOL_DIR'),
  maxBuffered: 200,
  sendTimeoutMs: 1_000,
  segmentBytes: 16 * 1024,
  metrics: registry,
  logger: pino({ level: 'warn' }, pino.destination(2)),
});

const record = (count: number): string[] => {
  const ids = Array.from({ length: count }, () => newEventId());
  for (const eventId of ids) meter.record(sampleEvent('RequestMetered', { eventId }));
  return ids;
};

for (let round = 0; round < Number(env('DURABLE_ROUNDS')); round++) {
  const ids = record(250);
  await new Promise((resolve) => setTimeout(resolve, 100));
  await meter.flush();
  console.log(`DURABLE ${ids.join(',')}`);
}
// Keep recording without flushing and die a few ticks in, while the spool writer is busy.
for (let tick = 0; tick < 40; tick++) {
  console.log(`RECORDED ${record(50).join(',')}`);
  if (tick === 20) setTimeout(() => process.kill(process.pid, 'SIGKILL'), 2);
  await new Promise((resolve) => setImmediate(resolve));
}
await new Promise((resolve) => setTimeout(resolve, 1_000));
