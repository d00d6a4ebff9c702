import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MikroORM } from '@mikro-orm/postgresql';
import { newEventId, type RequestMetered } from '@tollgate/events';
import { connectDatabase, migrate, openPinnedSession, type Database } from '@tollgate/postgres';
import { createTestSchema, eventually, testEndpoints, type TestSchema } from '@tollgate/test-infra';
import { aggregateUsage } from '../application/usage-aggregation';
import { makeEvents } from '../testing/usage-test-kit';
import { USAGE_MIGRATIONS } from './migrations';
import {
  pruneDedupeWindow,
  writeUsageBatch,
  type PartitionBatch,
  type UsageRecord,
} from './usage-writer';

const HOUR = 3_600_000;
const WINDOW_HOURS = 48;
const T0 = Date.UTC(2026, 5, 10, 12, 0, 0);

/** The events as single-event records at consecutive offsets from `first`. */
const at = (first: number, events: readonly RequestMetered[]): UsageRecord[] =>
  events.map((event, i) => ({
    offset: String(first + i),
    dedupeId: event.eventId,
    events: [event],
  }));

describe('usage writer: dedupe window and partition lock (real Postgres)', () => {
  let schema: TestSchema;
  let orm: MikroORM;
  let db: Database;

  beforeAll(async () => {
    schema = await createTestSchema('usage_writer');
    const connected = await connectDatabase({
      databaseUrl: testEndpoints().databaseUrl,
      schema: schema.name,
      migrations: USAGE_MIGRATIONS,
      maxConnections: 4,
    });
    ({ orm, db } = connected);
    await migrate(orm, schema.name);
  });
  afterAll(async () => {
    await db?.close();
    await schema?.drop();
  });

  const write = (batch: PartitionBatch) =>
    writeUsageBatch(db, batch, (counted) => aggregateUsage(counted, batch.seenAt));
  const requests = async () => {
    const [row] = await db.sql.query<{ n: string }>(
      'select coalesce(sum(requests), 0)::text as n from usage_minute',
    );
    return Number(row!.n);
  };

  it('remembers an eventId for the dedupe window from when it was seen, and forgets it after', async () => {
    const topic = 'dedupe-window';
    const events = makeEvents(20, { start: T0 - 60_000, spreadMs: 60_000 });
    expect(await write({ topic, partition: 0, records: at(0, events), seenAt: T0 })).toMatchObject({
      counted: 20,
    });

    // A spool replay re-sends the first five at later offsets, inside the window: not counted.
    const copies = events.slice(0, 5);
    const nearEnd = T0 + WINDOW_HOURS * HOUR - 60_000;
    expect(await pruneDedupeWindow(db, WINDOW_HOURS, nearEnd)).toBe(0);
    expect(await write({ topic, partition: 0, records: at(20, copies), seenAt: nearEnd })).toEqual({
      counted: 0,
      skippedByOffset: 0,
      skippedAsDuplicate: 5,
    });
    expect(await requests()).toBe(20);

    // Past the window the ids are forgotten, and only those: the documented limit of the window.
    const pastEnd = T0 + WINDOW_HOURS * HOUR + 60_000;
    expect(await pruneDedupeWindow(db, WINDOW_HOURS, pastEnd)).toBe(20);
    const [left] = await db.sql.query<{ n: string }>('select count(*)::text as n from seen_events');
    expect(Number(left!.n)).toBe(0);
    const fresh = { ...copies[0]!, eventId: newEventId() };
    expect(
      await write({ topic, partition: 0, records: at(25, [copies[1]!, fresh]), seenAt: pastEnd }),
    ).toEqual({ counted: 2, skippedByOffset: 0, skippedAsDuplicate: 0 });
    // What was seen just now is kept by the next prune.
    expect(await pruneDedupeWindow(db, WINDOW_HOURS, pastEnd + HOUR)).toBe(0);
  });

  it('remembers a batch record by its own id: re-sent whole at another offset it counts once, with one dedupe row', async () => {
    const topic = 'batch-dedupe';
    const events = makeEvents(300, { start: T0, spreadMs: 60_000 });
    const [before] = await db.sql.query<{ n: string }>(
      'select count(*)::text as n from seen_events',
    );
    const batch = (offset: number): UsageRecord => ({
      offset: String(offset),
      dedupeId: 'batch_01JDQ3W8Y6T4K2M9N7P5R3S1B1',
      events,
    });
    expect(await write({ topic, partition: 0, records: [batch(0)], seenAt: T0 })).toEqual({
      counted: 300,
      skippedByOffset: 0,
      skippedAsDuplicate: 0,
    });
    // A spool replay: the same bytes at a later offset, next to a new single record.
    const single = makeEvents(1, { start: T0 })[0]!;
    expect(
      await write({ topic, partition: 0, records: [batch(1), ...at(2, [single])], seenAt: T0 }),
    ).toEqual({ counted: 1, skippedByOffset: 0, skippedAsDuplicate: 300 });
    const [after] = await db.sql.query<{ n: string }>(
      'select count(*)::text as n from seen_events',
    );
    expect(Number(after!.n) - Number(before!.n)).toBe(2);
  });

  it('makes a member that still holds a partition after a rebalance wait on its lock, then skip what the new owner applied', async () => {
    const topic = 'rebalance-lock';
    const events = makeEvents(60, { start: T0, spreadMs: 60_000 });
    // The partition's offset row exists already (committed), as it does after the first batch.
    await write({ topic, partition: 3, records: at(0, events.slice(0, 10)), seenAt: T0 });
    const before = await requests();
    // Another session holds usage_minute, so the new owner stops mid-transaction at its upsert,
    // holding the partition's offset row, when the old owner (same events, same offsets) writes.
    const holder = await openPinnedSession(orm, {
      databaseUrl: testEndpoints().databaseUrl,
      schema: schema.name,
      applicationName: 'usage-writer-test',
    });
    try {
      const [{ pid: holderPid } = { pid: 0 }] = await holder.sql.query<{ pid: number }>(
        'select pg_backend_pid() as pid',
      );
      await holder.sql.query('begin');
      await holder.sql.query('lock table usage_minute in exclusive mode');
      /** The backend that waits on `pid`, once there is one. */
      const waiterOn = async (pid: number) => {
        let waiter = 0;
        await eventually(
          async () => {
            const rows = await db.sql.query<{ pid: number }>(
              'select pid from pg_stat_activity where ? = any(pg_blocking_pids(pid))',
              [pid],
            );
            waiter = rows[0]?.pid ?? 0;
            return rows.length === 1;
          },
          10_000,
          `a writer waiting on backend ${pid}`,
        );
        return waiter;
      };

      let newOwnerDone = false;
      const newOwner = write({
        topic,
        partition: 3,
        records: at(10, events.slice(10)),
        seenAt: T0,
      }).finally(() => (newOwnerDone = true));
      const newOwnerPid = await waiterOn(holderPid);
      let oldOwnerDone = false;
      const oldOwner = write({
        topic,
        partition: 3,
        records: at(10, events.slice(10)),
        seenAt: T0,
      }).finally(() => (oldOwnerDone = true));
      // The old owner waits on the new owner's partition lock: it neither races nor deadlocks.
      await waiterOn(newOwnerPid);
      expect([newOwnerDone, oldOwnerDone]).toEqual([false, false]);

      await holder.sql.query('commit');
      expect(await newOwner).toEqual({ counted: 50, skippedByOffset: 0, skippedAsDuplicate: 0 });
      expect(await oldOwner).toEqual({ counted: 0, skippedByOffset: 50, skippedAsDuplicate: 0 });
      expect((await requests()) - before).toBe(50);
    } finally {
      await holder.close();
    }
  });
});
