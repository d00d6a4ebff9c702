import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSchema, testEndpoints, type TestSchema } from '@tollgate/test-infra';
import { connectDatabase } from './database';
import { openPinnedSession } from './pinned-session';
import type { Database } from './sql';
import type { MikroORM } from '@mikro-orm/postgresql';

describe('Database and pinned sessions (real Postgres)', () => {
  let schema: TestSchema;
  let orm: MikroORM;
  let db: Database;
  const databaseUrl = testEndpoints().databaseUrl;

  beforeAll(async () => {
    schema = await createTestSchema('pg_adapter');
    ({ orm, db } = await connectDatabase({ databaseUrl, schema: schema.name, migrations: [] }));
    await db.sql.query('create table marker (id int primary key)');
  });
  afterAll(async () => {
    await db?.close();
    await schema?.drop();
  });

  it('queries in the app schema with ? placeholders and commits or rolls back a transaction whole', async () => {
    await db.transaction(async (tx) => {
      await tx.query('insert into marker (id) values (?), (?)', [1, 2]);
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.query('insert into marker (id) values (?)', [3]);
        await tx.query('insert into marker (id) values (?)', [1]);
      }),
    ).rejects.toThrow(/duplicate key/);
    const rows = await db.sql.query<{ id: number }>('select id from marker order by id');
    expect(rows.map((r) => r.id)).toEqual([1, 2]);
    const [where] = await db.sql.query<{ schema: string }>(
      `select table_schema as schema from information_schema.tables where table_name = 'marker'`,
    );
    expect(where?.schema).toBe(schema.name);
  });

  it('pins one session: its search_path is the schema, and its advisory lock excludes other sessions until it ends', async () => {
    const options = { databaseUrl, schema: schema.name, applicationName: 'pg-adapter-test' };
    const first = await openPinnedSession(orm, options);
    const second = await openPinnedSession(orm, options);
    try {
      expect(
        await first.sql.query<{ id: number }>('select id from marker where id = ?', [2]),
      ).toEqual([{ id: 2 }]);
      expect(await first.tryAdvisoryLock('tollgate.test.lock')).toBe(true);
      expect(await second.tryAdvisoryLock('tollgate.test.lock')).toBe(false);
      const waiting = second.advisoryLock('tollgate.test.lock');
      await first.close();
      await waiting;
      expect(await second.tryAdvisoryLock('tollgate.test.lock')).toBe(true);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('refuses a schema name that is not a plain identifier, before any SQL', async () => {
    await expect(
      openPinnedSession(orm, {
        databaseUrl,
        schema: 'x"; drop table marker; --',
        applicationName: 'pg-adapter-test',
      }),
    ).rejects.toThrow(/invalid schema name/);
    await expect(
      connectDatabase({ databaseUrl, schema: 'Bad-Name', migrations: [] }),
    ).rejects.toThrow(/invalid schema name/);
  });
});
