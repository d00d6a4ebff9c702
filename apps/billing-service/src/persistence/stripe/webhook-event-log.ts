import type { Sql } from '@tollgate/postgres';

export type SeenDelivery =
  /** The event id was never applied. */
  | 'new'
  /** Applied before, and this is Stripe delivering it again (signed anew). */
  | 'redelivery'
  /** Applied before, and this is the very delivery we took (same signature timestamp). */
  | 'replay';

export async function seenDelivery(
  sql: Sql,
  eventId: string,
  signedAt: number,
): Promise<SeenDelivery> {
  const [row] = await sql.query<{ signed_at: string }>(
    'select signed_at from stripe_webhook_events where event_id = ?',
    [eventId],
  );
  if (!row) return 'new';
  return Number(row.signed_at) === signedAt ? 'replay' : 'redelivery';
}

/** Records the event as applied; false when a concurrent delivery of it got there first. */
export async function recordEvent(
  tx: Sql,
  event: { id: string; type: string; objectId: string | undefined; signedAt: number },
  receivedAtMs: number,
): Promise<boolean> {
  const rows = await tx.query(
    `insert into stripe_webhook_events (event_id, event_type, stripe_object_id, signed_at, received_at_ms)
     values (?, ?, ?, ?, ?) on conflict (event_id) do nothing returning event_id`,
    [event.id, event.type, event.objectId ?? null, event.signedAt, receivedAtMs],
  );
  return rows.length === 1;
}
