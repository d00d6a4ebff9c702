import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSchema, testEndpoints, type TestSchema } from '@tollgate/test-infra';
import { connectDatabase } from './database';
import { connectionSettings } from './orm';
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

  it('follows the URL for TLS and the default port, in the pool as in pinned sessions', async () => {
    // This Postgres has no TLS: a URL that requires it must fail to connect, not silently connect
    // in plaintext (MikroORM alone drops sslmode).
    const url = new URL(databaseUrl);
    url.searchParams.set('sslmode', 'require');
    const tls = await connectDatabase({
      databaseUrl: url.toString(),
      schema: schema.name,
      migrations: [],
    });
    try {
      await expect(tls.db.sql.query('select 1')).rejects.toThrow(/SSL/i);
    } finally {
      await tls.db.close();
    }
    // A URL without a port means 5432, as for psql and pg (MikroORM alone would use port 0);
    // checked against the server too when the test database listens there.
    expect(connectionSettings('postgres://u@db.internal/app')).toEqual({ port: 5432 });
    expect(connectionSettings('postgres://u@db.internal/app?sslmode=disable')).toMatchObject({
      ssl: false,
    });
    if (url.port === '5432') {
      url.port = '';
      url.searchParams.delete('sslmode');
      const portless = await connectDatabase({
        databaseUrl: url.toString(),
        schema: schema.name,
        migrations: [],
      });
      try {
        expect(await portless.db.sql.query<{ one: number }>('select 1 as one')).toEqual([
          { one: 1 },
        ]);
      } finally {
        await portless.db.close();
      }
    }
  });
});
