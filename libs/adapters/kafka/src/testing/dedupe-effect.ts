import type pg from 'pg';

/**
 * The idempotent effect the consumer tests apply: every delivery is counted, and the effect
 * itself is keyed by eventId so a re-delivered event changes nothing.
 */
export async function createEffectTables(pool: pg.Pool): Promise<void> {
  await pool.query(
    `create table if not exists deliveries (id bigserial primary key, event_id text not null)`,
  );
  await pool.query(`create table if not exists effects (event_id text primary key)`);
}

export async function applyEffect(pool: pg.Pool, eventId: string): Promise<void> {
  await pool.query('insert into deliveries (event_id) values ($1)', [eventId]);
  await pool.query('insert into effects (event_id) values ($1) on conflict (event_id) do nothing', [
    eventId,
  ]);
}

export async function countEffects(
  pool: pg.Pool,
): Promise<{ deliveries: number; effects: number }> {
  const { rows } = await pool.query<{ deliveries: string; effects: string }>(
    'select (select count(*) from deliveries) as deliveries, (select count(*) from effects) as effects',
  );
  return { deliveries: Number(rows[0]!.deliveries), effects: Number(rows[0]!.effects) };
}
