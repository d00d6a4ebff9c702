import { logLevel, type logCreator } from 'kafkajs';
import { Counter, Gauge, type Registry } from 'prom-client';

export interface KafkaLogSink {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface KafkaLogOptions {
  /** How long without a connection error before Kafka counts as reachable again; default 10 s. */
  quietMs?: number;
  /**
   * How long partition-leadership errors may go on before they count as an outage; default 5 s.
   * A leader moving (a new topic, a broker restarting, a reassignment) is retried by kafkajs
   * within a few hundred milliseconds and is no outage.
   */
  leadershipGraceMs?: number;
}

/**
 * kafkajs's own words for "the cluster cannot serve us right now", in message or error: brokers
 * unreachable or shutting down.
 */
const CONNECTION_TROUBLE =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|EPIPE|Connection error|Connection timeout|Closed connection|connection closed|Failed to connect|seed broker|Broker not connected|KafkaJSConnection|KafkaJSNumberOfRetriesExceeded|KafkaJSRequestTimeout|KafkaJSBrokerNotFound|No broker available|Request .* timed out|broker is shutting down/i;

/**
 * Partitions or group coordinators changing hands: a topic just created, a broker starting or
 * stopping, a reassignment. kafkajs refreshes its metadata and retries; only when it goes on for
 * longer than the grace is it an outage.
 */
const LEADERSHIP_MOVING =
  /no leader for this topic-partition|not the leader for that topic-partition|leader not available|coordinator is (not available|loading)|not the correct coordinator/i;

/**
 * What kafkajs logs as errors although it is the client at work: a member joining or leaving
 * makes every other member's heartbeat answer "rebalancing", and it rejoins; a consumer that
 * crashed says it restarts (the crash itself is its own line, classified like any other).
 */
const ROUTINE = /group is rebalancing|^Restarting the consumer in \d+ ?ms/i;

const DEFAULT_QUIET_MS = 10_000;
const DEFAULT_LEADERSHIP_GRACE_MS = 5_000;

/**
 * What every Kafka client of this process (or worker thread) says about reaching the brokers, for
 * `kafkaConnectivityMetrics`: counted across clients, down while any of them is.
 */
const connectivity = {
  clientsDown: new Set<object>(),
  connectionErrors: 0,
  outages: 0,
  /** When the current run of partition-leadership errors began, in any client (none: no run). */
  movingSince: undefined as number | undefined,
  movingQuiet: undefined as NodeJS.Timeout | undefined,
};

/**
 * Routes kafkajs's own log lines into our structured logger (and so through its redaction).
 *
 * A broker outage makes kafkajs log an error for every retry of every client (hundreds a minute).
 * Connection trouble is therefore logged once per state change of the process instead, as the
 * Redis breaker does: one error when the first client's first connection error arrives ("Kafka
 * unavailable"), the rest — of that client and of every other client of the process — at debug
 * and counted (`kafka_client_connection_errors_total`) together with every other kafkajs
 * complaint while it lasts (consumers restarting, sends failing: consequences of the outage), then
 * one line when no client has had a connection error for `quietMs` ("available again"). kafkajs
 * only logs trouble, so a quiet period is the sign of recovery. Outside an outage, errors and
 * warnings pass through as before.
 */
export function kafkaLogCreator(sink: KafkaLogSink, options: KafkaLogOptions = {}): logCreator {
  const quietMs = options.quietMs ?? DEFAULT_QUIET_MS;
  const leadershipGraceMs = options.leadershipGraceMs ?? DEFAULT_LEADERSHIP_GRACE_MS;
  const client = {};
  let downSince: number | undefined;
  let suppressed = 0;
  let recovery: NodeJS.Timeout | undefined;

  const recovered = () => {
    recovery = undefined;
    if (downSince === undefined) return;
    const downMs = Date.now() - downSince;
    downSince = undefined;
    connectivity.clientsDown.delete(client);
    const fields = { kafkaDownMs: downMs, suppressedErrors: suppressed };
    suppressed = 0;
    // The process is back when its last client is.
    if (connectivity.clientsDown.size > 0) return sink.debug(fields, 'Kafka available again');
    sink.info(fields, `Kafka available again (no connection error for ${quietMs} ms)`);
  };

  const connectionTrouble = (fields: object, message: string) => {
    connectivity.connectionErrors++;
    clearTimeout(recovery);
    recovery = setTimeout(recovered, quietMs);
    recovery.unref();
    if (downSince !== undefined) {
      suppressed++;
      sink.debug(fields, message);
      return;
    }
    downSince = Date.now();
    const firstDown = connectivity.clientsDown.size === 0;
    connectivity.clientsDown.add(client);
    // Another client of the process is already down: the outage has been told.
    if (!firstDown) return sink.debug(fields, message);
    connectivity.outages++;
    sink.error(
      fields,
      `Kafka unavailable: ${message} (further Kafka errors are logged at debug until it recovers)`,
    );
  };

  /**
   * A leader moving: one warning per run (across the process's clients), an outage only when the
   * run outlasts the grace.
   */
  const leadershipMoving = (fields: object, message: string) => {
    const now = Date.now();
    clearTimeout(connectivity.movingQuiet);
    connectivity.movingQuiet = setTimeout(() => (connectivity.movingSince = undefined), quietMs);
    connectivity.movingQuiet.unref();
    if (downSince !== undefined || connectivity.clientsDown.size > 0)
      return connectionTrouble(fields, message);
    if (connectivity.movingSince === undefined) {
      connectivity.movingSince = now;
      return sink.warn(
        fields,
        `Kafka partition leadership moving, retrying: ${message} (an outage if it lasts ${leadershipGraceMs} ms)`,
      );
    }
    if (now - connectivity.movingSince >= leadershipGraceMs)
      return connectionTrouble(fields, message);
    sink.debug(fields, message);
  };

  return () =>
    ({ level, log }) => {
      const { message, ...extra } = log;
      // kafkajs names itself in `logger`; the sink's own bindings say which component it serves.
      const fields = { ...extra };
      const trouble = level === logLevel.ERROR || level === logLevel.WARN;
      const said = `${message} ${String(extra['error'] ?? '')}`;
      if (trouble && CONNECTION_TROUBLE.test(said)) return connectionTrouble(fields, message);
      if (trouble && LEADERSHIP_MOVING.test(said)) return leadershipMoving(fields, message);
      // During an outage everything kafkajs complains about (crashed consumers restarting, failed
      // sends) follows from it: counted with it, not logged one by one.
      if (trouble && (downSince !== undefined || connectivity.clientsDown.size > 0)) {
        suppressed++;
        return sink.debug(fields, message);
      }
      if (trouble && ROUTINE.test(said)) return sink.info(fields, message);
      switch (level) {
        case logLevel.ERROR:
          sink.error(fields, message);
          break;
        case logLevel.WARN:
          sink.warn(fields, message);
          break;
        case logLevel.INFO:
          sink.info(fields, message);
          break;
        default:
          sink.debug(fields, message);
      }
    };
}

/**
 * Whether this process's Kafka clients reach the brokers, as their logs say: `kafka_client_up`
 * (0 while any client is in an outage), and counters of outages and of connection errors.
 */
export function kafkaConnectivityMetrics(registry: Registry): void {
  const registers = [registry];
  new Gauge({
    name: 'kafka_client_up',
    help: 'Whether the Kafka clients reach the brokers (0 from the first connection error until a quiet period)',
    registers,
    collect() {
      this.set(connectivity.clientsDown.size === 0 ? 1 : 0);
    },
  });
  new Counter({
    name: 'kafka_client_outages_total',
    help: 'Times a Kafka client went from reachable to unreachable',
    registers,
    collect() {
      this.reset();
      this.inc(connectivity.outages);
    },
  });
  new Counter({
    name: 'kafka_client_connection_errors_total',
    help: 'Connection errors reported by the Kafka clients (logged once per outage)',
    registers,
    collect() {
      this.reset();
      this.inc(connectivity.connectionErrors);
    },
  });
}
