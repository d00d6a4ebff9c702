import type { TollgateEvent } from '@tollgate/events';
import type { Sql } from '../sql';

/**
 * The transactional outbox of an app that publishes integration events (key-service,
 * billing-service): tables `outbox` and `outbox_relay_position` in the app's schema, created by
 * the app's migrations with `OUTBOX_TABLES_SQL`.
 */
export const OUTBOX_TABLES_SQL = [
  `create table outbox (
     position bigserial primary key,
     tx_id xid8 not null default pg_current_xact_id(),
     event_id text not null unique,
     event_type text not null,
     stream_id text not null,
     payload jsonb not null,
     created_at timestamptz not null default now()
   );`,
  `create index outbox_tx_position on outbox (tx_id, position);`,
  `create table outbox_relay_position (
     id int primary key default 1 check (id = 1),
     tx_id xid8 not null,
     position bigint not null,
     updated_at timestamptz not null default now()
   );`,
  `insert into outbox_relay_position (tx_id, position) values ('0'::xid8, 0);`,
] as const;

/**
 * Records an integration event for publication in the caller's transaction: it reaches Kafka if
 * and only if the domain events that caused it committed.
 */
export async function enqueueOutbox(
  tx: Sql,
  streamId: string,
  event: TollgateEvent,
): Promise<void> {
  await tx.query(
    'insert into outbox (event_id, event_type, stream_id, payload) values (?, ?, ?, ?::jsonb)',
    [event.payload.eventId, event.type, streamId, JSON.stringify(event.payload)],
  );
}

export interface OutboxRow {
  position: string;
  txId: string;
  event: TollgateEvent;
}

/**
 * The next rows to publish after (txId, position), in commit-safe order: only rows of
 * transactions older than the oldest one still running, so a slow commit is never overtaken.
 */
export async function readOutbox(
  sql: Sql,
  after: { txId: string; position: string },
  limit: number,
): Promise<OutboxRow[]> {
  const rows = await sql.query<{
    position: string;
    tx_id: string;
    event_type: string;
    payload: unknown;
  }>(
    `select position::text, tx_id::text, event_type, payload from outbox
     where (tx_id, position) > (?::xid8, ?::bigint) and tx_id < pg_snapshot_xmin(pg_current_snapshot())
     order by tx_id, position limit ?`,
    [after.txId, after.position, limit],
  );
  return rows.map((r) => ({
    position: r.position,
    txId: r.tx_id,
    event: { type: r.event_type, payload: r.payload } as TollgateEvent,
  }));
}

export async function readRelayPosition(sql: Sql): Promise<{ txId: string; position: string }> {
  const [row] = await sql.query<{ tx_id: string; position: string }>(
    'select tx_id::text, position::text from outbox_relay_position where id = 1',
  );
  return { txId: row?.tx_id ?? '0', position: row?.position ?? '0' };
}

export async function saveRelayPosition(
  sql: Sql,
  at: { txId: string; position: string },
): Promise<void> {
  await sql.query(
    'update outbox_relay_position set tx_id = ?::xid8, position = ?::bigint, updated_at = now() where id = 1',
    [at.txId, at.position],
  );
}
