import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { REQUEST_QUEUE_IDLE_FIX, RequestQueue } from './request-queue-idle-fix';

interface Queue {
  pending: unknown[];
  inflight: Map<number, unknown>;
  throttledUntil: number;
  throttleCheckTimeoutId: unknown;
  push(request: object): void;
  checkPendingRequests(): void;
  maybeThrottle(ms: number): void;
  destroy(): void;
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** kafkajs' own request queue (the class every broker connection uses), one request in flight at most. */
function queue(): Queue {
  const Queue = RequestQueue as unknown as new (options: object) => Queue;
  return new Queue({
    maxInFlightRequests: 1,
    requestTimeout: 30_000,
    enforceRequestTimeout: false,
    clientId: 'test',
    broker: 'localhost:9092',
    logger: { ...silent, namespace: () => silent },
  });
}

function request(correlationId: number, sent: number[]) {
  return {
    entry: { correlationId, apiKey: 0, apiName: 'Produce', apiVersion: 0 },
    expectResponse: true,
    sendRequest: () => sent.push(correlationId),
  };
}

describe("kafkajs' request queue, with its idle timer loop fixed", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('is patched on the class kafkajs itself uses', () => {
    expect(RequestQueue.prototype[REQUEST_QUEUE_IDLE_FIX]).toBe(true);
  });

  it('arms no timer while no request waits (kafkajs 2.2.4 re-armed one about every millisecond)', () => {
    const q = queue();
    q.checkPendingRequests(); // what every response runs
    expect(q.throttleCheckTimeoutId).toBeNull();
    expect(vi.getTimerCount()).toBe(0);
    q.destroy();
  });

  it('still sends a waiting request once the in-flight slot frees, and then stops checking', () => {
    const q = queue();
    const sent: number[] = [];
    q.push(request(1, sent));
    q.push(request(2, sent)); // waits: one in flight at most
    expect(sent).toEqual([1]);
    expect(q.pending).toHaveLength(1);
    q.inflight.delete(1); // the response to request 1, as fulfillRequest frees it
    q.checkPendingRequests();
    expect(sent).toEqual([1, 2]);
    // The check push scheduled for the waiting request runs once, finds nothing and re-arms nothing.
    vi.advanceTimersByTime(20);
    expect(q.throttleCheckTimeoutId).toBeNull();
    expect(vi.getTimerCount()).toBe(0);
    q.destroy();
  });

  it('checks again when a client-side throttle ends, as kafkajs does', () => {
    const q = queue();
    const sent: number[] = [];
    q.maybeThrottle(50);
    q.push(request(1, sent)); // throttled: waits, and a check is scheduled for the throttle's end
    expect(sent).toEqual([]);
    expect(q.throttleCheckTimeoutId).not.toBeNull();
    vi.advanceTimersByTime(60);
    expect(sent).toEqual([1]);
    expect(vi.getTimerCount()).toBe(0);
    q.destroy();
  });
});
