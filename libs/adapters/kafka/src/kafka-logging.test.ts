import { logLevel, type LogEntry } from 'kafkajs';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { kafkaConnectivityMetrics, kafkaLogCreator, type KafkaLogSink } from './kafka-logging';

function capture() {
  const lines: Array<{ level: keyof KafkaLogSink; msg: string }> = [];
  const sink = Object.fromEntries(
    (['error', 'warn', 'info', 'debug'] as const).map((level) => [
      level,
      (_obj: object, msg: string) => void lines.push({ level, msg }),
    ]),
  ) as unknown as KafkaLogSink;
  return { lines, sink };
}

const entry = (level: logLevel, message: string, extra: object = {}): LogEntry => ({
  namespace: 'Connection',
  level,
  label: logLevel[level],
  log: { timestamp: '2026-12-01T00:00:00.000Z', message, ...extra },
});

const refused = (n: number) =>
  n % 3 === 0
    ? entry(
        logLevel.ERROR,
        'Failed to connect to seed broker, trying another broker from the list: Connection error: connect ECONNREFUSED 127.0.0.1:9092',
      )
    : n % 3 === 1
      ? entry(logLevel.ERROR, 'Connection error: connect ECONNREFUSED 127.0.0.1:9092', {
          broker: '127.0.0.1:9092',
        })
      : entry(logLevel.ERROR, 'Crash: KafkaJSNumberOfRetriesExceeded: Connection error', {
          groupId: 'g',
        });

describe('kafkaLogCreator: a Kafka outage is logged once per state change', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('logs the first connection error, counts the rest, and logs the recovery once', async () => {
    const { lines, sink } = capture();
    const registry = new Registry();
    kafkaConnectivityMetrics(registry);
    const log = kafkaLogCreator(sink, { quietMs: 10_000 })(logLevel.WARN);

    for (let i = 0; i < 380; i++) {
      log(refused(i));
      vi.advanceTimersByTime(36); // 380 retries over 14 s
    }
    expect(lines.filter((l) => l.level === 'error')).toHaveLength(1);
    expect(lines[0]?.msg).toMatch(/^Kafka unavailable: /);
    expect(lines.filter((l) => l.level === 'debug')).toHaveLength(379);
    let metrics = await registry.metrics();
    expect(metrics).toMatch(/^kafka_client_up 0$/m);
    expect(metrics).toMatch(/^kafka_client_outages_total 1$/m);

    vi.advanceTimersByTime(10_000);
    const recovered = lines.filter((l) => l.level === 'info');
    expect(recovered).toHaveLength(1);
    expect(recovered[0]?.msg).toMatch(/^Kafka available again/);
    metrics = await registry.metrics();
    expect(metrics).toMatch(/^kafka_client_up 1$/m);
    expect(metrics).toMatch(/^kafka_client_connection_errors_total [1-9]\d*$/m);

    // A second outage is a second pair of lines.
    log(refused(1));
    vi.advanceTimersByTime(10_000);
    expect(lines.filter((l) => l.level !== 'debug').map((l) => l.level)).toEqual([
      'error',
      'info',
      'error',
      'info',
    ]);
  });

  it('passes other errors and warnings through at their level', () => {
    const { lines, sink } = capture();
    const log = kafkaLogCreator(sink)(logLevel.WARN);
    log(entry(logLevel.ERROR, 'Topic authorization failed'));
    log(
      entry(
        logLevel.WARN,
        'Limiting retries for the idempotent producer may invalidate EoS guarantees',
      ),
    );
    log(entry(logLevel.INFO, 'Consumer has joined the group'));
    expect(lines.map((l) => l.level)).toEqual(['error', 'warn', 'info']);
  });

  it('a leader moving is one warning, and an outage only when it outlasts the grace', () => {
    const { lines, sink } = capture();
    const log = kafkaLogCreator(sink, { quietMs: 10_000, leadershipGraceMs: 5_000 })(logLevel.WARN);
    const notLeader = () =>
      entry(logLevel.ERROR, 'Response Produce(key: 0, version: 7)', {
        error: 'This server is not the leader for that topic-partition',
      });

    // A new topic's leader settling: a few retries within a second, then quiet.
    for (let i = 0; i < 3; i++) {
      log(notLeader());
      vi.advanceTimersByTime(100);
    }
    expect(lines.map((l) => l.level)).toEqual(['warn', 'debug', 'debug']);
    expect(lines[0]?.msg).toMatch(/^Kafka partition leadership moving, retrying: /);

    // After a quiet period a new run warns again; one that lasts past the grace is an outage.
    vi.advanceTimersByTime(10_000);
    lines.length = 0;
    for (let i = 0; i < 60; i++) {
      log(notLeader());
      vi.advanceTimersByTime(100);
    }
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    const errors = lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.msg).toMatch(/^Kafka unavailable: /);
    // Quiet again: recovered (the state is the process's, shared by the tests of this file).
    vi.advanceTimersByTime(10_000);
    expect(lines.at(-1)?.msg).toMatch(/^Kafka available again/);
  });

  it('logs a group rebalancing answer as routine, not as an error', () => {
    const { lines, sink } = capture();
    const log = kafkaLogCreator(sink)(logLevel.WARN);
    log(
      entry(logLevel.ERROR, 'Response Heartbeat(key: 12, version: 3)', {
        error: 'The group is rebalancing, so a rejoin is needed',
      }),
    );
    expect(lines.map((l) => l.level)).toEqual(['info']);
  });

  it("logs a crashed consumer's restart notice as routine, and the crash as the error it is", () => {
    const { lines, sink } = capture();
    const log = kafkaLogCreator(sink)(logLevel.WARN);
    log(
      entry(logLevel.ERROR, 'Crash: KafkaJSProtocolError: Not authorized to access group', {
        groupId: 'g',
      }),
    );
    log(
      entry(logLevel.ERROR, 'Restarting the consumer in 200ms', { retryTime: 200, groupId: 'g' }),
    );
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ['error', 'Crash: KafkaJSProtocolError: Not authorized to access group'],
      ['info', 'Restarting the consumer in 200ms'],
    ]);
    // Within an outage it is one more consequence of it: at debug, counted.
    log(refused(1));
    log(entry(logLevel.ERROR, 'Restarting the consumer in 5000ms', { retryTime: 5000 }));
    expect(lines.slice(2).map((l) => l.level)).toEqual(['error', 'debug']);
    vi.advanceTimersByTime(60_000);
  });

  it('tells one outage once for the whole process, however many clients see it', () => {
    const { lines, sink } = capture();
    const consumer = kafkaLogCreator(sink, { quietMs: 10_000 })(logLevel.WARN);
    const producer = kafkaLogCreator(sink, { quietMs: 10_000 })(logLevel.WARN);
    for (let i = 0; i < 30; i++) {
      consumer(refused(i));
      producer(refused(i + 1));
      producer(entry(logLevel.ERROR, 'Failed to send messages: KafkaJSProtocolError'));
      vi.advanceTimersByTime(100);
    }
    expect(lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual([
      expect.stringMatching(/^Kafka unavailable: /),
    ]);
    expect(lines.filter((l) => l.level === 'warn')).toEqual([]);
    vi.advanceTimersByTime(10_000);
    expect(lines.filter((l) => l.level === 'info').map((l) => l.msg)).toEqual([
      expect.stringMatching(/^Kafka available again \(/),
    ]);
  });
});
