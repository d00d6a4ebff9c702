import { Counter, Gauge, type Metric, type Registry } from 'prom-client';

function getOrCreate<T extends Metric>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

/** The usage meter's metrics, registered once per registry. */
export function usageMeterMetrics(registry: Registry) {
  const registers = [registry];
  return {
    events: getOrCreate(
      registry,
      'edge_usage_events_total',
      () =>
        new Counter({
          name: 'edge_usage_events_total',
          help: 'RequestMetered events by where they were first made safe: kafka (acknowledged on the first send) or spool (written to the local spool for replay)',
          labelNames: ['path'],
          registers,
        }),
    ),
    spooled: getOrCreate(
      registry,
      'edge_usage_spooled_events',
      () =>
        new Gauge({
          name: 'edge_usage_spooled_events',
          help: 'RequestMetered events in the local spool, not yet replayed to Kafka',
          registers,
        }),
    ),
    replayed: getOrCreate(
      registry,
      'edge_usage_replayed_total',
      () =>
        new Counter({
          name: 'edge_usage_replayed_total',
          help: 'Spooled RequestMetered events acknowledged by Kafka on replay',
          registers,
        }),
    ),
    spoolErrors: getOrCreate(
      registry,
      'edge_usage_spool_errors_total',
      () =>
        new Counter({
          name: 'edge_usage_spool_errors_total',
          help: 'Spool failures: failed writes/fsyncs (retried), events refused because the spool could not take them (lost), unreadable segment bytes',
          labelNames: ['kind'],
          registers,
        }),
    ),
    unencodable: getOrCreate(
      registry,
      'edge_usage_unencodable_events_total',
      () =>
        new Counter({
          name: 'edge_usage_unencodable_events_total',
          help: 'RequestMetered events dropped because they did not match the schema (a bug in the caller)',
          registers,
        }),
    ),
  };
}

export type UsageMeterMetrics = ReturnType<typeof usageMeterMetrics>;
