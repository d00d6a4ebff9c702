// edge-auth's own per-request work, without HTTP: µs per call of each stage of an allowed
// forward-auth decision with the in-memory limiter, and of the whole `EdgePipeline.decide`
// (metering: the RequestMetered encoded into the hand-over buffer, as the request thread does;
// the metering thread's work is not on this path). One process, CPU-bound loops; on a busy box
// the absolute figures move, the proportions much less. Printed, never asserted.
import avro from 'avsc';
import { CURRENT_SCHEMAS, newEventId, type RequestMetered } from '@tollgate/events';
import { sampleEvent } from '@tollgate/events/testing';
import { EventChunkWriter } from '../src/metering/event-chunks';
import { rateLimitHeaders } from '../src/rate-limit';
import { EndpointMap, UNMATCHED_ENDPOINT } from '../src/routing/endpoint-map';
import { normaliseRequestTarget } from '../src/routing/request-target';
import { inProcessPipeline } from '../src/testing/in-process-pipeline';
import { presentedKey } from '../src/verification/presented-key';

const ROUNDS = Number(process.env.BENCH_DECISIONS ?? 200_000);
const NOW = 1_800_000_000_000;

async function perCall(name: string, fn: () => unknown): Promise<number> {
  // A synchronous result is not awaited: a microtask would be part of the figure.
  const call = async () => {
    const result = fn();
    if (result instanceof Promise) await result;
  };
  for (let i = 0; i < 20_000; i++) await call(); // warm-up (JIT)
  const started = process.hrtime.bigint();
  for (let i = 0; i < ROUNDS; i++) {
    const result = fn();
    if (result instanceof Promise) await result;
  }
  const us = Number(process.hrtime.bigint() - started) / ROUNDS / 1000;
  console.log(`  ${name.padEnd(58)} ${us.toFixed(2).padStart(7)} µs`);
  return us;
}

const requestMetered = avro.Type.forSchema(
  CURRENT_SCHEMAS.RequestMetered as unknown as avro.Schema,
);
const chunks = new EventChunkWriter(256 * 1024, 8_192);
let event: RequestMetered = sampleEvent('RequestMetered');
const encodeInto = (bytes: Buffer, at: number) => requestMetered.encode(event, bytes, at);
const meter = {
  record(e: RequestMetered) {
    event = e;
    if (!chunks.writeWith(192, encodeInto)) {
      chunks.take();
      chunks.writeWith(192, encodeInto);
    }
  },
  flush: async () => undefined,
  close: async () => undefined,
  stats: () => ({ buffered: 0, spooled: 0 }),
};
const { pipeline, plaintext, headers, request, limiter, limits, verifierWith } = inProcessPipeline({
  now: NOW,
  meter,
});
const client = { clientIp: '127.0.0.1' };
const cached = verifierWith(10_000);
const uncached = verifierWith(0);
const endpoints = new EndpointMap([]);
const presented = { kind: 'key' as const, key: plaintext };

console.log(`\nedge-auth decision path, in process, ${ROUNDS} calls each (allowed request):`);
await perCall('normalise target + match endpoint', () => {
  const target = normaliseRequestTarget('/v1/orders/1', undefined);
  return target.ok ? endpoints.match('GET', target.path) : undefined;
});
await perCall('presented key from headers', () => presentedKey(headers, ['authorization']));
await perCall('verify, key not cached (checksum + HMAC)', () =>
  uncached.verify(presented, UNMATCHED_ENDPOINT, client, NOW),
);
await perCall('verify, key cached (SHA-256 + table check)', () =>
  cached.verify(presented, UNMATCHED_ENDPOINT, client, NOW),
);
const decision = await limiter.check({ scope: 'k', limits, cost: 1, now: NOW });
await perCall('in-memory limiter check (2 windows + quota)', () =>
  limiter.check({ scope: 'k', limits, cost: 1, now: NOW }),
);
await perCall('rate-limit headers', () => rateLimitHeaders(limits, decision));
await perCall('event id (ULID)', () => newEventId(NOW));
const metered = sampleEvent('RequestMetered');
await perCall('RequestMetered Avro-encoded into the hand-over buffer', () => meter.record(metered));
await perCall('EdgePipeline.decide, whole (allowed, in-memory, metered)', () =>
  pipeline.decide(request),
);
await limiter.close();
