import { DomainError } from '@tollgate/key-service-domain';
import type { Sql } from '@tollgate/postgres';

export interface StoredEvent<
  E extends { type: string; data: unknown } = { type: string; data: unknown },
> {
  event: E;
  eventId: string;
  streamVersion: number;
}

export interface NewEvent<E extends { type: string; data: unknown }> {
  event: E;
  eventId: string;
}

const UNIQUE_VIOLATION = '23505';

/**
 * Append-only event streams in Postgres. Appends carry the stream version the caller decided on;
 * a concurrent writer that got there first makes the insert hit the (stream_id, stream_version)
 * unique key, which surfaces as a `conflict` domain error (HTTP 412), never a silent overwrite.
 */
export async function readStream<E extends { type: string; data: unknown }>(
  sql: Sql,
  streamId: string,
): Promise<{ events: StoredEvent<E>[]; version: number }> {
  const rows = await sql.query<{
    event_type: string;
    data: unknown;
    event_id: string;
    stream_version: number;
  }>(
    'select event_type, data, event_id, stream_version from events where stream_id = ? order by stream_version',
    [streamId],
  );
  const events = rows.map((r) => ({
    event: { type: r.event_type, data: r.data } as E,
    eventId: r.event_id,
    streamVersion: r.stream_version,
  }));
  return { events, version: rows.at(-1)?.stream_version ?? 0 };
}

export async function appendToStream<E extends { type: string; data: unknown }>(
  tx: Sql,
  streamId: string,
  expectedVersion: number,
  events: readonly NewEvent<E>[],
): Promise<number> {
  let version = expectedVersion;
  try {
    for (const { event, eventId } of events) {
      version += 1;
      await tx.query(
        'insert into events (stream_id, stream_version, event_id, event_type, data) values (?, ?, ?, ?, ?::jsonb)',
        [streamId, version, eventId, event.type, JSON.stringify(event.data)],
      );
    }
  } catch (err) {
    if ((err as { code?: string }).code === UNIQUE_VIOLATION) {
      throw new DomainError(
        'conflict',
        'concurrent_modification',
        `${streamId} was changed concurrently; retry with fresh state`,
      );
    }
    throw err;
  }
  return version;
}
